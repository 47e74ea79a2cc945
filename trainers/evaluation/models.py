"""The models under comparison, each with the thresholds it would really be deployed with.

* ``train``: fitted on the split's training rows by ``trainers.train.fit``; thresholds chosen on
  the split's validation rows (the out-of-sample scores ``fit`` returns) by ``choose_thresholds``
  with this run's precision targets and the review-capacity cap.
* ``champion``: the live model from the registry, with the thresholds recorded when it went live.
* ``artifact``: a model directory on disk (``model.pkl`` + ``metadata.json``), with its recorded
  thresholds; its checksum is verified before the pickle is loaded.
* ``keyword_rules``: the CS-rule baseline (``baselines.py``): every match reported, none hidden.

The review capacity is shared by the categories in proportion to their validation positives, so the
four report bands together stay within ``review_capacity_per_day``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lovemachine.categories import CATEGORIES
from lovemachine.classifiers import Classifier
from lovemachine.errors import LovemachineError
from lovemachine.listings import LabelledListing
from lovemachine.policy import Policy
from lovemachine.policy.thresholds import capacity_shares as _capacity_shares, select_thresholds
from lovemachine.ports import ModelRegistry
from lovemachine.registry import load_artifact
from lovemachine.registry.loader import load_record
from trainers.evaluation.baselines import RULE_CUT, KeywordRulesModel, load_rules
from trainers.evaluation.config import (
    ArtifactCandidate,
    ChampionCandidate,
    EvalConfig,
    EvaluationError,
    ThresholdSettings,
    TrainCandidate,
)
from trainers.evaluation.data import Split, labels
from trainers.evaluation.metrics import Cut, threshold_json

Progress = Callable[[str], None]


@dataclass
class EvalModel:
    name: str
    source: str
    model: Classifier
    cuts: dict[str, Cut]
    info: dict[str, Any] = field(default_factory=dict)

    def thresholds_json(self) -> dict[str, dict[str, float | None]]:
        return {
            c: {"report": threshold_json(t.report), "hide": threshold_json(t.hide)}
            for c, t in self.cuts.items()
        }


def capacity_shares(y_valid: np.ndarray, settings: ThresholdSettings | None = None) -> np.ndarray:
    """Each category's share of the review capacity (``lovemachine.policy.thresholds``)."""
    if settings is None:
        return _capacity_shares(y_valid)
    rates = settings.spec().base_rates or {}
    return _capacity_shares(y_valid, [rates.get(c) for c in CATEGORIES])


def choose_cuts(y_valid: np.ndarray, s_valid: np.ndarray, settings: ThresholdSettings) -> dict[str, Cut]:
    """Thresholds by the same function and specification as training (``select_thresholds``)."""
    chosen = select_thresholds(y_valid, s_valid, settings.spec(), CATEGORIES)
    return {c: Cut(report=t.report, hide=t.hide) for c, t in chosen.items()}


def cuts_from_policy(policy: Policy) -> dict[str, Cut]:
    never = Cut(math.inf, math.inf)
    return {
        c: Cut(policy.thresholds[c].report, policy.thresholds[c].hide) if c in policy.thresholds else never
        for c in CATEGORIES
    }


def build_models(
    config: EvalConfig,
    split: Split,
    *,
    data_sha256: str,
    registry: ModelRegistry | None,
    registry_note: str | None,
    progress: Progress,
) -> tuple[list[EvalModel], list[str]]:
    """Every configured model that can be had, and a note for each optional one that cannot."""
    models: list[EvalModel] = []
    notes: list[str] = []
    y_valid = labels(split.valid)
    for cand in config.candidates:
        if isinstance(cand, TrainCandidate):
            models.append(_train(cand, split, y_valid, config, progress))
        elif isinstance(cand, ChampionCandidate):
            m, note = _champion(cand, registry, registry_note, progress)
            if m is not None:
                models.append(m)
            if note:
                notes.append(note)
        else:
            models.append(_artifact(cand, progress))
    if config.baselines.keyword_rules is not None:
        rules = KeywordRulesModel(load_rules(config.baselines.keyword_rules))
        info = {
            "rules": rules.rule_counts,
            "path": str(config.baselines.keyword_rules),
            "thresholds_from": "none: every match reported, nothing hidden (how CS uses search conditions)",
        }
        models.append(
            EvalModel("keyword_rules", "keyword_rules", rules, dict.fromkeys(CATEGORIES, RULE_CUT), info)
        )
    for m in models:
        if "warning" in m.info:
            notes.append(f"{m.name}: {m.info['warning']}")
        if m.info.get("training_data_sha256") == data_sha256:
            notes.append(
                f"{m.name} was trained on this very data file (same sha256): its test rows are "
                "training rows for it and its metrics are optimistic"
            )
    return models, notes


