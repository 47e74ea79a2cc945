"""What a new decision causes, as a pure plan (lovemachine.review.effects): no database needed. The
SQL store executes the same plan (tests/contract/test_sql_store.py checks the rows it writes)."""

from __future__ import annotations

from datetime import UTC, datetime

from lovemachine.policy import Action, Decision
from lovemachine.review.audit import AuditSample
from lovemachine.review.effects import plan_decision_effects

NOW = datetime(2026, 12, 1, tzinfo=UTC)
NO_AUDIT = AuditSample(rate_hidden=0.0, rate_allowed=0.0)
ALL_AUDIT = AuditSample(rate_hidden=1.0, rate_allowed=1.0)


def d(
    listing: str, action: Action, category: str | None = None, score: float = 0.5, version: int = 1
) -> Decision:
    return Decision(
        listing_id=listing,
        listing_version=version,
        action=action,
        scores={"cash": score, "adult": score / 2},
        reasons=[] if action is Action.ALLOW else [f"{category}: {score}"],
        model_version="m-1",
        decided_at=NOW,
        category=category,
    )


def test_hides_hide_their_version_and_every_flag_opens_one_item_in_its_queue() -> None:
    new = [
        (1, d("A", Action.HIDE, "cash", 0.99)),
        (2, d("B", Action.REPORT, "adult", 0.7)),
        (3, d("C", Action.ALLOW)),
    ]
    plan = plan_decision_effects(new, NO_AUDIT)
    assert plan.hide == [("A", 1)]
    assert [(i.listing_id, i.queue, i.priority, i.auto_hidden, i.decision_id) for i in plan.review_items] == [
        ("A", "cash", 0.99, True, 1),
        ("B", "adult", 0.7, False, 2),
    ]
    assert [(e.actor, e.action, e.subject_id, e.detail["decision_id"]) for e in plan.audit_entries] == [
        ("worker:m-1", "hide", "A", 1),
        ("worker:m-1", "report", "B", 2),
    ]


def test_the_audit_sample_opens_audit_items_for_hides_and_allows_never_reports() -> None:
    new = [
        (1, d("A", Action.HIDE, "cash", 0.99)),
        (2, d("B", Action.REPORT, "cash")),
        (3, d("C", Action.ALLOW)),
    ]
    plan = plan_decision_effects(new, ALL_AUDIT)
    audit = [(i.listing_id, i.priority, i.auto_hidden) for i in plan.review_items if i.queue == "audit"]
    assert audit == [("A", 0.0, True), ("C", 0.0, False)]
    assert not any(e.subject_id == "C" for e in plan.audit_entries)  # allows are not audit-logged


def test_one_item_per_listing_version_and_queue_keeps_the_highest_priority() -> None:
    new = [
        (1, d("A", Action.REPORT, None, 0.6)),
        (2, d("A", Action.REPORT, None, 0.8)),
        (3, d("A", Action.REPORT, None, 0.7, version=2)),
    ]
    items = plan_decision_effects(new, NO_AUDIT).review_items
    assert [(i.listing_version, i.queue, i.priority, i.decision_id) for i in items] == [
        (1, "uncategorized", 0.8, 2),
        (2, "uncategorized", 0.7, 3),
    ]
