"""Request and response bodies of the enforcement-record routes (``cstool_api.routes.appeals``):
statements of reasons, appeals, strikes, account actions and the numbers."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cstool_api.responses import ListingOut, Timestamp
from lovemachine.dsa.appeals import MAX_APPEAL_TEXT, MAX_REASON


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- requests
class AppealIn(_Body):
    """A complaint the marketplace forwards. A seller names the statement (``statement_puid``, as the
    moderation action carried it) or the listing version; a notifier names the listing version."""

    appellant: Literal["seller", "notifier"]
    text: str = Field(min_length=1, max_length=MAX_APPEAL_TEXT, description="the complainant's own words")
    statement_puid: str | None = Field(
        default=None, min_length=1, max_length=500, pattern=r"^[A-Za-z0-9_-]+$"
    )
    listing_id: str | None = Field(default=None, min_length=1, max_length=128)
    listing_version: int | None = Field(default=None, ge=0, le=2**31 - 1)
    external_id: str | None = Field(
        default=None, min_length=1, max_length=128, description="the marketplace's id: a retry is idempotent"
    )


class AppealDecisionIn(_Body):
    outcome: Literal["upheld", "overturned"]
    reason: str = Field(min_length=1, max_length=MAX_REASON, description="what the complainant is told")
    category: str | None = Field(
        default=None, max_length=128, description="overturning a decision not to act: what the listing breaks"
    )


class AccountActionDecisionIn(_Body):
    confirm: bool
    reason: str = Field(min_length=1, max_length=MAX_REASON)


# --------------------------------------------------------------------------- responses
class StatementOut(_Out):
    puid: str
    kind: Literal["restriction", "restore"]
    listing_id: str
    listing_version: int
    supersedes: str | None
    category: str
    automated_detection: bool
    automated_decision: Literal["fully", "partially", "not"]
    source: Literal["own_initiative", "notice"]
    language: str
    text: str = Field(description="what the seller reads, in their language")
    record: dict[str, Any] = Field(description="the Art. 17(3) content, structured")
    created_at: Timestamp
    tdb_state: str
    tdb_error: str | None


class RedressOut(_Out):
    out_of_court_settlement: str
    judicial_redress: str


class AppealOut(_Out):
    """What the marketplace and the complainant are told."""

    id: int
    listing_id: str
    listing_version: int
    statement_puid: str | None
    appellant: Literal["seller", "notifier"]
    contested: Literal["restriction", "no_action"]
    status: Literal["open", "claimed", "decided"]
    received_at: Timestamp
    due_at: Timestamp
    outcome: Literal["upheld", "overturned"] | None
    reason: str | None
    decided_at: Timestamp | None
    decided_by_human: bool
    statement_out_puid: str | None = Field(description="the statement an overturn issued")
    redress: RedressOut | None = None


class AppealCaseOut(AppealOut):
    """An appeal as CS staff see it: the complaint, who decided the original, the statement, the
    judged listing version and (when it differs) the current one, the seller's strikes."""

    text: str
    submitted_by: str
    original_decider: str
    original_model_version: str | None
    claimed_by: str | None
    decided_by: str | None
    overdue: bool
    statement: StatementOut | None
    listing: ListingOut | None
    current_listing: ListingOut | None
    strikes: StrikesOut | None


class AppealList(_Out):
    items: list[AppealCaseOut]


class StrikeOut(_Out):
    listing_id: str
    listing_version: int
    category: str | None
    weight: float
    confirmed_at: Timestamp
    expires_at: Timestamp


class StrikesOut(_Out):
    seller_id: str
    weight: float
    threshold: float
    over_threshold: bool
    strikes: list[StrikeOut]


class AccountActionOut(_Out):
    id: int
    seller_id: str
    action: Literal["suspend"]
    strike_weight: float
    threshold: float
    status: Literal["recommended", "confirmed", "dismissed"]
    created_at: Timestamp
    decided_by: str | None
    decided_at: Timestamp | None
    reason: str | None
    published_at: Timestamp | None


class AccountActionList(_Out):
    items: list[AccountActionOut]


class ReportRow(_Out):
    day: str
    category: str
    restrictions: int
    automated_share: float | None
    appeals: int
    appeals_decided: int
    overturned_share: float | None = Field(
        description="overturned / decided: a measure of wrongful restrictions"
    )
    median_hours_to_decide: float | None


class EnforcementReportOut(_Out):
    since: Timestamp
    until: Timestamp
    rows: list[ReportRow]


AppealCaseOut.model_rebuild()
