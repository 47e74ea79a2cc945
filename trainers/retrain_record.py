"""What a retraining run writes down besides the model: the evaluation verdict the promotion gate
reads, the clean-listing numbers beside it, the notes that qualify the comparison, the artifact's
metadata, and the JSON-safe form of all of it (the registry and the run detail store JSON)."""

from __future__ import annotations

import hashlib
import platform
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from lovemachine.categories import CATEGORIES
from lovemachine.ports import TrainingStore
from lovemachine.registry.aliases import Alias
from lovemachine.registry.verdict import EvaluationVerdict
from trainers.regression import META_KEY as REGRESSION_META_KEY
from trainers.retrain_split import CANDIDATE, NewestLabelsSplit
from trainers.snapshot import Snapshot, canonical


def rows_sha256(rows: list[Any]) -> str:
    h = hashlib.sha256()
    for row in rows:
        h.update((canonical(row) + "\n").encode())
    return h.hexdigest()


def path_str(path: Path | None) -> str | None:
    return str(path) if path is not None else None


def provenance_summary(snap: Snapshot) -> dict[str, Any]:
    p = snap.provenance
    return {
        "rows": p["rows"],
        "label_rows": p["label_rows"],
        "by_source": p["by_source"],
        "labels_time_range": p["labels_time_range"],
        "labels": p["labels"],
        "base": {k: p["base"][k] for k in ("source", "sha256", "rows")},
    }


def verdict_of(decision: dict[str, Any], primary_metric: str, report_dir: Path) -> EvaluationVerdict:
    """The candidate's verdict from the evaluation's decision section."""
    verdict = decision["candidates"].get(CANDIDATE, {})
    return EvaluationVerdict(
        report_path=str(report_dir),
        eligible=verdict.get("eligible") is True,
        incumbent=decision.get("incumbent"),
        primary_metric=primary_metric,
        mean=verdict.get("mean"),
        mean_delta=verdict.get("mean_delta"),
        bootstrap_lower=verdict.get("bootstrap_lower"),
        **clean_summary(verdict),
        reasons=list(verdict.get("reasons") or ["no live model to compare with"]),
    )


CLEAN_KEYS = (
    "clean_rows",
    "clean_flag_rate",
    "clean_hidden",
    "regression_hidden",
    "live_clean_flag_rate",
    "live_clean_hidden",
    "live_regression_hidden",
)


def clean_summary(verdict: dict[str, Any]) -> dict[str, Any]:
    """The clean-listing numbers of the verdict, flat, for the registry metrics and the run detail."""
    cand = verdict.get("clean") or {}
    live = verdict.get("incumbent_clean") or {}
    return {
        "clean_rows": cand.get("rows"),
        "clean_flag_rate": cand.get("flag_rate"),
        "clean_hidden": cand.get("hidden"),
        "regression_hidden": cand.get("regression_hidden"),
        "live_clean_flag_rate": live.get("flag_rate"),
        "live_clean_hidden": live.get("hidden"),
        "live_regression_hidden": live.get("regression_hidden"),
    }


def clean_rows_note(store: TrainingStore, split: NewestLabelsSplit) -> list[str]:
    """Where the clean test rows come from, and what the live model may have seen of them."""
    champion = store.get_alias(Alias.CHAMPION)
    audit = sum("source:audit" in r.tags and "label:no_violation" in r.tags for r in split.test)
    return [
        f"clean test rows: {len(split.clean_holdout):,} base rows held out by a fixed hash of the listing id "
        "(never trained on by a retrained model; the live model "
        f"{champion.version if champion else '-'} may have learned from them if it was trained on the same "
        "base data, which favours it), the clean rows of the regression set (kept with the model, never "
        f"trained on), and {audit} audit-sampled 'no violation' labels among the held-out labels"
    ]


def champion_overlap_note(store: TrainingStore, test: list[Any]) -> list[str]:
    """A note when the live model was itself retrained on labels that are test rows here."""
    champion = store.get_alias(Alias.CHAMPION)
    if champion is None:
        return []
    snap = champion.metrics.get("dataset_snapshot")
    until = snap.get("labels_time_range", {}).get("to") if isinstance(snap, dict) else None
    if not until:
        return []
    seen = sum(r.occurred_at <= datetime.fromisoformat(until) for r in test)
    if not seen:
        return []
    return [
        f"the live model {champion.version} was trained on labels up to {until}: {seen} of the "
        f"{len(test)} held-out labels were training rows for it, so its numbers are optimistic "
        "(the comparison favours the live model)"
    ]


def artifact_metadata(
    name: str,
    now: datetime,
    thresholds: dict[str, dict[str, float]],
    metrics: dict[str, Any],
    snap: Snapshot,
    retrain: dict[str, Any],
) -> dict[str, Any]:
    """The artifact's metadata.json: what it was trained on, with what, and how it scored."""
    import lightgbm
    import sklearn

    return {
        "name": name,
        "created_at": now.isoformat(),
        "categories": list(CATEGORIES),
        "thresholds": thresholds,
        "metrics": json_safe(metrics),
        "training_data_sha256": snap.sha256,
        "training_rows": len(snap.rows),
        "dataset_snapshot": snap.provenance,
        "retrain": retrain,
        REGRESSION_META_KEY: metrics[REGRESSION_META_KEY],
        "libraries": {
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "lightgbm": lightgbm.__version__,
            "numpy": np.__version__,
        },
    }


def json_safe(x: Any) -> Any:
    """NaN and infinities become None (the registry stores JSON)."""
    if isinstance(x, float):
        return x if np.isfinite(x) else None
    if isinstance(x, dict):
        return {str(k): json_safe(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [json_safe(v) for v in x]
    return x
