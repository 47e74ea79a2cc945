"""Per-category offline metrics on held-out rows."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score

from lovemachine.policy import Policy


def _prf(y: np.ndarray, pred: np.ndarray) -> tuple[float, float, int]:
    tp = int((pred & (y == 1)).sum())
    flagged = int(pred.sum())
    pos = int(y.sum())
    precision = tp / flagged if flagged else 1.0
    recall = tp / pos if pos else 0.0
    return precision, recall, flagged


def category_metrics(
    y: np.ndarray, scores: np.ndarray, categories: tuple[str, ...], policy: Policy
) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for k, cat in enumerate(categories):
        yk, sk = y[:, k], scores[:, k]
        t = policy.thresholds[cat]
        p_rep, r_rep, n_rep = _prf(yk, sk >= t.report)
        p_hide, r_hide, n_hide = _prf(yk, sk >= t.hide)
        out[cat] = {
            "support": int(yk.sum()),
            "rows": len(yk),
            "pr_auc": float(average_precision_score(yk, sk)) if yk.any() else None,
            "precision_at_report": round(p_rep, 4),
            "recall_at_report": round(r_rep, 4),
            "flagged_at_report": n_rep,
            "precision_at_hide": round(p_hide, 4),
            "recall_at_hide": round(r_hide, 4),
            "flagged_at_hide": n_hide,
            "report_threshold": t.report,
            "hide_threshold": t.hide,
        }
    return out
