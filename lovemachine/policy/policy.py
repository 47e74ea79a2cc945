"""Turning scores into an action, with reasons a CS agent can read.

The policy is a pure function: ``decide(listing, scores, rule_matches, policy)``. Per category it
compares the calibrated score with two thresholds (``hide`` >= ``report``); CS keyword rules add
their own action. The strongest action wins (hide > report > allow) and every contributing signal
becomes a reason, so a decision can always be explained.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from lovemachine.categories import CATEGORIES, DESCRIPTIONS
from lovemachine.rules import RuleMatch


class Action(StrEnum):
    ALLOW = "allow"
    REPORT = "report"
    HIDE = "hide"

    @property
    def rank(self) -> int:
        return {"allow": 0, "report": 1, "hide": 2}[self.value]


@dataclass(frozen=True)
class Thresholds:
    """Score thresholds for one category; ``hide`` must not be below ``report``."""

    report: float
    hide: float

    def __post_init__(self) -> None:
        if not (0.0 <= self.report <= 1.0 and 0.0 <= self.hide <= 1.0):
            raise ValueError(f"thresholds must lie in [0, 1], got report={self.report} hide={self.hide}")
        if self.hide < self.report:
            raise ValueError(f"hide threshold {self.hide} is below report threshold {self.report}")


@dataclass(frozen=True)
class Policy:
    thresholds: Mapping[str, Thresholds]

    def __post_init__(self) -> None:
        unknown = set(self.thresholds) - set(CATEGORIES)
        if unknown:
            raise ValueError(f"thresholds for unknown categories: {sorted(unknown)}")

    @classmethod
    def uniform(cls, report: float = 0.5, hide: float = 0.95) -> Policy:
        return cls({c: Thresholds(report=report, hide=hide) for c in CATEGORIES})

    def to_dict(self) -> dict[str, dict[str, float]]:
        return {c: {"report": t.report, "hide": t.hide} for c, t in self.thresholds.items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Mapping[str, float]]) -> Policy:
        return cls({c: Thresholds(report=float(t["report"]), hide=float(t["hide"])) for c, t in data.items()})


@dataclass(frozen=True)
class Decision:
    listing_id: str
    listing_version: int
    action: Action
    scores: dict[str, float]
    reasons: list[str]
    model_version: str
    decided_at: datetime
    category: str | None = None
    """The category that drove the action (highest score among those that acted), if any."""
    rule_ids: list[int] = field(default_factory=list)


def decide(
    *,
    listing_id: str,
    listing_version: int,
    scores: Mapping[str, float],
    policy: Policy,
    model_version: str,
    rule_matches: Sequence[RuleMatch] = (),
    decided_at: datetime | None = None,
    abstain: str | None = None,
) -> Decision:
    """``abstain``: why the model may not hide this listing on its own (``unfamiliar listing: ...``);
    a score at or above the hide threshold then reports it instead, with that reason. A CS rule's
    hide is a person's decision and is not affected."""
    action = Action.ALLOW
    driver: tuple[float, str] | None = None
    reasons: list[str] = []
    for cat in CATEGORIES:
        t = policy.thresholds.get(cat)
        s = float(scores.get(cat, 0.0))
        if t is None:
            continue
        if s >= t.hide and abstain is None:
            cat_action = Action.HIDE
            reasons.append(f"{cat}: score {s:.3f} >= hide threshold {t.hide:.3f} ({DESCRIPTIONS[cat]})")
        elif s >= t.hide:
            cat_action = Action.REPORT
            reasons.append(
                f"{cat}: score {s:.3f} >= hide threshold {t.hide:.3f} ({DESCRIPTIONS[cat]}); "
                f"reported, not hidden: {abstain}"
            )
        elif s >= t.report:
            cat_action = Action.REPORT
            reasons.append(f"{cat}: score {s:.3f} >= report threshold {t.report:.3f} ({DESCRIPTIONS[cat]})")
        else:
            continue
        if cat_action.rank > action.rank or (cat_action == action and (driver is None or s > driver[0])):
            action, driver = cat_action, (s, cat)
    rule_ids: list[int] = []
    rule_driver: str | None = None
    for m in rule_matches:
        rule_ids.append(m.rule_id)
        reasons.append(f"rule #{m.rule_id} ({m.category}, {m.action}): matched {m.matched!r}")
        rule_action = Action(m.action)
        if rule_action.rank > action.rank:
            action, rule_driver = rule_action, m.category
    category = rule_driver if rule_driver is not None else (driver[1] if driver else None)
    if action is Action.ALLOW:
        category = None
    if abstain is not None and action is Action.REPORT and any("reported, not hidden" in r for r in reasons):
        reasons.insert(0, abstain)
    return Decision(
        listing_id=listing_id,
        listing_version=listing_version,
        action=action,
        scores={c: round(float(v), 6) for c, v in scores.items()},
        reasons=reasons,
        model_version=model_version,
        decided_at=decided_at or datetime.now(UTC),
        category=category,
        rule_ids=rule_ids,
    )
