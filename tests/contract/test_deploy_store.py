"""The SQL store's part in blue-green deploys, on SQLite and PostgreSQL: compare-and-set alias moves
(and their race), one acting decision per listing version whatever model scores it, and shadow
decisions that are stored but never acted on."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import select

from lovemachine.adapters.sql import SqlStore
from lovemachine.adapters.sql.tables import (
    audit_log,
    decisions,
    model_alias_history,
    review_items,
    shadow_decisions,
)
from lovemachine.errors import AliasConflictError
from lovemachine.policy import Action
from lovemachine.ports import ShadowDecisionStore
from tests.contract.test_sql_store import count, make_decision, make_listing, version_record


@pytest.fixture
def registry(sql_store: SqlStore) -> SqlStore:
    for i in (1, 2, 3):
        sql_store.register_model_version(version_record(f"m-{i}", minutes=i))
    return sql_store


def run_together(*fns: Callable[[], Any]) -> list[Any]:
    """Call ``fns`` on threads released at the same instant; exceptions are returned, not raised."""
    barrier = threading.Barrier(len(fns))
    results: list[Any] = [None] * len(fns)

    def work(i: int) -> None:
        barrier.wait()
        try:
            results[i] = fns[i]()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(fns))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_a_conditional_move_happens_only_from_the_expected_version(registry: SqlStore) -> None:
    first = registry.set_alias("champion", "m-1", actor="ml:ann", reason="first", expected=None)
    assert (first.from_version, first.to_version, first.actor, first.reason) == (
        None,
        "m-1",
        "ml:ann",
        "first",
    )
    moved = registry.set_alias("champion", "m-2", actor="ml:bob", reason="better", expected="m-1")
    assert (moved.from_version, moved.to_version) == ("m-1", "m-2")

    with pytest.raises(AliasConflictError, match="points at m-2, not m-1"):
        registry.set_alias("champion", "m-3", actor="ml:eve", reason="stale", expected="m-1")
    with pytest.raises(AliasConflictError):
        registry.set_alias("champion", "m-3", actor="ml:eve", reason="stale", expected=None)
    with pytest.raises(AliasConflictError, match="points at nothing"):
        registry.set_alias("challenger", "m-3", actor="ml:eve", reason="stale", expected="m-1")

    assert registry.get_alias("champion").version == "m-2"  # type: ignore[union-attr]
    assert registry.get_alias("challenger") is None
    history = registry.alias_history("champion")
    assert [(h.from_version, h.to_version, h.actor, h.reason) for h in history] == [
        (None, "m-1", "ml:ann", "first"),
        ("m-1", "m-2", "ml:bob", "better"),
    ]
    assert history[-1] == moved
    assert count(registry, model_alias_history) == 2  # a refused move writes nothing
    assert count(registry, audit_log) == 3 + 2  # three registrations, two moves


def test_concurrent_promotions_cannot_both_win(registry: SqlStore) -> None:
    for round_ in range(3):
        registry.set_alias("champion", "m-1", actor="test", reason=f"reset {round_}")
        before = count(registry, model_alias_history)
        a, b = run_together(
            lambda: registry.set_alias("champion", "m-2", actor="ann", reason="a", expected="m-1"),
            lambda: registry.set_alias("champion", "m-3", actor="bob", reason="b", expected="m-1"),
        )
        wins = [r for r in (a, b) if not isinstance(r, Exception)]
        losses = [r for r in (a, b) if isinstance(r, Exception)]
        assert len(wins) == 1 and len(losses) == 1, (a, b)
        assert isinstance(losses[0], AliasConflictError)
        assert registry.get_alias("champion").version == wins[0].to_version  # type: ignore[union-attr]
        assert count(registry, model_alias_history) == before + 1
        assert registry.alias_history("champion")[-1].from_version == "m-1"


def test_concurrent_creations_of_an_alias_cannot_both_win(registry: SqlStore) -> None:
    a, b = run_together(
        lambda: registry.set_alias("challenger", "m-2", actor="ann", reason="a", expected=None),
        lambda: registry.set_alias("challenger", "m-3", actor="bob", reason="b", expected=None),
    )
    assert sum(isinstance(r, AliasConflictError) for r in (a, b)) == 1, (a, b)
    assert [h.from_version for h in registry.alias_history("challenger")] == [None]


def test_a_listing_version_is_decided_once_whichever_model_scores_it(registry: SqlStore) -> None:
    listing = make_listing("L1")
    old = make_decision(listing, Action.REPORT, category="cash", model_version="m-1")
    new = make_decision(listing, Action.HIDE, category="cash", model_version="m-2")
    registry.record_decisions([(listing, old)])
    registry.mark_actions_published([("L1", 1, "m-1")])

    again = registry.record_decisions([(listing, new)])  # a redelivery after the champion moved
    assert not again[0].created and again[0].decision == old and again[0].action_published
    assert [d.model_version for d in registry.decisions_for("L1")] == ["m-1"]
    assert registry.count_review_items() == 1
    stored = registry.get_listing("L1")
    assert stored is not None and stored.status == "visible"  # the second opinion hid nothing

    v2 = make_listing("L1", version=2)
    assert registry.record_decisions([(v2, make_decision(v2, model_version="m-2"))])[0].created


def test_two_workers_on_different_models_decide_a_listing_once(registry: SqlStore) -> None:
    for r in range(3):
        listings = [make_listing(f"R{r}-{i:03d}") for i in range(60)]
        by = {
            m: [(x, make_decision(x, Action.REPORT, category="cash", model_version=m)) for x in listings]
            for m in ("m-1", "m-2")
        }
        a, b = run_together(*(partial(registry.record_decisions, by[m]) for m in ("m-1", "m-2")))
        assert not isinstance(a, Exception) and not isinstance(b, Exception), (a, b)
        assert all(x.created != y.created for x, y in zip(a, b, strict=True))
        assert all(x.decision == y.decision for x, y in zip(a, b, strict=True))  # both see the one that acts
    assert count(registry, decisions) == 180
    assert registry.count_review_items("open", queue="cash") == 180


def test_shadow_decisions_are_stored_but_never_acted_on(registry: SqlStore) -> None:
    store: ShadowDecisionStore = registry
    listings = [make_listing(f"S{i}") for i in range(6)]
    registry.record_decisions([(x, make_decision(x, model_version="m-1")) for x in listings])
    reviews, audits = registry.count_review_items(), count(registry, audit_log)
    shadow = [make_decision(x, Action.HIDE, category="counterfeit", model_version="m-2") for x in listings]

    assert store.record_shadow_decisions(shadow) == 6
    assert store.record_shadow_decisions(shadow[:3]) == 0  # idempotent: redelivery stores nothing twice
    assert registry.record_shadow_decisions([]) == 0
    assert count(registry, shadow_decisions) == 6 and count(registry, decisions) == 6
    assert registry.count_review_items() == reviews and count(registry, audit_log) == audits
    assert all(registry.get_listing(x.id).status == "visible" for x in listings)  # type: ignore[union-attr]
    assert registry.shadow_decisions_for("S0") == [shadow[0]]
    assert [d.model_version for d in registry.decisions_for("S0")] == ["m-1"]


def label(
    listing_id: str, verdict: str, store: SqlStore, *, queue: str = "cash", missing_ok: bool = False
) -> None:
    with store.engine.connect() as conn:
        item = conn.execute(
            select(review_items.c.id).where(
                review_items.c.listing_id == listing_id, review_items.c.queue == queue
            )
        ).scalar_one_or_none()
    if item is None and missing_ok:
        return
    assert item is not None
    store.claim_item(item, username="ann", ttl=timedelta(minutes=5))
    store.record_label(item, reviewer="ann", label=verdict)
