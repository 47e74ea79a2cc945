"""What one model did with one phase of the demo loop's stream, against the generator's truth: the
catch rate on the new slang, on the usual violations, and the clean listings flagged."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.table import Table

from cli.common import console
from lovemachine.categories import CASH, CATEGORIES
from synth.trends import is_trend

if TYPE_CHECKING:
    from lovemachine.listings import LabelledListing
    from lovemachine.policy import Decision


@dataclass(frozen=True)
class Catch:
    """What one model did with one phase's listings (ground truth: the generator's labels)."""

    phase: str
    model: str
    role: str
    trend: int
    trend_caught: int
    """Trend listings the model reported or hid as cash."""
    violations: int
    """Other violations (the usual kinds)."""
    violations_caught: int
    clean: int
    clean_flagged: int

    @property
    def trend_rate(self) -> float:
        return self.trend_caught / self.trend if self.trend else 0.0

    @property
    def violation_rate(self) -> float:
        return self.violations_caught / self.violations if self.violations else 0.0

    @property
    def clean_rate(self) -> float:
        return self.clean_flagged / self.clean if self.clean else 0.0


def truth_label(labels: dict[str, int], queue: str) -> str:
    """What a reviewer who knows the truth labels: the queue's category when it is right, else the
    first violation, else no_violation (one label per item)."""
    if queue in CATEGORIES and labels.get(queue):
        return queue
    return next((c for c in CATEGORIES if labels.get(c)), "no_violation")


def measure(
    phase: str, model: str, role: str, rows: Sequence[LabelledListing], decided: dict[str, Decision]
) -> Catch:
    """The catch rate on the trend listings (reported or hidden as cash), the share of the other
    violations flagged, and the share of clean listings flagged, among the listings ``decided``."""
    counts = Counter[str]()
    for r in rows:
        d = decided.get(r.listing.id)
        if d is None:
            continue
        flagged = d.action.value != "allow"
        if is_trend(r.tags):
            counts["trend"] += 1
            counts["trend_caught"] += flagged and d.category == CASH
        elif any(r.labels.values()):
            counts["violations"] += 1
            counts["violations_caught"] += flagged
        else:
            counts["clean"] += 1
            counts["clean_flagged"] += flagged
    return Catch(
        phase=phase,
        model=model,
        role=role,
        trend=counts["trend"],
        trend_caught=counts["trend_caught"],
        violations=counts["violations"],
        violations_caught=counts["violations_caught"],
        clean=counts["clean"],
        clean_flagged=counts["clean_flagged"],
    )


def pct(x: float) -> str:
    return f"{x:.0%}"


def print_catches(catches: Sequence[Catch], title: str, names: dict[str, str]) -> None:
    t = Table(title=title)
    for col in ("stream", "model", "new slang caught", "other violations caught", "clean listings flagged"):
        t.add_column(col, justify="left" if col in ("stream", "model") else "right")
    for c in catches:
        t.add_row(
            c.phase,
            f"{names.get(c.model, c.model)} ({c.role})",
            f"{c.trend_caught}/{c.trend} = {pct(c.trend_rate)}",
            f"{c.violations_caught}/{c.violations} = {pct(c.violation_rate)}",
            f"{c.clean_flagged}/{c.clean} = {c.clean_rate:.1%}",
        )
    console.print(t)
