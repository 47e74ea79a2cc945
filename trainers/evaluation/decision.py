"""The deployment rule: a model is eligible only if it beats the incumbent on the same test rows.

The incumbent is the live model (``source: champion``) when the registry has one, otherwise the
keyword-rule baseline (before Lovemachine, CS rules were the incumbent; seed 003: a model goes
online only if it beats the baseline). A candidate (``train`` or ``artifact``) is **eligible** when,
on the decision test set and the primary metric, all of these hold:

1. its mean over categories beats the incumbent's by more than ``min_mean_improvement``;
2. the paired bootstrap of that mean difference (test rows resampled, both models scored on the same
   resample) has its one-sided ``confidence`` lower bound above 0 — skipped when
   ``bootstrap_resamples`` is 0;
3. no category is worse than the incumbent's by more than ``max_category_regression``.

Categories without positives in the test set have no value and are left out of the mean.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lovemachine.categories import CATEGORIES
from trainers.evaluation.config import EvalConfig
from trainers.evaluation.metrics import primary_value


def per_category(config: EvalConfig, y: np.ndarray, s: np.ndarray) -> list[float | None]:
    t = config.thresholds
    return [
        primary_value(
            config.primary_metric,
            y[:, k],
            s[:, k],
            hide_precision=t.hide_precision,
            report_precision=t.report_precision,
        )
        for k in range(len(CATEGORIES))
    ]


def _mean(values: list[float | None], keep: list[bool]) -> float:
    vals = [v if v is not None else 0.0 for v, k in zip(values, keep, strict=True) if k]
    return float(np.mean(vals)) if vals else float("nan")


def bootstrap_deltas(
    config: EvalConfig, y: np.ndarray, s_cand: np.ndarray, s_inc: np.ndarray, resamples: int, seed: int
) -> np.ndarray:
    """Mean-over-categories differences (candidate - incumbent) on paired bootstrap resamples."""
    rng = np.random.default_rng(seed)
    n = len(y)
    out = np.empty(resamples)
    for b in range(resamples):
        idx = rng.integers(0, n, n)
        yb = y[idx]
        keep = [bool(yb[:, k].any()) for k in range(len(CATEGORIES))]
        out[b] = _mean(per_category(config, yb, s_cand[idx]), keep) - _mean(
            per_category(config, yb, s_inc[idx]), keep
        )
    return out[~np.isnan(out)]


def judge(
    config: EvalConfig,
    y: np.ndarray,
    scores: dict[str, np.ndarray],
    sources: dict[str, str],
) -> dict[str, Any]:
    """The decision block of the report: the incumbent, the rule, and a verdict per candidate."""
    e = config.eligibility
    incumbent = next((m for m, src in sources.items() if src == "champion"), None)
    if incumbent is None and "keyword_rules" in sources:
        incumbent = "keyword_rules"
    out: dict[str, Any] = {
        "primary_metric": config.primary_metric,
        "test_set": e.test_set,
        "incumbent": incumbent,
        "rule": rule_text(config),
        "candidates": {},
    }
    keep = [bool(y[:, k].any()) for k in range(len(CATEGORIES))]
    inc_vals = per_category(config, y, scores[incumbent]) if incumbent else None
    for name, src in sources.items():
        if src not in ("train", "artifact"):
            continue
        vals = per_category(config, y, scores[name])
        verdict: dict[str, Any] = {
            "values": dict(zip(CATEGORIES, vals, strict=True)),
            "mean": _mean(vals, keep),
        }
        if inc_vals is None or incumbent is None:
            verdict.update(
                eligible=None, reasons=["no incumbent to beat: no live model and no keyword baseline"]
            )
            out["candidates"][name] = verdict
            continue
        deltas = {
            c: (v - w if v is not None and w is not None else None)
            for c, v, w in zip(CATEGORIES, vals, inc_vals, strict=True)
        }
        mean_delta = verdict["mean"] - _mean(inc_vals, keep)
        reasons = []
        ok1 = mean_delta > e.min_mean_improvement
        reasons.append(
            f"{'PASS' if ok1 else 'FAIL'}: mean {config.primary_metric} {verdict['mean']:.4f} vs "
            f"{incumbent} {_mean(inc_vals, keep):.4f} "
            f"(difference {mean_delta:+.4f}, needs > {e.min_mean_improvement:+.4f})"
        )
        lower = None
        ok2 = True
        if e.bootstrap_resamples:
            boot = bootstrap_deltas(
                config, y, scores[name], scores[incumbent], e.bootstrap_resamples, config.split.seed
            )
            lower = float(np.quantile(boot, 1 - e.confidence)) if len(boot) else float("nan")
            ok2 = bool(lower > 0)
            reasons.append(
                f"{'PASS' if ok2 else 'FAIL'}: paired bootstrap ({e.bootstrap_resamples} resamples) "
                f"{e.confidence:.0%} lower bound of the difference {lower:+.4f} (needs > 0)"
            )
        worst = [(c, d) for c, d in deltas.items() if d is not None and d < -e.max_category_regression]
        ok3 = not worst
        reasons.append(
            f"{'PASS' if ok3 else 'FAIL'}: no category worse by more than {e.max_category_regression:.3f}"
            + ("" if ok3 else " (" + ", ".join(f"{c} {d:+.4f}" for c, d in worst) + ")")
        )
        verdict.update(
            incumbent_values=dict(zip(CATEGORIES, inc_vals, strict=True)),
            deltas=deltas,
            mean_delta=mean_delta,
            bootstrap_lower=lower,
            eligible=bool(ok1 and ok2 and ok3),
            reasons=reasons,
        )
        out["candidates"][name] = verdict
    return out


def rule_text(config: EvalConfig) -> str:
    e = config.eligibility
    parts = [
        f"A candidate is eligible for deployment only if, on test set '{e.test_set}' and the primary "
        f"metric `{config.primary_metric}`, (1) its mean over categories beats the incumbent's by more "
        f"than {e.min_mean_improvement:g}",
    ]
    if e.bootstrap_resamples:
        parts.append(
            f"(2) the one-sided {e.confidence:.0%} lower bound of that difference, from a paired bootstrap "
            f"of the test rows ({e.bootstrap_resamples} resamples), is above 0"
        )
    parts.append(
        f"and (3) no single category is worse than the incumbent's by more than {e.max_category_regression:g}"
    )
    return (
        ", ".join(parts) + ". The incumbent is the live model (registry champion) when there is one, "
        "otherwise the keyword-rule baseline."
    )
