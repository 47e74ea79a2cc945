"""What only the embedded broker can show quickly: lease expiry with sub-second deadlines, fan-out,
dropping, concurrency and throughput. The shared behaviour is in tests/contract."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from lovemachine.adapters.local_broker import LocalBroker, NotFoundError
from lovemachine.ports import ReceivedMessage
from tests.plugins.pubsub import unique_topology, wait_until

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def broker() -> Iterator[LocalBroker]:
    b = LocalBroker()
    try:
        yield b
    finally:
        b.close()


def test_unacked_pull_is_redelivered_when_the_ack_deadline_passes(broker: LocalBroker) -> None:
    broker.ensure_topic("t-1")
    broker.ensure_subscription("s-1", "t-1", ack_deadline_seconds=0.3)
    broker.publish("t-1", b"x").result()
    [first] = broker.pull("s-1", timeout=1)
    assert first.delivery_attempt is None  # no dead-letter policy
    assert broker.pull("s-1", timeout=0.1) == []  # leased, not yet expired
    t0 = time.monotonic()
    [second] = broker.pull("s-1", timeout=5)
    assert time.monotonic() - t0 > 0.1
    assert second.message_id == first.message_id
    first.ack()  # the expired delivery's ack does not count
    assert broker.backlog("s-1") == 1
    second.ack()
    assert broker.backlog("s-1") == 0


def test_expired_leases_count_as_failed_deliveries_for_dead_lettering(broker: LocalBroker) -> None:
    for t in ("t-2", "dl-2"):
        broker.ensure_topic(t)
    broker.ensure_subscription("dl-sub-2", "dl-2")
    broker.ensure_subscription(
        "s-2", "t-2", ack_deadline_seconds=0.1, dead_letter_topic="dl-2", max_delivery_attempts=5
    )
    broker.publish("t-2", b"slow", k="v").result()
    attempts = []
    while True:
        got = broker.pull("s-2", timeout=1)
        if not got:
            break
        attempts.append(got[0].delivery_attempt)  # never acked: each lease runs out
    assert attempts == [1, 2, 3, 4, 5]
    [dead] = broker.pull("dl-sub-2", timeout=1)
    assert dead.attributes["CloudPubSubDeadLetterSourceDeliveryCount"] == "5"
    assert dead.attributes["CloudPubSubDeadLetterSourceSubscription"] == "s-2"
    assert dead.attributes["k"] == "v"
    assert broker.backlog("s-2") == 0


def test_streaming_pull_extends_leases_until_cancelled(broker: LocalBroker) -> None:
    broker.ensure_topic("t-3")
    broker.ensure_subscription("s-3", "t-3", ack_deadline_seconds=0.2)
    broker.publish("t-3", b"held").result()
    held: list[ReceivedMessage] = []
    stream = broker.subscribe("s-3", held.append)
    wait_until(lambda: held, timeout=5, what="delivery")
    time.sleep(0.6)  # three ack deadlines: a lease that was not extended would have run out
    assert len(held) == 1 and broker.ready_count("s-3") == 0
    stream.cancel()
    stream.result(timeout=5)
    [again] = broker.pull("s-3", timeout=5)  # after cancel the lease runs one more deadline
    assert again.message_id == held[0].message_id
    again.ack()


def test_cancel_nacks_messages_not_yet_handed_to_the_callback() -> None:
    broker = LocalBroker(callback_threads=1)
    try:
        broker.ensure_topic("t-4")
        broker.ensure_subscription("s-4", "t-4", ack_deadline_seconds=60)
        for i in range(5):
            broker.publish("t-4", str(i).encode()).result()
        entered, release = threading.Event(), threading.Event()

        def slow(m: ReceivedMessage) -> None:
            entered.set()
            release.wait(10)

        stream = broker.subscribe("s-4", slow, max_messages=10)
        assert entered.wait(5)
        stream.cancel()
        stream.result(timeout=5)
        back = broker.pull("s-4", max_messages=10, timeout=1)
        release.set()
        assert len(back) == 4  # the one inside the callback stays leased
    finally:
        broker.close()


def test_topic_fans_out_to_every_subscription_and_drops_without_one(broker: LocalBroker) -> None:
    broker.ensure_topic("fan")
    broker.ensure_topic("void")
    broker.ensure_subscription("fan-a", "fan")
    broker.ensure_subscription("fan-b", "fan")
    mid = broker.publish("fan", b"hello", a="1").result()
    assert broker.publish("void", b"nobody listens").result()  # accepted, then dropped
    for sub in ("fan-a", "fan-b"):
        [m] = broker.pull(sub, timeout=1)
        assert (m.message_id, m.data, dict(m.attributes)) == (mid, b"hello", {"a": "1"})
        m.ack()
    assert broker.backlog("fan-a") == broker.backlog("fan-b") == 0
    broker.ensure_subscription("void-sub", "void")
    assert broker.pull("void-sub", timeout=0.1) == []  # a new subscription sees no old messages


def test_errors_look_like_pubsub(broker: LocalBroker) -> None:
    with pytest.raises(NotFoundError):
        broker.publish("missing", b"x").result()
    with pytest.raises(NotFoundError):
        broker.subscribe("missing", lambda m: None)
    broker.ensure_topic("t-5")
    with pytest.raises(ValueError):
        broker.publish("t-5", b"").result()  # neither data nor attributes
    with pytest.raises(TypeError):
        broker.publish("t-5", "text")  # type: ignore[arg-type]


def test_ack_and_nack_are_idempotent_and_first_call_wins(broker: LocalBroker) -> None:
    t = unique_topology()
    broker.ensure_topology(t)
    broker.publish(t.listing_topic, b"a").result()
    [m] = broker.pull(t.listing_subscription, timeout=1)
    m.ack()
    m.nack()
    m.ack()
    assert broker.backlog(t.listing_subscription) == 0
    assert broker.pull(t.listing_subscription, timeout=0.1) == []


def test_concurrent_publishers_and_subscribers_lose_and_duplicate_nothing(broker: LocalBroker) -> None:
    t = unique_topology()
    broker.ensure_topology(t)
    n_threads, per_thread = 4, 5000
    seen: list[str] = []
    lock = threading.Lock()

    def callback(m: ReceivedMessage) -> None:
        with lock:
            seen.append(m.message_id)
        m.ack()

    streams = [broker.subscribe(t.listing_subscription, callback, max_messages=200) for _ in range(2)]
    published: list[list[str]] = [[] for _ in range(n_threads)]

    def publisher(k: int) -> None:
        for i in range(per_thread):
            published[k].append(broker.publish(t.listing_topic, f"{k}-{i}".encode(), k=str(k)).result())

    threads = [threading.Thread(target=publisher, args=(k,)) for k in range(n_threads)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    total = n_threads * per_thread
    assert broker.wait_for_backlog(t.listing_subscription, 0, timeout=30)
    for s in streams:
        s.cancel()
        s.result(timeout=5)
    all_ids = [i for ids in published for i in ids]
    assert len(set(all_ids)) == total  # message ids are unique
    assert len(seen) == total and set(seen) == set(all_ids)


def test_throughput_publish_to_callback(broker: LocalBroker) -> None:
    """Rough guard: the demo needs >= 20,000 msgs/s; measured ~60,000/s on 2 cores."""
    t = unique_topology()
    broker.ensure_topology(t)
    n = 20_000
    done = threading.Event()
    count = 0
    lock = threading.Lock()

    def callback(m: ReceivedMessage) -> None:
        nonlocal count
        m.ack()
        with lock:
            count += 1
            if count == n:
                done.set()

    stream = broker.subscribe(t.listing_subscription, callback, max_messages=2000)
    payload = b"x" * 1500
    t0 = time.perf_counter()
    for _ in range(n):
        broker.publish(t.listing_topic, payload, kind="listing")
    assert done.wait(30)
    elapsed = time.perf_counter() - t0
    stream.cancel()
    print(f"local broker: {n / elapsed:,.0f} msgs/s publish -> callback -> ack")
    assert elapsed < 5.0  # lenient: 4,000/s; a regression to per-message polling shows up here


def test_close_stops_all_threads() -> None:
    before = set(threading.enumerate())
    broker = LocalBroker()
    t = unique_topology()
    broker.ensure_topology(t)
    broker.subscribe(t.listing_subscription, lambda m: m.ack())
    assert len(set(threading.enumerate()) - before) == 12  # timer, dispatcher, 10 callback threads
    broker.close()
    wait_until(
        lambda: not (set(threading.enumerate()) - before), timeout=5, what="local broker threads to stop"
    )
    with pytest.raises(RuntimeError):
        broker.publish(t.listing_topic, b"x")
