"""Blue-green in a running worker, against the Pub/Sub emulator and both databases: the champion moves
mid-stream without a message lost or acted on twice, the challenger scores every listing in shadow
and nothing it decides is published, and a corrupt or failing model is refused while the worker keeps
serving the version it has."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from lovemachine.adapters.sql import SqlStore
from lovemachine.adapters.sql.tables import decisions, review_items, shadow_decisions
from lovemachine.config import Settings
from lovemachine.listings import LabelledListing, ModerationAction, parse_labelled
from lovemachine.ports import ModelVersionRecord, Topology
from lovemachine.registry import save_artifact
from lovemachine.registry.artifacts import MODEL_FILE
from lovemachine.services import deploy
from synth import generate
from tests.integration.test_worker import FakeMessage, count, drain, wait_until
from tests.plugins.model import event_bytes
from tests.plugins.pubsub import topology_settings
from trainers.train import TrainResult
from workers.bootstrap import build_worker
from workers.handler import ListingHandler
from workers.provider import ScorerProvider
from workers.shadow import ShadowScorer

pytestmark = pytest.mark.integration

EAGER = {c: {"report": 0.3, "hide": 0.7} for c in ("counterfeit", "adult", "cash", "keyword_stuffing")}
"""The challenger's policy: the same weights with lower thresholds, so it visibly decides otherwise."""


def variant(trained: TrainResult, folder: Path, version: str, *, model: Any = None) -> ModelVersionRecord:
    """A new immutable version: the session's model (or ``model``) saved again, with EAGER thresholds."""
    uri, sha = save_artifact(model or trained.model, version=version, artifact_dir=folder, metadata={})
    return ModelVersionRecord(
        version=version,
        name="lovemachine",
        artifact_uri=uri,
        artifact_sha256=sha,
        training_data_sha256=trained.data_sha256,
        metrics={"evaluation": {"eligible": True, "report": "n/a"}},
        thresholds=EAGER,
        created_at=datetime.now(UTC),
    )


def flip_a_byte(record: ModelVersionRecord) -> None:
    path = Path(record.artifact_uri) / MODEL_FILE
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    assert hashlib.sha256(data).hexdigest() != record.artifact_sha256


class ExplodingModel:
    """A loadable classifier whose every prediction fails (a challenger with a bug)."""

    categories = ("counterfeit", "adult", "cash", "keyword_stuffing")

    def predict_scores(self, listings: Any) -> np.ndarray:
        raise RuntimeError("challenger bug: shape mismatch")


@pytest.fixture(scope="module")
def challenger_record(trained: TrainResult, tmp_path_factory: pytest.TempPathFactory) -> ModelVersionRecord:
    return variant(trained, tmp_path_factory.mktemp("challenger"), "test-model-2")


@pytest.fixture
def stream() -> list[LabelledListing]:
    return [parse_labelled(d) for d in generate(400, seed=123, id_prefix="H")]


def worker_settings(topology: Topology, **kw: Any) -> Settings:
    return Settings(
        **topology_settings(topology),
        images_enabled=False,
        rules_refresh_seconds=0.2,
        batch_size=16,
        **kw,
    )


def decided_versions(store: SqlStore) -> dict[str, list[str]]:
    """listing id -> the model versions of its decisions."""
    from sqlalchemy import select

    with store.engine.connect() as conn:
        rows = conn.execute(select(decisions.c.listing_id, decisions.c.model_version)).all()
    out: dict[str, list[str]] = {}
    for listing_id, version in rows:
        out.setdefault(listing_id, []).append(version)
    return out


