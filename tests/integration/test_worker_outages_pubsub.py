"""The worker's Pub/Sub streams and shutdown under outages, on the real emulator (issue 10, items 3-6).

Tests that kill Pub/Sub run their OWN emulator (``private_emulator``) so they can stop it and start it
again on the same port without disturbing the session's. A restarted emulator has lost its topics and
subscriptions (on GCP they persist): the tests recreate them, as the operator's topology would be.
Figures measured here go to docs/operations.md; each test prints them (``pytest -s``).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lovemachine.adapters.pubsub import PubSubBroker
from lovemachine.adapters.pubsub_emulator import EMULATOR_ENV, PubSubEmulator
from lovemachine.adapters.sql import SqlStore
from lovemachine.adapters.sql.tables import decisions
from lovemachine.listings import LabelledListing
from lovemachine.ports import ReceivedMessage, Topology
from tests.plugins.model import event_bytes
from tests.plugins.pubsub import TEST_PROJECT, EmulatorInfo, unique_topology, wait_until
from workers.consumer import BatchingConsumer
from workers.handler import ListingHandler
from workers.outcome import BatchOutcome
from workers.provider import ScorerProvider

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

BIN = Path(sys.executable).parent / "lovemachine"
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


# --------------------------------------------------------------------------- helpers
class PrivateEmulator:
    """An emulator on a fixed port that a test may kill and start again."""

    def __init__(self) -> None:
        self.emu = PubSubEmulator(project=TEST_PROJECT).start()
        self.port = self.emu.port

    @property
    def host(self) -> str:
        return self.emu.host

    def kill(self) -> None:
        self.emu.stop(timeout=2.0)

    def restart(self) -> None:
        self.emu = PubSubEmulator(project=TEST_PROJECT, port=self.port).start()


@pytest.fixture
def private_emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[PrivateEmulator]:
    emu = PrivateEmulator()
    monkeypatch.setenv(EMULATOR_ENV, emu.host)  # read by every client created in this test
    try:
        yield emu
    finally:
        emu.emu.stop()


def count_decisions(store: SqlStore) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(decisions)).scalar_one())


def decided(store: SqlStore, rows: Sequence[LabelledListing]) -> int:
    return sum(1 for r in rows if store.decisions_for(r.listing.id))


def real_handler(broker: PubSubBroker, topology: Topology, store: SqlStore) -> ListingHandler:
    provider = ScorerProvider(registry=store, rules=store, refresh_seconds=0.5)
    return ListingHandler(scorer=provider.get, store=store, broker=broker, topology=topology)


def publish_all(broker: PubSubBroker, topic: str, rows: Sequence[LabelledListing]) -> None:
    for f in [broker.publish(topic, event_bytes(r)) for r in rows]:
        f.result(timeout=30)


class GatedHandler:
    """The real handler, held at a gate: its batch stays leased by the client while the gate is shut."""

    def __init__(self, inner: ListingHandler) -> None:
        self.inner = inner
        self.gate = threading.Event()
        self.gate.set()
        self.waiting = threading.Event()

    def handle_batch(self, batch: Sequence[ReceivedMessage]) -> BatchOutcome:
        if not self.gate.is_set():
            self.waiting.set()
            self.gate.wait()
        return self.inner.handle_batch(batch)


# --------------------------------------------------------------------------- item 5
class SlowAckingHandler:
    """Acks after a pause, so that the client holds far more than the worker has taken."""

    def __init__(self) -> None:
        self.acked: set[str] = set()

    def handle_batch(self, batch: Sequence[ReceivedMessage]) -> BatchOutcome:
        time.sleep(0.2)
        for m in batch:
            m.ack()
            self.acked.add(m.attributes["n"])
        return BatchOutcome(acked=len(batch))


def test_messages_held_by_the_client_come_back_at_once_after_stop(pubsub_emulator: EmulatorInfo) -> None:
    """Old behaviour: ~1,700 of 2,440 unacked messages reappeared only ~55 s after stop() (held unread
    by the client while flow control paused it). Now every unacked one is back within seconds."""
    topology = unique_topology(ack_deadline_seconds=60)  # the default: what production redelivers after
    n = 3000
    broker = PubSubBroker(pubsub_emulator.project, subscriber_streams=2)
    fresh = PubSubBroker(pubsub_emulator.project)
    try:
        broker.ensure_topology(topology)
        for f in [broker.publish(topology.listing_topic, b"x" * 1500, n=str(i)) for i in range(n)]:
            f.result(timeout=30)
        handler = SlowAckingHandler()
        consumer = BatchingConsumer(
            broker=broker,
            subscription=topology.listing_subscription,
            handler=handler,  # type: ignore[arg-type]
            batch_size=16,
            max_outstanding=1000,
            streams=2,
        ).start()
        wait_until(lambda: len(handler.acked) >= 100, what="some progress")
        time.sleep(1.0)
        t0 = time.monotonic()
        consumer.stop(grace_s=2.0)
        stop_s = time.monotonic() - t0
        acked = set(handler.acked)

        seen: dict[str, float] = {}
        t1 = time.monotonic()

        def collect(m: ReceivedMessage) -> None:
            seen.setdefault(m.attributes["n"], time.monotonic() - t1)
            m.ack()

        stream = fresh.subscribe(topology.listing_subscription, collect, max_messages=5000)
        try:
            wait_until(lambda: len(seen) + len(acked) >= n, timeout=15, what="every unacked message back")
        finally:
            stream.cancel()
        print(
            f"\nstop took {stop_s:.1f} s; {len(acked)} acked, {len(seen)} redelivered to a fresh subscriber "
            f"within {max(seen.values()):.1f} s"
        )
        assert set(seen) | acked == {str(i) for i in range(n)}
        assert not set(seen) & acked, "an acked message came back"
    finally:
        broker.close()
        fresh.close()
        with PubSubBroker(pubsub_emulator.project) as admin:
            admin.delete_topology(topology)


# --------------------------------------------------------------------------- item 6
@sqlite_only
def test_a_5_mb_message_is_received_and_dead_lettered_and_the_worker_goes_on(
    pubsub_emulator: EmulatorInfo,
    live_store: SqlStore,
    stream_rows: list[LabelledListing],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Old behaviour: the client refused the pull response ('Received message larger than max (5000440
    vs. 4194304)') and nothing happened: the message sat invisible. Now it is dead-lettered, with why."""
    topology = unique_topology()
    broker = PubSubBroker(pubsub_emulator.project)
    try:
        broker.ensure_topology(topology)
        big = b'{"event_id": "big", "type": "listing.created", "pad": "' + b"x" * 5_000_000 + b'"}'
        broker.publish(topology.listing_topic, big, origin="test").result(timeout=60)
        consumer = BatchingConsumer(
            broker=broker,
            subscription=topology.listing_subscription,
            handler=real_handler(broker, topology, live_store),
            batch_size=32,
        ).start()
        try:
            caplog.set_level(logging.WARNING, logger="workers.consumer")
            wait_until(lambda: consumer.totals.dead_lettered >= 1, timeout=60, what="the 5 MB message")
            rows = stream_rows[:20]
            publish_all(broker, topology.listing_topic, rows)
            wait_until(lambda: decided(live_store, rows) == len(rows), timeout=60, what="later events")
        finally:
            consumer.stop(grace_s=5)
        dead = broker.pull(topology.dead_letter_subscription, max_messages=10, timeout=10)
        for m in dead:
            m.ack()
        assert [len(m.data) for m in dead] == [len(big)]
        assert dead[0].attributes["error_code"] == "invalid_event" and dead[0].attributes["error"]
        assert dead[0].attributes["origin"] == "test"
        assert any(
            "over the" in r.getMessage() and "byte event limit" in r.getMessage() for r in caplog.records
        )
    finally:
        broker.close()
        with PubSubBroker(pubsub_emulator.project) as admin:
            admin.delete_topology(topology)


