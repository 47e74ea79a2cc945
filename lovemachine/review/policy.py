"""The rules of human review, with no I/O: roles, scopes, labels, queue priority, label effects.

A label is a category (a confirmed violation, ``other`` included) or ``no_violation``. What it does to
the listing follows from the listing's state, never from who clicked: a confirmed violation hides a
visible listing; ``no_violation`` restores a listing the *model* hid (``auto_hidden``) unless another
CS label on the same listing version confirmed a violation. Only the reviewed version is touched: a
label on an old version must not hide or restore content the seller has since changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from lovemachine.categories import CATEGORIES

ROLES: Final[tuple[str, ...]] = ("agent", "lead", "admin")
"""agent: review and label; lead: also rules and everyone's work (audit); admin: also staff, tokens,
models."""

OTHER: Final = "other"
NO_VIOLATION: Final = "no_violation"
LABELS: Final[tuple[str, ...]] = (*CATEGORIES, OTHER, NO_VIOLATION)

USER_REPORTS: Final = "user_reports"
AUDIT: Final = "audit"
QUEUES: Final[tuple[str, ...]] = (*CATEGORIES, USER_REPORTS, AUDIT)
"""The queues the CS tool always lists; others (e.g. 'uncategorized') appear when they hold items."""

SCOPES: Final[tuple[str, ...]] = (
    "reports:write",
    "queues:read",
    "items:read",
    "audit:read",
    "appeals:write",
    "statements:read",
    "metrics:read",
)
"""What a bearer API token may be granted. No scope allows labelling: only people label."""

AGE_WEIGHT_PER_DAY: Final = 0.25
"""Priority an item gains per day it waits: a day-old item outranks a fresh one scoring 0.25 higher."""
REPORTER_WEIGHT: Final = 0.5
"""Priority each distinct reporter adds to a user-report item (counted up to ``MAX_REPORTERS``)."""
MAX_REPORTERS: Final = 10

ListingStatus = Literal["visible", "hidden"]
ActionName = Literal["hide", "restore"]


def role_at_least(role: str, minimum: str) -> bool:
    """Whether ``role`` has every right of ``minimum`` (agent < lead < admin)."""
    if role not in ROLES or minimum not in ROLES:
        return False
    return ROLES.index(role) >= ROLES.index(minimum)


def report_priority(model_score: float, reporters: int) -> float:
    """Priority of a user-report item: the model's highest score plus a share per distinct reporter."""
    return float(model_score) + REPORTER_WEIGHT * min(max(reporters, 0), MAX_REPORTERS)


@dataclass(frozen=True)
class LabelEffect:
    violation: bool
    category: str | None
    """The violation category as stored in ``labels.category`` (None for ``no_violation``)."""
    new_status: ListingStatus | None
    """The listing status to set, or None to leave it."""
    action: ActionName | None
    """The moderation-actions message to publish, if any."""


def label_effect(
    label: str,
    *,
    listing_status: ListingStatus,
    same_version: bool,
    auto_hidden: bool,
    violation_confirmed_elsewhere: bool = False,
) -> LabelEffect:
    """What ``label`` does to a listing in ``listing_status`` (``ValueError`` for an unknown label).

    ``same_version``: the stored listing is still the version under review. ``auto_hidden``: the
    review item exists because the model hid the listing. ``violation_confirmed_elsewhere``: another
    CS label confirmed a violation on this listing version (so ``no_violation`` must not restore it).
    """
    if label not in LABELS:
        raise ValueError(f"unknown label {label!r}; expected one of {', '.join(LABELS)}")
    if label == NO_VIOLATION:
        restore = (
            auto_hidden and same_version and listing_status == "hidden" and not violation_confirmed_elsewhere
        )
        return LabelEffect(False, None, "visible" if restore else None, "restore" if restore else None)
    hide = same_version and listing_status == "visible"
    return LabelEffect(True, label, "hidden" if hide else None, "hide" if hide else None)
