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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lovemachine.policy.policy import Thresholds


def wilson_lower_bound(successes: np.ndarray, n: np.ndarray, z: float) -> np.ndarray:
    n = np.maximum(n, 1)
    p = successes / n
    denom = 1 + z * z / n
    centre = p + z * z / (2 * n)
    margin = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - margin) / denom


def base_rate_weights(y_true: np.ndarray, base_rate: float | None) -> np.ndarray:
    """Row weights that make held-out rows look like traffic with ``base_rate`` violations.

    Validation data holds ~20% violations; live traffic a few percent. Precision depends on the base
    rate (at 2% every false positive weighs as much as ~12 at 20%), so a threshold chosen on the
    validation mix overstates live precision. Positives get ``base_rate / p`` and negatives
    ``(1 - base_rate) / (1 - p)``, ``p`` the validation rate (the weights sum to the row count).
    Precision is then the weighted share, and its Wilson bound counts the rows actually seen: with no
    false positive above a threshold ~100 flagged rows still reach 0.99, but one false positive among
    200 at 20% validation positives is a live precision of ~.94 at 2%. ``None``: all 1.
    """
    y = np.asarray(y_true).astype(bool)
    w = np.ones(len(y))
    if base_rate is None or not len(y):
        return w
    if not (0.0 < base_rate < 1.0):
        raise ValueError(f"base rate must lie in (0, 1), got {base_rate}")
    p = float(y.mean())
    if 0.0 < p < 1.0:
        w[y] = base_rate / p
        w[~y] = (1.0 - base_rate) / (1.0 - p)
    return w


def threshold_at_precision(
    y_true: np.ndarray,
    scores: np.ndarray,
    target: float,
    *,
    z: float = 1.0,
    weight: np.ndarray | None = None,
) -> float:
    """Lowest threshold whose precision lower bound (on everything scoring >= it) meets ``target``.

    Precision here is cumulative (all listings at or above the threshold), so the top few
    listings, whose bound is wide only because there are few of them, do not veto a threshold.
    ``weight``: per-row weights (``base_rate_weights``), default 1.
    """
    y = np.asarray(y_true).astype(bool)
    s = np.asarray(scores, dtype=np.float64)
    if y.sum() == 0:
        return 1.0
    w = np.ones(len(s)) if weight is None else np.asarray(weight, dtype=np.float64)
    order = np.argsort(-s, kind="stable")
    s_sorted, y_sorted, w_sorted = s[order], y[order], w[order]
    # precision at the weighted (live) mix, its uncertainty from the rows actually seen
    flagged = np.arange(1, len(s) + 1)
    tp = np.cumsum(w_sorted * y_sorted) / np.maximum(np.cumsum(w_sorted), 1e-12) * flagged
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


def threshold_at_flag_rate(
    scores: np.ndarray, max_flag_rate: float, *, weight: np.ndarray | None = None
) -> float:
    """Lowest score threshold that flags (score >= it) at most ``max_flag_rate`` of ``scores``
    (of their total ``weight``, when given: the share live traffic would flag).

    Thresholds are cut between distinct scores, so ties are flagged together or not at all; 1.0 when
    even the top score is too common (the module's "never" convention; note that a score of exactly
    1.0, which isotonic calibration does produce, still meets a 1.0 threshold).
    """
    if not (0.0 <= max_flag_rate <= 1.0):
        raise ValueError(f"max_flag_rate must lie in [0, 1], got {max_flag_rate}")
    if weight is not None:
        return _weighted_flag_rate_cut(np.asarray(scores, dtype=np.float64), max_flag_rate, weight)
    s = np.sort(np.asarray(scores, dtype=np.float64))[::-1]
    allowed = math.floor(max_flag_rate * len(s) + 1e-9)
    if allowed >= len(s):
        return float(s[-1]) if len(s) else 0.0
    above = s[s > s[allowed]]  # a threshold above the (allowed+1)-th highest score flags <= allowed
    return float(min(1.0, above[-1])) if len(above) else 1.0


def _weighted_flag_rate_cut(s: np.ndarray, max_flag_rate: float, weight: np.ndarray) -> float:
    w = np.asarray(weight, dtype=np.float64)
    if not len(s):
        return 0.0
    order = np.argsort(-s, kind="stable")
    s_sorted, share = s[order], np.cumsum(w[order]) / max(float(w.sum()), 1e-12)
    last_of_run = np.r_[s_sorted[1:] != s_sorted[:-1], True]
    ok = np.nonzero(last_of_run & (share <= max_flag_rate + 1e-12))[0]
    return float(min(1.0, s_sorted[ok[-1]])) if len(ok) else 1.0


