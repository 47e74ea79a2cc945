"""Pure metrics of one category's scores against labels: ranking, the policy's two cuts, calibration.

Two kinds of numbers, kept apart on purpose:

* **at the model's thresholds** (``report`` / ``hide`` blocks): the thresholds chosen on the model's
  own validation rows, applied unchanged to the test rows — what deploying the model would do,
  including whether the hide threshold kept its precision promise on new data;
* **threshold-free** (PR-AUC, ``recall_at_hide_precision``): computed on the test rows alone, the
  best recall any threshold reaches at the target precision, for comparing rankings fairly.

A cut flags ``score >= threshold`` (as ``lovemachine.policy.decide`` does); ``math.inf`` is "never".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from lovemachine.classifiers.calibration import expected_calibration_error, reliability_table


@dataclass(frozen=True)
class Cut:
    """Report and hide thresholds of one category; ``math.inf`` means the action never fires."""

    report: float
    hide: float


def threshold_json(t: float) -> float | None:
    """A threshold for JSON: ``None`` stands for "never"."""
    return None if math.isinf(t) else round(float(t), 6)


def confusion(y: np.ndarray, flagged: np.ndarray) -> dict[str, int]:
    y = np.asarray(y).astype(bool)
    f = np.asarray(flagged).astype(bool)
    return {
        "tp": int((f & y).sum()),
        "fp": int((f & ~y).sum()),
        "fn": int((~f & y).sum()),
        "tn": int((~f & ~y).sum()),
    }


def pr_auc(y: np.ndarray, s: np.ndarray) -> float | None:
    """Average precision (area under the step precision-recall curve, as scikit-learn's
    ``average_precision_score``, vectorised for the bootstrap); ``None`` without positives."""
    y = np.asarray(y).astype(bool)
    pos = int(y.sum())
    if pos == 0:
        return None
    s = np.asarray(s, dtype=np.float64)
    order = np.argsort(-s, kind="stable")
    s_sorted = s[order]
    last_of_run = np.r_[s_sorted[1:] != s_sorted[:-1], True]
    tp = np.cumsum(y[order])[last_of_run]
    precision = tp / (np.nonzero(last_of_run)[0] + 1)
    recall = tp / pos
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def recall_at_precision(y: np.ndarray, s: np.ndarray, target: float) -> tuple[float | None, float | None]:
    """(best recall, its threshold) over cuts whose observed precision is >= ``target``.

    Cuts fall only between distinct scores. ``(None, None)`` without positives; ``(0.0, None)`` when
    no cut reaches the target.
    """
    y = np.asarray(y).astype(bool)
    s = np.asarray(s, dtype=np.float64)
    pos = int(y.sum())
    if pos == 0:
        return None, None
    order = np.argsort(-s, kind="stable")
    s_sorted, y_sorted = s[order], y[order]
    tp = np.cumsum(y_sorted)
    precision = tp / np.arange(1, len(s) + 1)
    last_of_run = np.r_[s_sorted[1:] != s_sorted[:-1], True]
    ok = np.nonzero(last_of_run & (precision >= target))[0]
    if len(ok) == 0:
        return 0.0, None
    best = ok[np.argmax(tp[ok])]
    return float(tp[best] / pos), float(s_sorted[best])


def brier(y: np.ndarray, s: np.ndarray) -> float:
    return float(np.mean((np.asarray(s, dtype=np.float64) - np.asarray(y, dtype=np.float64)) ** 2))


def at_cut(y: np.ndarray, s: np.ndarray, threshold: float, daily_listings: int) -> dict[str, Any]:
    flagged = np.asarray(s) >= threshold
    c = confusion(y, flagged)
    n_flag = c["tp"] + c["fp"]
    pos = c["tp"] + c["fn"]
    rate = n_flag / len(flagged) if len(flagged) else 0.0
    return {
        "threshold": threshold_json(threshold),
        **c,
        "precision": c["tp"] / n_flag if n_flag else None,
        "recall": c["tp"] / pos if pos else None,
        "flag_rate": rate,
        "per_day": rate * daily_listings,
    }


def category_metrics(
    y: np.ndarray,
    s: np.ndarray,
    cut: Cut,
    *,
    hide_precision: float,
    report_precision: float,
    daily_listings: int,
    bins: int = 10,
) -> dict[str, Any]:
    """Everything the report shows for one model, category and test set (JSON-ready)."""
    y = np.asarray(y).astype(np.int8)
    s = np.asarray(s, dtype=np.float64)
    r_hide, t_hide = recall_at_precision(y, s, hide_precision)
    r_rep, t_rep = recall_at_precision(y, s, report_precision)
    report, hide = at_cut(y, s, cut.report, daily_listings), at_cut(y, s, cut.hide, daily_listings)
    n = len(y)
    band = float(((s >= cut.report) & (s < cut.hide)).mean()) if n else 0.0
    table = reliability_table(y, s, bins=bins) if n else []
    return {
        "rows": n,
        "positives": int(y.sum()),
        "prevalence": float(y.mean()) if n else 0.0,
        "pr_auc": pr_auc(y, s),
        "recall_at_hide_precision": r_hide,
        "recall_at_hide_precision_threshold": t_hide,
        "recall_at_report_precision": r_rep,
        "recall_at_report_precision_threshold": t_rep,
        "report": report,
        "hide": hide,
        "hide_precision_held": None if hide["precision"] is None else hide["precision"] >= hide_precision,
        "reports_per_day": band * daily_listings,
        "hides_per_day": hide["per_day"],
        "brier": brier(y, s) if n else None,
        "ece": expected_calibration_error(y, s, bins=bins) if n else None,
        "reliability": [
            {
                **r,
                "mean_predicted": _nan_none(r["mean_predicted"]),
                "observed_rate": _nan_none(r["observed_rate"]),
            }
            for r in table
        ],
        "scores_exactly_one": int((s >= 1.0).sum()),
    }


def daily_volume(scores: np.ndarray, cuts: list[Cut], daily_listings: int) -> dict[str, float]:
    """Listings a day by their strongest action over all categories (as ``decide`` combines them)."""
    if len(scores) == 0:
        return {"hides_per_day": 0.0, "reports_per_day": 0.0, "review_items_per_day": 0.0}
    hide = np.zeros(len(scores), dtype=bool)
    flag = np.zeros(len(scores), dtype=bool)
    for k, c in enumerate(cuts):
        hide |= scores[:, k] >= c.hide
        flag |= scores[:, k] >= c.report
    return {
        "hides_per_day": float(hide.mean()) * daily_listings,
        "reports_per_day": float((flag & ~hide).mean()) * daily_listings,
        "review_items_per_day": float(flag.mean()) * daily_listings,
    }


def primary_value(
    metric: str, y: np.ndarray, s: np.ndarray, *, hide_precision: float, report_precision: float
) -> float | None:
    """The configured primary metric of one category (``None`` when the test rows have no positives)."""
    if metric == "pr_auc":
        return pr_auc(y, s)
    target = hide_precision if metric == "recall_at_hide_precision" else report_precision
    return recall_at_precision(y, s, target)[0]


def _nan_none(v: float) -> float | None:
    return None if isinstance(v, float) and math.isnan(v) else v
