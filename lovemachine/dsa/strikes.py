"""Repeat offenders, with due process: strikes per seller and the account action they may recommend.

A strike is a violation a *person* confirmed on one of the seller's listing versions: a CS label that
found a violation, or an appeal upheld (which records the decider's confirming label). An automated
hide nobody reviewed is not a strike, and a label later overturned (superseded, e.g. by an appeal)
stops counting at once. Each strike weighs its category's ``strike_weights`` and counts for
``strike_days``. When a seller's active weight reaches ``account_action_threshold`` a suspension is
*recommended*: a lead confirms or dismisses it in the CS tool, and only a confirmed one is published
(``account-actions`` on ``moderation-actions``, for the marketplace to apply).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lovemachine.dsa.policy import DsaPolicy


@dataclass(frozen=True)
class Strike:
    listing_id: str
    listing_version: int
    category: str | None
    weight: float
    confirmed_at: datetime
    expires_at: datetime
    label_id: int


@dataclass(frozen=True)
class Strikes:
    seller_id: str
    active: tuple[Strike, ...]
    weight: float
    threshold: float

    @property
    def over_threshold(self) -> bool:
        return self.weight >= self.threshold

    def to_dict(self) -> dict[str, Any]:
        return {
            "seller_id": self.seller_id,
            "weight": self.weight,
            "threshold": self.threshold,
            "over_threshold": self.over_threshold,
            "strikes": [
                {
                    "listing_id": s.listing_id,
                    "listing_version": s.listing_version,
                    "category": s.category,
                    "weight": s.weight,
                    "confirmed_at": s.confirmed_at.isoformat(),
                    "expires_at": s.expires_at.isoformat(),
                }
                for s in self.active
            ],
        }


@dataclass(frozen=True)
class ConfirmedViolation:
    """A standing human label that found a violation (what the store reads)."""

    label_id: int
    listing_id: str
    listing_version: int
    category: str | None
    confirmed_at: datetime


def strikes_of(
    seller_id: str, confirmed: Sequence[ConfirmedViolation], policy: DsaPolicy, now: datetime
) -> Strikes:
    """The seller's active strikes at ``now``: one per listing version (the latest confirmation), in
    its window."""
    window = policy.strike_window()
    latest: dict[tuple[str, int], ConfirmedViolation] = {}
    for v in confirmed:
        key = (v.listing_id, v.listing_version)
        if key not in latest or v.confirmed_at > latest[key].confirmed_at:
            latest[key] = v
    active = tuple(
        Strike(
            listing_id=v.listing_id,
            listing_version=v.listing_version,
            category=v.category,
            weight=policy.strike_weight(v.category),
            confirmed_at=v.confirmed_at,
            expires_at=v.confirmed_at + window,
            label_id=v.label_id,
        )
        for v in sorted(latest.values(), key=lambda v: v.confirmed_at)
        if v.confirmed_at + window > now
    )
    return Strikes(
        seller_id=seller_id,
        active=active,
        weight=sum(s.weight for s in active),
        threshold=policy.account_action_threshold,
    )


@dataclass(frozen=True)
class AccountAction:
    id: int
    seller_id: str
    action: str
    strike_weight: float
    threshold: float
    status: str
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None
    published_at: datetime | None
    attempts: int
    last_error: str | None
    payload: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "seller_id": self.seller_id,
            "action": self.action,
            "strike_weight": self.strike_weight,
            "threshold": self.threshold,
            "status": self.status,
            "created_at": self.created_at.isoformat(),
            "decided_by": self.decided_by,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
            "reason": self.reason,
            "published_at": self.published_at.isoformat() if self.published_at else None,
        }