def choose_thresholds(
    y_true: np.ndarray,
    scores: np.ndarray,
    *,
    hide_precision: float = 0.99,
    report_precision: float = 0.8,
    report_marginal: float = 0.5,
    z: float = 1.0,
    max_flag_rate: float | None = None,
    base_rate: float | None = None,
) -> Thresholds:
    """``max_flag_rate`` (optional): the largest share of listings that may score >= ``report``,
    i.e. CS review capacity per day / listings per day (see the module docstring); ``base_rate``
    (optional): the live share of violations, at which hide precision and the flag rate are judged
    (``base_rate_weights``)."""
    if not (0 < report_precision <= hide_precision <= 1):
        raise ValueError("need 0 < report_precision <= hide_precision <= 1")
    w = base_rate_weights(y_true, base_rate) if base_rate is not None else None
    hide = threshold_at_precision(y_true, scores, hide_precision, z=z, weight=w)
    # The report band's precision floors stay at the held-out mix: at a live rate of 1-2% one clean
    # listing in 25 already puts the marginal precision under 0.5 and the band vanishes, leaving
    # every uncertain violation allowed. What bounds reports at live traffic is the capacity cap.
    report = max(
        threshold_at_precision(y_true, scores, report_precision, z=z),
        marginal_cutoff(y_true, scores, report_marginal),
    )
    if max_flag_rate is not None:
        report = max(report, threshold_at_flag_rate(scores, max_flag_rate, weight=w))
    if math.isnan(report):
        report = 1.0
    return Thresholds(report=min(report, hide), hide=hide)


DEFAULT_BASE_RATES: Mapping[str, float] = {
    "counterfeit": 0.02,
    "adult": 0.01,
    "cash": 0.01,
    "keyword_stuffing": 0.03,
}
"""Live shares of violations assumed when neither the operator (``LOVEMACHINE_BASE_RATES``) nor an
audit-sample estimate says otherwise: a few percent, as marketplaces report for prohibited listings
(stuffing, a nuisance rather than a crime, is the most common). Set them from your own traffic."""
DEFAULT_MAX_FLAG_RATE = 50_000 / 200_000
"""The default review capacity (50,000 items/day) over the default daily listings (200,000)."""


@dataclass(frozen=True)
class ThresholdSpec:
    """Everything that decides deployed thresholds; training, retraining and evaluation all choose
    thresholds through :func:`select_thresholds` with one of these."""

    hide_precision: float = 0.99
    report_precision: float = 0.8
    base_rates: Mapping[str, float] | None = None
    """Live share of violations per category (configured, or the audit sample's estimate); precision
    and flag rates are judged at these rates. None: at the validation rows' own mix."""
    max_flag_rate: float | None = None
    """Review capacity per day / listings per day: the share of traffic all report bands together
    may flag, shared by the categories in proportion to their (live) positives. None: uncapped."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "hide_precision": self.hide_precision,
            "report_precision": self.report_precision,
            "base_rates": dict(self.base_rates) if self.base_rates is not None else None,
            "max_flag_rate": self.max_flag_rate,
        }


def capacity_shares(y_valid: np.ndarray, base_rates: Sequence[float | None] | None = None) -> np.ndarray:
    """Each category's share of the review capacity: its share of positives (live base rates when
    known, else validation positives)."""
    y = np.asarray(y_valid)
    k = y.shape[1] if y.ndim == 2 else 0
    pos = y.sum(axis=0).astype(np.float64) / max(len(y), 1)
    if base_rates is not None:
        pos = np.array([b if b is not None else p for b, p in zip(base_rates, pos, strict=True)])
    return pos / pos.sum() if pos.sum() else np.full(k, 1 / max(k, 1))


MIN_GROUP_POSITIVES = 20
"""A validation source needs this many positives in a category before its own hide threshold counts."""


def select_thresholds(
    y_valid: np.ndarray,
    s_valid: np.ndarray,
    spec: ThresholdSpec,
    categories: Sequence[str],
    groups: Sequence[str] | None = None,
) -> dict[str, Thresholds]:
    """Per-category thresholds from held-out labels and out-of-sample scores, by ``spec``.

    ``groups``: the source of each validation row (``trainers.sources``: generated, written). The
    hide threshold must then hold on every source with at least ``MIN_GROUP_POSITIVES`` positives, not
    only on the pooled rows: a model that separates the generator's listings perfectly would
    otherwise get a hide threshold set by them, and hide the other writers' hard negatives above it.
    """
    rates = [spec.base_rates.get(c) if spec.base_rates else None for c in categories]
    shares = capacity_shares(y_valid, rates)
    out: dict[str, Thresholds] = {}
    for k, c in enumerate(categories):
        t = choose_thresholds(
            y_valid[:, k],
            s_valid[:, k],
            hide_precision=spec.hide_precision,
            report_precision=spec.report_precision,
            max_flag_rate=spec.max_flag_rate * float(shares[k]) if spec.max_flag_rate is not None else None,
            base_rate=rates[k],
        )
        hide = max(
            [t.hide, *_group_hides(y_valid[:, k], s_valid[:, k], groups, spec.hide_precision, rates[k])]
        )
        out[c] = Thresholds(report=min(t.report, hide), hide=hide)
    return out


def _group_hides(
    y: np.ndarray, s: np.ndarray, groups: Sequence[str] | None, target: float, base_rate: float | None
) -> list[float]:
    if groups is None:
        return []
    g = np.asarray(groups)
    out = []
    for name in np.unique(g):
        mask = g == name
        if y[mask].sum() >= MIN_GROUP_POSITIVES:
            w = base_rate_weights(y[mask], base_rate) if base_rate is not None else None
            # point estimate (z=0): a source's few dozen positives cannot carry a 0.99 bound, but
            # its clean rows can still say "not at this score"
            out.append(threshold_at_precision(y[mask], s[mask], target, z=0.0, weight=w))
    return out
