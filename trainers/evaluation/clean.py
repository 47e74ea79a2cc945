"""Clean listings a model would act on: the false positives PR-AUC on mostly-positive labels hides.

Labels from review are nearly all violations (CS sees what the model flagged and what customers
reported), so a model that learns "everything CS saw is a violation" scores PR-AUC 1.0 on them while
reporting or hiding packaging sales and receipts (issue 11). These numbers are taken at each model's
own thresholds on the test set's **clean rows**: rows with no violation label, less those labelled
``other`` (a violation outside the four categories, not a clean listing).

* ``flag_rate``: share of clean rows the model would report or hide (any category at its report or
  hide threshold, as ``lovemachine.policy.decide`` acts);
* ``hidden``: clean rows it would hide;
* ``regression_hidden``: clean rows of the fixed regression set (tagged ``set:regression``) it
  would hide: the wrongful hides a retrain may not add.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from lovemachine.categories import CATEGORIES
from lovemachine.listings import LabelledListing
from trainers.evaluation.metrics import Cut

REGRESSION_TAG = "set:regression"
OTHER_TAG = "label:other"
_BREAKDOWN_PREFIXES = ("set:", "source:")


@dataclass(frozen=True)
class CleanStats:
    rows: int
    flagged: int
    hidden: int
    regression_rows: int
    regression_hidden: int
    by_set: dict[str, dict[str, int]] = field(default_factory=dict)
    """The same counts per ``set:*`` / ``source:*`` tag of the clean rows (where they came from)."""

    @property
    def flag_rate(self) -> float | None:
        return self.flagged / self.rows if self.rows else None

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "flag_rate": self.flag_rate}


def clean_mask(rows: Sequence[LabelledListing]) -> np.ndarray:
    return np.array([not any(r.label_vector()) and OTHER_TAG not in r.tags for r in rows], dtype=bool)


def clean_stats(rows: Sequence[LabelledListing], s: np.ndarray, cuts: Mapping[str, Cut]) -> CleanStats:
    """The clean-row counts of one model's scores ``s`` (n, len(CATEGORIES)) at its ``cuts``."""
    s = np.asarray(s, dtype=np.float64).reshape(len(rows), len(CATEGORIES))
    report = np.array([min(cuts[c].report, cuts[c].hide) for c in CATEGORIES])
    hide = np.array([cuts[c].hide for c in CATEGORIES])
    flagged = np.asarray((s >= report).any(axis=1), dtype=bool)
    hidden = np.asarray((s >= hide).any(axis=1), dtype=bool)
    clean = clean_mask(rows)
    regression = clean & np.array([REGRESSION_TAG in r.tags for r in rows], dtype=bool)
    by_set: dict[str, dict[str, int]] = {}
    for i in np.flatnonzero(clean).tolist():
        for tag in rows[i].tags:
            if tag.startswith(_BREAKDOWN_PREFIXES):
                b = by_set.setdefault(tag, {"rows": 0, "flagged": 0, "hidden": 0})
                b["rows"] += 1
                b["flagged"] += int(flagged[i])
                b["hidden"] += int(hidden[i])
    return CleanStats(
        rows=int(clean.sum()),
        flagged=int((flagged & clean).sum()),
        hidden=int((hidden & clean).sum()),
        regression_rows=int(regression.sum()),
        regression_hidden=int((hidden & regression).sum()),
        by_set=dict(sorted(by_set.items())),
    )
