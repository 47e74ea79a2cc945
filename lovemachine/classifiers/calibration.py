"""Calibrated probabilities: a score of 0.9 should mean "9 in 10 such listings violate".

Thresholds are chosen on precision, CS staff read the scores, and the cascade combines scores from
two tiers, so the scores must be probabilities, not just a ranking. LightGBM's outputs saturate at
0 and 1 on easy data; a monotone map fitted on held-out labels fixes that:

* ``isotonic`` — a step function (scikit-learn ``IsotonicRegression``), no shape assumed; needs a
  few hundred labelled rows per category.
* ``sigmoid`` — Platt scaling, a logistic regression on the score's logit; smooth, keeps the
  ranking strictly, works with few positives.

``cross_fit`` gives out-of-fold calibrated scores for the rows the calibrator is fitted on, so
thresholds are chosen on scores the calibrator has not seen. ``reliability_table`` is how a
calibration is checked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold

METHODS = ("isotonic", "sigmoid")
_EPS = 1e-6


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), _EPS, 1 - _EPS)
    return np.log(p / (1 - p))


class ScoreCalibrator:
    """One monotone map per column of a score matrix."""

    def __init__(self, *, method: str = "isotonic", min_class_count: int = 5) -> None:
        if method not in METHODS:
            raise ValueError(f"unknown calibration method {method!r}; use one of {', '.join(METHODS)}")
        self.method = method
        self.min_class_count = min_class_count

    def fit(self, scores: np.ndarray, y: np.ndarray) -> ScoreCalibrator:
        scores = np.asarray(scores, dtype=np.float64)
        y = np.asarray(y)
        if scores.shape != y.shape or scores.ndim != 2:
            raise ValueError(f"scores {scores.shape} and labels {y.shape} must be the same 2-D shape")
        self.maps_: list[Any] = []
        for k in range(scores.shape[1]):
            yk = y[:, k].astype(int)
            pos = int(yk.sum())
            if min(pos, len(yk) - pos) < self.min_class_count:
                self.maps_.append(None)  # too few labels to calibrate: leave this column as it is
            elif self.method == "isotonic":
                # A step fitted on n labelled rows cannot claim certainty: keep scores off exactly
                # 0 and 1 (half a row's worth), so a hide threshold of 1.0 really means "never".
                eps = 0.5 / (len(yk) + 1)
                iso = IsotonicRegression(y_min=eps, y_max=1.0 - eps, out_of_bounds="clip")
                self.maps_.append(iso.fit(scores[:, k], yk))
            else:
                lr = LogisticRegression(C=1e4, max_iter=1000)
                self.maps_.append(lr.fit(logit(scores[:, k]).reshape(-1, 1), yk))
        return self

    def transform(self, scores: np.ndarray) -> np.ndarray:
        scores = np.asarray(scores, dtype=np.float64)
        out = scores.copy()
        for k, m in enumerate(self.maps_):
            if m is None or len(scores) == 0:
                continue
            if isinstance(m, IsotonicRegression):
                out[:, k] = m.predict(scores[:, k])
            else:
                out[:, k] = m.predict_proba(logit(scores[:, k]).reshape(-1, 1))[:, 1]
        return out


def cross_fit(
    make: Callable[[], ScoreCalibrator], scores: np.ndarray, y: np.ndarray, *, folds: int = 5, seed: int = 0
) -> np.ndarray:
    """Out-of-fold calibrated scores: each row is calibrated by a map fitted without it."""
    scores = np.asarray(scores, dtype=np.float64)
    out = np.empty_like(scores)
    n = len(scores)
    if n < 2 * folds:
        return make().fit(scores, y).transform(scores)
    for tr, te in KFold(folds, shuffle=True, random_state=seed).split(scores):
        out[te] = make().fit(scores[tr], y[tr]).transform(scores[te])
    return out


def reliability_table(y: np.ndarray, p: np.ndarray, *, bins: int = 10) -> list[dict[str, float]]:
    """Rows of (bin range, count, mean predicted probability, observed violation rate)."""
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(p, edges[1:-1], right=False), 0, bins - 1)
    rows = []
    for b in range(bins):
        mask = idx == b
        n = int(mask.sum())
        rows.append(
            {
                "lo": float(edges[b]),
                "hi": float(edges[b + 1]),
                "count": n,
                "mean_predicted": float(p[mask].mean()) if n else float("nan"),
                "observed_rate": float(y[mask].mean()) if n else float("nan"),
            }
        )
    return rows


def expected_calibration_error(y: np.ndarray, p: np.ndarray, *, bins: int = 10) -> float:
    """Count-weighted mean |predicted - observed| over the reliability table's bins."""
    table = reliability_table(y, p, bins=bins)
    total = sum(r["count"] for r in table)
    if not total:
        return float("nan")
    return float(
        sum(r["count"] * abs(r["mean_predicted"] - r["observed_rate"]) for r in table if r["count"]) / total
    )
