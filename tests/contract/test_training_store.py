"""The SQL store's retraining parts on SQLite and PostgreSQL: training runs, snapshots, the labels
retraining reads, the audit sample the worker's transaction opens, and the live-quality reads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lovemachine.adapters.sql import SqlStore, make_engine
from lovemachine.adapters.sql.tables import audit_log, review_items, training_runs
from lovemachine.policy import Action
from lovemachine.review.audit import AuditSample
from tests.contract.test_sql_store import make_decision, make_listing

TTL = timedelta(minutes=5)


@pytest.fixture
def store(database_url: str) -> Iterator[SqlStore]:
    """A store whose audit draw takes half the hides and allows (so a few listings exercise it)."""
    s = SqlStore(make_engine(database_url), audit_sample=AuditSample(rate_hidden=0.5, rate_allowed=0.5))
    try:
        yield s
    finally:
        s.dispose()


def label_item(store: SqlStore, listing_id: str, queue: str, verdict: str, reviewer: str = "ann") -> None:
    with store.engine.connect() as conn:
        item_id = conn.execute(
            select(review_items.c.id).where(
                review_items.c.listing_id == listing_id, review_items.c.queue == queue
            )
        ).scalar_one()
    store.claim_item(item_id, username=reviewer, ttl=TTL)
    store.record_label(item_id, reviewer=reviewer, label=verdict)


def test_training_runs_are_recorded_finished_and_paged(store: SqlStore) -> None:
    runs = [store.start_training_run(trigger=t, actor="cli") for t in ("manual", "scheduled", "manual")]
    assert [r.status for r in runs] == ["running"] * 3
    failed = store.finish_training_run(runs[0].id, status="failed", error="OSError: base.jsonl unreadable")
    assert failed.status == "failed" and failed.error and failed.finished_at is not None
    store.update_training_run(runs[1].id, detail={"rows": {"train": 10}})
    done = store.finish_training_run(runs[1].id, status="not_eligible", eligible=False, report_path="/r")
    assert done.detail == {"rows": {"train": 10}} and done.eligible is False
    page = store.list_training_runs(limit=2)
    assert [r.id for r in page.items] == [runs[2].id, runs[1].id] and page.next_cursor
    rest = store.list_training_runs(limit=2, cursor=page.next_cursor)
    assert [r.id for r in rest.items] == [runs[0].id] and rest.next_cursor is None
    assert [r.id for r in store.list_training_runs(status="failed").items] == [runs[0].id]
    with store.engine.connect() as conn:
        actions = conn.execute(
            select(audit_log.c.action).where(audit_log.c.entity_type == "training_run")
        ).scalars()
        assert sorted(actions) == ["training_run.finish"] * 2 + ["training_run.start"] * 3
    with pytest.raises(ValueError, match="trigger"):
        store.start_training_run(trigger="cron", actor="x")
    with pytest.raises(ValueError, match="ends"):
        store.finish_training_run(runs[2].id, status="running")
    with pytest.raises(IntegrityError), store.engine.begin() as conn:  # the database checks it too
        conn.execute(training_runs.update().where(training_runs.c.id == runs[2].id).values(status="odd"))


def test_snapshots_are_keyed_by_their_content_hash(store: SqlStore) -> None:
    kw = dict(
        rows=10,
        label_rows=2,
        labels_from=None,
        labels_to=None,
        base_sha256=None,
        base_source=None,
        rows_path=None,
        provenance={"by_source": {"cs": {"cash": 2}}},
    )
    first = store.save_dataset_snapshot(sha256="a" * 64, **kw)  # type: ignore[arg-type]
    again = store.save_dataset_snapshot(sha256="a" * 64, **kw)  # type: ignore[arg-type]
    other = store.save_dataset_snapshot(sha256="b" * 64, **kw)  # type: ignore[arg-type]
    assert first.id == again.id != other.id
    assert store.get_dataset_snapshot(first.id) == first and first.provenance["by_source"]["cs"]["cash"] == 2


def test_the_audit_draw_opens_audit_items_for_hides_and_allows_only(store: SqlStore) -> None:
    items = []
    for i in range(60):
        listing = make_listing(f"A{i:03d}")
        action = [Action.ALLOW, Action.REPORT, Action.HIDE][i % 3]
        items.append((listing, make_decision(listing, action, category=None if i % 3 == 0 else "cash")))
    store.record_decisions(items)
    store.record_decisions(items)  # a redelivery opens nothing more
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(review_items.c.listing_id, review_items.c.priority, review_items.c.auto_hidden).where(
                review_items.c.queue == "audit"
            )
        ).all()
    expected = {
        listing.id
        for listing, d in items
        if d.action is not Action.REPORT and store.audit_sample.selects(listing.id, 1, d.action)
    }
    assert {r.listing_id for r in rows} == expected and len(rows) == len(expected)
    assert 5 < len(expected) < 35  # about half of the 40 hides and allows
    hides = {listing.id for listing, d in items if d.action is Action.HIDE}
    assert all(r.priority == 0.0 and r.auto_hidden == (r.listing_id in hides) for r in rows)


def test_labels_carry_their_source_and_the_listing_version_they_judged(store: SqlStore) -> None:
    audited = next(f"B{i}" for i in range(100) if store.audit_sample.selects(f"B{i}", 1, Action.ALLOW))
    v1 = make_listing("R1", version=1, title="first text")
    store.record_decisions(
        [
            (v1, make_decision(v1, Action.REPORT, category="cash")),
            (make_listing(audited), make_decision(make_listing(audited), Action.ALLOW)),
        ]
    )
    label_item(store, "R1", "cash", "cash")
    label_item(store, audited, "audit", "counterfeit")
    got = {x.label.listing_id: x for x in store.labels_for_training()}
    assert got["R1"].label.source == "cs" and got[audited].label.source == "audit"
    assert got["R1"].listing is not None and got["R1"].listing.title == "first text"
    assert got[audited].label.label == "counterfeit"
    v2 = make_listing("R1", version=2, title="edited text")
    store.record_decisions([(v2, make_decision(v2, Action.ALLOW))])
    kept = {x.label.listing_id: x for x in store.labels_for_training()}["R1"]
    # every judged version is kept: the label still trains on the text it judged, not the edit
    assert kept.listing is not None and (kept.listing.version, kept.listing.title) == (1, "first text")
    assert store.labels_for_training(sources=("synthetic",)) == []


def test_live_quality_reads_the_strata_and_their_labelled_sample(store: SqlStore) -> None:
    ids = [f"Q{i:03d}" for i in range(200)]
    allow = [i for i in ids if store.audit_sample.selects(i, 1, Action.ALLOW)][:2]
    hide_in = [i for i in ids if store.audit_sample.selects(i, 1, Action.HIDE) and i not in allow][:1]
    hide_out = [i for i in ids if not store.audit_sample.selects(i, 1, Action.HIDE)][:1]
    report = ["Q900"]
    plan = [(i, Action.ALLOW) for i in allow] + [(i, Action.HIDE) for i in hide_in + hide_out]
    plan += [(i, Action.REPORT) for i in report]
    store.record_decisions(
        [
            (
                make_listing(i),
                make_decision(make_listing(i), a, category=None if a is Action.ALLOW else "cash"),
            )
            for i, a in plan
        ]
    )
    label_item(store, allow[0], "audit", "cash")
    label_item(store, hide_in[0], "audit", "no_violation")
    label_item(store, hide_out[0], "cash", "cash")  # labelled, but not drawn: not in the sample
    label_item(store, report[0], "cash", "counterfeit")
    strata = store.decision_strata("lm-20261123-1")
    assert strata == {
        "hide": {"decisions": 2, "sampled": 1},
        "report": {"decisions": 1, "sampled": 1},
        "allow": {"decisions": 2, "sampled": 2},
    }
    sample = {d.listing_id: d for d in store.labelled_sample("lm-20261123-1")}
    assert set(sample) == {allow[0], hide_in[0], report[0]}
    assert sample[allow[0]].action == "allow" and sample[allow[0]].labels[0].source == "audit"
    assert (
        sample[report[0]].labels[0].label == "counterfeit" and sample[report[0]].scores["counterfeit"] == 0.1
    )
    assert store.labelled_sample("another-model") == []
