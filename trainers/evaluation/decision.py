"""The deployment rule: a model is eligible only if it beats the incumbent on the same test rows.

The incumbent is the live model (``source: champion``) when the registry has one, otherwise the
keyword-rule baseline (before Lovemachine, CS rules were the incumbent; seed 003: a model goes
online only if it beats the baseline). A candidate (``train`` or ``artifact``) is **eligible** when,
on the decision test set and the primary metric, all of these hold:

1. its mean over categories beats the incumbent's by more than ``min_mean_improvement``;
2. the paired bootstrap of that mean difference (test rows resampled, both models scored on the same
   resample) has its one-sided ``confidence`` lower bound above 0 — skipped when
   ``bootstrap_resamples`` is 0;
3. no category is worse than the incumbent's by more than ``max_category_regression``;
4. when ``max_clean_flag_rate_increase`` is set: its share of clean test rows reported or hidden (at
   each model's own thresholds, ``trainers.evaluation.clean``) is at most the incumbent's plus that
   margin — a ranking metric on labels that are nearly all positive cannot see a model that flags
   clean listings, this can (issue 11);
5. when ``max_regression_hide_increase`` is set: it hides at most that many more clean rows of the
   fixed regression set than the incumbent.

Rules 4 and 5 fail when the test set has no such rows: "no false positive" must have been possible
to see. Categories without positives in the test set have no value and are left out of the mean.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from lovemachine.categories import CATEGORIES
from trainers.evaluation.clean import CleanStats
from trainers.evaluation.config import Eligibility, EvalConfig
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
    clean: Mapping[str, CleanStats] | None = None,
) -> dict[str, Any]:
    """The decision block of the report: the incumbent, the rule, and a verdict per candidate.

    ``clean``: each model's clean-row counts on the same test rows (rules 4 and 5)."""
    clean = clean or {}
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
        "clean": {name: stats.to_dict() for name, stats in clean.items()},
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
            "clean": clean[name].to_dict() if name in clean else None,
        }
        if inc_vals is None or incumbent is None:
            verdict.update(
                eligible=None, reasons=["no incumbent to beat: no live model and no keyword baseline"]
            )
            out["candidates"][name] = verdict
            continue
        verdict.update(_against_incumbent(config, y, scores, name, incumbent, vals, inc_vals, keep, clean))
        out["candidates"][name] = verdict
    return out


def _against_incumbent(
    config: EvalConfig,
    y: np.ndarray,
    scores: dict[str, np.ndarray],
    name: str,
    incumbent: str,
    vals: list[float | None],
    inc_vals: list[float | None],
    keep: list[bool],
    clean: Mapping[str, CleanStats],
) -> dict[str, Any]:
    """A candidate's verdict against the incumbent: the mean improvement, the paired bootstrap's
    lower bound, no category regression, and the clean-row rules (4, 5), with a reason line each."""
    e = config.eligibility
    deltas = {
        c: (v - w if v is not None and w is not None else None)
        for c, v, w in zip(CATEGORIES, vals, inc_vals, strict=True)
    }
    mean = _mean(vals, keep)
    mean_delta = mean - _mean(inc_vals, keep)
    reasons = []
    ok1 = mean_delta > e.min_mean_improvement
    reasons.append(
        f"{'PASS' if ok1 else 'FAIL'}: mean {config.primary_metric} {mean:.4f} vs "
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
    ok45, clean_lines = clean_rules(e, clean.get(name), clean.get(incumbent), incumbent)
    reasons += clean_lines
    return dict(
        incumbent_values=dict(zip(CATEGORIES, inc_vals, strict=True)),
        incumbent_clean=clean[incumbent].to_dict() if incumbent in clean else None,
        deltas=deltas,
        mean_delta=mean_delta,
        bootstrap_lower=lower,
        eligible=bool(ok1 and ok2 and ok3 and ok45),
        reasons=reasons,
    )


def clean_rules(
    e: Eligibility, cand: CleanStats | None, inc: CleanStats | None, incumbent: str
) -> tuple[bool, list[str]]:
    """Rules 4 and 5 (those configured): whether they hold, and a PASS/FAIL line for each."""
    ok, lines = True, []
    if e.max_clean_flag_rate_increase is not None:
        margin = e.max_clean_flag_rate_increase
        c_rate = cand.flag_rate if cand else None
        i_rate = inc.flag_rate if inc else None
        if cand is None or inc is None or c_rate is None or i_rate is None:
            good, text = False, "no clean rows in the test set: false positives could not show"
        else:
            good = c_rate <= i_rate + margin + 1e-12
            text = (
                f"clean listings flagged {c_rate:.1%} ({cand.flagged} of {cand.rows}, {cand.hidden} hidden) "
                f"vs {incumbent} {i_rate:.1%} ({inc.flagged}, {inc.hidden} hidden) "
                f"(at most +{margin * 100:.1f} pt)"
            )
        ok &= good
        lines.append(f"{'PASS' if good else 'FAIL'}: {text}")
    if e.max_regression_hide_increase is not None:
        most = e.max_regression_hide_increase
        if cand is None or inc is None or not cand.regression_rows:
            good, text = False, "no clean regression-set rows in the test set: wrongful hides could not show"
        else:
            good = cand.regression_hidden <= inc.regression_hidden + most
            text = (
                f"clean regression-set listings hidden {cand.regression_hidden} of {cand.regression_rows} "
                f"vs {incumbent} {inc.regression_hidden} (at most +{most})"
            )
        ok &= good
        lines.append(f"{'PASS' if good else 'FAIL'}: {text}")
    return ok, lines


def rule_text(config: EvalConfig) -> str:
    e = config.eligibility
    parts = [f"(1) its mean over categories beats the incumbent's by more than {e.min_mean_improvement:g}"]
    if e.bootstrap_resamples:
        parts.append(
            f"(2) the one-sided {e.confidence:.0%} lower bound of that difference, from a paired bootstrap "
            f"of the test rows ({e.bootstrap_resamples} resamples), is above 0"
        )
    parts.append(
        f"(3) no single category is worse than the incumbent's by more than {e.max_category_regression:g}"
    )
    if e.max_clean_flag_rate_increase is not None:
        parts.append(
            "(4) at each model's own thresholds, its share of clean test rows reported or hidden is at most "
            f"the incumbent's + {e.max_clean_flag_rate_increase * 100:.1f} pt"
        )
    if e.max_regression_hide_increase is not None:
        parts.append(
            f"(5) it hides at most {e.max_regression_hide_increase} more clean rows of the fixed regression "
            "set than the incumbent"
        )
    return (
        f"A candidate is eligible for deployment only if, on test set '{e.test_set}' and the primary "
        f"metric `{config.primary_metric}`, "
        + ", ".join(parts[:-1])
        + f" and {parts[-1]}. The incumbent is the live model (registry champion) when there is one, "
        "otherwise the keyword-rule baseline."
    )
