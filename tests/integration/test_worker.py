"""The worker end to end on real brokers (embedded and the Pub/Sub emulator) and real databases
(SQLite and PostgreSQL): nothing lost, nothing decided twice, malformed and poison messages
dead-lettered with their error, acks only after commit."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future

import pytest
from sqlalchemy import func, select

from lovemachine.adapters.sql.tables import decisions, review_items
from lovemachine.listings import ModerationAction
from lovemachine.ports import Broker, ReceivedMessage, Topology
from tests.plugins.model import event_bytes
from workers.consumer import BatchingConsumer
from workers.handler import ListingHandler, RetryPolicy
from workers.provider import ScorerProvider

pytestmark = pytest.mark.integration


def wait_until(cond: Callable[[], bool], timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def drain(broker: Broker, subscription: str, expect: int, timeout: float = 30.0) -> list[ReceivedMessage]:
    got: list[ReceivedMessage] = []
    deadline = time.monotonic() + timeout
    while len(got) < expect and time.monotonic() < deadline:
        for m in broker.pull(subscription, max_messages=500, timeout=2.0):
            m.ack()
            got.append(m)
    # anything beyond what we expect shows up here too
    for m in broker.pull(subscription, max_messages=500, timeout=1.0):
        m.ack()
        got.append(m)
    return got


def count(store, table) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def make_consumer(broker, topology, store, *, scorer=None, batch_size=64) -> BatchingConsumer:
    provider = ScorerProvider(registry=store, rules=store, refresh_seconds=0.5)
    handler = ListingHandler(scorer=scorer or provider.get, store=store, broker=broker, topology=topology)
    return BatchingConsumer(
        broker=broker,
        subscription=topology.listing_subscription,
        handler=handler,
        batch_size=batch_size,
        max_wait_s=0.02,
        max_outstanding=500,
    )


def test_events_flow_to_decisions_actions_and_dead_letters(any_broker, live_store, stream_rows):
    broker, topology = any_broker
    malformed = [b"{oops", json.dumps({"event_id": "x", "type": "listing.created"}).encode()]
    for row in stream_rows:
        broker.publish(topology.listing_topic, event_bytes(row)).result(timeout=30)
    for m in malformed:
        broker.publish(topology.listing_topic, m, origin="test").result(timeout=30)

    consumer = make_consumer(broker, topology, live_store).start()
    try:
        wait_until(
            lambda: consumer.totals.acked + consumer.totals.dead_lettered >= len(stream_rows) + 2,
            what="all messages handled",
        )
    finally:
        totals = consumer.stop()

    assert totals.acked == len(stream_rows)
    assert totals.dead_lettered == 2
    assert count(live_store, decisions) == len(stream_rows)
    flagged = [
        d for r in stream_rows for d in live_store.decisions_for(r.listing.id) if d.action.value != "allow"
    ]
    assert flagged, "the model should flag some violations in a synthetic stream"
    audited = live_store.count_review_items(queue="audit")  # the random audit draw, on top
    assert count(live_store, review_items) - audited == len(flagged)

    actions = drain(broker, topology.actions_subscription, expect=len(flagged))
    parsed = [ModerationAction.model_validate_json(m.data) for m in actions]
    assert sorted(a.listing_id for a in parsed) == sorted(d.listing_id for d in flagged)
    assert all(a.reasons and a.model_version == "test-model-1" for a in parsed)

    dead = drain(broker, topology.dead_letter_subscription, expect=2)
    assert sorted(m.data for m in dead) == sorted(malformed)
    assert all(m.attributes["error_code"] == "invalid_event" and m.attributes["error"] for m in dead)
    assert any(m.attributes.get("origin") == "test" for m in dead)  # original attributes kept


def test_violations_are_caught(any_broker, live_store, stream_rows):
    """Not a quality benchmark: a sanity floor so a broken model cannot pass the suite."""
    broker, topology = any_broker
    for row in stream_rows:
        broker.publish(topology.listing_topic, event_bytes(row))
    consumer = make_consumer(broker, topology, live_store).start()
    try:
        wait_until(lambda: consumer.totals.acked >= len(stream_rows), what="all decided")
    finally:
        consumer.stop()
    violating = [r for r in stream_rows if any(r.labels.values())]
    caught = [r for r in violating if live_store.decisions_for(r.listing.id)[0].action.value != "allow"]
    clean = [r for r in stream_rows if not any(r.labels.values())]
    false_hides = [r for r in clean if live_store.decisions_for(r.listing.id)[0].action.value == "hide"]
    assert len(caught) / len(violating) > 0.6
    assert len(false_hides) / len(clean) < 0.05


def test_poison_message_is_retried_then_dead_lettered_with_its_error(any_broker, live_store, stream_rows):
    broker, topology = any_broker
    provider = ScorerProvider(registry=live_store, rules=live_store)
    poison_id = stream_rows[0].listing.id

    class PoisonAwareScorer:
        def __init__(self, inner):
            self.inner = inner

        def score(self, listings):
            if any(x.id == poison_id for x in listings):
                raise RuntimeError(f"cannot featurise {poison_id}")
            return self.inner.score(listings)

    consumer = make_consumer(broker, topology, live_store, scorer=lambda: PoisonAwareScorer(provider.get()))
    for row in stream_rows[:20]:
        broker.publish(topology.listing_topic, event_bytes(row))
    consumer.start()
    try:
        wait_until(
            lambda: consumer.totals.dead_lettered >= 1 and consumer.totals.acked >= 19,
            timeout=90,
            what="poison message dead-lettered",
        )
    finally:
        totals = consumer.stop()
    assert totals.acked == 19  # the other listings of its batch were not held hostage
    assert totals.nacked >= topology.max_delivery_attempts - 1
    dead = drain(broker, topology.dead_letter_subscription, expect=1)
    assert len(dead) == 1
    assert dead[0].attributes["error_code"] == "poison_message"
    assert f"cannot featurise {poison_id}" in dead[0].attributes["error"]
    assert live_store.decisions_for(poison_id) == []


class FakeMessage:
    """A delivered message whose ack/nack we can observe (for handler-level tests)."""

    def __init__(self, data: bytes, message_id: str, attempt: int = 1) -> None:
        self.data, self.message_id, self.delivery_attempt = data, message_id, attempt
        self.attributes: dict[str, str] = {}
        self.publish_time = None
        self.acked = self.nacked = False

    def ack(self) -> None:
        self.acked = True

    def nack(self) -> None:
        self.nacked = True


class FlakyBroker:
    """Wraps a real broker; publishing to ``fail_topic`` fails while ``failing`` is set."""

    def __init__(self, inner: Broker, fail_topic: str) -> None:
        self.inner, self.fail_topic, self.failing = inner, fail_topic, True
        self.published: list[bytes] = []

    def publish(self, topic: str, data: bytes, **attrs: str) -> Future[str]:
        if topic == self.fail_topic and self.failing:
            f: Future[str] = Future()
            f.set_exception(ConnectionError("broker unavailable"))
            return f
        if topic == self.fail_topic:
            self.published.append(data)
        return self.inner.publish(topic, data, **attrs)


def _handler(store, broker, topology: Topology) -> ListingHandler:
    provider = ScorerProvider(registry=store, rules=store)
    return ListingHandler(scorer=provider.get, store=store, broker=broker, topology=topology)


def test_redelivery_is_harmless(local_broker, live_store, stream_rows):
    broker, topology = local_broker
    flaky = FlakyBroker(broker, topology.actions_topic)
    flaky.failing = False
    handler = _handler(live_store, flaky, topology)
    batch = [FakeMessage(event_bytes(r), f"m{i}") for i, r in enumerate(stream_rows[:100])]
    first = handler.handle_batch(batch)
    again = [FakeMessage(m.data, m.message_id, attempt=2) for m in batch]
    second = handler.handle_batch(again)
    assert all(m.acked for m in batch + again)
    assert first.decided == 100 and second.decided == 0 and second.redelivered_already_decided == 100
    assert second.actions_published == 0  # no action is published twice
    assert len(flaky.published) == first.actions_published
    assert count(live_store, decisions) == 100


def test_ack_only_after_commit(local_broker, live_store, stream_rows):
    broker, topology = local_broker

    class DownStore:
        def record_decisions(self, items):
            raise ConnectionError("database unavailable")

        def mark_actions_published(self, keys):
            raise AssertionError("not reached")

    provider = ScorerProvider(registry=live_store, rules=live_store)
    # a transient error is waited out (held, not nacked) up to max_hold_s, then the batch is released
    retry = RetryPolicy(initial_s=0.01, max_s=0.05, max_hold_s=0.5)
    handler = ListingHandler(
        scorer=provider.get, store=DownStore(), broker=broker, topology=topology, retry=retry
    )
    batch = [FakeMessage(event_bytes(r), f"m{i}") for i, r in enumerate(stream_rows[:10])]
    out = handler.handle_batch(batch)
    assert out.acked == 0 and out.nacked == 10 and out.dead_lettered == 0 and out.transient_retries > 1
    assert all(m.nacked and not m.acked for m in batch)
    assert count(live_store, decisions) == 0


def test_crash_between_commit_and_publish_republishes_once(local_broker, live_store, stream_rows):
    broker, topology = local_broker
    flaky = FlakyBroker(broker, topology.actions_topic)
    handler = _handler(live_store, flaky, topology)
    rows = stream_rows[:100]
    batch = [FakeMessage(event_bytes(r), f"m{i}") for i, r in enumerate(rows)]
    # the broker is down: decisions are committed, the batch is held while the publish is retried,
    # and shutting down (stop_retrying) releases it: nacked, nothing dead-lettered
    threading.Timer(1.0, handler.stop_retrying).start()
    out = handler.handle_batch(batch)
    assert count(live_store, decisions) == 100
    assert out.nacked == 100 and out.acked == 0 and out.dead_lettered == 0
    assert all(m.nacked and not m.acked for m in batch)

    flaky.failing = False
    handler = _handler(live_store, flaky, topology)  # the next worker
    retry = [FakeMessage(m.data, m.message_id, attempt=2) for m in batch]  # the broker redelivers these
    out2 = handler.handle_batch(retry)
    assert all(m.acked for m in retry)
    assert out2.actions_published == len(flaky.published) > 0

    out3 = handler.handle_batch([FakeMessage(m.data, m.message_id, attempt=3) for m in batch])
    assert out3.actions_published == 0 and len(flaky.published) == out2.actions_published


def test_graceful_shutdown_loses_nothing(any_broker, live_store, stream_rows):
    broker, topology = any_broker
    for row in stream_rows:
        broker.publish(topology.listing_topic, event_bytes(row))
    first = make_consumer(broker, topology, live_store, batch_size=16).start()
    wait_until(lambda: first.totals.acked >= 30, what="some progress")
    first.stop(grace_s=5)  # mid-stream, like SIGTERM
    done_first = first.totals.acked
    second = make_consumer(broker, topology, live_store).start()
    try:
        wait_until(
            lambda: count(live_store, decisions) >= len(stream_rows),
            timeout=90,
            what="the second worker to finish the rest",
        )
    finally:
        second.stop()
    assert count(live_store, decisions) == len(stream_rows)  # none lost, none doubled
    assert done_first < len(stream_rows) or second.totals.acked == 0
