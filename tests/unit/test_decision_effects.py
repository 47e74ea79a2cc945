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


def _plan(label: str, **kw: object):  # type: ignore[no-untyped-def]
    from lovemachine.review.effects import plan_label

    args: dict[str, object] = dict(
        item_id=7,
        queue="cash",
        listing_id="A",
        listing_version=2,
        auto_hidden=True,
        listing_status="hidden",
        stored_version=2,
        decision=d("A", Action.HIDE, "cash", 0.99, version=2),
        violation_confirmed_elsewhere=False,
        note="",
        now=NOW,
    )
    args.update(kw)
    return plan_label(label, **args)  # type: ignore[arg-type]


def test_no_violation_on_a_wrong_auto_hide_restores_it_through_the_outbox() -> None:
    plan = _plan("no_violation")
    assert (plan.violation, plan.category, plan.source, plan.new_status) == (False, None, "cs", "visible")
    assert plan.outbox is not None and plan.outbox.action == "restore"
    assert plan.outbox.payload["model_version"] == "m-1" and plan.outbox.attributes["source"] == "cs"
    assert plan.outbox.payload["reasons"] == ["cs: no violation found by CS review; listing restored"]
    assert plan.audit_detail["action"] == "restore" and plan.audit_detail["review_item_id"] == 7


def test_a_violation_on_a_visible_listing_hides_it_and_an_edited_listing_is_left_alone() -> None:
    plan = _plan("cash", listing_status="visible", auto_hidden=False, queue="audit")
    assert (plan.violation, plan.category, plan.source, plan.new_status) == (True, "cash", "audit", "hidden")
    assert plan.outbox is not None and plan.outbox.action == "hide"
    edited = _plan("cash", listing_status="visible", stored_version=3)  # the seller edited it since
    assert edited.new_status is None and edited.outbox is None


def test_no_violation_never_restores_what_another_label_confirmed_and_a_report_has_no_model() -> None:
    assert _plan("no_violation", violation_confirmed_elsewhere=True).outbox is None
    user_report = _plan("cash", listing_status="visible", decision=None, auto_hidden=False)
    assert user_report.model_version is None
    assert user_report.outbox is not None and user_report.outbox.payload["model_version"] == "cs-review"
