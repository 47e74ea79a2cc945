"""Which broker a process talks to, and the topics and subscriptions it uses, from ``Settings``.

Shared by every application (workers, the CS tool, the CLI): the one place that maps configuration
onto the broker adapters.
"""

from __future__ import annotations

from lovemachine.config import Settings
from lovemachine.ports import Broker, Topology


def topology_from(settings: Settings) -> Topology:
    return Topology(
        listing_topic=settings.listing_topic,
        listing_subscription=settings.listing_subscription,
        actions_topic=settings.actions_topic,
        actions_subscription=settings.actions_subscription,
        dead_letter_topic=settings.dead_letter_topic,
        dead_letter_subscription=settings.dead_letter_subscription,
        max_delivery_attempts=settings.max_delivery_attempts,
        ack_deadline_seconds=settings.ack_deadline_seconds,
    )


def make_broker(settings: Settings) -> Broker:
    """The configured broker: ``local`` (embedded, in-process) or ``pubsub`` (GCP or its emulator)."""
    if settings.broker == "pubsub":
        from lovemachine.adapters.pubsub import PubSubBroker

        return PubSubBroker(
            settings.gcp_project,
            give_up_s=settings.pubsub_give_up_s,
            reopen_backoff_max_s=settings.pubsub_reopen_backoff_max_s,
            admin_timeout_s=settings.pubsub_admin_timeout_s,
        )
    if settings.broker == "local":
        from lovemachine.adapters.local_broker import LocalBroker

        return LocalBroker()
    raise ValueError(f"unknown broker {settings.broker!r}; use 'local' or 'pubsub'")