def test_champion_moves_mid_stream_without_loss_or_double_action(
    pubsub_broker: tuple[Any, Topology],
    live_store: SqlStore,
    challenger_record: ModelVersionRecord,
    stream: list[LabelledListing],
) -> None:
    broker, topology = pubsub_broker
    live_store.register_model_version(challenger_record)
    worker = build_worker(worker_settings(topology, shadow_enabled=False), broker=broker, store=live_store)
    published_at: dict[str, float] = {}
    swap: dict[str, float] = {}

    def publish() -> None:
        for i, row in enumerate(stream):
            if i == len(stream) // 2:
                deploy_swap = live_store.set_alias(
                    "champion", "test-model-2", actor="test", reason="mid-stream"
                )
                swap["at"] = time.monotonic()
                assert deploy_swap.from_version == "test-model-1"
            published_at[row.listing.id] = time.monotonic()
            broker.publish(topology.listing_topic, event_bytes(row)).result(timeout=30)
            time.sleep(0.005)

    worker.start()
    publisher = threading.Thread(target=publish)
    try:
        publisher.start()
        publisher.join(120)
        wait_until(
            lambda: count(live_store, decisions) >= len(stream), timeout=120, what="every event decided"
        )
        time.sleep(1.0)  # any redelivery would show up now
    finally:
        totals = worker.stop(grace_s=5)

    versions = decided_versions(live_store)
    assert sorted(versions) == sorted(r.listing.id for r in stream)  # none lost
    assert all(len(v) == 1 for v in versions.values()), "a listing was decided twice"
    assert totals.dead_lettered == 0 and totals.acked >= len(stream)
    by_version = Counter(v[0] for v in versions.values())
    assert set(by_version) == {"test-model-1", "test-model-2"}, by_version
    # the provider polls every 0.2 s: everything published a second after the move is the new model's
    late = [lid for lid, t in published_at.items() if t > swap["at"] + 1.0]
    assert late and all(versions[lid] == ["test-model-2"] for lid in late)
    assert worker.provider.version == "test-model-2" and worker.provider.stats()["swaps"] == 1

    flagged = {
        d.listing_id: d
        for r in stream
        for d in live_store.decisions_for(r.listing.id)
        if d.action.value in ("hide", "report")
    }
    actions = [
        ModerationAction.model_validate_json(m.data)
        for m in drain(broker, topology.actions_subscription, len(flagged))
    ]
    per_listing = Counter(a.listing_id for a in actions)
    assert set(per_listing) == set(flagged) and set(per_listing.values()) == {1}  # exactly one each
    assert all(a.model_version == flagged[a.listing_id].model_version for a in actions)
    assert all(a.action == flagged[a.listing_id].action.value for a in actions)


def test_the_challenger_scores_every_listing_in_shadow_and_nothing_of_it_is_published(
    pubsub_broker: tuple[Any, Topology],
    live_store: SqlStore,
    challenger_record: ModelVersionRecord,
    stream: list[LabelledListing],
) -> None:
    broker, topology = pubsub_broker
    live_store.register_model_version(challenger_record)
    live_store.set_alias("challenger", "test-model-2", actor="test", reason="shadow")
    worker = build_worker(
        worker_settings(topology, shadow_max_pending_batches=1000, shadow_yield_backlog=0),
        broker=broker,
        store=live_store,
    )
    rows = stream[:200]
    for row in rows:
        broker.publish(topology.listing_topic, event_bytes(row))
    worker.start()
    try:
        wait_until(lambda: count(live_store, decisions) >= len(rows), timeout=120, what="every event decided")
        assert worker.shadow is not None and worker.shadow.drain(60)
    finally:
        worker.stop(grace_s=5)

    assert count(live_store, shadow_decisions) == len(rows)
    for row in rows:
        (shadow,) = live_store.shadow_decisions_for(row.listing.id)
        (live,) = live_store.decisions_for(row.listing.id)
        assert (shadow.model_version, live.model_version) == ("test-model-2", "test-model-1")
    flagged = [d for r in rows for d in live_store.decisions_for(r.listing.id) if d.action.value != "allow"]
    # the challenger opened no review item: every item is the champion's (one per flagged listing, plus
    # the audit sample of allowed listings, which depends on the champion's decisions alone)
    with live_store.engine.connect() as conn:
        queues = conn.execute(select(review_items.c.listing_id, review_items.c.queue)).all()
    assert sorted(i for i, q in queues if q != "audit") == sorted(d.listing_id for d in flagged)
    allowed = {
        d.listing_id
        for r in rows
        for d in live_store.decisions_for(r.listing.id)
        if d.action.value == "allow"
    }
    assert {i for i, q in queues if q == "audit"} <= allowed
    actions = drain(broker, topology.actions_subscription, len(flagged))
    assert len(actions) == len(flagged)
    assert {ModerationAction.model_validate_json(m.data).model_version for m in actions} == {"test-model-1"}
    stats = worker.stats()["shadow"]
    assert (
        stats["stored"] == len(rows)
        and stats["failed_batches"] == 0
        and stats["challenger"] == "test-model-2"
    )

    comparison = deploy.compare(live_store)
    assert comparison.both_scored == len(rows)
    assert (
        comparison.challenger_reports + comparison.challenger_hides
        > comparison.champion_reports + comparison.champion_hides
    )


