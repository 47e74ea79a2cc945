"""Statements of reasons (DSA Art. 17): what a restriction was, why, how it was decided, and how to
contest it; built from a decision, a label or an appeal, with no I/O.

One statement per restriction (an automated hide, a CS label that hides) and one per reversal (a
restore by CS or after an appeal). A statement is immutable: a correction or a reversal is a new
statement that names the one it ``supersedes``. Each has a ``puid`` (the platform's unique id,
``[A-Za-z0-9_-]``), derived from what caused it, so that the worker, the outbox sweeper and the store
name the same statement without asking each other:

* an automated hide: ``lm-h-<sha256(listing id, version, model version)>`` (one acting decision per
  listing version);
* a CS label or an appeal decision: ``lm-l-`` / ``lm-a-<sha256(listing, version, review item or
  appeal id, time)>``.

The seller's text is rendered from the operator's templates in the seller's language (the listing's
locale: Japanese or English). The Transparency Database body (``tdb``) is built for restrictions only:
the database records restrictions, and a reversal reaches the seller, not the Commission. Neither
carries personal data: the facts are the policy's wording and the model's reasons, never the
listing's or a reporter's text.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from lovemachine.dsa.policy import DsaPolicy
from lovemachine.dsa.tdb import (
    AutomatedDecision,
    DecisionGround,
    DecisionVisibility,
    SourceType,
    TdbStatement,
    YesNo,
)

MAX_FACTS = 1_500
"""The facts' share of the statement (the TDB allows 5,000 for all of ``decision_facts``)."""


class Kind(StrEnum):
    RESTRICTION = "restriction"
    RESTORE = "restore"


class Automation(StrEnum):
    """How far the decision itself was automated (Art. 17(3)(c))."""

    FULLY = "fully"
    """The worker hid the listing; no person looked first."""
    PARTIALLY = "partially"
    """A model flagged it; a person decided."""
    NOT = "not"
    """A person found it (a customer's report, the random audit sample) and decided."""


class Source(StrEnum):
    """Facts and circumstances (Art. 17(3)(b)): own initiative, or a notice (a customer's report)."""

    OWN_INITIATIVE = "own_initiative"
    NOTICE = "notice"


_TDB_AUTOMATION = {
    Automation.FULLY: AutomatedDecision.FULLY,
    Automation.PARTIALLY: AutomatedDecision.PARTIALLY,
    Automation.NOT: AutomatedDecision.NOT_AUTOMATED,
}
_TDB_SOURCE = {Source.OWN_INITIATIVE: SourceType.VOLUNTARY, Source.NOTICE: SourceType.ARTICLE_16}


@dataclass(frozen=True)
class StatementCause:
    """What a statement is about and what led to it (the store fills it from its rows)."""

    kind: Kind
    listing_id: str
    listing_version: int
    category: str
    """The policy category the restriction rests on."""
    locale: str
    """The listing's locale: the seller's language."""
    content_date: datetime
    """When the judged version was first seen."""
    decided_at: datetime
    automated_detection: bool
    automation: Automation
    source: Source
    facts: str
    """What was found, in the product's words (model reasons, the reviewer's label), no personal data."""
    decision_id: int | None = None
    label_id: int | None = None
    appeal_id: int | None = None
    supersedes: str | None = None
    """The puid a restore reverses."""


@dataclass(frozen=True)
class StatementPlan:
    """A statement ready to store: its puid, the seller's text and the structured record."""

    puid: str
    cause: StatementCause
    language: str
    text: str
    record: dict[str, Any]
    tdb: dict[str, object] | None


def _digest(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:40]


def decision_puid(listing_id: str, listing_version: int, model_version: str) -> str:
    """The puid of the statement an automated hide issues (see the module docstring)."""
    return f"lm-h-{_digest(listing_id, listing_version, model_version)}"


def label_puid(listing_id: str, listing_version: int, review_item_id: int, at: datetime) -> str:
    """A CS label's statement (one label per review item)."""
    return f"lm-l-{_digest(listing_id, listing_version, review_item_id, at.isoformat())}"


def appeal_puid(listing_id: str, listing_version: int, appeal_id: int, at: datetime) -> str:
    return f"lm-a-{_digest(listing_id, listing_version, appeal_id, at.isoformat())}"


