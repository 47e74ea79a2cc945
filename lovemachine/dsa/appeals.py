"""Internal complaint handling (DSA Art. 20), as rules with no I/O.

* A seller may contest a restriction (a hide, with its statement of reasons) for ``appeal_months``
  (six by default: the regulation's minimum) after the statement; a notifier (a customer who
  reported the listing) may contest a decision *not* to act on their report for as long after it.
  Later complaints are refused with the deadline in the message.
* A complaint is decided by a person, never automatically, and not by the person who made the
  decision it contests (a lead or another agent; an automated decision's "decider" is the model,
  so any reviewer may take it).
* The outcome is ``upheld`` or ``overturned``, always with a written reason the complainant receives,
  with the out-of-court settlement and judicial options.
* Overturning a restriction restores the listing through the same action path as a CS restore, issues
  a new statement that supersedes the contested one, and supersedes the original label with a
  ``no_violation`` label (so retraining learns from it); the model version behind the original
  decision is kept with the outcome. Upholding an automated hide that no person had confirmed records
  the decider's confirming label. Overturning a decision not to act restricts the listing with a
  label in the category the decider gives.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from lovemachine.categories import CATEGORIES
from lovemachine.dsa.policy import DsaPolicy
from lovemachine.errors import RefusedError

MAX_APPEAL_TEXT: Final = 5_000
MAX_REASON: Final = 2_000


class Appellant(StrEnum):
    SELLER = "seller"
    NOTIFIER = "notifier"


class Contested(StrEnum):
    RESTRICTION = "restriction"
    NO_ACTION = "no_action"


class Outcome(StrEnum):
    UPHELD = "upheld"
    OVERTURNED = "overturned"


class AppealStatus(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    DECIDED = "decided"


@dataclass(frozen=True)
class Appeal:
    id: int
    listing_id: str
    listing_version: int
    statement_puid: str | None
    appellant: str
    contested: str
    text: str
    submitted_by: str
    external_id: str | None
    original_decider: str
    original_label_id: int | None
    original_model_version: str | None
    received_at: datetime
    due_at: datetime
    status: str
    claimed_by: str | None
    claim_expires_at: datetime | None
    outcome: str | None
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    label_id: int | None
    statement_out_puid: str | None

    def public(self, policy: DsaPolicy) -> dict[str, object]:
        """What the marketplace (and through it the complainant) is told: status, and once decided the
        outcome, the reason, the new statement and the redress still open."""
        out: dict[str, object] = {
            "id": self.id,
            "listing_id": self.listing_id,
            "listing_version": self.listing_version,
            "statement_puid": self.statement_puid,
            "appellant": self.appellant,
            "contested": self.contested,
            "status": self.status,
            "received_at": self.received_at.isoformat(),
            "due_at": self.due_at.isoformat(),
            "outcome": self.outcome,
            "reason": self.reason,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
            "decided_by_human": self.decided_at is not None,
            "statement_out_puid": self.statement_out_puid,
        }
        if self.outcome is not None:
            out["redress"] = {
                "out_of_court_settlement": "a certified out-of-court dispute settlement body (DSA Art. 21)",
                "judicial_redress": "the competent courts",
            }
        return out


def check_in_time(stated_at: datetime, now: datetime, policy: DsaPolicy) -> None:
    """Refuse a complaint made after the window (``appeal_window_closed``)."""
    until = policy.appeal_until(stated_at)
    if now > until:
        raise RefusedError(
            f"complaints about this decision were accepted until {until.isoformat(timespec='seconds')} "
            f"({policy.appeal_months} months after the decision was communicated); this one arrived "
            f"{now.isoformat(timespec='seconds')}",
            code="appeal_window_closed",
            details={"deadline": until.isoformat()},
        )


def check_decider(appeal: Appeal, staff: str) -> None:
    """Refuse a decision by the person who made the contested one (``own_decision``)."""
    if appeal.original_decider == staff:
        raise RefusedError(
            f"{staff} made the decision this complaint contests; another agent or a lead must decide it",
            code="own_decision",
        )


def check_outcome(appeal: Appeal, outcome: str, reason: str, category: str | None) -> Outcome:
    """The outcome as given, or a clear error: a written reason always; a category when overturning a
    decision not to act (what the listing breaks)."""
    try:
        result = Outcome(outcome)
    except ValueError:
        raise RefusedError(
            f"outcome must be 'upheld' or 'overturned', not {outcome!r}", code="bad_outcome"
        ) from None
    if not reason.strip():
        raise RefusedError("a decision on a complaint needs a written reason", code="reason_required")
    if len(reason) > MAX_REASON:
        raise RefusedError(f"the reason is limited to {MAX_REASON} characters", code="reason_too_long")
    if (
        result is Outcome.OVERTURNED
        and appeal.contested == Contested.NO_ACTION
        and category not in CATEGORIES
    ):
        raise RefusedError(
            f"overturning a decision not to act restricts the listing: give its category, one of "
            f"{', '.join(CATEGORIES)}",
            code="category_required",
        )
    return result


def original_decider(reviewer: str | None, model_version: str | None) -> str:
    """Who made a decision: the reviewer of its label, else the model (``worker:<version>``)."""
    if reviewer:
        return reviewer
    return f"worker:{model_version or 'unknown'}"
