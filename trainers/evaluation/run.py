"""One evaluation run: config -> data and split -> models -> scores -> metrics -> decision.

``run_evaluation`` is the whole job without any I/O but reading the configured inputs; the CLI
renders its result (``report.write_report``). Every model is scored on the same rows of every test
set, so comparisons are paired (seed 002: a fair comparison with the baseline).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from lovemachine.categories import CATEGORIES
from lovemachine.ports import ModelRegistry
from trainers.evaluation.clean import clean_stats
from trainers.evaluation.config import EvalConfig, EvaluationError
from trainers.evaluation.data import LabelledSet, Split, load_rows, load_test_sets, split_rows, time_range
from trainers.evaluation.decision import judge
from trainers.evaluation.metrics import category_metrics, daily_volume
from trainers.evaluation.models import EvalModel, build_models, capacity_shares, score
from trainers.evaluation.slices import slices, worst_examples

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Evaluation:
    summary: dict[str, Any]
    """Everything ``metrics.json`` holds (JSON-ready)."""
    labels: dict[str, np.ndarray]
    """Test set -> label matrix (n, len(CATEGORIES))."""
    scores: dict[str, dict[str, np.ndarray]]
    """Test set -> model -> score matrix (n, len(CATEGORIES)), for the plots."""


def run_evaluation(
    config: EvalConfig,
    *,
    registry: ModelRegistry | None = None,
    registry_note: str | None = None,
    progress: Progress | None = None,
) -> Evaluation:
    """The evaluation a config file describes: read its data, split it, then :func:`evaluate_split`."""
    say = progress or (lambda _m: None)
    started = datetime.now(UTC)
    rows, sha, source = load_rows(config.data, say)
    split = split_rows(rows, config.split)
    extra, notes = load_test_sets(config.data)
    return evaluate_split(
        config,
        split,
        data_sha256=sha,
        data_source=source,
        extra_test_sets=extra,
        notes=notes,
        registry=registry,
        registry_note=registry_note,
        progress=say,
        started=started,
    )


def evaluate_split(
    config: EvalConfig,
    split: Split,
    *,
    data_sha256: str,
    data_source: str,
    extra_test_sets: Sequence[LabelledSet] = (),
    notes: Sequence[str] = (),
    registry: ModelRegistry | None = None,
    registry_note: str | None = None,
    progress: Progress | None = None,
    started: datetime | None = None,
) -> Evaluation:
    """Evaluate ``config``'s models on rows already in memory and split by the caller.

    ``config.data`` is not read and ``config.split`` only lends its seed to the bootstrap: the caller
    read and split the rows (``lovemachine retrain`` holds out its newest labels). ``data_sha256`` and
    ``data_source`` describe them in the report. Every model is scored on ``split.test`` and on each
    of ``extra_test_sets``.
    """
    say = progress or (lambda _m: None)
    started = started or datetime.now(UTC)
    sha, source, extra, notes = data_sha256, data_source, list(extra_test_sets), list(notes)
    models, model_notes = build_models(
        config, split, data_sha256=sha, registry=registry, registry_note=registry_note, progress=say
    )
    notes += model_notes
    if not models:
        raise EvaluationError("nothing to evaluate: no model could be had (" + "; ".join(notes) + ")")
    test_sets = [LabelledSet("split", split.test, f"{split.kind} split: newest/held-out rows"), *extra]
    labels: dict[str, np.ndarray] = {}
    scores: dict[str, dict[str, np.ndarray]] = {}
    results: dict[str, Any] = {}
    for ts in test_sets:
        labels[ts.name] = ts.y
        scores[ts.name] = {}
        results[ts.name] = {}
        for m in models:
            say(f"scoring {len(ts.rows):,} rows of '{ts.name}' with {m.name}")
            s = score(m, ts.rows)
            scores[ts.name][m.name] = s
            results[ts.name][m.name] = _model_results(config, ts, m, s)
    say("judging eligibility (paired bootstrap)")
    decision = _decision(config, models, test_sets, labels, scores, notes)
    notes += _threshold_notes(models, results)
    summary = {
        "name": config.name,
        "description": config.description,
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "categories": list(CATEGORIES),
        "config": config.model_dump(mode="json"),
        "data": _data_summary(source, sha, split),
        "test_sets": {
            ts.name: {"source": ts.source, "rows": len(ts.rows), "positives": _positives(ts.y)}
            for ts in test_sets
        },
        "thresholds": {
            **config.thresholds.model_dump(),
            "max_flag_rate": config.thresholds.max_flag_rate,
            "capacity_share": dict(
                zip(CATEGORIES, capacity_shares(_y(split), config.thresholds).tolist(), strict=True)
            ),
        },
        "primary_metric": config.primary_metric,
        "models": {
            m.name: {"source": m.source, "thresholds": m.thresholds_json(), "info": m.info} for m in models
        },
        "results": results,
        "decision": decision,
        "notes": notes,
    }
    return Evaluation(summary=summary, labels=labels, scores=scores)


def _decision(
    config: EvalConfig,
    models: Sequence[EvalModel],
    test_sets: Sequence[LabelledSet],
    labels: dict[str, np.ndarray],
    scores: dict[str, dict[str, np.ndarray]],
    notes: list[str],
) -> dict[str, Any]:
    """The verdicts on the decision test set (with each model's clean-row counts), or an empty
    decision, noted, when that set was skipped."""
    decision_set = config.eligibility.test_set
    if decision_set not in labels:
        notes.append(f"no decision: the decision test set '{decision_set}' was skipped")
        return {"rule": "", "candidates": {}, "incumbent": None, "test_set": decision_set}
    rows = next(ts.rows for ts in test_sets if ts.name == decision_set)
    clean = {m.name: clean_stats(rows, scores[decision_set][m.name], m.cuts) for m in models}
    return judge(
        config, labels[decision_set], scores[decision_set], {m.name: m.source for m in models}, clean
    )


def _y(split: Split) -> np.ndarray:
    return LabelledSet("valid", split.valid, "").y


def _positives(y: np.ndarray) -> dict[str, int]:
    return {c: int(y[:, k].sum()) for k, c in enumerate(CATEGORIES)}


def _model_results(config: EvalConfig, ts: LabelledSet, m: EvalModel, s: np.ndarray) -> dict[str, Any]:
    t = config.thresholds
    y = ts.y
    cats: dict[str, Any] = {}
    for k, c in enumerate(CATEGORIES):
        cut = m.cuts[c]
        block = category_metrics(
            y[:, k],
            s[:, k],
            cut,
            hide_precision=t.hide_precision,
            report_precision=t.report_precision,
            daily_listings=t.daily_listings,
            bins=config.report.calibration_bins,
        )
        block["slices"] = slices(ts.rows, y[:, k], s[:, k], cut, c)
        block["examples"] = worst_examples(ts.rows, y[:, k], s[:, k], cut, config.report.examples)
        cats[c] = block
    volume = daily_volume(s, [m.cuts[c] for c in CATEGORIES], t.daily_listings)
    volume["review_capacity_per_day"] = t.review_capacity_per_day
    volume["within_capacity"] = volume["review_items_per_day"] <= t.review_capacity_per_day
    return {"categories": cats, "volume": volume}


def _data_summary(source: str, sha: str, split: Split) -> dict[str, Any]:
    parts = {}
    for name, rows in (("train", split.train), ("valid", split.valid), ("test", split.test)):
        first, last = time_range(rows)
        parts[name] = {
            "rows": len(rows),
            "from": first,
            "to": last,
            "positives": _positives(LabelledSet(name, rows, "").y),
        }
    return {"source": source, "sha256": sha, "split": split.kind, "parts": parts}


def _threshold_notes(models: list[EvalModel], results: dict[str, Any]) -> list[str]:
    """Warnings a reviewer must not miss: capacity overruns (on the split's rows, the only ones that
    look like traffic), hide thresholds that broke their precision promise, and hide thresholds of
    1.0 that still act on scores of exactly 1.0."""
    notes = []
    for ts, per_model in results.items():
        for m in models:
            r = per_model[m.name]
            vol = r["volume"]
            if ts == "split" and not vol["within_capacity"]:
                notes.append(
                    f"{m.name}: {vol['review_items_per_day']:,.0f} review items/day exceed the review "
                    f"capacity of {vol['review_capacity_per_day']:,}"
                )
            missed = [
                f"{c} {b['hide']['precision']:.3f}"
                for c, b in r["categories"].items()
                if b["hide_precision_held"] is False
            ]
            if missed:
                notes.append(f"{m.name} on '{ts}': hide precision below its target in " + ", ".join(missed))
            at_one = [
                f"{c} ({b['scores_exactly_one']} rows)"
                for c, b in r["categories"].items()
                if m.source != "keyword_rules" and b["hide"]["threshold"] == 1.0 and b["scores_exactly_one"]
            ]
            if at_one:
                notes.append(
                    f"{m.name} on '{ts}': hide threshold 1.0 (also choose_thresholds' 'never') still hides "
                    "scores of exactly 1.0, as production's >= does: " + ", ".join(at_one)
                )
    return notes
