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

from lovemachine.listings import ModerationAction
from lovemachine.policy import Action, Decision
from lovemachine.review.audit import AuditSample
from lovemachine.review.policy import AUDIT, ListingStatus, label_effect

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


# ------------------------------------------------------------------------------------------ labels
CS_MODEL_VERSION = "cs-review"
"""``model_version`` of a CS action on a listing no model decided (a user report only)."""


@dataclass(frozen=True)
class OutboxMessagePlan:
    """A moderation action queued in the outbox with the label (published after the transaction)."""

    action: str
    payload: dict[str, Any]
    attributes: dict[str, str]


@dataclass(frozen=True)
class LabelPlan:
    """What one CS label writes, besides the label row's identity (item, reviewer, note, key)."""

    violation: bool
    category: str | None
    source: str
    """``audit`` for an item of the random audit sample (unbiased), else ``cs``."""
    model_version: str | None
    """The version whose decision opened the item (None: a user report no model decided)."""
    new_status: str | None
    """The listing version's new status, or None to leave it."""
    outbox: OutboxMessagePlan | None
    audit_detail: dict[str, Any]


def label_source(queue: str) -> str:
    """A label on an item of the ``audit`` queue is an audit label: it comes from a random sample, so
    it may be used to estimate live precision and recall without selection bias."""
    return "audit" if queue == AUDIT else "cs"


def plan_label(
    label: str,
    *,
    item_id: int,
    queue: str,
    listing_id: str,
    listing_version: int,
    auto_hidden: bool,
    listing_status: ListingStatus,
    stored_version: int,
    decision: Decision | None,
    violation_confirmed_elsewhere: bool,
    note: str,
    now: Any,
) -> LabelPlan:
    """The effects of ``label`` on review item ``item_id`` (pure: the store reads the state, calls
    this, and writes the plan in the label's transaction). ``ValueError`` for an unknown label."""
    effect = label_effect(
        label,
        listing_status=listing_status,
        same_version=stored_version == listing_version,
        auto_hidden=auto_hidden,
        violation_confirmed_elsewhere=violation_confirmed_elsewhere,
    )
    outbox = None
    if effect.action is not None:
        message = ModerationAction(
            listing_id=listing_id,
            listing_version=listing_version,
            action=effect.action,
            scores=dict(decision.scores) if decision is not None else {},
            reasons=[cs_reason(effect.action, label)],
            model_version=decision.model_version if decision is not None else CS_MODEL_VERSION,
            decided_at=now,
        )
        outbox = OutboxMessagePlan(
            action=effect.action,
            payload=message.model_dump(mode="json"),
            attributes={
                "action": effect.action,
                "listing_id": message.listing_id,
                "model_version": message.model_version,
                "source": "cs",
            },
        )
    return LabelPlan(
        violation=effect.violation,
        category=effect.category,
        source=label_source(queue),
        model_version=decision.model_version if decision is not None else None,
        new_status=effect.new_status,
        outbox=outbox,
        audit_detail={
            "review_item_id": item_id,
            "queue": queue,
            "listing_version": listing_version,
            "label": label,
            "note": note,
            "action": effect.action,
        },
    )


def cs_reason(action: str, label: str) -> str:
    if action == "restore":
        return "cs: no violation found by CS review; listing restored"
    return f"cs: {label} confirmed by CS review"
