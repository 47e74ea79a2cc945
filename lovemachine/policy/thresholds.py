"""Choosing thresholds from held-out labels instead of typing them in.

``hide`` is the lowest score at which precision on held-out labels is at least ``hide_precision``
(0.99 by default: an automatic hide must almost never hit an innocent seller); ``report`` is the
lowest score at which precision is at least ``report_precision`` (the floor below which CS time is
wasted) *and* the marginal precision — of the ``window`` listings just above the threshold —
has not yet fallen below ``report_marginal``. Without the marginal rule a near-perfect model gets a
report threshold deep in the noise (1e-5), because the cumulative precision of everything above it
still looks fine while each extra report there is almost surely innocent.

Precision is judged by a one-sided Wilson lower bound (``z``; 1.0 ≈ 84% confidence), not by the
point estimate: the lowest threshold whose *observed* precision just reaches 0.99 on a few hundred
validation rows sits on the edge and misses the target on new data. When a target is unreachable
the threshold is 1.0, i.e. that action never fires on the model's score alone.

``max_flag_rate`` caps the report band by CS review capacity: reviewers handle so many items a day,
the marketplace publishes so many listings a day, so at most ``capacity / volume`` of listings may
score at or above ``report`` (a hide opens a review item too, so hides count against the cap). The
report threshold is raised until the share of held-out listings at or above it fits; it never rises
above ``hide``, so when hides alone exceed the cap the report band is empty and the overflow is the
caller's to surface.
"""

from __future__ import annotations

import math

import numpy as np

from lovemachine.policy.policy import Thresholds


def wilson_lower_bound(successes: np.ndarray, n: np.ndarray, z: float) -> np.ndarray:
    n = np.maximum(n, 1)
    p = successes / n
    denom = 1 + z * z / n
    centre = p + z * z / (2 * n)
    margin = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - margin) / denom


def threshold_at_precision(y_true: np.ndarray, scores: np.ndarray, target: float, *, z: float = 1.0) -> float:
    """Lowest threshold whose precision lower bound (on everything scoring >= it) meets ``target``.

    Precision here is cumulative (all listings at or above the threshold), so the top few
    listings, whose bound is wide only because there are few of them, do not veto a threshold.
    """
    y = np.asarray(y_true).astype(bool)
    s = np.asarray(scores, dtype=np.float64)
    if y.sum() == 0:
        return 1.0
    order = np.argsort(-s, kind="stable")
    s_sorted, y_sorted = s[order], y[order]
    tp = np.cumsum(y_sorted)
    flagged = np.arange(1, len(s) + 1)
    # only cut between distinct scores: threshold s_sorted[i] flags everything scoring >= it
    last_of_run = np.r_[s_sorted[1:] != s_sorted[:-1], True]
    lb = wilson_lower_bound(tp, flagged, z)
    ok = lb >= target
    acceptable = np.nonzero(last_of_run & ok)[0]
    if len(acceptable) == 0:
        return 1.0
    return float(min(1.0, s_sorted[acceptable[-1]]))


def marginal_cutoff(y_true: np.ndarray, scores: np.ndarray, floor: float, window: int = 25) -> float:
    """Score at which the precision of the last ``window`` listings (by descending score) first
    drops below ``floor``; 1.0 if it does so at once, the lowest score if it never does."""
    y = np.asarray(y_true, dtype=np.float64)
    s = np.asarray(scores, dtype=np.float64)
    if len(s) == 0 or y.sum() == 0:
        return 1.0
    order = np.argsort(-s, kind="stable")
    s_sorted, y_sorted = s[order], y[order]
    w = max(1, min(window, len(s)))
    csum = np.r_[0.0, np.cumsum(y_sorted)]
    idx = np.arange(w - 1, len(s))
    marginal = (csum[idx + 1] - csum[idx + 1 - w]) / w
    below = np.nonzero(marginal < floor)[0]
    if len(below) == 0:
        return float(s_sorted[-1])
    i = int(idx[below[0]])  # first cut whose trailing window is too impure
    return float(s_sorted[max(i - w + 1, 0)]) if i - w + 1 > 0 else 1.0


def threshold_at_flag_rate(scores: np.ndarray, max_flag_rate: float) -> float:
    """Lowest score threshold that flags (score >= it) at most ``max_flag_rate`` of ``scores``.

    Thresholds are cut between distinct scores, so ties are flagged together or not at all; 1.0 when
    even the top score is too common (the module's "never" convention; note that a score of exactly
    1.0, which isotonic calibration does produce, still meets a 1.0 threshold).
    """
    if not (0.0 <= max_flag_rate <= 1.0):
        raise ValueError(f"max_flag_rate must lie in [0, 1], got {max_flag_rate}")
    s = np.sort(np.asarray(scores, dtype=np.float64))[::-1]
    allowed = math.floor(max_flag_rate * len(s) + 1e-9)
    if allowed >= len(s):
        return float(s[-1]) if len(s) else 0.0
    above = s[s > s[allowed]]  # a threshold above the (allowed+1)-th highest score flags <= allowed
    return float(min(1.0, above[-1])) if len(above) else 1.0


def choose_thresholds(
    y_true: np.ndarray,
    scores: np.ndarray,
    *,
    hide_precision: float = 0.99,
    report_precision: float = 0.8,
    report_marginal: float = 0.5,
    z: float = 1.0,
    max_flag_rate: float | None = None,
) -> Thresholds:
    """``max_flag_rate`` (optional): the largest share of listings that may score >= ``report``,
    i.e. CS review capacity per day / listings per day (see the module docstring)."""
    if not (0 < report_precision <= hide_precision <= 1):
        raise ValueError("need 0 < report_precision <= hide_precision <= 1")
    hide = threshold_at_precision(y_true, scores, hide_precision, z=z)
    report = max(
        threshold_at_precision(y_true, scores, report_precision, z=z),
        marginal_cutoff(y_true, scores, report_marginal),
    )
    if max_flag_rate is not None:
        report = max(report, threshold_at_flag_rate(scores, max_flag_rate))
    if math.isnan(report):
        report = 1.0
    return Thresholds(report=min(report, hide), hide=hide)
