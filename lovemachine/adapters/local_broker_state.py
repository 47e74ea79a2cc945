"""The local broker's state: published messages, their per-subscription entries, deliveries, subscriptions.

``LocalMessage`` is one delivery (a lease) of an ``Entry``, the copy of a ``Published`` message that
one ``Subscription`` holds. All of it is guarded by the broker's one lock and changed only by
``LocalBroker`` (``lovemachine.adapters.local_broker``, which describes the semantics).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lovemachine.adapters.local_broker import LocalBroker
    from lovemachine.adapters.local_broker_streams import LocalStream


class Published:
    """One published message, shared by the entries of every subscription of its topic."""

    __slots__ = ("attributes", "data", "message_id", "publish_time")

    def __init__(self, message_id: str, data: bytes, attributes: Mapping[str, str]) -> None:
        self.message_id = message_id
        self.data = data
        self.attributes = attributes
        self.publish_time = datetime.now(UTC)


class Entry:
    """One published message as seen by one subscription."""

    __slots__ = ("attempts", "lease", "msg")

    def __init__(self, msg: Published) -> None:
        self.msg = msg
        self.attempts = 0
        self.lease: LocalMessage | None = None


class LocalMessage:
    """One delivery of a message; implements ``ReceivedMessage``."""

    __slots__ = ("_bucket", "_deadline", "_entry", "_settled", "_stream", "_sub", "delivery_attempt")

    def __init__(self, sub: Subscription, entry: Entry, stream: LocalStream | None, deadline: float) -> None:
        self._sub = sub
        self._entry = entry
        self._stream = stream
        self._deadline = deadline
        self._bucket: dict[LocalMessage, None] | None = None
        self._settled = False
        self.delivery_attempt: int | None = entry.attempts if sub.dead_letter_topic else None

    @property
    def message_id(self) -> str:
        return self._entry.msg.message_id

    @property
    def data(self) -> bytes:
        return self._entry.msg.data

    @property
    def attributes(self) -> Mapping[str, str]:
        return self._entry.msg.attributes

    @property
    def publish_time(self) -> datetime:
        return self._entry.msg.publish_time

    def ack(self) -> None:
        self._sub.broker._settle(self, ack=True)

    def nack(self) -> None:
        self._sub.broker._settle(self, ack=False)

    def __repr__(self) -> str:
        return (
            f"LocalMessage(message_id={self.message_id!r}, subscription={self._sub.name!r}, "
            f"delivery_attempt={self.delivery_attempt})"
        )


class Subscription:
    """One subscription: messages ready for delivery, pull leases, its streaming pulls, its size."""

    __slots__ = (
        "ack_deadline",
        "broker",
        "dead_letter_topic",
        "drained",
        "leases",
        "max_delivery_attempts",
        "name",
        "pull_cond",
        "pull_waiters",
        "ready",
        "size",
        "streams",
        "topic",
    )

    def __init__(
        self,
        broker: LocalBroker,
        name: str,
        topic: str,
        ack_deadline: float,
        dead_letter_topic: str | None,
        max_delivery_attempts: int,
    ) -> None:
        self.broker = broker
        self.name = name
        self.topic = topic
        self.ack_deadline = ack_deadline
        self.dead_letter_topic = dead_letter_topic
        self.max_delivery_attempts = max_delivery_attempts
        self.ready: deque[Entry] = deque()
        # Leases that last one ack deadline, in deadline order (the deadline is now + a constant).
        self.leases: dict[LocalMessage, None] = {}
        self.size = 0  # ready + leased: not yet acked nor dead-lettered
        self.streams: list[LocalStream] = []
        self.pull_cond = threading.Condition(broker._lock)
        self.pull_waiters = 0
        self.drained = threading.Condition(broker._lock)
