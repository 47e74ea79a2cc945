"""Human review: what CS staff see and decide, as plain records and pure rules.

``records`` holds the frozen dataclasses the SQL store returns to the CS tool (review items, labels,
user reports, staff, API tokens, audit entries, pages); ``policy`` the rules with no I/O: roles,
the label vocabulary, what a label does to a listing, and how a review item is prioritised. The
transactions that apply them live in ``lovemachine.adapters.sql.review_store``; the HTTP API in
``cstool_api``.
"""

from lovemachine.review.policy import (
    LABELS,
    NO_VIOLATION,
    QUEUES,
    ROLES,
    SCOPES,
    USER_REPORTS,
    LabelEffect,
    label_effect,
    report_priority,
    role_at_least,
)
from lovemachine.review.records import (
    AlreadyExistsError,
    ApiToken,
    AuditEntry,
    ConflictError,
    LabelOutcome,
    LabelRecord,
    NotFoundError,
    Page,
    PendingAction,
    QueueSummary,
    ReportOutcome,
    ReviewError,
    ReviewItem,
    SellerViolation,
    StaffMember,
    StaffSession,
    StoredRule,
    UserReport,
)

__all__ = [
    "LABELS",
    "NO_VIOLATION",
    "QUEUES",
    "ROLES",
    "SCOPES",
    "USER_REPORTS",
    "AlreadyExistsError",
    "ApiToken",
    "AuditEntry",
    "ConflictError",
    "LabelEffect",
    "LabelOutcome",
    "LabelRecord",
    "NotFoundError",
    "Page",
    "PendingAction",
    "QueueSummary",
    "ReportOutcome",
    "ReviewError",
    "ReviewItem",
    "SellerViolation",
    "StaffMember",
    "StaffSession",
    "StoredRule",
    "UserReport",
    "label_effect",
    "report_priority",
    "role_at_least",
]