def _train(
    cand: TrainCandidate, split: Split, y_valid: np.ndarray, config: EvalConfig, progress: Progress
) -> EvalModel:
    from trainers.train import TrainConfig, fit

    options: dict[str, Any] = {
        "seed": config.split.seed,
        "hide_precision": config.thresholds.hide_precision,
        "report_precision": config.thresholds.report_precision,
        **cand.train_options,
    }
    for key, value in options.items():
        if isinstance(value, list):  # YAML has no tuples; TrainConfig's bands are tuples
            options[key] = tuple(value)
    try:
        train_config = TrainConfig(**options)
    except (TypeError, ValueError) as exc:
        raise EvaluationError(f"candidate {cand.name!r}: invalid train_options: {exc}") from None
    progress(f"{cand.name}: fitting on {len(split.train):,} rows")
    fitted = fit(split.train, split.valid, train_config, progress=lambda m: progress(f"{cand.name}: {m}"))
    s_valid = getattr(fitted, "valid_scores", None)
    info: dict[str, Any] = {
        "train_options": dict(cand.train_options),
        "fit_thresholds": fitted.policy.to_dict(),
    }
    if s_valid is None:  # an older fit(): score the validation rows (in-sample for the calibrator)
        s_valid = fitted.model.predict_scores([r.listing for r in split.valid])
        info["warning"] = (
            "fit() returned no out-of-sample validation scores; thresholds chosen on in-sample scores"
        )
    info["thresholds_from"] = "this split's validation rows (out-of-sample), capacity-capped"
    return EvalModel(
        cand.name, "train", fitted.model, choose_cuts(y_valid, np.asarray(s_valid), config.thresholds), info
    )


def _champion(
    cand: ChampionCandidate, registry: ModelRegistry | None, registry_note: str | None, progress: Progress
) -> tuple[EvalModel | None, str | None]:
    def missing(why: str) -> tuple[None, str]:
        if cand.required:
            raise EvaluationError(f"{cand.name}: {why} (required: true)")
        return None, f"{cand.name} (live model) skipped: {why}"

    if registry is None:
        return missing(registry_note or "no model registry")
    progress(f"{cand.name}: loading the '{cand.alias}' model from the registry")
    try:
        record = registry.get_alias(cand.alias)
    except Exception as exc:
        return missing(f"cannot read the model registry ({type(exc).__name__}: {exc})")
    if record is None:
        return missing(f"no model version has the alias '{cand.alias}'")
    try:
        loaded = load_record(record)
    except LovemachineError as exc:
        return missing(str(exc))
    info = {
        "version": record.version,
        "created_at": record.created_at.isoformat(),
        "training_data_sha256": record.training_data_sha256,
        "thresholds_from": "the registry record (what is live now)",
    }
    return EvalModel(cand.name, "champion", loaded.model, cuts_from_policy(loaded.policy), info), None


def _artifact(cand: ArtifactCandidate, progress: Progress) -> EvalModel:
    meta_path = cand.path / "metadata.json"
    try:
        meta: Mapping[str, Any] = json.loads(meta_path.read_text())
    except (OSError, ValueError) as exc:
        raise EvaluationError(f"candidate {cand.name!r}: cannot read {meta_path}: {exc}") from None
    sha = cand.sha256 or meta.get("artifact_sha256")
    if not isinstance(sha, str) or not isinstance(meta.get("thresholds"), dict):
        raise EvaluationError(f"candidate {cand.name!r}: {meta_path} lacks artifact_sha256 or thresholds")
    progress(f"{cand.name}: loading {cand.path}")
    version = str(meta.get("version", cand.path.name))
    try:
        loaded = load_artifact(
            str(cand.path), expected_sha256=sha, version=version, policy=Policy.from_dict(meta["thresholds"])
        )
    except (LovemachineError, ValueError) as exc:
        raise EvaluationError(f"candidate {cand.name!r}: {exc}") from None
    info = {
        "version": version,
        "training_data_sha256": meta.get("training_data_sha256"),
        "checksum_from": "config" if cand.sha256 else "metadata.json (detects corruption, not tampering)",
        "thresholds_from": "the artifact's metadata.json",
    }
    return EvalModel(cand.name, "artifact", loaded.model, cuts_from_policy(loaded.policy), info)


def score(model: EvalModel, rows: Sequence[LabelledListing], batch: int = 2048) -> np.ndarray:
    listings = [r.listing for r in rows]
    parts = [model.model.predict_scores(listings[i : i + batch]) for i in range(0, len(listings), batch)]
    cats = tuple(model.model.categories)
    out = np.vstack(parts) if parts else np.zeros((0, len(cats)))
    missing = [c for c in CATEGORIES if c not in cats]
    if missing:
        raise EvaluationError(f"{model.name} does not score {missing}")
    return np.asarray(out, dtype=np.float64)[:, [cats.index(c) for c in CATEGORIES]]
