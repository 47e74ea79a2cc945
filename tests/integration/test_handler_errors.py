"""The handler's error handling (issue 10) on real brokers and real databases: hostile payloads and
refused rows are dead-lettered at once with their error and never take their batch with them;
database and broker outages are waited out (held, not nacked) and released on shutdown without a
dead-letter; the outbox sweeper publishes actions whose decision committed without them."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import select, text

from lovemachine.adapters.local_broker import LocalBroker
from lovemachine.adapters.sql import SqlStore
from lovemachine.adapters.sql.tables import decisions
from lovemachine.listings import LabelledListing, ModerationAction
from lovemachine.ports import Topology
from tests.integration.test_worker import FakeMessage, count, drain
from tests.plugins.model import event_bytes
from tests.plugins.pubsub import unique_topology, wait_until
from workers.handler import ListingHandler, RetryPolicy
from workers.outbox_sweeper import OutboxSweeper
from workers.provider import ScorerProvider
from workers.publishing import STOP_GRACE_S

pytestmark = pytest.mark.integration

FAST_RETRY = RetryPolicy(initial_s=0.05, max_s=0.2, max_hold_s=120)


def handler_for(
    store: SqlStore, broker, topology: Topology, retry: RetryPolicy = FAST_RETRY
) -> ListingHandler:
    provider = ScorerProvider(registry=store, rules=store)
    return ListingHandler(scorer=provider.get, store=store, broker=broker, topology=topology, retry=retry)


def flagged(store: SqlStore) -> dict[str, bool]:
    """listing id -> whether its hide/report action is marked published."""
    query = select(decisions.c.listing_id, decisions.c.action_published_at).where(
        decisions.c.action.in_(["hide", "report"])
    )
    with store.engine.connect() as conn:
        return {lid: at is not None for lid, at in conn.execute(query)}


class OnRetryLog(logging.Handler):
    """Runs ``action`` (in the handler's thread, between two attempts) on the handler's n-th log line
    announcing a wait: a repair that happens deterministically while a batch is held."""

    def __init__(self, n: int, action: Callable[[], None]) -> None:
        super().__init__(logging.WARNING)
        self.n, self.action, self.waits = n, action, 0

    def emit(self, record: logging.LogRecord) -> None:
        if "transient error" in record.getMessage():
            self.waits += 1
            if self.waits == self.n:
                self.action()


@pytest.fixture
def on_retry() -> Iterator[Callable[[int, Callable[[], None]], OnRetryLog]]:
    logger = logging.getLogger("workers.handler")
    added: list[OnRetryLog] = []

    def install(n: int, action: Callable[[], None]) -> OnRetryLog:
        h = OnRetryLog(n, action)
        logger.addHandler(h)
        added.append(h)
        return h

    yield install
    for h in added:
        logger.removeHandler(h)


def local_without_actions_topic() -> tuple[LocalBroker, Topology, Callable[[], None]]:
    """A real LocalBroker whose actions topic does not exist yet (publishing there fails: NOT_FOUND),
    and the repair that creates it with its subscription."""
    topology = unique_topology()
    broker = LocalBroker()
    broker.ensure_topic(topology.listing_topic)
    broker.ensure_topic(topology.dead_letter_topic)
    broker.ensure_subscription(topology.dead_letter_subscription, topology.dead_letter_topic)

    def repair() -> None:
        broker.ensure_topic(topology.actions_topic)
        broker.ensure_subscription(topology.actions_subscription, topology.actions_topic)

    return broker, topology, repair


# ------------------------------------------------------------------ permanent errors
def test_a_deeply_nested_payload_never_takes_its_batch_with_it(any_broker, live_store, stream_rows):
    broker, topology = any_broker
    handler = handler_for(live_store, broker, topology)
    rows = stream_rows[:30]
    nested = b'{"event_id": "e1", "listing": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    batch = [FakeMessage(event_bytes(r), f"m{i}") for i, r in enumerate(rows)]
    batch.insert(10, FakeMessage(nested, "nested"))

    out = handler.handle_batch(batch)  # the first delivery

    assert out.acked == 30 and out.dead_lettered == 1 and out.nacked == 0
    assert all(m.acked and not m.nacked for m in batch)
    assert count(live_store, decisions) == 30
    (dead,) = drain(broker, topology.dead_letter_subscription, expect=1)
    assert dead.data == nested
    assert dead.attributes["error_code"] == "invalid_event"
    assert "nested too deeply" in dead.attributes["error"]


def _refuse_titles_with(marker: str, store: SqlStore) -> None:
    """Make the real database refuse listings whose title holds ``marker``."""
    with store.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(
                text(f"ALTER TABLE listings ADD CONSTRAINT test_refuse CHECK (title NOT LIKE '%{marker}%')")
            )
        else:
            conn.execute(
                text(
                    "CREATE TRIGGER test_refuse BEFORE INSERT ON listings "
                    f"WHEN NEW.title LIKE '%{marker}%' "
                    "BEGIN SELECT RAISE(ABORT, 'listing refused by test_refuse'); END"
                )
            )


def test_a_row_the_database_refuses_is_dead_lettered_at_once_with_its_error(
    local_broker, live_store, stream_rows
):
    broker, topology = local_broker
    _refuse_titles_with("REFUSED-BY-DB", live_store)
    rows: list[LabelledListing] = list(stream_rows[:20])
    bad = rows[7].model_copy(
        update={"listing": rows[7].listing.model_copy(update={"title": "REFUSED-BY-DB bag"})}
    )
    rows[7] = bad
    batch = [FakeMessage(event_bytes(r), f"m{i}") for i, r in enumerate(rows)]

    out = handler_for(live_store, broker, topology).handle_batch(batch)

    assert out.acked == 19 and out.dead_lettered == 1 and out.nacked == 0
    assert all(m.acked and not m.nacked for m in batch)
    assert live_store.decisions_for(bad.listing.id) == []
    assert count(live_store, decisions) == 19
    (dead,) = drain(broker, topology.dead_letter_subscription, expect=1)
    assert dead.data == event_bytes(bad)
    assert dead.attributes["error_code"] == "data_rejected"
    assert "test_refuse" in dead.attributes["error"] and dead.attributes["delivery_attempt"] == "1"


# ------------------------------------------------------------------ transient errors
def test_a_broker_outage_is_waited_out_without_a_nack(live_store, stream_rows, on_retry):
    broker, topology, repair = local_without_actions_topic()
    hook = on_retry(3, repair)  # the broker comes back after the third wait
    rows = stream_rows[:60]
    batch = [FakeMessage(event_bytes(r), f"m{i}") for i, r in enumerate(rows)]
    try:
        out = handler_for(live_store, broker, topology).handle_batch(batch)

        assert hook.waits == 3 and out.transient_retries == 3
        assert out.acked == 60 and out.nacked == 0 and out.dead_lettered == 0
        assert all(m.acked and not m.nacked for m in batch)
        marks = flagged(live_store)
        assert marks and all(marks.values())
        actions = drain(broker, topology.actions_subscription, expect=len(marks))
        ids = [ModerationAction.model_validate_json(m.data).listing_id for m in actions]
        assert sorted(ids) == sorted(marks)  # each action exactly once
    finally:
        broker.close()


def test_a_database_outage_is_waited_out_without_a_nack(
    private_live_store, local_broker, stream_rows, on_retry
):
    pg, store = private_live_store
    broker, topology = local_broker
    handler = handler_for(store, broker, topology)
    hook = on_retry(3, pg.start)  # PostgreSQL comes back after the third wait
    batch = [FakeMessage(event_bytes(r), f"m{i}") for i, r in enumerate(stream_rows[:50])]
    pg.stop()

    out = handler.handle_batch(batch)

    assert hook.waits == 3 and out.transient_retries == 3
    assert out.acked == 50 and out.nacked == 0 and out.dead_lettered == 0
    assert all(m.acked and not m.nacked for m in batch)
    assert count(store, decisions) == 50
    assert all(flagged(store).values())


def test_stopping_releases_a_held_batch_promptly_and_dead_letters_nothing(
    private_live_store, local_broker, stream_rows
):
    pg, store = private_live_store
    broker, topology = local_broker
    handler = handler_for(store, broker, topology, RetryPolicy(initial_s=0.5, max_s=30, max_hold_s=900))
    # the last allowed delivery: a transient error must not dead-letter it even then
    batch = [FakeMessage(event_bytes(r), f"m{i}", attempt=5) for i, r in enumerate(stream_rows[:20])]
    pg.stop()
    stop_at: list[float] = []

    def stop() -> None:
        stop_at.append(time.monotonic())
        handler.stop_retrying()

    threading.Timer(2.0, stop).start()
    out = handler.handle_batch(batch)
    returned_after = time.monotonic() - stop_at[0]

    assert returned_after < STOP_GRACE_S + 1.0  # the requirement: prompt, within about a second
    assert out.nacked == 20 and out.acked == 0 and out.dead_lettered == 0 and out.transient_retries >= 1
    assert all(m.nacked and not m.acked for m in batch)
    assert broker.pull(topology.dead_letter_subscription, timeout=0.5) == []


# ------------------------------------------------------------------ the outbox sweeper
def test_the_sweeper_publishes_committed_but_unpublished_actions(any_broker, live_store, stream_rows):
    broker, topology = any_broker
    provider = ScorerProvider(registry=live_store, rules=live_store)
    listings = [r.listing for r in stream_rows[:120]]
    # what the handler commits before it publishes: decisions whose outbox flag is not set
    recorded = live_store.record_decisions(list(zip(listings, provider.get().score(listings), strict=True)))
    expected = sorted(r.decision.listing_id for r in recorded if r.decision.action.value != "allow")
    assert expected and not any(flagged(live_store).values())
    sweeper = OutboxSweeper(
        store=live_store, broker=broker, topology=topology, interval_s=0.1, min_age_s=0.2
    ).start()
    try:
        wait_until(lambda: all(flagged(live_store).values()), timeout=30, what="every action swept")
        time.sleep(0.5)  # a few more sweeps: nothing is published twice
    finally:
        t0 = time.monotonic()
        sweeper.stop()
        assert time.monotonic() - t0 < STOP_GRACE_S + 1.0
    actions = drain(broker, topology.actions_subscription, expect=len(expected))
    parsed = [ModerationAction.model_validate_json(m.data) for m in actions]
    assert sorted(a.listing_id for a in parsed) == expected
    assert sweeper.stats.published == len(expected) and sweeper.stats.failed_sweeps == 0


def test_an_action_the_broker_refused_is_swept_without_a_redelivery(live_store, stream_rows):
    broker, topology, repair = local_without_actions_topic()
    handler = handler_for(live_store, broker, topology)
    batch = [FakeMessage(event_bytes(r), f"m{i}") for i, r in enumerate(stream_rows[:80])]
    threading.Timer(1.0, handler.stop_retrying).start()  # shutdown while the broker is unreachable
    try:
        out = handler.handle_batch(batch)
        assert out.nacked == 80 and out.dead_lettered == 0  # redelivered later, never dead-lettered
        marks = flagged(live_store)
        assert marks and not any(marks.values())  # committed, not published

        repair()  # the broker is back; no message is redelivered to anyone
        sweeper = OutboxSweeper(
            store=live_store, broker=broker, topology=topology, interval_s=0.1, min_age_s=0.1
        )
        sweeper.start()
        try:
            wait_until(lambda: all(flagged(live_store).values()), timeout=30, what="the sweeper")
        finally:
            sweeper.stop()
        actions = drain(broker, topology.actions_subscription, expect=len(marks))
        assert sorted(ModerationAction.model_validate_json(m.data).listing_id for m in actions) == sorted(
            marks
        )

        # the redelivery, when it comes, finds everything published: no second action
        again = handler_for(live_store, broker, topology).handle_batch(
            [FakeMessage(m.data, m.message_id, attempt=2) for m in batch]
        )
        assert again.acked == 80 and again.actions_published == 0
        assert drain(broker, topology.actions_subscription, expect=0, timeout=1) == []
    finally:
        broker.close()
