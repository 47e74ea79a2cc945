"""Live precision and recall per category, from the audit sample, without selection bias.

Labels are not a random sample of traffic: CS sees every report, some hides and almost no allowed
listing, so precision and recall computed from labels alone are biased (recall badly: the violations
the model missed sit among the allowed listings nobody looks at). The audit sample
(``lovemachine.review.audit``) fixes that by design. The decisions of one model version fall in three
strata by their action; in each, a known random part is labelled:

* ``report``: every one goes to CS; its labelled part is what CS has done so far;
* ``hide`` and ``allow``: the listings the audit draw sent to the ``audit`` queue, once labelled.

Each labelled decision stands for ``N_h / n_h`` decisions of its stratum (stratum size over labelled
sample size: 1 / the sampling rate when the whole sample is labelled; robust to an audit queue still
being worked, which is served oldest first so its labelled part stays random). The weighted counts
give, per category and operating point (``act`` = report or hide, ``hide``), precision = TP / (TP + FP)
and recall = TP / (TP + FN). The interval is a stratified bootstrap: each stratum's labelled sample
resampled with replacement, percentiles of the resampled estimates.

Predictions are the model's: score against the model version's thresholds (CS rules left out). Truth
is the listing version's resolved label (``lovemachine.review.truth``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import numpy as np

from lovemachine.categories import CATEGORIES
from lovemachine.ports import QualityStore
from lovemachine.registry.aliases import Alias
from lovemachine.review.audit import STRATA, AuditSample, SampledDecision
from lovemachine.review.truth import resolve, targets

OPERATING_POINTS = ("act", "hide")


def estimate_live_quality(
    sample: Sequence[SampledDecision],
    strata: Mapping[str, Mapping[str, Any]],
    thresholds: Mapping[str, Mapping[str, float]],
    *,
    confidence: float = 0.95,
    resamples: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Weighted precision and recall with bootstrap intervals (see the module docstring).

    ``strata``: action -> ``{"decisions": N_h, ...}``; ``thresholds``: category -> ``{"report", "hide"}``.
    """
    by_stratum = _arrays(sample, thresholds)
    notes: list[str] = []
    weights: dict[str, float] = {}
    strata_out: dict[str, Any] = {}
    for h in STRATA:
        size = int(strata.get(h, {}).get("decisions", 0))
        n = len(by_stratum[h]["y"])
        weights[h] = size / n if n else 0.0
        strata_out[h] = {
            **dict(strata.get(h, {})),
            "labelled": n,
            "weight": round(weights[h], 3) if n else None,
        }
        if size and not n:
            notes.append(
                f"no labelled sample yet among the {size:,} '{h}' decisions: they are left out, so the "
                + (
                    "recall estimates miss the violations among them"
                    if h == "allow"
                    else "estimates cover the rest"
                )
            )
    # indicator counts per labelled row: (n_h, categories, operating points, [tp, fp, fn])
    counts = {h: _counts(by_stratum[h]) for h in STRATA}
    point = sum((weights[h] * counts[h].sum(axis=0) for h in STRATA), np.zeros(_SHAPE))
    naive = sum((counts[h].sum(axis=0) for h in STRATA), np.zeros(_SHAPE))
    boot = _bootstrap(counts, weights, resamples, np.random.default_rng(seed))
    alpha = (1 - confidence) / 2
    categories: dict[str, Any] = {}
    for k, c in enumerate(CATEGORIES):
        cat: dict[str, Any] = {}
        for j, op in enumerate(OPERATING_POINTS):
            p, b, nv = point[k, j], boot[:, k, j], naive[k, j]
            cat[op] = {
                "precision": _interval(p, b, 1, alpha),
                "recall": _interval(p, b, 2, alpha),
                "naive_precision": _ratio(nv[0], nv[0] + nv[1]),
                "naive_recall": _ratio(nv[0], nv[0] + nv[2]),
            }
        positives = {h: float(by_stratum[h]["y"][:, k].sum()) for h in STRATA}
        total = sum(int(strata.get(h, {}).get("decisions", 0)) for h in STRATA if weights[h])
        estimated = sum(weights[h] * positives[h] for h in STRATA)
        cat["labelled_positives"] = int(sum(positives.values()))
        cat["estimated_positives"] = round(estimated, 1)
        cat["prevalence"] = _ratio(estimated, total)
        categories[c] = cat
    return {
        "confidence": confidence,
        "resamples": resamples,
        "strata": strata_out,
        "categories": categories,
        "notes": notes,
    }


