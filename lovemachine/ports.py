"""Ports: the narrow interfaces the core and the applications depend on.

Adapters implement them: ``lovemachine.adapters.sql`` (SQLAlchemy; SQLite and PostgreSQL),
``lovemachine.adapters.pubsub`` (google-cloud-pubsub, emulator or GCP) and
``lovemachine.adapters.local_broker`` (embedded, in-process). The same contract tests run against
every implementation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from lovemachine.listings import Listing
from lovemachine.policy import Decision
from lovemachine.rules import Rule


# --------------------------------------------------------------------------- messaging
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


# --------------------------------------------------------------------------- storage
@dataclass(frozen=True)
class RecordedDecision:
    decision: Decision
    created: bool
    """False when this (listing id, version, model version) was already decided: redelivery."""
    action_published: bool
    """Whether its moderation action was already published (outbox flag)."""


@dataclass(frozen=True)
class ModelVersionRecord:
    version: str
    name: str
    artifact_uri: str
    artifact_sha256: str
    training_data_sha256: str
    metrics: dict[str, object]
    thresholds: dict[str, dict[str, float]]
    created_at: datetime


@dataclass(frozen=True)
class AliasChange:
    """One move of a model alias (``from_version`` is None when the alias was created)."""

    name: str
    alias: str
    from_version: str | None
    to_version: str
    actor: str
    reason: str
    at: datetime


class DecisionStore(Protocol):
    def record_decisions(self, items: Sequence[tuple[Listing, Decision]]) -> list[RecordedDecision]:
        """In ONE transaction: upsert each listing, insert its decision unless (listing id, listing
        version, model version) exists, open a review item for each new ``report``/``hide``, and
        write an audit entry. Returns, in input order, what is stored (the existing decision on
        redelivery). Commits before returning; raises on failure with nothing written."""

    def mark_actions_published(self, keys: Sequence[tuple[str, int, str]]) -> None:
        """Set the outbox flag for (listing id, listing version, model version) keys."""

    def unpublished_actions(
        self, *, decided_before: datetime, decided_after: datetime | None = None, limit: int = 500
    ) -> list[Decision]:
        """Committed ``hide``/``report`` decisions whose outbox flag is not set, decided in
        [``decided_after``, ``decided_before``), oldest first, at most ``limit`` (the outbox sweeper).

        Every method here raises ``lovemachine.errors.DatabaseUnavailableError`` (transient: an
        outage) or ``DataRejectedError`` (permanent: the row is refused), not a driver's exception."""


class RuleStore(Protocol):
    def list_rules(self, *, enabled_only: bool = True) -> list[Rule]: ...
    def rules_revision(self) -> str:
        """A cheap token that changes whenever any rule changes (for hot reload)."""


ANY_VERSION: str = "*"
"""``set_alias(..., expected=ANY_VERSION)``: move the alias wherever it points now (unconditional)."""


class ModelRegistry(Protocol):
    def register_model_version(self, record: ModelVersionRecord) -> None: ...
    def get_model_version(self, version: str) -> ModelVersionRecord | None: ...
    def set_alias(
        self, alias: str, version: str, *, actor: str, reason: str, expected: str | None = ANY_VERSION
    ) -> AliasChange:
        """Point ``alias`` at ``version`` and append the move to the alias history, in ONE transaction.

        ``expected`` makes the move a compare-and-set: it happens only if the alias points at
        ``expected`` right now (None: the alias must not exist yet), else ``AliasConflictError`` and
        nothing is written. ``LookupError`` for an unknown version."""

    def get_alias(self, alias: str) -> ModelVersionRecord | None: ...


class ShadowDecisionStore(Protocol):
    def record_shadow_decisions(self, decisions: Sequence[Decision]) -> int:
        """Store a challenger's decisions (never acted on), ignoring (listing id, listing version,
        model version) keys already stored; returns how many were new. One transaction."""
