"""The ``Broker`` contract, run on the embedded broker and on Pub/Sub (emulator) alike.

What the worker relies on: attributes survive the trip, ack removes, nack and lease expiry
redeliver with a growing ``delivery_attempt``, the ``max_delivery_attempts``-th failure lands on the
dead-letter subscription with Pub/Sub's attributes, flow control bounds what is outstanding, acks
made after ``cancel()`` still count, and ``ensure_topology`` may run any number of times.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime

import pytest

from lovemachine.ports import Broker, ReceivedMessage, Topology
from tests.plugins.pubsub import wait_until

pytestmark = pytest.mark.timeout(120)

BrokerAndTopology = tuple[Broker, Topology]


def pull_exactly(broker: Broker, subscription: str, n: int, timeout: float = 20.0) -> list[ReceivedMessage]:
    """Pull until ``n`` messages arrived (fails on timeout), without acking them."""
    got: list[ReceivedMessage] = []
    deadline = time.monotonic() + timeout
    while len(got) < n:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"pulled {len(got)} of {n} messages from {subscription}")
        got.extend(broker.pull(subscription, max_messages=n - len(got), timeout=min(remaining, 2.0)))
    return got


class Collector:
    """A thread-safe callback that records every delivery and applies ``decide`` (ack/nack/hold)."""

    def __init__(self, decide: str = "ack") -> None:
        self.decide = decide
        self.lock = threading.Lock()
        self.deliveries: list[ReceivedMessage] = []

    def __call__(self, m: ReceivedMessage) -> None:
        with self.lock:
            self.deliveries.append(m)
        if self.decide == "ack":
            m.ack()
        elif self.decide == "nack":
            m.nack()

    def ids(self) -> list[str]:
        with self.lock:
            return [m.message_id for m in self.deliveries]

    def count(self) -> int:
        with self.lock:
            return len(self.deliveries)


def test_publish_then_pull_round_trip_keeps_data_and_attributes(any_broker: BrokerAndTopology) -> None:
    broker, t = any_broker
    fut = broker.publish(t.listing_topic, b"\x00hello\xff", origin="test", listing_id="L-1")
    message_id = fut.result(timeout=30)
    assert isinstance(message_id, str) and message_id

    [m] = pull_exactly(broker, t.listing_subscription, 1)
    assert isinstance(m, ReceivedMessage)
    assert m.message_id == message_id
    assert m.data == b"\x00hello\xff"
    assert dict(m.attributes) == {"origin": "test", "listing_id": "L-1"}
    assert m.delivery_attempt == 1  # the listing subscription has a dead-letter policy
    assert isinstance(m.publish_time, datetime) and m.publish_time.tzinfo is not None
    m.ack()
    m.ack()  # idempotent
    assert broker.pull(t.listing_subscription, timeout=1.0) == []


def test_subscription_without_dead_letter_policy_has_no_delivery_attempt(
    any_broker: BrokerAndTopology,
) -> None:
    broker, t = any_broker
    broker.publish(t.actions_topic, b"{}", action="hide").result(timeout=30)
    [m] = pull_exactly(broker, t.actions_subscription, 1)
    assert m.delivery_attempt is None
    m.ack()


def test_streaming_pull_delivers_everything_once_and_ack_removes_it(any_broker: BrokerAndTopology) -> None:
    broker, t = any_broker
    n = 300
    futures = [broker.publish(t.listing_topic, f"m{i}".encode(), i=str(i)) for i in range(n)]
    published = {f.result(timeout=30) for f in futures}
    assert len(published) == n

    collector = Collector("ack")
    stream = broker.subscribe(t.listing_subscription, collector, max_messages=100)
    try:
        wait_until(lambda: collector.count() >= n, timeout=30, what=f"{n} deliveries")
        # a short window in which a redelivery of an acked message would show up
        time.sleep(0.5)
    finally:
        stream.cancel()
        stream.result(timeout=30)
    assert sorted(collector.ids()) == sorted(published)  # every message, none twice
    assert {m.data for m in collector.deliveries} == {f"m{i}".encode() for i in range(n)}
    assert broker.pull(t.listing_subscription, timeout=1.0) == []


def test_nack_redelivers_with_increasing_delivery_attempt(any_broker: BrokerAndTopology) -> None:
    broker, t = any_broker
    message_id = broker.publish(t.listing_topic, b"retry me").result(timeout=30)
    attempts: list[int | None] = []
    done = threading.Event()

    def callback(m: ReceivedMessage) -> None:
        assert m.message_id == message_id
        attempts.append(m.delivery_attempt)
        if len(attempts) < 3:
            m.nack()
        else:
            m.ack()
            done.set()

    stream = broker.subscribe(t.listing_subscription, callback, max_messages=1)
    try:
        assert done.wait(30), f"only saw attempts {attempts}"
    finally:
        stream.cancel()
        stream.result(timeout=30)
    assert attempts == [1, 2, 3]


def test_callback_exception_nacks_the_message_and_ends_the_stream(any_broker: BrokerAndTopology) -> None:
    broker, t = any_broker
    message_id = broker.publish(t.listing_topic, b"boom").result(timeout=30)

    def callback(m: ReceivedMessage) -> None:
        raise RuntimeError("handler bug")

    stream = broker.subscribe(t.listing_subscription, callback, max_messages=1)
    with pytest.raises(RuntimeError, match="handler bug"):
        stream.result(timeout=30)
    stream.cancel()  # harmless on a stream that has ended
    # Nacked, so it comes back; with the real client the closing stream may receive the redelivery
    # and drop it, and then it returns only after an ack deadline (with a higher attempt count).
    # (a loaded machine may take a second ack deadline to redeliver it)
    [m] = pull_exactly(broker, t.listing_subscription, 1, timeout=2 * t.ack_deadline_seconds + 30)
    assert m.message_id == message_id
    assert m.delivery_attempt is not None and m.delivery_attempt >= 2
    m.ack()


def test_message_nacked_max_delivery_attempts_times_is_dead_lettered(any_broker: BrokerAndTopology) -> None:
    broker, t = any_broker
    assert t.max_delivery_attempts == 5
    message_id = broker.publish(t.listing_topic, b"poison", origin="test").result(timeout=30)
    collector = Collector("nack")
    stream = broker.subscribe(t.listing_subscription, collector, max_messages=1)
    try:
        [dead] = pull_exactly(broker, t.dead_letter_subscription, 1, timeout=30)
    finally:
        stream.cancel()
        stream.result(timeout=30)
    dead.ack()
    assert [m.delivery_attempt for m in collector.deliveries] == [1, 2, 3, 4, 5]
    assert all(m.message_id == message_id for m in collector.deliveries)
    assert dead.data == b"poison"
    assert dead.attributes["origin"] == "test"
    assert dead.attributes["CloudPubSubDeadLetterSourceDeliveryCount"] == "5"
    assert dead.attributes["CloudPubSubDeadLetterSourceSubscription"] == t.listing_subscription
    assert dead.delivery_attempt is None  # the dead-letter subscription has no policy of its own
    assert broker.pull(t.listing_subscription, timeout=1.0) == []  # gone from the source


def test_after_cancel_late_acks_and_nacks_count_and_unacked_messages_come_back(
    any_broker: BrokerAndTopology,
) -> None:
    broker, t = any_broker
    ids = [broker.publish(t.listing_topic, f"held-{i}".encode()).result(timeout=30) for i in range(4)]
    first = Collector("hold")
    stream = broker.subscribe(t.listing_subscription, first, max_messages=10)
    wait_until(lambda: first.count() == 4, timeout=30, what="4 held messages")
    held = {m.message_id: m for m in first.deliveries}
    held[ids[0]].ack()  # before cancel
    stream.cancel()
    stream.result(timeout=30)
    # After cancel, messages already handed out stay the caller's to settle:
    held[ids[1]].ack()
    held[ids[3]].nack()
    # ids[2] is never settled: it must come back once its lease runs out (~ one ack deadline)

    second = Collector("ack")
    t0 = time.monotonic()
    stream2 = broker.subscribe(t.listing_subscription, second, max_messages=10)
    try:
        wait_until(lambda: ids[3] in second.ids(), timeout=10, what="the nacked message")
        nack_latency = time.monotonic() - t0
        wait_until(
            lambda: ids[2] in second.ids(), timeout=t.ack_deadline_seconds + 20, what="the unacked one"
        )
        # the late ack had the same deadline: had it been lost, ids[1] would come back now too
        time.sleep(1.5)
    finally:
        stream2.cancel()
        stream2.result(timeout=30)
    assert nack_latency < t.ack_deadline_seconds / 2  # redelivered at once, not when a lease ran out
    assert sorted(second.ids()) == sorted([ids[2], ids[3]])
    assert all(m.delivery_attempt == 2 for m in second.deliveries)


def test_flow_control_bounds_outstanding_messages(any_broker: BrokerAndTopology) -> None:
    broker, t = any_broker
    n, limit = 23, 5
    for f in [broker.publish(t.listing_topic, f"f{i}".encode()) for i in range(n)]:
        f.result(timeout=30)

    lock = threading.Lock()
    outstanding: list[ReceivedMessage] = []
    peak = 0
    acked: set[str] = set()

    def callback(m: ReceivedMessage) -> None:
        nonlocal peak
        with lock:
            outstanding.append(m)
            peak = max(peak, len(outstanding))

    def n_outstanding() -> int:
        with lock:
            return len(outstanding)

    stream = broker.subscribe(t.listing_subscription, callback, max_messages=limit)
    try:
        while len(acked) < n:
            expect = min(limit, n - len(acked))
            wait_until(lambda: n_outstanding() >= expect, timeout=30, what=f"{expect} outstanding")  # noqa: B023
            time.sleep(0.2)  # room for an overshoot to show
            with lock:
                batch, outstanding[:] = list(outstanding), []
            assert len(batch) <= limit
            for m in batch:
                acked.add(m.message_id)
                m.ack()
    finally:
        stream.cancel()
        stream.result(timeout=30)
    assert peak <= limit
    assert len(acked) == n


def test_ensure_topology_is_idempotent(any_broker: BrokerAndTopology) -> None:
    broker, t = any_broker
    message_id = broker.publish(t.listing_topic, b"kept").result(timeout=30)
    broker.ensure_topology(t)
    broker.ensure_topology(t)
    [m] = pull_exactly(broker, t.listing_subscription, 1)  # the subscription was not recreated
    assert m.message_id == message_id
    assert m.delivery_attempt == 1  # and it kept its dead-letter policy
    m.ack()


def test_messages_reach_only_the_subscriptions_of_their_topic(any_broker: BrokerAndTopology) -> None:
    broker, t = any_broker
    broker.publish(t.actions_topic, b"a1").result(timeout=30)
    [m] = pull_exactly(broker, t.actions_subscription, 1)
    m.ack()
    assert broker.pull(t.listing_subscription, timeout=0.5) == []
    assert broker.pull(t.dead_letter_subscription, timeout=0.5) == []
