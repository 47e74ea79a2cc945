"""Messaging: what the workers need from a broker (Pub/Sub, or the embedded one)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable


@runtime_checkable
class ReceivedMessage(Protocol):
    """A delivered message; the shape of ``google.cloud.pubsub_v1.subscriber.message.Message``."""

    @property
    def message_id(self) -> str: ...
    @property
    def data(self) -> bytes: ...
    @property
    def attributes(self) -> Mapping[str, str]: ...
    @property
    def delivery_attempt(self) -> int | None:
        """1 on first delivery when the subscription has a dead-letter policy, else None."""

    @property
    def publish_time(self) -> datetime: ...
    def ack(self) -> None: ...
    def nack(self) -> None: ...


class StreamingPull(Protocol):
    def cancel(self) -> None:
        """Stop receiving; messages already handed to the callback stay the caller's to ack or nack."""

    def result(self, timeout: float | None = None) -> None:
        """Block until the stream has shut down (after ``cancel``) or failed."""


@dataclass(frozen=True)
class Topology:
    """Topics and subscriptions the system needs; ``Broker.ensure_topology`` creates what is missing."""

    listing_topic: str
    listing_subscription: str
    actions_topic: str
    actions_subscription: str
    dead_letter_topic: str
    dead_letter_subscription: str
    max_delivery_attempts: int = 5
    ack_deadline_seconds: int = 60


class TopologyAdmin(Protocol):
    """What a broker offers to create topics and subscriptions (both brokers implement it)."""

    def ensure_topic(self, topic: str) -> None: ...

    def ensure_subscription(
        self,
        subscription: str,
        topic: str,
        *,
        ack_deadline_seconds: int = 60,
        dead_letter_topic: str | None = None,
        max_delivery_attempts: int = 5,
    ) -> None: ...


def create_topology(admin: TopologyAdmin, topology: Topology) -> None:
    """Create the topics and subscriptions of ``topology`` (idempotent); shared by every broker."""
    for topic in (topology.listing_topic, topology.actions_topic, topology.dead_letter_topic):
        admin.ensure_topic(topic)
    admin.ensure_subscription(
        topology.listing_subscription,
        topology.listing_topic,
        ack_deadline_seconds=topology.ack_deadline_seconds,
        dead_letter_topic=topology.dead_letter_topic,
        max_delivery_attempts=topology.max_delivery_attempts,
    )
    admin.ensure_subscription(
        topology.actions_subscription,
        topology.actions_topic,
        ack_deadline_seconds=topology.ack_deadline_seconds,
    )
    # Without a subscription Pub/Sub drops what reaches the dead-letter topic.
    admin.ensure_subscription(
        topology.dead_letter_subscription,
        topology.dead_letter_topic,
        ack_deadline_seconds=topology.ack_deadline_seconds,
    )


class Broker(Protocol):
    """Publish and streaming-pull, with Pub/Sub semantics (ack, nack, redelivery, dead-letter)."""

    def ensure_topology(self, topology: Topology) -> None:
        """Create the topics and subscriptions if they do not exist (idempotent)."""

    def publish(self, topic: str, data: bytes, **attributes: str) -> Future[str]:
        """Publish one message; the future resolves to the message id once the broker has it."""

    def subscribe(
        self,
        subscription: str,
        callback: Callable[[ReceivedMessage], None],
        *,
        max_messages: int = 1000,
    ) -> StreamingPull:
        """Start a streaming pull calling ``callback`` on broker threads, at most ``max_messages`` unacked."""

    def pull(self, subscription: str, max_messages: int = 100, timeout: float = 5.0) -> list[ReceivedMessage]:
        """Synchronous pull of up to ``max_messages`` (for tools and tests); may return fewer."""

    def close(self) -> None: ...
