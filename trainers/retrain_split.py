"""How a retrain splits its snapshot, and the evaluation it judges the new model by.

**Split.** The newest labels are the test rows: the labels CS gave last, by label time (a timestamp
never straddles the cut), at least ``min_test_labels`` of them. Neither model under comparison has
learned from them, unless the live model was itself retrained after they were given (the report says
so). The base data and the older labels are the rest: about ``valid_fraction`` of them chooses the
calibration and the thresholds, the others train. Which rows validate is a hash of (seed, event id),
not a shuffle of the rows as they come: the same rows split the same way whatever order CS happened to
label them in, and a row does not move between validation and training when later retrains add rows
(the order labels arrive in varies with queue timing; a split that followed it made two retrains of
the same labels train different models). Label rows in the training part may be repeated
``label_weight`` times, to weigh real traffic against the (larger) base data.

**Evaluation.** The offline evaluation (``trainers.evaluation``) on those test rows, with two
models: the new artifact, exactly as saved (checksum-verified, with its own thresholds), and the live
``champion`` with the thresholds it runs with. The primary metric is PR-AUC by default: a few hundred
held-out labels hold too few positives for recall at 99% precision to mean much. The thresholds,
eligibility and primary metric can come from an evaluation config file instead (its data, split and
candidates sections are ignored).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lovemachine.listings import LabelledListing
from lovemachine.retraining import NotEnoughLabelsError
from lovemachine.sampling import unit_hash
from trainers.evaluation.config import EvalConfig, parse_config
from trainers.evaluation.data import Split
from trainers.snapshot import Snapshot

CANDIDATE = "candidate"
LIVE = "live"

DEFAULT_EVAL: dict[str, Any] = {
    "primary_metric": "pr_auc",
    "thresholds": {
        "hide_precision": 0.99,
        "report_precision": 0.8,
        "review_capacity_per_day": 50_000,
        "daily_listings": 200_000,
    },
    "eligibility": {
        "test_set": "split",
        "min_mean_improvement": 0.0,
        "max_category_regression": 0.02,
        "bootstrap_resamples": 200,
        "confidence": 0.9,
    },
    "report": {"examples": 5, "calibration_bins": 10},
}
OVERRIDABLE = ("description", "primary_metric", "thresholds", "eligibility", "report", "baselines")


@dataclass(frozen=True)
class SplitOptions:
    min_labels: int = 200
    test_fraction: float = 0.2
    min_test_labels: int = 50
    valid_fraction: float = 0.15
    label_weight: int = 1
    seed: int = 0


def hold_out_newest(snap: Snapshot, opts: SplitOptions) -> Split:
    """Test: the newest labels; validation: a random share of the rest; train: the remainder."""
    labels = snap.label_rows  # oldest label first
    if len(labels) < opts.min_labels:
        raise NotEnoughLabelsError(
            f"only {len(labels)} usable labels (CS and audit labels on listing versions the store still "
            f"holds, after overturned ones gave way); retraining needs at least {opts.min_labels} "
            "(--min-labels): let CS label more, or lower the minimum"
        )
    n_test = min(len(labels), max(opts.min_test_labels, round(len(labels) * opts.test_fraction)))
    cut = labels[len(labels) - n_test].occurred_at
    test = [r for r in labels if r.occurred_at >= cut]
    older = [r for r in labels if r.occurred_at < cut]
    rest: list[tuple[LabelledListing, bool]] = sorted(
        [(r, False) for r in snap.base_rows] + [(r, True) for r in older], key=lambda x: x[0].event_id
    )
    valid: list[LabelledListing] = []
    train: list[LabelledListing] = []
    for row, is_label in rest:
        if unit_hash(opts.seed, row.event_id) < opts.valid_fraction:
            valid.append(row)
        else:
            train.extend([row] * (opts.label_weight if is_label else 1))
    if not train or not valid:
        raise NotEnoughLabelsError(
            f"{len(rest)} rows besides the {len(test)} held-out labels are too few to train and validate "
            "on; add base data (--base-data) or labels"
        )
    return Split(kind="newest-labels", train=train, valid=valid, test=test)


def eval_config(
    *,
    artifact_path: str,
    artifact_sha256: str,
    snapshot: str,
    split: SplitOptions,
    overrides_file: Path | None = None,
) -> tuple[EvalConfig, str]:
    """The retrain's evaluation config and its YAML text (written beside the report)."""
    raw: dict[str, Any] = {
        "name": "retrain",
        "description": "The new model against the live one on the newest labels, held out by time.",
        **DEFAULT_EVAL,
    }
    base_dir = Path(".")
    if overrides_file is not None:
        loaded = yaml.safe_load(overrides_file.read_text(encoding="utf-8")) or {}
        if not isinstance(loaded, dict):
            raise ValueError(f"{overrides_file}: expected a mapping at the top level")
        raw.update({k: v for k, v in loaded.items() if k in OVERRIDABLE})
        base_dir = overrides_file.parent
    raw["data"] = {"snapshot": snapshot}
    raw["split"] = {  # what hold_out_newest did, for the record (its seed also seeds the bootstrap)
        "kind": "time",
        "valid_fraction": split.valid_fraction,
        "test_fraction": split.test_fraction,
        "seed": split.seed,
    }
    raw["candidates"] = [
        {"name": CANDIDATE, "source": "artifact", "path": artifact_path, "sha256": artifact_sha256},
        {"name": LIVE, "source": "champion", "required": False},
    ]
    config = parse_config(raw, base_dir=base_dir, origin=str(overrides_file or "retrain"))
    return config, yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
