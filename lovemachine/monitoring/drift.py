"""Score drift: the population stability index (PSI) of live scores against a model's reference.

A trained model keeps, per category, the share of its validation scores in ten fixed bins
(``reference_distribution``, stored in its metrics as ``reference_scores``). A worker keeps the
champion's most recent scores in a sliding window and reports the PSI of the window against that
reference per category (``psi``): sum over bins of (live - ref) * ln(live / ref), with both shares
floored at ``EPS`` so that an empty bin does not make it infinite. Rules of thumb: below 0.1 stable,
0.1-0.25 moving, above 0.25 a different population (the alert's threshold).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from lovemachine.categories import CATEGORIES

BIN_EDGES: tuple[float, ...] = (0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0)
"""Finer near 0, where most scores of clean listings fall."""
EPS = 1e-4
METRICS_KEY = "reference_scores"
"""Where a model's metrics keep its reference distribution."""


def shares(scores: Sequence[float] | np.ndarray) -> list[float]:
    """The share of ``scores`` in each bin of ``BIN_EDGES`` (1.0 falls in the last bin)."""
    counts, _ = np.histogram(np.clip(np.asarray(scores, dtype=np.float64), 0.0, 1.0), bins=BIN_EDGES)
    total = counts.sum()
    return [float(c / total) if total else 0.0 for c in counts]


def reference_distribution(
    valid_scores: np.ndarray, y_valid: np.ndarray, base_rates: Mapping[str, float] | None = None
) -> dict[str, list[float]]:
    """Per category, the shares of a model's validation scores (rows x categories), as live traffic
    would show them: the violations' and the clean rows' distributions mixed at the live base rate
    (validation holds ~20% violations, live traffic a few percent; unweighted, the reference alone
    would read as drift). Without a base rate, the validation rows as they are."""
    out = {}
    for k, c in enumerate(CATEGORIES):
        rate = (base_rates or {}).get(c)
        pos, neg = valid_scores[y_valid[:, k] == 1, k], valid_scores[y_valid[:, k] == 0, k]
        if rate is None or not len(pos) or not len(neg):
            out[c] = shares(valid_scores[:, k])
            continue
        out[c] = [rate * p + (1 - rate) * n for p, n in zip(shares(pos), shares(neg), strict=True)]
    return out


def psi(reference: Sequence[float], live: Sequence[float]) -> float:
    """The population stability index of ``live`` shares against ``reference`` shares."""
    if len(reference) != len(live):
        raise ValueError(f"{len(reference)} reference bins against {len(live)} live bins")
    total = 0.0
    for r, x in zip(reference, live, strict=True):
        r, x = max(r, EPS), max(x, EPS)
        total += (x - r) * math.log(x / r)
    return total


def reference_of(metrics: Mapping[str, object]) -> dict[str, list[float]] | None:
    """A model's reference distribution from its metrics, or None (models trained before it existed)."""
    ref = metrics.get(METRICS_KEY)
    if not isinstance(ref, dict):
        return None
    out = {}
    for c, v in ref.items():
        if isinstance(v, list) and len(v) == len(BIN_EDGES) - 1:
            out[str(c)] = [float(x) for x in v]
    return out or None
