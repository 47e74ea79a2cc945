"""Plain records of the CS tool, returned by the SQL store (never rows), and its coded errors.

The exception tree (each carries a ``code`` the API puts in its error body):

    ReviewError
    ├── NotFoundError        no such review item, listing, rule, staff member or token
    ├── ConflictError        the item is claimed by someone else (``claimed``), already labelled
    │                        (``done``), not claimed by the caller (``not_claimed``), or an
    │                        Idempotency-Key was reused for a different label (``idempotency_key_reused``)
    └── AlreadyExistsError   a staff member with that username exists
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from lovemachine.errors import (  # re-exported: callers import them from here too
    AlreadyExistsError as AlreadyExistsError,
    ConflictError as ConflictError,
    NotFoundError as NotFoundError,
    ReviewError as ReviewError,
)
from lovemachine.review.policy import NO_VIOLATION
from lovemachine.rules import Rule

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True)
class StaffMember:
    username: str
    role: str
    active: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class StaffSession:
    """A signed-in staff member, as found from a session cookie."""

    username: str
    role: str
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class ApiToken:
    id: int
    name: str
    prefix: str
    scopes: tuple[str, ...]
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class QueueSummary:
    queue: str
    open: int
    """Items anyone may take: open, or claimed with the claim expired."""
    claimed: int
    """Items under a live claim."""
    oldest_created_at: datetime | None


@dataclass(frozen=True)
class ReviewItem:
    id: int
    listing_id: str
    listing_version: int
    decision_id: int | None
    queue: str
    priority: float
    """The stored priority (model score, plus reporters for user reports); see ``effective_priority``."""
    status: str
    """'open', 'claimed' (see ``claim_expires_at``: an expired claim is free to take) or 'done'."""
    claimed_by: str | None
    claim_expires_at: datetime | None
    auto_hidden: bool
    created_at: datetime
    resolved_at: datetime | None
    title: str | None = None
    category: str | None = None
    """The category of the decision that opened the item, if any."""
    reporters: int = 0
    effective_priority: float | None = None
    """``priority`` plus the waiting bonus at read time: what queues are ordered by."""


@dataclass(frozen=True)
class LabelRecord:
    id: int
    listing_id: str
    listing_version: int
    review_item_id: int | None
    category: str | None
    violation: bool
    source: str
    reviewer: str | None
    note: str
    model_version: str | None
    thresholds: dict[str, Any] | None
    auto_hidden: bool
    created_at: datetime
    superseded_by: int | None = None
    """The label that overturned this one, if any (it then no longer counts for training)."""

    @property
    def label(self) -> str:
        """The label as the reviewer chose it: a category, ``other`` or ``no_violation``."""
        return self.category if self.violation and self.category else NO_VIOLATION


@dataclass(frozen=True)
class LabelOutcome:
    label: LabelRecord
    action: str | None
    """'hide', 'restore' or None: the moderation action the label triggered."""
    replayed: bool = False
    """True when the same Idempotency-Key was seen before: nothing new was written."""
    outbox_ids: tuple[int, ...] = field(default=())


@dataclass(frozen=True)
class UserReport:
    reporter_id: str
    reason: str
    times: int
    created_at: datetime
    last_reported_at: datetime


@dataclass(frozen=True)
class ReportOutcome:
    review_item_id: int
    reporters: int
    status: str
    new_reporter: bool


@dataclass(frozen=True)
class SellerViolation:
    listing_id: str
    title: str
    category: str | None
    created_at: datetime


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class StoredRule:
    """A CS rule with its bookkeeping (who owns it, when it changed)."""

    rule: Rule
    owner: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class PendingAction:
    """A moderation action written by a label and not yet confirmed published (the outbox)."""

    id: int
    action: str
    listing_id: str
    payload: dict[str, Any]
    attributes: dict[str, str]
    attempts: int