def model_facts(model_version: str, scores: dict[str, float], reasons: list[str], category: str) -> str:
    """The facts of an automated decision: which model, its score in the category, its reasons."""
    score = scores.get(category)
    said = "; ".join(reasons)
    facts = f"Lovemachine's classifier {model_version} scored the listing"
    facts += f" {score:.2f} for {category}" if score is not None else f" for {category}"
    return _clip(f"{facts}. Reasons: {said}." if said else f"{facts}.")


def _clip(text: str) -> str:
    return text if len(text) <= MAX_FACTS else text[: MAX_FACTS - 1] + "…"


def build_statement(cause: StatementCause, policy: DsaPolicy, puid: str) -> StatementPlan:
    """The statement for ``cause`` under the operator's ``policy``: text, record and TDB body."""
    ground = policy.ground(cause.category)
    lang = policy.language(cause.locale)
    appeal_until = policy.appeal_until(cause.decided_at)
    url = str(ground.reference_url) if ground.reference_url else None
    text = policy.templates[cause.kind.value][lang].format(
        listing=f"{cause.listing_id} (v{cause.listing_version})",
        policy=ground.name[lang],
        reference=ground.reference,
        reference_url=f", {url}" if url else "",
        facts=cause.facts,
        automation=policy.automation[cause.automation.value][lang],
        appeal_until=appeal_until.date().isoformat(),
    )
    restricts = cause.kind is Kind.RESTRICTION
    record: dict[str, Any] = {
        "puid": puid,
        "kind": cause.kind.value,
        "listing": {"id": cause.listing_id, "version": cause.listing_version},
        "restriction": {
            "type": "visibility",
            "measure": "listing hidden from buyers" if restricts else "restriction lifted",
            "duration": "until reversed on appeal or review" if restricts else None,
            "territorial_scope": list(policy.territorial_scope) or "wherever the listing is shown",
        },
        "facts": cause.facts,
        "source": cause.source.value,
        "automated_detection": cause.automated_detection,
        "automated_decision": cause.automation.value,
        "ground": {
            "type": ground.ground,
            "category": cause.category,
            "reference": ground.reference,
            "reference_url": url,
            "explanation": ground.explanation,
        },
        "redress": {
            "internal_complaint": {"until": appeal_until.isoformat(), "how": "POST /api/v1/appeals"},
            "out_of_court_settlement": True,
            "judicial_redress": True,
        },
        "language": lang,
        "decided_at": cause.decided_at.isoformat(),
        "content_date": cause.content_date.isoformat(),
        "supersedes": cause.supersedes,
    }
    tdb = _tdb_body(cause, policy, puid) if restricts else None
    return StatementPlan(puid=puid, cause=cause, language=lang, text=text, record=record, tdb=tdb)


def _tdb_body(cause: StatementCause, policy: DsaPolicy, puid: str) -> dict[str, object]:
    ground = policy.ground(cause.category)
    grounds: dict[str, Any]
    if ground.ground == "illegal":
        grounds = {
            "decision_ground": DecisionGround.ILLEGAL_CONTENT,
            "illegal_content_legal_ground": ground.reference,
            "illegal_content_explanation": ground.explanation,
        }
    else:
        grounds = {
            "decision_ground": DecisionGround.INCOMPATIBLE_CONTENT,
            "incompatible_content_ground": ground.reference,
            "incompatible_content_explanation": ground.explanation,
        }
    statement = TdbStatement.for_listing(
        decision_visibility=(DecisionVisibility.CONTENT_DISABLED,),
        **grounds,
        decision_ground_reference_url=str(ground.reference_url) if ground.reference_url else None,
        category=ground.tdb_category,
        category_specification=ground.tdb_keywords or None,
        territorial_scope=policy.territorial_scope or None,
        content_language=policy.language(cause.locale).upper(),
        content_date=cause.content_date.date(),
        application_date=cause.decided_at.date(),
        decision_facts=f"{ground.explanation} {cause.facts}"[:5000],
        source_type=_TDB_SOURCE[cause.source],
        automated_detection=YesNo.YES if cause.automated_detection else YesNo.NO,
        automated_decision=_TDB_AUTOMATION[cause.automation],
        puid=puid,
    )
    return statement.to_api()