def test_a_broken_challenger_never_fails_the_champion(
    pubsub_broker: tuple[Any, Topology],
    live_store: SqlStore,
    trained: TrainResult,
    tmp_path: Path,
    stream: list[LabelledListing],
) -> None:
    broker, topology = pubsub_broker
    corrupt = variant(trained, tmp_path, "test-model-corrupt")
    flip_a_byte(corrupt)
    live_store.register_model_version(corrupt)
    live_store.set_alias("challenger", corrupt.version, actor="test", reason="corrupt")
    worker = build_worker(worker_settings(topology), broker=broker, store=live_store)
    rows = stream[:60]
    for row in rows:
        broker.publish(topology.listing_topic, event_bytes(row))
    worker.start()
    try:
        wait_until(lambda: worker.consumer.totals.acked >= len(rows), timeout=90, what="every message acked")
        assert worker.shadow is not None and worker.shadow.drain(30)
    finally:
        totals = worker.stop(grace_s=5)
    assert totals.acked == len(rows) and totals.nacked == 0
    assert count(live_store, decisions) == len(rows) and count(live_store, shadow_decisions) == 0
    shadow = worker.stats()["shadow"]
    assert "test-model-corrupt" in shadow["refused"] and "checksum" in shadow["refused"]


def test_a_challenger_that_raises_is_logged_and_skipped(
    live_store: SqlStore, trained: TrainResult, tmp_path: Path, stream: list[LabelledListing]
) -> None:
    exploding = variant(trained, tmp_path, "test-model-exploding", model=ExplodingModel())
    live_store.register_model_version(exploding)
    live_store.set_alias("challenger", exploding.version, actor="test", reason="buggy")
    provider = ScorerProvider(registry=live_store, rules=live_store)
    shadow = ShadowScorer(registry=live_store, store=live_store, champion=provider.get).start()
    from lovemachine.adapters.local_broker import LocalBroker
    from tests.plugins.pubsub import unique_topology

    broker, topology = LocalBroker(), unique_topology()
    broker.ensure_topology(topology)
    handler = ListingHandler(
        scorer=provider.get, store=live_store, broker=broker, topology=topology, shadow=shadow.submit
    )
    batch = [FakeMessage(event_bytes(r), f"m{i}") for i, r in enumerate(stream[:20])]
    out = handler.handle_batch(batch)
    assert shadow.drain(30)
    shadow.stop()
    assert out.acked == 20 and all(m.acked for m in batch)
    assert shadow.stats.failed_batches == 1 and "challenger bug" in (shadow.stats.last_error or "")
    assert count(live_store, shadow_decisions) == 0

    def raising(_listings: object, _actions: object = None) -> None:
        raise RuntimeError("shadow queue exploded")

    handler = ListingHandler(
        scorer=provider.get, store=live_store, broker=broker, topology=topology, shadow=raising
    )
    again = [FakeMessage(event_bytes(r), f"n{i}") for i, r in enumerate(stream[20:30])]
    assert handler.handle_batch(again).acked == 10 and all(m.acked for m in again)
    broker.close()


def test_a_corrupt_champion_is_refused_and_the_worker_keeps_its_model(
    live_store: SqlStore, trained: TrainResult, tmp_path: Path, stream: list[LabelledListing]
) -> None:
    corrupt = variant(trained, tmp_path, "test-model-3")
    pristine = (Path(corrupt.artifact_uri) / MODEL_FILE).read_bytes()
    flip_a_byte(corrupt)
    live_store.register_model_version(corrupt)
    provider = ScorerProvider(
        registry=live_store, rules=live_store, refresh_seconds=0.05, retry_refused_s=0.0
    )
    from lovemachine.adapters.local_broker import LocalBroker
    from tests.plugins.pubsub import unique_topology

    broker, topology = LocalBroker(), unique_topology()
    broker.ensure_topology(topology)
    handler = ListingHandler(scorer=provider.get, store=live_store, broker=broker, topology=topology)
    live_store.set_alias("champion", corrupt.version, actor="test", reason="a bad deploy")
    provider.refresh()
    assert provider.version == "test-model-1"
    (refused,) = provider.stats()["refused"]
    assert refused["version"] == "test-model-3" and "fails its checksum" in refused["error"]

    batch = [FakeMessage(event_bytes(r), f"m{i}") for i, r in enumerate(stream[:10])]
    assert handler.handle_batch(batch).acked == 10
    assert {d.model_version for r in stream[:10] for d in live_store.decisions_for(r.listing.id)} == {
        "test-model-1"
    }

    (Path(corrupt.artifact_uri) / MODEL_FILE).write_bytes(pristine)  # someone repairs it: retried, taken
    provider.refresh()
    assert provider.version == "test-model-3" and provider.stats()["refused"] == []
    broker.close()


