"""Champion vs challenger on the same live listings: what the shadow scoring shows, per category.

Pure: the SQL store counts the pairs (champion decision, challenger shadow decision) on every listing
both scored and hands over the few labelled ones; this module turns them into the report that the
promotion gates, ``lovemachine deploy compare``, the CS tool's Models page and the API all show.

A decision acts in one category (the one that drove it), so a model's *verdict* in category ``c`` is
its action if ``c`` drove it, else ``allow``. Volumes are scaled to a day with the traffic observed
while the challenger ran: (challenger - champion) / listings both scored x listings decided per day,
once the shadow has run for ``MIN_RATE_WINDOW_S`` (an hour): a rate taken from a burst of seconds
(a replay, a backfill, the demo) says nothing about a day, so before that there is no per-day figure.
Precision counts, among the listings both scored that CS labelled after the shadow began, those a
model flagged in ``c`` (report or hide) that CS confirmed in ``c``. Labels come mostly from what the
champion flagged, so the challenger's precision rests on fewer labels: ``*_labelled`` says how many.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from lovemachine.categories import CATEGORIES

ALLOW, REPORT, HIDE = "allow", "report", "hide"
DAY_S = 86_400.0
MIN_RATE_WINDOW_S = 3_600.0


@dataclass(frozen=True)
class PairCount:
    """How many listings got this (champion, challenger) pair of decisions."""

    champion_action: str
    champion_category: str | None
    challenger_action: str
    challenger_category: str | None
    n: int


@dataclass(frozen=True)
class LabelledPair:
    """One listing version both scored and CS labelled; ``violations``: the categories CS confirmed
    (empty: no violation)."""

    champion_action: str
    champion_category: str | None
    challenger_action: str
    challenger_category: str | None
    violations: frozenset[str]


@dataclass(frozen=True)
class ShadowSample:
    champion: str
    challenger: str
    pairs: Sequence[PairCount]
    labelled: Sequence[LabelledPair] = ()
    first_at: datetime | None = None
    last_at: datetime | None = None
    traffic: int = 0
    """Listings decided (by whichever model acted) between ``first_at`` and ``last_at``."""


@dataclass(frozen=True)
class CategoryComparison:
    category: str
    agreement: float | None
    """Share of the listings both scored on which both give the same verdict in this category."""
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
    """Labelled listings the champion flagged in this category (the precision's denominator)."""
    challenger_precision: float | None
    challenger_labelled: int


@dataclass(frozen=True)
class Comparison:
    champion: str
    challenger: str
    both_scored: int
    agreement: float | None
    """Share of listings both scored with the same action and category."""
    champion_hides: int
    challenger_hides: int
    champion_reports: int
    challenger_reports: int
    labelled: int
    first_at: datetime | None
    last_at: datetime | None
    window_days: float | None
    traffic_per_day: float | None
    categories: list[CategoryComparison] = field(default_factory=list)

    def per_day(self, count: float) -> float | None:
        """``count`` listings out of ``both_scored``, scaled to the observed traffic per day."""
        if not self.both_scored or self.traffic_per_day is None:
            return None
        return count / self.both_scored * self.traffic_per_day

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("first_at", "last_at"):
            value = getattr(self, key)
            out[key] = value.isoformat() if value is not None else None
        out["champion_hides_per_day"] = self.per_day(self.champion_hides)
        out["challenger_hides_per_day"] = self.per_day(self.challenger_hides)
        return out


def verdict(action: str, category: str | None, in_category: str) -> str:
    return action if action != ALLOW and category == in_category else ALLOW


def _same(p: PairCount) -> bool:
    """Same action, and for a report or hide the same category."""
    if p.champion_action != p.challenger_action:
        return False
    return p.champion_action == ALLOW or p.champion_category == p.challenger_category


def _ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def compare(sample: ShadowSample, categories: Sequence[str] = CATEGORIES) -> Comparison:
    pairs = [p for p in sample.pairs if p.n > 0]
    both = sum(p.n for p in pairs)
    window_s = (
        (sample.last_at - sample.first_at).total_seconds()
        if sample.first_at is not None and sample.last_at is not None
        else 0.0
    )
    traffic_per_day = sample.traffic / window_s * DAY_S if window_s >= MIN_RATE_WINDOW_S else None
    base = Comparison(
        champion=sample.champion,
        challenger=sample.challenger,
        both_scored=both,
        agreement=_ratio(sum(p.n for p in pairs if _same(p)), both),
        champion_hides=sum(p.n for p in pairs if p.champion_action == HIDE),
        challenger_hides=sum(p.n for p in pairs if p.challenger_action == HIDE),
        champion_reports=sum(p.n for p in pairs if p.champion_action == REPORT),
        challenger_reports=sum(p.n for p in pairs if p.challenger_action == REPORT),
        labelled=len(sample.labelled),
        first_at=sample.first_at,
        last_at=sample.last_at,
        window_days=window_s / DAY_S if window_s > 0 else None,
        traffic_per_day=traffic_per_day,
    )
    base.categories.extend(_category(base, c, pairs, sample.labelled) for c in categories)
    return base


def _category(
    base: Comparison, c: str, pairs: Sequence[PairCount], labelled: Sequence[LabelledPair]
) -> CategoryComparison:
    counts = {(a, b): 0 for a in (ALLOW, REPORT, HIDE) for b in (ALLOW, REPORT, HIDE)}
    for p in pairs:
        key = (
            verdict(p.champion_action, p.champion_category, c),
            verdict(p.challenger_action, p.challenger_category, c),
        )
        counts[key] = counts.get(key, 0) + p.n

    def total(side: int, action: str) -> int:
        return sum(n for k, n in counts.items() if k[side] == action)

    champ_flag = [x for x in labelled if verdict(x.champion_action, x.champion_category, c) != ALLOW]
    chall_flag = [x for x in labelled if verdict(x.challenger_action, x.challenger_category, c) != ALLOW]
    champion_hide, challenger_hide = total(0, HIDE), total(1, HIDE)
    champion_report, challenger_report = total(0, REPORT), total(1, REPORT)
    hide_delta = base.per_day(challenger_hide - champion_hide)
    report_delta = base.per_day(challenger_report - champion_report)
    return CategoryComparison(
        category=c,
        agreement=_ratio(sum(n for (a, b), n in counts.items() if a == b), base.both_scored),
        champion_hide=champion_hide,
        champion_report=champion_report,
        challenger_hide=challenger_hide,
        challenger_report=challenger_report,
        flagged_by_both=sum(n for (a, b), n in counts.items() if a != ALLOW and b != ALLOW),
        only_champion=sum(n for (a, b), n in counts.items() if a != ALLOW and b == ALLOW),
        only_challenger=sum(n for (a, b), n in counts.items() if a == ALLOW and b != ALLOW),
        hide_delta_per_day=hide_delta,
        report_delta_per_day=report_delta,
        champion_precision=_ratio(sum(c in x.violations for x in champ_flag), len(champ_flag)),
        champion_labelled=len(champ_flag),
        challenger_precision=_ratio(sum(c in x.violations for x in chall_flag), len(chall_flag)),
        challenger_labelled=len(chall_flag),
    )