def _arrays(
    sample: Sequence[SampledDecision], thresholds: Mapping[str, Mapping[str, float]]
) -> dict[str, dict[str, np.ndarray]]:
    """Per stratum: truth ``y`` and the predictions at each operating point, (n, len(CATEGORIES))."""
    never = {"report": np.inf, "hide": np.inf}
    report = np.array([float(thresholds.get(c, never)["report"]) for c in CATEGORIES])
    hide = np.array([float(thresholds.get(c, never)["hide"]) for c in CATEGORIES])
    rows: dict[str, list[tuple[list[int], np.ndarray]]] = {h: [] for h in STRATA}
    for d in sample:
        resolved = resolve(d.labels)
        if not resolved or d.action not in rows:
            continue
        truth = targets(resolved[-1].label)
        scores = np.array([float(d.scores.get(c, 0.0)) for c in CATEGORIES])
        rows[d.action].append(([truth[c] for c in CATEGORIES], scores))
    out: dict[str, dict[str, np.ndarray]] = {}
    width = len(CATEGORIES)
    for h, items in rows.items():
        y = np.array([r[0] for r in items], dtype=bool).reshape(-1, width)
        s = np.array([r[1] for r in items], dtype=float).reshape(-1, width)
        out[h] = {"y": y, "act": s >= report, "hide": s >= hide}
    return out


_SHAPE = (len(CATEGORIES), len(OPERATING_POINTS), 3)


def _counts(arrays: Mapping[str, np.ndarray]) -> np.ndarray:
    """(n, categories, operating points, 3): indicators of true positive, false positive, false negative."""
    y = arrays["y"]
    per_op = [np.stack([p & y, p & ~y, ~p & y], axis=-1) for p in (arrays[op] for op in OPERATING_POINTS)]
    return np.stack(per_op, axis=2).astype(np.float64).reshape(len(y), *_SHAPE)


def _bootstrap(
    counts: Mapping[str, np.ndarray], weights: Mapping[str, float], resamples: int, rng: np.random.Generator
) -> np.ndarray:
    """(resamples, *_SHAPE) weighted counts, each stratum resampled with replacement on its own."""
    out = np.zeros((resamples, int(np.prod(_SHAPE))))
    for h, c in counts.items():
        n = len(c)
        if not n:
            continue
        flat = c.reshape(n, -1)
        for start in range(0, resamples, 100):  # draws in chunks: memory ~ 100 x n
            k = min(100, resamples - start)
            draws = rng.multinomial(n, np.full(n, 1.0 / n), size=k).astype(np.float64)
            out[start : start + k] += weights[h] * (draws @ flat)
    return out.reshape(resamples, *_SHAPE)


def _ratio(a: float, b: float) -> float | None:
    return round(float(a) / float(b), 4) if b > 0 else None


def _interval(point: np.ndarray, boot: np.ndarray, other: int, alpha: float) -> dict[str, Any]:
    """TP / (TP + counts[other]) with its percentile interval (``other``: 1 precision, 2 recall)."""
    denom = boot[:, 0] + boot[:, other]
    ok = denom > 0
    values = boot[ok, 0] / denom[ok]
    return {
        "estimate": _ratio(point[0], point[0] + point[other]),
        "low": round(float(np.quantile(values, alpha)), 4) if len(values) else None,
        "high": round(float(np.quantile(values, 1 - alpha)), 4) if len(values) else None,
    }


def live_quality(
    store: QualityStore,
    *,
    model_version: str | None = None,
    since: datetime | None = None,
    audit_sample: AuditSample | None = None,
    confidence: float = 0.95,
    resamples: int = 1000,
) -> dict[str, Any]:
    """The estimate for one model version's decisions (default: the champion's), since ``since``."""
    record = store.get_model_version(model_version) if model_version else store.get_alias(Alias.CHAMPION)
    if record is None:
        raise LookupError(
            f"no model version {model_version!r}" if model_version else "no model version is the champion"
        )
    strata: dict[str, dict[str, Any]] = {
        h: dict(v) for h, v in store.decision_strata(record.version, since=since).items()
    }
    if audit_sample is not None:
        for h in STRATA:
            strata[h]["rate"] = audit_sample.rate(h)
    sample = store.labelled_sample(record.version, since=since)
    out = estimate_live_quality(sample, strata, record.thresholds, confidence=confidence, resamples=resamples)
    return {"model_version": record.version, "since": since.isoformat() if since else None, **out}