def test_a_batch_is_scored_by_one_snapshot(
    live_store: SqlStore, challenger_record: ModelVersionRecord
) -> None:
    """The handler asks for the scorer once per batch, so a swap between two listings cannot split it."""
    live_store.register_model_version(challenger_record)
    provider = ScorerProvider(registry=live_store, rules=live_store, refresh_seconds=0.0)
    calls: list[str] = []

    def scorer():  # type: ignore[no-untyped-def]
        s = provider.get()
        calls.append(s.version)
        live_store.set_alias(  # move the champion right after every snapshot is taken
            "champion",
            "test-model-2" if s.version == "test-model-1" else "test-model-1",
            actor="test",
            reason="flip",
        )
        return s

    from lovemachine.adapters.local_broker import LocalBroker
    from tests.plugins.pubsub import unique_topology

    broker, topology = LocalBroker(), unique_topology()
    broker.ensure_topology(topology)
    handler = ListingHandler(scorer=scorer, store=live_store, broker=broker, topology=topology)
    rows = [parse_labelled(d) for d in generate(64, seed=5, id_prefix="O")]
    for start in (0, 32):
        handler.handle_batch([FakeMessage(event_bytes(r), r.listing.id) for r in rows[start : start + 32]])
    broker.close()
    assert calls == ["test-model-1", "test-model-2"]
    for start, version in ((0, "test-model-1"), (32, "test-model-2")):
        got = {
            d.model_version for r in rows[start : start + 32] for d in live_store.decisions_for(r.listing.id)
        }
        assert got == {version}


def test_a_message_redelivered_after_the_swap_is_not_acted_on_again(
    live_store: SqlStore, challenger_record: ModelVersionRecord, stream: list[LabelledListing]
) -> None:
    """Decided and published by the old champion, but the ack was lost: the new champion's worker finds
    the stored decision, acks, and publishes nothing."""
    from lovemachine.adapters.local_broker import LocalBroker
    from tests.plugins.pubsub import unique_topology

    live_store.register_model_version(challenger_record)
    broker, topology = LocalBroker(), unique_topology()
    broker.ensure_topology(topology)
    provider = ScorerProvider(registry=live_store, rules=live_store, refresh_seconds=0.0)
    handler = ListingHandler(scorer=provider.get, store=live_store, broker=broker, topology=topology)
    rows = stream[:80]
    first = handler.handle_batch([FakeMessage(event_bytes(r), r.listing.id) for r in rows])
    live_store.set_alias("champion", "test-model-2", actor="test", reason="swap")
    again = [FakeMessage(event_bytes(r), r.listing.id, attempt=2) for r in rows]
    second = handler.handle_batch(again)
    assert provider.version == "test-model-2"
    assert all(m.acked for m in again) and second.decided == 0 and second.actions_published == 0
    assert second.redelivered_already_decided == len(rows)
    assert count(live_store, decisions) == len(rows)
    published = drain(broker, topology.actions_subscription, first.actions_published)
    assert len(published) == first.actions_published > 0
    broker.close()


def test_the_shadow_yields_while_the_champion_catches_up(
    live_store: SqlStore, challenger_record: ModelVersionRecord, stream: list[LabelledListing]
) -> None:
    live_store.register_model_version(challenger_record)
    live_store.set_alias("challenger", "test-model-2", actor="test", reason="shadow")
    provider = ScorerProvider(registry=live_store, rules=live_store)
    behind = [True]
    shadow = ShadowScorer(
        registry=live_store, store=live_store, champion=provider.get, busy=lambda: behind[0]
    )
    rows = stream[:30]
    live_store.record_decisions(
        list(zip([r.listing for r in rows], provider.get().score([r.listing for r in rows]), strict=True))
    )
    shadow.score([r.listing for r in rows[:20]])
    assert shadow.stats.skipped_busy == 20 and count(live_store, shadow_decisions) == 0
    behind[0] = False
    shadow.score([r.listing for r in rows[20:]])
    assert shadow.stats.stored == 10 and count(live_store, shadow_decisions) == 10
