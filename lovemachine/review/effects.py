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
* writes every ``hide`` and ``report`` to the audit log as ``worker:<model version>``;
* issues a statement of reasons for every ``hide`` (``lovemachine.dsa.statements``: fully automated,
  own initiative), in the seller's language.

``plan_decision_effects`` says all of that without a database; ``SqlStore.record_decisions``
executes the plan inside the transaction that inserts the decisions, with its locking unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lovemachine.dsa.policy import DsaPolicy
from lovemachine.dsa.statements import (
    Automation,
    Kind,
    Source,
    StatementCause,
    StatementPlan,
    build_statement,
    decision_puid,
    label_puid,
    model_facts,
)
from lovemachine.listings import ModerationAction
from lovemachine.policy import Action, Decision
from lovemachine.review.audit import AuditSample
from lovemachine.review.policy import AUDIT, USER_REPORTS, ListingStatus, label_effect

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
    statements: list[StatementPlan] = field(default_factory=list)
    """One per hide, in the order of ``hide``."""


def plan_decision_effects(
    new: Sequence[tuple[int, Decision]],
    audit_sample: AuditSample,
    *,
    dsa: DsaPolicy | None = None,
    locales: Mapping[tuple[str, int], str] | None = None,
    now: datetime | None = None,
) -> DecisionEffects:
    """The effects of decisions stored for the first time (``(decision id, decision)`` pairs).

    With ``dsa`` (the operator's policy), each hide gets its statement of reasons: ``locales`` gives
    each listing version's locale (the seller's language), ``now`` when the version was first seen."""
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
    hides = sorted({(d.listing_id, d.listing_version) for _, d in new if d.action is Action.HIDE})
    statements = []
    if dsa is not None:
        hiding = {(d.listing_id, d.listing_version): (i, d) for i, d in new if d.action is Action.HIDE}
        statements = [
            hide_statement(*hiding[key], dsa, (locales or {}).get(key, ""), now or hiding[key][1].decided_at)
            for key in hides
        ]
    return DecisionEffects(
        hide=hides,
        review_items=[items[k] for k in sorted(items)],
        audit_entries=audit,
        statements=statements,
    )


def hide_statement(
    decision_id: int, d: Decision, dsa: DsaPolicy, locale: str, first_seen: datetime
) -> StatementPlan:
    """The statement of reasons of an automated hide (its puid is ``decision_puid``: the worker puts it
    on the moderation action without asking the store)."""
    category = d.category or UNCATEGORIZED
    cause = StatementCause(
        kind=Kind.RESTRICTION,
        listing_id=d.listing_id,
        listing_version=d.listing_version,
        category=category,
        locale=locale,
        content_date=first_seen,
        decided_at=d.decided_at,
        automated_detection=True,
        automation=Automation.FULLY,
        source=Source.OWN_INITIATIVE,
        facts=model_facts(d.model_version, d.scores, d.reasons, category),
        decision_id=decision_id,
    )
    return build_statement(cause, dsa, decision_puid(d.listing_id, d.listing_version, d.model_version))


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
    statement: StatementPlan | None = None
    """The statement of reasons of a hide or a restore (its puid is on the outbox message)."""


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
    now: datetime,
    dsa: DsaPolicy | None = None,
    locale: str = "",
    content_date: datetime | None = None,
    restriction_puid: str | None = None,
) -> LabelPlan:
    """The effects of ``label`` on review item ``item_id`` (pure: the store reads the state, calls
    this, and writes the plan in the label's transaction). ``ValueError`` for an unknown label.

    With ``dsa``, a hide or a restore also issues a statement of reasons: ``locale`` and
    ``content_date`` describe the listing version, ``restriction_puid`` is the statement a restore
    reverses."""
    effect = label_effect(
        label,
        listing_status=listing_status,
        same_version=stored_version == listing_version,
        auto_hidden=auto_hidden,
        violation_confirmed_elsewhere=violation_confirmed_elsewhere,
    )
    statement = None
    if effect.action is not None and dsa is not None:
        statement = label_statement(
            effect.action,
            effect.category or (decision.category if decision is not None else None) or UNCATEGORIZED,
            item_id=item_id,
            queue=queue,
            listing_id=listing_id,
            listing_version=listing_version,
            decision=decision,
            dsa=dsa,
            locale=locale,
            content_date=content_date or now,
            now=now,
            supersedes=restriction_puid,
        )
    outbox = None
    if effect.action is not None:
        puid = statement.puid if statement is not None else None
        outbox = cs_action(effect.action, label, listing_id, listing_version, decision, now, puid)
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
            "statement_puid": statement.puid if statement is not None else None,
        },
        statement=statement,
    )


def cs_action(
    action: str,
    label: str,
    listing_id: str,
    listing_version: int,
    decision: Decision | None,
    now: datetime,
    statement_puid: str | None,
) -> OutboxMessagePlan:
    """The moderation action a CS label queues: the decision's scores and model version (``cs-review``
    when no model decided), a ``cs: ...`` reason, the statement's puid."""
    message = ModerationAction(
        listing_id=listing_id,
        listing_version=listing_version,
        action=action,  # type: ignore[arg-type]
        scores=dict(decision.scores) if decision is not None else {},
        reasons=[cs_reason(action, label)],
        model_version=decision.model_version if decision is not None else CS_MODEL_VERSION,
        decided_at=now,
        statement_puid=statement_puid,
    )
    return OutboxMessagePlan(
        action=action,
        payload=message.model_dump(mode="json"),
        attributes={
            "action": action,
            "listing_id": message.listing_id,
            "model_version": message.model_version,
            "source": "cs",
        },
    )


def label_statement(
    action: str,
    category: str,
    *,
    item_id: int,
    queue: str,
    listing_id: str,
    listing_version: int,
    decision: Decision | None,
    dsa: DsaPolicy,
    locale: str,
    content_date: datetime,
    now: datetime,
    supersedes: str | None,
) -> StatementPlan:
    """The statement of a CS hide or restore. A model's flag that opened the item is automated
    detection (the decision partly automated); a customer's report is a notice; an item of the random
    audit sample was found by neither (not automated, own initiative)."""
    flagged = decision is not None and decision.action is not Action.ALLOW and queue != AUDIT
    name = dsa.ground(category).name["en"]
    if action == "restore":
        facts = (
            f"A person on our team reviewed the listing and found that it does not break the rules on {name}."
        )
    else:
        found = "a customer's report" if queue == USER_REPORTS else "our own checks"
        if flagged and decision is not None:
            found = f"an automated flag by classifier {decision.model_version}" + (
                " and a customer's report" if queue == USER_REPORTS else ""
            )
        facts = f"After {found}, a person on our team reviewed the listing and confirmed it breaks the "
        facts += f"rules on {name}."
    cause = StatementCause(
        kind=Kind.RESTORE if action == "restore" else Kind.RESTRICTION,
        listing_id=listing_id,
        listing_version=listing_version,
        category=category,
        locale=locale,
        content_date=content_date,
        decided_at=now,
        automated_detection=flagged,
        automation=Automation.PARTIALLY if flagged else Automation.NOT,
        source=Source.NOTICE if queue == USER_REPORTS else Source.OWN_INITIATIVE,
        facts=facts,
        supersedes=supersedes if action == "restore" else None,
    )
    return build_statement(cause, dsa, label_puid(listing_id, listing_version, item_id, now))


def cs_reason(action: str, label: str) -> str:
    if action == "restore":
        return "cs: no violation found by CS review; listing restored"
    return f"cs: {label} confirmed by CS review"
