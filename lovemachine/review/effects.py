"""What a new decision causes, as a plan: pure domain rules, executed by a store in its transaction.

When the worker stores a decision for the first time (not on a redelivery), the product

* hides the listing version it judged, if the decision is ``hide`` (only that version: a stale
  decision must not hide newer content);
* opens a review item in the queue of the decision's category for every ``report`` and ``hide``
  (``auto_hidden`` for a hide, so CS can restore a wrong one), prioritised by the highest score; one
  item per (listing version, queue), the highest priority kept;
* opens one in the ``audit`` queue for the deterministic random audit sample of hides and allows
  (``AuditSample``), at a constant priority, so that a partly worked audit queue is still a random
  sample of its stratum;
* writes every ``hide`` and ``report`` to the audit log as ``worker:<model version>``.

``plan_decision_effects`` says all of that without a database; ``SqlStore.record_decisions``
executes the plan inside the transaction that inserts the decisions, with its locking unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lovemachine.policy import Action, Decision
from lovemachine.review.audit import AuditSample
from lovemachine.review.policy import AUDIT

UNCATEGORIZED = "uncategorized"


@dataclass(frozen=True)
class ReviewItemPlan:
    listing_id: str
    listing_version: int
    decision_id: int
    queue: str
    priority: float
    auto_hidden: bool


@dataclass(frozen=True)
class AuditEntryPlan:
    actor: str
    action: str
    subject_type: str
    subject_id: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class DecisionEffects:
    hide: list[tuple[str, int]]
    """Listing versions to mark hidden, sorted (rows are locked in key order)."""
    review_items: list[ReviewItemPlan]
    """Items to open, sorted by (listing id, version, queue); an existing one is left as it is."""
    audit_entries: list[AuditEntryPlan]


def plan_decision_effects(new: Sequence[tuple[int, Decision]], audit_sample: AuditSample) -> DecisionEffects:
    """The effects of decisions stored for the first time (``(decision id, decision)`` pairs)."""
    items: dict[tuple[str, int, str], ReviewItemPlan] = {}
    for decision_id, d in new:
        if audit_sample.selects(d.listing_id, d.listing_version, d.action):
            items[(d.listing_id, d.listing_version, AUDIT)] = ReviewItemPlan(
                d.listing_id, d.listing_version, decision_id, AUDIT, 0.0, d.action is Action.HIDE
            )
        if d.action is Action.ALLOW:
            continue
        queue = d.category or UNCATEGORIZED
        key = (d.listing_id, d.listing_version, queue)
        priority = max((float(s) for s in d.scores.values()), default=0.0)
        if key in items and items[key].priority >= priority:
            continue
        items[key] = ReviewItemPlan(
            d.listing_id, d.listing_version, decision_id, queue, priority, d.action is Action.HIDE
        )
    audit = [
        AuditEntryPlan(
            f"worker:{d.model_version}",
            Action(d.action).value,
            "listing",
            d.listing_id,
            {
                "listing_version": d.listing_version,
                "decision_id": decision_id,
                "category": d.category,
                "reasons": list(d.reasons),
            },
        )
        for decision_id, d in new
        if d.action is not Action.ALLOW
    ]
    return DecisionEffects(
        hide=sorted({(d.listing_id, d.listing_version) for _, d in new if d.action is Action.HIDE}),
        review_items=[items[k] for k in sorted(items)],
        audit_entries=audit,
    )
