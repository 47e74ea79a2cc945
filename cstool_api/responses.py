"""What the API answers: one pydantic model per response body, and the error responses routes declare.

Routes still build plain dicts (``cstool_api.schemas``'s ``*_out`` functions); ``response_model=``
makes FastAPI check each one against its model here (a key the model lacks is an error, never
dropped) and puts the model in the OpenAPI document, so the document describes the bodies the
server really sends. Timestamps are ISO 8601 strings, exactly
as ``datetime.isoformat()`` writes them.

Errors have one body (``cstool_api.errors``): :class:`ErrorOut`, and for 422 :class:`ValidationErrorOut`
(whose ``details`` is the list of field errors FastAPI found, or an object naming the field for a
422 raised by a route). :func:`errors` gives the ``responses=`` entry for the statuses a route sends
beyond those ``cstool_api.openapi`` adds to every operation (401/403 where a caller must be
authenticated, 422 where there is input to validate).
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")

Timestamp = Annotated[str, Field(description="ISO 8601 date and time")]
Json = dict[str, Any]


class _Out(BaseModel):
    # A key a route sends but its model lacks is an error (a 500 in every test that reaches it), not
    # a key silently dropped: the document cannot fall behind the server.
    model_config = ConfigDict(extra="forbid")


# --------------------------------------------------------------------------- errors
class ErrorInfo(_Out):
    code: str = Field(description="machine-readable: e.g. not_found, claimed, csrf, rate_limited")
    message: str = Field(description="for people")
    details: Any = Field(default=None, description="what the code needs to be acted on, or null")


class ErrorOut(_Out):
    """Every 4xx and 5xx."""

    error: ErrorInfo


class FieldError(_Out):
    loc: list[str] = Field(description='where: e.g. ["body", "pattern"], ["query", "limit"]')
    msg: str
    type: str | None = None


class ValidationErrorInfo(_Out):
    code: str = Field(description="validation, invalid_regex, invalid_cursor, ...")
    message: str
    details: list[FieldError] | dict[str, Any] | None = Field(
        default=None,
        description="validation: the field errors; others: an object naming the field (or null)",
    )


class ValidationErrorOut(_Out):
    """422: the request was understood but its content is not acceptable."""

    error: ValidationErrorInfo


ERROR_DESCRIPTIONS = {
    400: "The body could not be read (e.g. not UTF-8; code bad_request)",
    401: "Not signed in, session expired, or unknown / revoked API token (code unauthenticated)",
    403: "Signed in but not allowed: role too low, token lacks the scope, or missing X-CSRF-Token (csrf)",
    404: "Not found",
    409: "Conflict with the current state",
    413: "Request body too large (code too_large)",
    415: "Unsupported media type",
    422: "Invalid input (code validation: details lists the fields; also a NUL character anywhere)",
    429: "Too many requests (code rate_limited; see Retry-After)",
    503: "Unavailable (code unavailable)",
}


def errors(*statuses: int, **descriptions: str) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for these error statuses; ``descriptions`` (``e404="..."``) replace the default
    wording of one status."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        model = ValidationErrorOut if status == 422 else ErrorOut
        description = descriptions.get(f"e{status}", ERROR_DESCRIPTIONS.get(status, "Error"))
        out[status] = {"model": model, "description": description}
    return out


# --------------------------------------------------------------------------- generic
class Page(_Out, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="pass back as ?cursor= for the next page; null: the last")


# --------------------------------------------------------------------------- session
class UserOut(_Out):
    username: str
    role: Literal["agent", "lead", "admin"]


class SessionOut(_Out):
    user: UserOut
    csrf_token: str = Field(description="send as X-CSRF-Token on every mutating request")


class MeOut(_Out):
    username: str
    role: Literal["agent", "lead", "admin"]
    csrf_token: str


# --------------------------------------------------------------------------- review
class QueueOut(_Out):
    queue: str
    open: int
    claimed: int
    oldest_created_at: Timestamp | None


class QueuePage(Page[QueueOut]):
    pass


class ItemSummary(_Out):
    id: int
    queue: str
    status: str
    priority: float = Field(description="what orders the queue: base priority raised by reports and age")
    base_priority: float
    claimed_by: str | None
    claim_expires_at: Timestamp | None
    auto_hidden: bool
    created_at: Timestamp
    resolved_at: Timestamp | None
    listing_id: str
    listing_version: int
    title: str | None
    category: str | None
    reporters: int


class ItemPage(Page[ItemSummary]):
    pass


class ListingOut(_Out):
    id: str
    version: int
    seller_id: str
    title: str
    description: str
    price: float
    currency: str
    category: str
    brand: str | None
    condition: str | None
    image_urls: list[str]
    locale: str
    status: str
    first_seen_at: Timestamp | None
    updated_at: Timestamp | None


class DecisionOut(_Out):
    id: int | None
    model_version: str
    action: Literal["allow", "report", "hide"]
    category: str | None
    scores: dict[str, float]
    reasons: list[str]
    rule_ids: list[int]
    thresholds: Json = Field(description="per category: {report, hide} of the model that decided")
    decided_at: Timestamp | None


class RuleOut(_Out):
    id: int
    pattern: str
    kind: Literal["keyword", "regex"]
    category: str
    action: Literal["hide", "report"]
    enabled: bool
    note: str
    owner: str
    created_at: Timestamp | None
    updated_at: Timestamp | None


class RulePage(Page[RuleOut]):
    pass


class UserReportOut(_Out):
    reporter_id: str
    reason: str
    times: int
    created_at: Timestamp | None
    last_reported_at: Timestamp | None


class ViolationOut(_Out):
    listing_id: str
    title: str
    category: str | None
    created_at: Timestamp | None


class LabelOut(_Out):
    id: int
    label: str = Field(description="a category, other or no_violation")
    category: str | None
    violation: bool
    listing_id: str
    listing_version: int
    review_item_id: int | None
    reviewer: str | None
    note: str
    source: str
    model_version: str | None
    thresholds: Json | None
    auto_hidden: bool
    created_at: Timestamp | None


class ItemDetail(ItemSummary):
    listing: ListingOut | None = Field(description="the version under review, as it was judged")
    current_listing: ListingOut | None = Field(
        description="the current version, when the seller edited since"
    )
    strikes: dict[str, Any] | None = Field(description="the seller's active strikes (see StrikesOut)")
    statements: list[dict[str, Any]] = Field(
        description="statements of reasons on this version (see StatementOut)"
    )
    decision: DecisionOut | None
    rules_matched: list[RuleOut]
    user_reports: list[UserReportOut]
    seller_history: list[ViolationOut]
    labels: list[LabelOut]


class LabelResult(_Out):
    label: LabelOut
    action: str | None = Field(description="hide or restore sent to the marketplace, or null")


# --------------------------------------------------------------------------- rules
class PreviewExample(_Out):
    listing_id: str
    title: str
    snippet: str
    matched: str


class PreviewOut(_Out):
    hits: int
    scanned: int
    truncated: bool = Field(description="the scan stopped before the last listing of the period")
    stopped: Literal["rows", "time"] | None = Field(
        description="why: preview_max_listings scanned, or preview_max_seconds spent; null if complete"
    )
    seconds: float = Field(description="how long the scan took")
    max_listings: int = Field(description="preview_max_listings")
    max_seconds: float = Field(description="preview_max_seconds")
    days: int
    examples: list[PreviewExample]


# --------------------------------------------------------------------------- admin
class StaffOut(_Out):
    username: str
    role: Literal["agent", "lead", "admin"]
    active: bool
    created_at: Timestamp | None
    updated_at: Timestamp | None


class StaffPage(Page[StaffOut]):
    pass


class TokenOut(_Out):
    id: int
    name: str
    prefix: str = Field(description="the secret's first characters, to recognise it")
    scopes: list[str]
    created_by: str
    created_at: Timestamp | None
    last_used_at: Timestamp | None
    revoked_at: Timestamp | None


class TokenPage(Page[TokenOut]):
    pass


class TokenCreated(TokenOut):
    token: str = Field(description="the secret (lmt_...): shown only in this response")


class ModelVersionOut(_Out):
    version: str
    name: str
    created_at: Timestamp | None
    aliases: list[str]
    thresholds: Json
    metrics: Json


class ModelPage(Page[ModelVersionOut]):
    pass


class AliasOut(_Out):
    alias: str
    version: str


# --------------------------------------------------------------------------- deploys
class VersionOut(_Out):
    version: str
    created_at: Timestamp | None
    evaluation: Json | None


class AliasChangeOut(_Out):
    alias: str
    from_version: str | None = Field(description="null when the alias was created")
    to_version: str
    actor: str
    reason: str
    at: Timestamp


class GateSettings(_Out):
    min_shadow: int
    max_hide_ratio: float
    min_hide_ratio: float
    max_report_ratio: float
    review_capacity_per_day: int
    min_labelled: int
    max_precision_drop: float
    min_hide_precision: float


class DeployStatusOut(_Out):
    champion: VersionOut | None
    challenger: VersionOut | None
    history: list[AliasChangeOut]
    gates: GateSettings
    refresh_seconds: float


class CategoryComparisonOut(_Out):
    category: str
    agreement: float | None
    champion_hide: int
    champion_report: int
    challenger_hide: int
    challenger_report: int
    flagged_by_both: int
    only_champion: int
    only_challenger: int
    hide_delta_per_day: float | None
    report_delta_per_day: float | None
    champion_precision: float | None
    champion_labelled: int
    challenger_precision: float | None
    challenger_labelled: int


class ComparisonOut(_Out):
    champion: str
    challenger: str
    both_scored: int
    agreement: float | None
    champion_hides: int
    challenger_hides: int
    champion_reports: int
    challenger_reports: int
    labelled: int
    first_at: Timestamp | None
    last_at: Timestamp | None
    window_days: float | None
    traffic_per_day: float | None
    categories: list[CategoryComparisonOut]
    champion_hides_per_day: float | None
    challenger_hides_per_day: float | None


class GateOut(_Out):
    name: str
    passed: bool
    detail: str
    forceable: bool


class PromotionOut(_Out):
    change: AliasChangeOut
    gates: list[GateOut]
    forced: bool


class RollbackOut(_Out):
    change: AliasChangeOut


# --------------------------------------------------------------------------- audit, reports, training
class AuditEntryOut(_Out):
    id: int
    at: Timestamp | None
    actor: str
    action: str
    entity_type: str
    entity_id: str
    detail: Json


class AuditPage(Page[AuditEntryOut]):
    pass


class ReportAccepted(_Out):
    review_item_id: int
    reporters: int = Field(description="distinct reporters of this listing version")
    status: str
    merged: bool = Field(description="this reporter had already reported it")


class TrainingRunOut(_Out):
    id: int
    trigger: str
    status: str
    actor: str
    started_at: Timestamp | None
    finished_at: Timestamp | None
    dataset_snapshot_id: int | None
    label_rows: int | None
    model_version: str | None
    eligible: bool | None
    report_path: str | None
    error: str | None
    detail: Json


class TrainingRunPage(Page[TrainingRunOut]):
    pass


class HealthOut(_Out):
    status: Literal["ok"]
    database: Literal["ok"]
