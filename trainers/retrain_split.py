"""How a retrain splits its snapshot, what it trains on, and the evaluation it judges the new model by.

**Split.** The newest labels are the test rows: the labels CS gave last, by label time (a timestamp
never straddles the cut), at least ``min_test_labels`` of them. Neither model under comparison has
learned from them, unless the live model was itself retrained after they were given (the report says
so). A fixed slice of the base data's clean rows (``clean_holdout_fraction``, by a hash of the listing
id with a fixed salt, so the same rows whatever the seed or the retrain) is held out too: clean rows
for the evaluation that no retrained model learns from. The base data and the older labels are the
rest: about ``valid_fraction`` of them chooses the calibration and the thresholds, the others train.
Which rows validate is a hash of (seed, event id), not a shuffle of the rows as they come: the same
rows split the same way whatever order CS happened to label them in, and a row does not move between
validation and training when later retrains add rows (the order labels arrive in varies with queue
timing; a split that followed it made two retrains of the same labels train different models). Label
rows in the training part may be repeated ``label_weight`` times, to weigh real traffic against the
(larger) base data.

**Negatives kept.** Labels from review are nearly all violations (CS sees what the model flagged and
what customers reported; only the audit sample of allowed listings, a ``labels_for_training`` source
by default, brings "no violation" labels at random). Training on them alone teaches "everything CS
saw is a violation" (issue 11). So the training rows are the older labels plus the base data with its
clean rows plus the written corpus's train part (``trainers.sources``, weighted by
``SOURCE_WEIGHTS``: base and label rows as ``generated``), and its valid part joins the validation
rows, so the thresholds are chosen on data with negatives. The regression set
(``trainers.regression``) is never trained or validated on.

**Evaluation.** The offline evaluation (``trainers.evaluation``) with two models: the new artifact,
exactly as saved (checksum-verified, with its own thresholds), and the live ``champion`` with the
thresholds it runs with. Its test rows are where false positives can show: the newest labels, the
held-out clean base rows (tagged ``set:clean-holdout``) and the regression set (``set:regression``).
The primary metric is PR-AUC by default: a few hundred held-out labels hold too few positives for
recall at 99% precision to mean much. Beside it, eligibility requires the new model's clean-listing
flag rate to stay within ``max_clean_flag_rate_increase`` of the live model's and no more wrongful
hides on the regression set than it (``trainers.evaluation.decision``). The thresholds, eligibility
and primary metric can come from an evaluation config file instead (its data, split and candidates
sections are ignored; its eligibility keys override the defaults one by one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lovemachine.listings import LabelledListing
from lovemachine.retraining import NotEnoughLabelsError
from lovemachine.sampling import unit_hash
from trainers.evaluation.config import EvalConfig, parse_config
from trainers.evaluation.data import Split
from trainers.regression import RegressionSet, without
from trainers.snapshot import Snapshot
from trainers.sources import Sources, WrittenParts, combine

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
        "max_clean_flag_rate_increase": 0.01,
        "max_regression_hide_increase": 1,
    },
    "report": {"examples": 5, "calibration_bins": 10},
}
OVERRIDABLE = ("description", "primary_metric", "thresholds", "eligibility", "report", "baselines")
CLEAN_HOLDOUT_SALT = "retrain-clean-holdout-v1"
CLEAN_HOLDOUT_TAG = "set:clean-holdout"


@dataclass(frozen=True)
class SplitOptions:
    min_labels: int = 200
    test_fraction: float = 0.2
    min_test_labels: int = 50
    valid_fraction: float = 0.15
    label_weight: int = 1
    seed: int = 0
    clean_holdout_fraction: float = 0.05
    """Share of the base data's clean rows held out of training for the evaluation (fixed by id)."""


@dataclass(frozen=True)
class NewestLabelsSplit(Split):
    clean_holdout: list[LabelledListing] = field(default_factory=list)
    """Clean base rows held out of training and validation (``clean_holdout_fraction``)."""


def held_out_clean(row: LabelledListing, fraction: float) -> bool:
    """Whether a base row is in the fixed clean hold-out: clean, and its listing id hashes below."""
    return not any(row.label_vector()) and unit_hash(CLEAN_HOLDOUT_SALT, row.listing.id) < fraction


def hold_out_newest(snap: Snapshot, opts: SplitOptions) -> NewestLabelsSplit:
    """Test: the newest labels; clean hold-out: a fixed slice of the base's clean rows; validation: a
    random share of the rest; train: the remainder."""
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
    holdout = [r for r in snap.base_rows if held_out_clean(r, opts.clean_holdout_fraction)]
    held = {id(r) for r in holdout}
    base = [r for r in snap.base_rows if id(r) not in held]
    rest: list[tuple[LabelledListing, bool]] = sorted(
        [(r, False) for r in base] + [(r, True) for r in older], key=lambda x: x[0].event_id
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
    return NewestLabelsSplit(kind="newest-labels", train=train, valid=valid, test=test, clean_holdout=holdout)


def training_sources(split: Split, written: WrittenParts | None, regression: RegressionSet) -> Sources:
    """Training and validation rows: the split's (base + older labels) and the written corpus's train
    and valid parts, weighted by source, with every regression-set listing left out."""
    ids = regression.listing_ids
    parts = None
    if written is not None:
        parts = WrittenParts(without(written.train, ids), without(written.valid, ids), regression.rows)
    return combine(without(split.train, ids), without(split.valid, ids), parts)


def evaluation_split(split: NewestLabelsSplit, sources: Sources, regression: RegressionSet) -> Split:
    """The split the evaluation sees: what was trained and validated on, and as test rows the newest
    labels + the clean hold-out (tagged ``set:clean-holdout``) + the regression set
    (``set:regression``): rows where false positives can show."""
    return Split(
        kind="newest-labels + clean hold-out + regression set",
        train=sources.train,
        valid=sources.valid,
        test=[*split.test, *_tagged(split.clean_holdout, CLEAN_HOLDOUT_TAG), *regression.tagged()],
    )


def _tagged(rows: Sequence[LabelledListing], tag: str) -> list[LabelledListing]:
    return [r.model_copy(update={"tags": [*r.tags, tag]}) for r in rows]


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
        "description": "The new model against the live one on the newest labels (held out by time), "
        "held-out clean listings and the fixed regression set.",
        **DEFAULT_EVAL,
    }
    base_dir = Path(".")
    if overrides_file is not None:
        loaded = yaml.safe_load(overrides_file.read_text(encoding="utf-8")) or {}
        if not isinstance(loaded, dict):
            raise ValueError(f"{overrides_file}: expected a mapping at the top level")
        raw.update({k: v for k, v in loaded.items() if k in OVERRIDABLE})
        if isinstance(loaded.get("eligibility"), dict):  # key by key: a file cannot drop a rule by omission
            raw["eligibility"] = {**DEFAULT_EVAL["eligibility"], **loaded["eligibility"]}
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