# --------------------------------------------------------------------------- item 3
@sqlite_only
def test_the_worker_resumes_after_an_outage_longer_than_the_client_survives(
    private_emulator: PrivateEmulator,
    live_store: SqlStore,
    stream_rows: list[LabelledListing],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Old behaviour: with messages leased, the client's lease calls give up after 60 s and its stream
    dies; nothing watched it, so the worker stayed alive and consumed nothing ever again."""
    caplog.set_level(logging.WARNING, logger="lovemachine.adapters.pubsub")
    topology = unique_topology()
    broker = PubSubBroker(TEST_PROJECT, reopen_backoff_max_s=2.0, give_up_s=300)
    broker.ensure_topology(topology)
    handler = GatedHandler(real_handler(broker, topology, live_store))
    consumer = BatchingConsumer(
        broker=broker,
        subscription=topology.listing_subscription,
        handler=handler,  # type: ignore[arg-type]
        batch_size=8,
    ).start()
    before, held, after = stream_rows[:10], stream_rows[10:15], stream_rows[15:35]
    try:
        publish_all(broker, topology.listing_topic, before)
        wait_until(lambda: decided(live_store, before) == len(before), timeout=60, what="first events")

        handler.gate.clear()  # the next batch stays leased: the client keeps extending it
        publish_all(broker, topology.listing_topic, held)
        wait_until(handler.waiting.is_set, timeout=30, what="a batch held")
        t_kill = time.monotonic()
        private_emulator.kill()
        # the client's stream dies ~45-60 s in (its lease calls give up); keep Pub/Sub down past that
        wait_until(
            lambda: (
                any("re-opened" in r.getMessage() for r in caplog.records) or time.monotonic() - t_kill > 70
            ),
            timeout=120,
            what="the stream to fail and be re-opened",
        )
        t_fail = time.monotonic() - t_kill

        private_emulator.restart()
        with PubSubBroker(TEST_PROJECT) as admin:
            admin.ensure_topology(topology)  # GCP keeps it; the emulator lost it
        t_up = time.monotonic()
        handler.gate.set()
        publish_all(broker, topology.listing_topic, after)
        wait_until(lambda: decided(live_store, after) == len(after), timeout=90, what="events after restart")
        resumed_s = time.monotonic() - t_up
        print(
            f"\nstream failed {t_fail:.0f} s into the outage; outage {t_up - t_kill:.0f} s; "
            f"consuming again {resumed_s:.1f} s after the emulator was back"
        )
        assert consumer.running and consumer.failure is None
        assert any("unreachable for" in r.getMessage() for r in caplog.records)  # said while down
    finally:
        consumer.stop(grace_s=5)
        broker.close(timeout=5)


# --------------------------------------------------------------------------- item 4
@sqlite_only
def test_stop_while_pubsub_is_down_returns_within_the_grace_period(
    private_emulator: PrivateEmulator, live_store: SqlStore, stream_rows: list[LabelledListing]
) -> None:
    """Old behaviour: shutdown waited on streams, the handler's publishes and the publisher's flush,
    each with its own timeout: 85.8 s against a 20 s grace period."""
    topology = unique_topology()
    broker = PubSubBroker(TEST_PROJECT)
    broker.ensure_topology(topology)
    consumer = BatchingConsumer(
        broker=broker,
        subscription=topology.listing_subscription,
        handler=real_handler(broker, topology, live_store),
        batch_size=8,
    ).start()
    publish_all(broker, topology.listing_topic, stream_rows)
    wait_until(lambda: consumer.totals.acked >= 16, timeout=60, what="some progress")
    private_emulator.kill()
    pending = broker.publish(topology.listing_topic, event_bytes(stream_rows[0]))  # cannot be flushed
    grace = 5.0
    t0 = time.monotonic()
    totals = consumer.stop(grace_s=grace)
    broker.close(timeout=max(0.0, t0 + grace - time.monotonic()))
    took = time.monotonic() - t0
    print(f"\nshutdown with Pub/Sub down took {took:.1f} s (grace {grace:.0f} s); {totals.acked} acked")
    assert took <= grace + 5.0
    assert not pending.done() or pending.exception() is not None  # never reported as published
    # acks only after commit: whatever the worker counted as acked has its decision stored
    assert count_decisions(live_store) >= totals.acked


# --------------------------------------------------------------------------- exit codes
def _worker_env(emulator_host: str, topology: Topology, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOVEMACHINE_")}
    env.update(
        {
            EMULATOR_ENV: emulator_host,
            "LOVEMACHINE_GCP_PROJECT": TEST_PROJECT,
            "LOVEMACHINE_DATABASE_URL": database_url,
            "LOVEMACHINE_METRICS_PORT": "0",
            "LOVEMACHINE_LISTING_TOPIC": topology.listing_topic,
            "LOVEMACHINE_LISTING_SUBSCRIPTION": topology.listing_subscription,
            "LOVEMACHINE_ACTIONS_TOPIC": topology.actions_topic,
            "LOVEMACHINE_ACTIONS_SUBSCRIPTION": topology.actions_subscription,
            "LOVEMACHINE_DEAD_LETTER_TOPIC": topology.dead_letter_topic,
            "LOVEMACHINE_DEAD_LETTER_SUBSCRIPTION": topology.dead_letter_subscription,
            "LOVEMACHINE_IMAGES_ENABLED": "false",
            "LOVEMACHINE_SHADOW_ENABLED": "false",
            "LOVEMACHINE_PUBSUB_REOPEN_BACKOFF_MAX_S": "2",
            "LOVEMACHINE_WORKER_GRACE_S": "10",
        }
    )
    return env


def _start_worker(env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    with open(log_path, "wb") as out:
        return subprocess.Popen([str(BIN), "worker"], env=env, stdout=out, stderr=subprocess.STDOUT)


@sqlite_only
def test_worker_process_exits_1_when_its_streams_die_for_good_and_0_on_sigterm(
    pubsub_emulator: EmulatorInfo,
    live_store: SqlStore,
    database_url: str,
    stream_rows: list[LabelledListing],
    tmp_path: Path,
) -> None:
    """Old behaviour: a worker whose stream had died stayed up doing nothing, and exited 0."""
    topology = unique_topology()
    env = _worker_env(pubsub_emulator.host, topology, database_url)
    admin = PubSubBroker(TEST_PROJECT)
    try:
        # 1. a clean SIGTERM: exit 0, within the grace period
        proc = _start_worker(env, tmp_path / "w1.log")
        try:
            admin.ensure_topology(topology)
            rows = stream_rows[:10]
            publish_all(admin, topology.listing_topic, rows)
            wait_until(
                lambda: decided(live_store, rows) == len(rows), timeout=120, what="the worker to decide"
            )
            t0 = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=30)
        finally:
            proc.kill()
        log1 = (tmp_path / "w1.log").read_text()
        assert code == 0, log1
        assert time.monotonic() - t0 <= 10 + 5

        # 2. the subscription is deleted under a running worker: its streams fail for good -> exit 1
        proc = _start_worker(env, tmp_path / "w2.log")
        try:
            more = stream_rows[10:15]
            publish_all(admin, topology.listing_topic, more)
            wait_until(lambda: decided(live_store, more) == len(more), timeout=120, what="the worker to run")
            admin._subscribers[0].delete_subscription(
                request={"subscription": admin.subscription_path(topology.listing_subscription)}
            )
            code = proc.wait(timeout=60)
        finally:
            proc.kill()
        log2 = (tmp_path / "w2.log").read_text()
        assert code == 1, log2
        assert "failed for good" in log2 and "NotFound" in log2
    finally:
        admin.delete_topology(topology)
        admin.close()
