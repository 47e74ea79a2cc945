"""Contract tests for the SQL store, run on SQLite and PostgreSQL (``database_url`` fixture)."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Table, func, select
from sqlalchemy.exc import StatementError

from lovemachine.adapters.sql import SqlStore, make_engine, metadata
from lovemachine.adapters.sql.migrate import current_revision, head_revision
from lovemachine.adapters.sql.tables import audit_log, decisions, listings, model_alias_history, review_items
from lovemachine.listings import Listing
from lovemachine.policy import Action, Decision
from lovemachine.ports import (
    CsToolStore,
    DecisionStore,
    ModelRegistry,
    ModelVersionRecord,
    RecordedDecision,
    RuleStore,
)

T0 = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
MODEL = "lm-20261123-1"


def make_listing(listing_id: str = "L1", version: int = 1, title: str = "Nice bag") -> Listing:
    return Listing(
        id=listing_id,
        version=version,
        seller_id="S1",
        title=title,
        description="gently used",
        price=12_000,
        currency="jpy",
        category="bags",
        brand="Acme",
        image_urls=["https://img.example/1.jpg"],
    )


def make_decision(
    listing: Listing,
    action: Action = Action.ALLOW,
    *,
    category: str | None = None,
    model_version: str = MODEL,
    score: float = 0.1,
) -> Decision:
    return Decision(
        listing_id=listing.id,
        listing_version=listing.version,
        action=action,
        scores={"counterfeit": score, "cash": 0.01},
        reasons=[] if action is Action.ALLOW else [f"{category}: score {score:.3f}"],
        model_version=model_version,
        decided_at=T0,
        category=category,
        rule_ids=[7] if action is Action.HIDE else [],
    )


def batch(n: int, prefix: str = "L") -> list[tuple[Listing, Decision]]:
    out = []
    for i in range(n):
        listing = make_listing(f"{prefix}{i:04d}")
        action = [Action.ALLOW, Action.REPORT, Action.HIDE][i % 3]
        category = None if action is Action.ALLOW else ["cash", "counterfeit"][i % 2]
        out.append((listing, make_decision(listing, action, category=category, score=0.5 + (i % 5) / 10)))
    return out


def count(store: SqlStore, table: Table) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_migrations_match_metadata(database_url: str) -> None:
    assert current_revision(database_url) == head_revision() is not None
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(ctx, metadata) == []
    finally:
        engine.dispose()


def test_sqlite_engine_settings(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'new' / 'dir' / 'x.db'}")
    try:
        with engine.connect() as conn:
            pragmas = {
                p: conn.exec_driver_sql(f"PRAGMA {p}").scalar()
                for p in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            }
    finally:
        engine.dispose()
    assert pragmas == {"journal_mode": "wal", "synchronous": 1, "foreign_keys": 1, "busy_timeout": 30_000}


def test_implements_the_ports(sql_store: SqlStore) -> None:
    ports: tuple[DecisionStore, RuleStore, ModelRegistry] = (sql_store, sql_store, sql_store)
    assert all(p is sql_store for p in ports)
    cs_tool: CsToolStore = sql_store  # mypy checks every signature; here, that every method exists
    assert cs_tool is sql_store
    members = [n for n in dir(CsToolStore) if not n.startswith("_")]
    assert {"claim_next", "count_staff", "list_audit", "ping", "set_alias", "pending_actions"} <= set(members)
    assert [n for n in members if not callable(getattr(sql_store, n, None))] == []


def test_record_creates_listings_decisions_and_review_items(sql_store: SqlStore) -> None:
    allow, report, hide = (make_listing(f"L{i}") for i in range(3))
    items = [
        (allow, make_decision(allow)),
        (report, make_decision(report, Action.REPORT, category="cash", score=0.7)),
        (hide, make_decision(hide, Action.HIDE, category="counterfeit", score=0.99)),
    ]
    recorded = sql_store.record_decisions(items)

    assert [r.decision for r in recorded] == [d for _, d in items]
    assert all(r.created and not r.action_published for r in recorded)
    stored = {i: sql_store.get_listing(i) for i in ("L0", "L1", "L2")}
    assert {i: s.status for i, s in stored.items() if s} == {"L0": "visible", "L1": "visible", "L2": "hidden"}
    assert stored["L0"] is not None and stored["L0"].listing == allow
    assert stored["L0"].first_seen_at.tzinfo is not None
    assert sql_store.get_listing("nope") is None
    assert sql_store.decisions_for("L2") == [items[2][1]]
    assert sql_store.count_review_items("open") == 2
    assert sql_store.count_review_items("open", queue="cash") == 1
    with sql_store.engine.connect() as conn:
        queue = conn.execute(select(review_items).order_by(review_items.c.listing_id)).mappings().all()
        audit = conn.execute(select(audit_log).order_by(audit_log.c.entity_id)).mappings().all()
    assert [(q["queue"], q["priority"], q["auto_hidden"], q["status"]) for q in queue] == [
        ("cash", 0.7, False, "open"),
        ("counterfeit", 0.99, True, "open"),
    ]
    assert [(a["actor"], a["action"], a["entity_id"]) for a in audit] == [
        (f"worker:{MODEL}", "report", "L1"),
        (f"worker:{MODEL}", "hide", "L2"),
    ]
    assert sql_store.action_summary() == {
        "total": 3,
        "by_action": {"allow": 1, "report": 1, "hide": 1},
        "by_category": {"cash": {"report": 1}, "counterfeit": {"hide": 1}},
    }
    assert sql_store.action_summary("other-model")["total"] == 0


def race(store: SqlStore, items: list[tuple[Listing, Decision]]) -> list[list[RecordedDecision]]:
    """Record ``items`` from two threads released at the same instant."""
    barrier = threading.Barrier(2)
    results: list[list[RecordedDecision]] = [[], []]
    errors: list[BaseException] = []

    def work(slot: int) -> None:
        try:
            barrier.wait()
            results[slot] = store.record_decisions(items)
        except BaseException as exc:  # re-raised in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    if errors:
        raise errors[0]
    return results


def test_concurrent_writers_agree(sql_store: SqlStore) -> None:
    rounds = 3
    for r in range(rounds):
        items = batch(120, prefix=f"R{r}-")
        a, b = race(sql_store, items)
        assert [x.decision for x in a] == [y.decision for y in b] == [d for _, d in items]
        assert all(x.created != y.created for x, y in zip(a, b, strict=True))  # exactly one created each
    assert count(sql_store, decisions) == 120 * rounds
    audit_sample = sql_store.count_review_items(queue="audit")  # the random audit draw's share
    assert sql_store.count_review_items() - audit_sample == 80 * rounds
    assert count(sql_store, audit_log) == 80 * rounds


def test_a_failing_batch_writes_nothing(sql_store: SqlStore, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("injected failure after the decision insert")

    monkeypatch.setattr(SqlStore, "_apply_effects", boom)  # after the decision insert, same transaction
    with pytest.raises(RuntimeError, match="injected"):
        sql_store.record_decisions(batch(6))
    for table in (listings, decisions, review_items, audit_log):
        assert count(sql_store, table) == 0, table.name

    monkeypatch.undo()
    assert all(r.created for r in sql_store.record_decisions(batch(6)))


def test_naive_datetimes_are_refused(sql_store: SqlStore) -> None:
    listing = make_listing()
    naive = dataclasses.replace(make_decision(listing), decided_at=T0.replace(tzinfo=None))
    with pytest.raises(StatementError, match="naive datetime"):
        sql_store.record_decisions([(listing, naive)])
    assert count(sql_store, listings) == 0


def test_rules_crud_and_revision(sql_store: SqlStore) -> None:
    empty = sql_store.rules_revision()
    assert sql_store.list_rules() == []

    gift = sql_store.add_rule(
        pattern="amazonギフト", kind="keyword", category="cash", action="hide", owner="cs:aki"
    )
    r2 = sql_store.rules_revision()
    vuitton = sql_store.add_rule(
        pattern=r"ヴィトン.{0,5}(激安|N品)",
        kind="regex",
        category="counterfeit",
        action="report",
        owner="cs:aki",
    )
    r3 = sql_store.rules_revision()
    assert len({empty, r2, r3}) == 3
    assert gift.id != vuitton.id
    assert sql_store.list_rules() == [gift, vuitton]
    assert sql_store.get_rule(gift.id) == gift

    disabled = sql_store.set_rule_enabled(gift.id, False, actor="cs:ben")
    r4 = sql_store.rules_revision()
    assert not disabled.enabled and r4 != r3
    assert sql_store.list_rules() == [vuitton]
    assert sql_store.list_rules(enabled_only=False) == [disabled, vuitton]
    assert sql_store.rules_revision() == r4  # stable while nothing changes

    with pytest.raises(ValueError, match="unknown category"):
        sql_store.add_rule(pattern="x", kind="keyword", category="weapons?", action="hide", owner="cs:aki")
    with pytest.raises(ValueError, match="invalid regex"):
        sql_store.add_rule(pattern="(", kind="regex", category="cash", action="hide", owner="cs:aki")
    with pytest.raises(LookupError):
        sql_store.set_rule_enabled(999_999, True, actor="cs:ben")
    assert sql_store.rules_revision() == r4
    with sql_store.engine.connect() as conn:
        actions = conn.execute(select(audit_log.c.actor, audit_log.c.action).order_by(audit_log.c.id)).all()
    assert [tuple(a) for a in actions] == [
        ("cs:aki", "rule.add"),
        ("cs:aki", "rule.add"),
        ("cs:ben", "rule.disable"),
    ]


def version_record(version: str, *, name: str = "lovemachine", minutes: int = 0) -> ModelVersionRecord:
    return ModelVersionRecord(
        version=version,
        name=name,
        artifact_uri=f"file:///var/artifacts/{version}",
        artifact_sha256="a" * 64,
        training_data_sha256="b" * 64,
        metrics={"macro_f1": 0.91, "per_category": {"cash": {"auc": 0.97}}},
        thresholds={"cash": {"report": 0.5, "hide": 0.95}},
        created_at=T0 + timedelta(minutes=minutes),
    )


def test_model_registry_and_alias_history(sql_store: SqlStore) -> None:
    v1, v2 = version_record("m-1"), version_record("m-2", minutes=5)
    sql_store.register_model_version(v1)
    sql_store.register_model_version(v2)
    sql_store.register_model_version(v1)  # idempotent
    with pytest.raises(ValueError, match="already registered"):
        sql_store.register_model_version(dataclasses.replace(v1, artifact_sha256="c" * 64))

    assert sql_store.get_model_version("m-1") == v1
    assert sql_store.get_model_version("m-404") is None
    assert sql_store.list_model_versions() == [v1, v2]
    assert sql_store.get_alias("champion") is None

    sql_store.set_alias("champion", "m-1", actor="ml:yuki", reason="first model")
    assert sql_store.get_alias("champion") == v1
    sql_store.set_alias("champion", "m-2", actor="ml:yuki", reason="better macro F1")
    sql_store.set_alias("challenger", "m-1", actor="ml:yuki", reason="keep for comparison")
    assert sql_store.get_alias("champion") == v2
    assert sql_store.get_alias("challenger") == v1
    with pytest.raises(LookupError):
        sql_store.set_alias("champion", "m-404", actor="ml:yuki", reason="typo")
    assert sql_store.get_alias("champion") == v2

    history = sql_store.alias_history("champion")
    assert [(h.from_version, h.to_version, h.actor, h.reason) for h in history] == [
        (None, "m-1", "ml:yuki", "first model"),
        ("m-1", "m-2", "ml:yuki", "better macro F1"),
    ]
    assert all(h.at.tzinfo is not None for h in history)
    assert count(sql_store, model_alias_history) == 3
    with sql_store.engine.connect() as conn:
        moves = conn.execute(select(func.count()).where(audit_log.c.action == "model.set_alias")).scalar_one()
    assert moves == 3
