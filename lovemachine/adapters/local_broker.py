"""``Broker`` in-process, with Pub/Sub semantics: for the demo, unit tests and one-box runs.

It behaves like Pub/Sub seen through ``google-cloud-pubsub`` so that code tested here behaves the
same in production (the contract tests in ``tests/contract`` run on both):

* A topic fans out to each of its subscriptions; with none, a published message is dropped.
* A delivered message is *leased*. ``ack()`` removes it; ``nack()`` makes it available again at
  once; a lease that runs out makes it available again too. Leases from ``pull`` last the
  subscription's ack deadline. Leases held by an open streaming pull are extended automatically,
  as the real client does, up to ``max_lease_duration``; after ``cancel()`` they run for one more
  ack deadline, and acks or nacks made meanwhile still count. Messages leased to a stream but not
  yet handed to its callback are nacked on cancel.
* Only the latest delivery's ack or nack counts: once a lease ran out (or was nacked), settling that
  delivery does nothing, even before the message is delivered again. ``ack``/``nack`` are idempotent:
  the first call of either on a delivery decides.
* With a dead-letter policy (``ensure_topology`` sets one on the listing subscription)
  ``delivery_attempt`` counts 1, 2, ...; a message whose ``max_delivery_attempts``-th delivery is not
  acked is published to the dead-letter topic with Pub/Sub's ``CloudPubSubDeadLetter*`` attributes
  and removed. Without a policy ``delivery_attempt`` is ``None``.
* Flow control: at most ``max_messages`` unacked messages per streaming pull; callbacks run on a
  pool of ``callback_threads`` (10, as in the client). A callback that raises nacks its message and,
  as in the client, ends the stream: ``result()`` raises that exception.
* Unlike Pub/Sub: ack deadlines may be fractions of a second (for tests), messages are delivered
  in publish order (redeliveries at the back), and nothing survives the process.

Everything is guarded by one lock; waiting is done on condition variables, never by polling.

The messages, deliveries and subscriptions are in ``local_broker_state``; the streaming pull behind
``subscribe`` (dispatcher and callback threads) in ``local_broker_streams``.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from types import MappingProxyType

from lovemachine.adapters.local_broker_state import Entry, LocalMessage, Published, Subscription
from lovemachine.adapters.local_broker_streams import LocalStream
from lovemachine.errors import (  # re-exported: callers import them from here too
    BrokerNotFoundError as BrokerNotFoundError,
)
from lovemachine.ports import ReceivedMessage, StreamingPull, Topology, create_topology

log = logging.getLogger(__name__)

__all__ = ["LocalBroker", "LocalMessage", "NotFoundError"]

_NEVER = float("inf")


NotFoundError = BrokerNotFoundError  # the name callers have always imported from here


class LocalBroker:
    """In-process ``Broker``. Thread-safe; ``close()`` stops its threads."""

    def __init__(
        self, *, project: str = "local", callback_threads: int = 10, max_lease_duration: float = 3600.0
    ) -> None:
        self.project = project
        self._lock = threading.Lock()
        self._topics: dict[str, list[Subscription]] = {}
        self._subs: dict[str, Subscription] = {}
        self._ids = itertools.count(1)
        self._callback_threads = callback_threads
        self._max_lease_duration = max_lease_duration
        self._closed = False
        self._timer_cond = threading.Condition(self._lock)
        self._timer_wake_at = _NEVER
        self._timer: threading.Thread | None = None

    # ------------------------------------------------------------------ admin
    def ensure_topology(self, topology: Topology) -> None:
        create_topology(self, topology)

    def ensure_topic(self, topic: str) -> None:
        with self._lock:
            self._topics.setdefault(topic, [])

    def ensure_subscription(
        self,
        subscription: str,
        topic: str,
        *,
        ack_deadline_seconds: float = 60,
        dead_letter_topic: str | None = None,
        max_delivery_attempts: int = 5,
    ) -> None:
        """Create the subscription unless it exists (an existing one is left as it is)."""
        if ack_deadline_seconds <= 0:
            raise ValueError("ack_deadline_seconds must be > 0")
        if max_delivery_attempts < 1:
            raise ValueError("max_delivery_attempts must be >= 1")
        with self._lock:
            if subscription in self._subs:
                return
            if topic not in self._topics:
                raise NotFoundError(f"topic {topic!r} not found")
            sub = Subscription(
                self,
                subscription,
                topic,
                float(ack_deadline_seconds),
                dead_letter_topic,
                max_delivery_attempts,
            )
            self._subs[subscription] = sub
            self._topics[topic].append(sub)
            self._ensure_timer_locked()

    # ------------------------------------------------------------------ messaging
    def publish(self, topic: str, data: bytes, **attributes: str) -> Future[str]:
        if not isinstance(data, bytes):
            raise TypeError(f"data must be bytes, not {type(data).__name__}")
        for k, v in attributes.items():
            if not isinstance(v, str):
                raise TypeError(f"attribute {k!r} must be str, not {type(v).__name__}")
        fut: Future[str] = Future()
        if not data and not attributes:
            fut.set_exception(ValueError("a message needs data or at least one attribute"))
            return fut
        with self._lock:
            if self._closed:
                raise RuntimeError("broker is closed")
            subs = self._topics.get(topic)
            if subs is None:
                fut.set_exception(NotFoundError(f"topic {topic!r} not found"))
                return fut
            message_id = self._publish_locked(subs, data, attributes)
        fut.set_result(message_id)
        return fut

    def subscribe(
        self,
        subscription: str,
        callback: Callable[[ReceivedMessage], None],
        *,
        max_messages: int = 1000,
    ) -> StreamingPull:
        if max_messages < 1:
            raise ValueError("max_messages must be >= 1")
        with self._lock:
            if self._closed:
                raise RuntimeError("broker is closed")
            sub = self._subscription_locked(subscription)
            stream = LocalStream(self, sub, callback, max_messages, self._callback_threads)
            sub.streams.append(stream)
        stream.start()
        return stream

    def pull(self, subscription: str, max_messages: int = 100, timeout: float = 5.0) -> list[ReceivedMessage]:
        deadline = time.monotonic() + timeout
        with self._lock:
            sub = self._subscription_locked(subscription)
            while not sub.ready and not self._closed:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                sub.pull_waiters += 1
                try:
                    sub.pull_cond.wait(remaining)
                finally:
                    sub.pull_waiters -= 1
            return list(self._lease_locked(sub, max_messages, None))

    # ------------------------------------------------------------------ introspection
    def backlog(self, subscription: str) -> int:
        """Messages not yet acked (nor dead-lettered): waiting for delivery plus leased."""
        with self._lock:
            return self._subscription_locked(subscription).size

    def ready_count(self, subscription: str) -> int:
        """Messages waiting for delivery (not leased)."""
        with self._lock:
            return len(self._subscription_locked(subscription).ready)

    def wait_for_backlog(self, subscription: str, at_most: int = 0, timeout: float | None = None) -> bool:
        """Block until ``backlog(subscription) <= at_most``; False on timeout."""
        with self._lock:
            sub = self._subscription_locked(subscription)
            return sub.drained.wait_for(lambda: sub.size <= at_most, timeout)

    def topics(self) -> list[str]:
        with self._lock:
            return sorted(self._topics)

    def subscriptions(self, topic: str | None = None) -> list[str]:
        with self._lock:
            return sorted(s.name for s in self._subs.values() if topic is None or s.topic == topic)

    # ------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        """Cancel all streaming pulls and stop the timer thread (idempotent). Messages are dropped."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            streams = [st for sub in self._subs.values() for st in sub.streams]
            for st in streams:
                self._cancel_stream_locked(st)
            for sub in self._subs.values():
                sub.pull_cond.notify_all()
            self._timer_cond.notify_all()
            timer = self._timer
        for st in streams:
            st.result(timeout=5)
        if timer is not None:
            timer.join(timeout=5)

    def __enter__(self) -> LocalBroker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ internals (lock held: *_locked)
    def _subscription_locked(self, name: str) -> Subscription:
        sub = self._subs.get(name)
        if sub is None:
            raise NotFoundError(f"subscription {name!r} not found")
        return sub

    def _publish_locked(self, subs: list[Subscription], data: bytes, attributes: Mapping[str, str]) -> str:
        message_id = str(next(self._ids))
        if subs:
            msg = Published(message_id, data, MappingProxyType(dict(attributes)))
            for sub in subs:
                sub.size += 1
                self._make_ready_locked(sub, Entry(msg))
        return message_id

    def _make_ready_locked(self, sub: Subscription, entry: Entry) -> None:
        sub.ready.append(entry)
        for st in sub.streams:
            if st.waiting and st.outstanding < st.max_messages:
                st.waiting = False  # one wake-up is enough; the dispatcher re-checks
                st.cond.notify()
        if sub.pull_waiters:
            sub.pull_cond.notify()

    def _lease_locked(self, sub: Subscription, n: int, stream: LocalStream | None) -> list[LocalMessage]:
        now = time.monotonic()
        if stream is None:
            deadline, bucket = now + sub.ack_deadline, sub.leases
        else:
            deadline, bucket = now + self._max_lease_duration, stream.leases
        was_empty = not bucket
        out: list[LocalMessage] = []
        ready = sub.ready
        for _ in range(min(n, len(ready))):
            entry = ready.popleft()
            entry.attempts += 1
            m = LocalMessage(sub, entry, stream, deadline)
            m._bucket = bucket
            entry.lease = m
            bucket[m] = None
            out.append(m)
        if stream is not None:
            stream.outstanding += len(out)
        if out and was_empty and deadline < self._timer_wake_at:
            self._timer_cond.notify()
        return out

    def _settle(self, m: LocalMessage, *, ack: bool) -> None:
        with self._lock:
            if m._settled:
                return
            m._settled = True
            self._end_lease_locked(m, ack=ack)

    def _end_lease_locked(self, m: LocalMessage, *, ack: bool) -> None:
        entry = m._entry
        if entry.lease is not m:
            return  # a stale delivery: the lease ran out or was settled already
        entry.lease = None
        if m._bucket is not None:
            m._bucket.pop(m, None)
            m._bucket = None
        sub = m._sub
        st = m._stream
        if st is not None and not st.cancelled:
            st.outstanding -= 1
            if st.waiting and sub.ready:
                st.waiting = False
                st.cond.notify()
        if ack:
            self._remove_locked(sub)
        elif sub.dead_letter_topic is not None and entry.attempts >= sub.max_delivery_attempts:
            self._dead_letter_locked(sub, entry)
        else:
            self._make_ready_locked(sub, entry)

    def _remove_locked(self, sub: Subscription) -> None:
        sub.size -= 1
        sub.drained.notify_all()

    def _dead_letter_locked(self, sub: Subscription, entry: Entry) -> None:
        assert sub.dead_letter_topic is not None
        msg = entry.msg
        attrs = dict(msg.attributes)
        attrs.update(
            CloudPubSubDeadLetterSourceDeliveryCount=str(entry.attempts),
            CloudPubSubDeadLetterSourceSubscription=sub.name,
            CloudPubSubDeadLetterSourceSubscriptionProject=self.project,
            CloudPubSubDeadLetterSourceTopicPublishTime=msg.publish_time.isoformat(timespec="milliseconds"),
        )
        targets = self._topics.get(sub.dead_letter_topic)
        if targets is None:
            log.warning(
                "dead-letter topic %r missing; dropping message %s", sub.dead_letter_topic, msg.message_id
            )
        else:
            self._publish_locked(targets, msg.data, attrs)
        self._remove_locked(sub)

    def _cancel_stream_locked(self, st: LocalStream) -> None:
        if st.cancelled:
            return
        sub = st._sub
        # Its unsettled leases now last one ack deadline: appended after every pull lease, whose
        # deadlines are all earlier, so sub.leases stays in deadline order.
        deadline = time.monotonic() + sub.ack_deadline
        for m in st.leases:
            m._deadline = deadline
            m._bucket = sub.leases
            sub.leases[m] = None
        st.leases.clear()
        if sub.leases and deadline < self._timer_wake_at:
            self._timer_cond.notify()
        st.cancelled = True
        if st in sub.streams:
            sub.streams.remove(st)
        st.cond.notify_all()

    # ------------------------------------------------------------------ lease expiry
    def _ensure_timer_locked(self) -> None:
        if self._timer is None:
            self._timer = threading.Thread(target=self._expire_loop, name="local-broker-timer", daemon=True)
            self._timer.start()

    def _expire_loop(self) -> None:
        with self._lock:
            while not self._closed:
                now = time.monotonic()
                wake_at = _NEVER
                for sub in list(self._subs.values()):
                    buckets = [sub.leases, *(st.leases for st in sub.streams)]
                    for bucket in buckets:
                        while bucket:
                            m = next(iter(bucket))
                            if m._deadline > now:
                                wake_at = min(wake_at, m._deadline)
                                break
                            self._end_lease_locked(m, ack=False)
                            m._settled = True
                self._timer_wake_at = wake_at
                self._timer_cond.wait(None if wake_at == _NEVER else wake_at - now)
            self._timer_wake_at = _NEVER
