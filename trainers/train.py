"""Training job: labelled JSONL -> fitted model, thresholds from held-out data, metrics, artifact.

Pure steps (split -> fit -> choose thresholds -> evaluate) with a thin ``train_and_register`` around
them that writes the artifact and the registry record and, when asked, points ``champion`` at it.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from lovemachine.categories import ADULT, CASH, CATEGORIES, COUNTERFEIT
from lovemachine.classifiers import Classifier, FastTierModel
from lovemachine.classifiers.calibration import expected_calibration_error
from lovemachine.classifiers.cascade import CascadeModel, TextScorer
from lovemachine.classifiers.novelty import novelty_threshold
from lovemachine.features.text import listing_text
from lovemachine.images import ImageScorer
from lovemachine.listings import LabelledListing
from lovemachine.monitoring.drift import METRICS_KEY as REFERENCE_KEY, reference_distribution
from lovemachine.policy import Policy
from lovemachine.policy.thresholds import (
    DEFAULT_BASE_RATES,
    DEFAULT_MAX_FLAG_RATE,
    ThresholdSpec,
    select_thresholds,
)
from lovemachine.ports import ModelRegistry, ModelVersionRecord
from lovemachine.registry import new_model_version, save_artifact
from lovemachine.registry.aliases import Alias
from trainers.cascade import DEFAULT_MAX_DEEP_SHARE, fit_cascade
from trainers.dataset import Dataset, split_indices
from trainers.metrics import category_metrics
from trainers.regression import META_KEY as REGRESSION_META_KEY, regression_set_for
from trainers.sources import GENERATED, SOURCE_WEIGHTS, WRITTEN, WrittenParts, combine

Progress = Callable[[str], None]


@dataclass(frozen=True)
class TrainConfig:
    split: str = "random"
    valid_fraction: float = 0.15
    test_fraction: float = 0.15
    hide_precision: float = 0.99
    report_precision: float = 0.8
    base_rates: Mapping[str, float] | None = field(default_factory=lambda: dict(DEFAULT_BASE_RATES))
    """Live share of violations per category: hide and report precision are judged at these rates,
    not at the validation rows' ~20% (``lovemachine.policy.thresholds.base_rate_weights``)."""
    max_flag_rate: float | None = DEFAULT_MAX_FLAG_RATE
    """Review capacity / daily listings: the share of traffic the report bands may flag together."""
    seed: int = 0
    calibration: str = "sigmoid"  # Platt: keeps the ranking strict; isotonic ties hurt PR-AUC on unseen text
    """'isotonic' or 'sigmoid' (Platt): how fast-tier scores become probabilities."""
    deep: bool = False
    """Train the deep tier (a transformer) and run it on the fast tier's uncertain band."""
    deep_backbone: str = "scratch"
    deep_max_train_rows: int = 20_000
    deep_epochs: int | None = None
    deep_quantize: bool = True
    """Run the deep tier with dynamic int8 linear layers: ~1.6-2x faster, scores within 1e-3."""
    band: tuple[float, float] = (0.02, 0.98)
    max_deep_share: float = DEFAULT_MAX_DEEP_SHARE
    """At most this share of (validation) listings reaches the deep tier (why 10%: its definition)."""
    image_band: tuple[float, float] | None = (0.02, 0.98)
    novelty_quantile: float = 0.98
    """Listings more novel than this share of validation listings are unfamiliar: reported, not
    hidden (``lovemachine.classifiers.novelty``)."""
    folds_by_writer: bool = False
    """Keep each writer's rows (the ``persona:`` tag of written corpora) in one fold of the text
    heads' out-of-fold scores, so the stacker learns how text scores hold on unseen writers
    (``FastTierModel.fit``'s ``groups``). Off: leave-one-writer-out runs found no gain (16 wrongful
    hides in five folds against 14, violations acted on .890 against .897; docs/quality.md)."""
    deep_categories: tuple[str, ...] = (COUNTERFEIT, ADULT, CASH)
    """Categories the deep tier may rescore. Keyword stuffing is left to the fast tier: it is the
    shape of the whole description (a wall of names, often past any token window), which the fast
    tier's shape features measure over all of it and the deep tier sees a truncated window of. On
    the hand-written set the cascade took stuffing's PR-AUC from .985 to .861 (docs/deep_tier.md)."""

    def threshold_spec(self) -> ThresholdSpec:
        return ThresholdSpec(
            hide_precision=self.hide_precision,
            report_precision=self.report_precision,
            base_rates=self.base_rates,
            max_flag_rate=self.max_flag_rate,
        )


@dataclass(frozen=True)
class TrainResult:
    model: Classifier
    policy: Policy
    metrics: dict[str, Any]
    data_sha256: str
    train_seconds: float


@dataclass(frozen=True)
class Fitted:
    """A model fitted on training rows with its thresholds chosen on validation rows."""

    model: Classifier
    policy: Policy
    valid_scores: np.ndarray
    """Out-of-sample scores of the validation rows (what the thresholds were chosen on)."""
    deep_share_valid: float = 0.0
    """Share of validation rows the cascade routed to the deep tier."""
    reference_scores: dict[str, list[float]] | None = None
    """Per category, the validation scores' distribution at the live base rates: workers measure
    score drift against it (``lovemachine.monitoring.drift``)."""


def writer_groups(rows: Sequence[LabelledListing]) -> list[str | None] | None:
    """Each row's writer (its ``persona:`` tag), ``None`` where unknown; ``None`` if no row has one."""
    groups = [next((t for t in r.tags if t.startswith("persona:")), None) for r in rows]
    return groups if any(groups) else None


def fit(
    train_rows: Sequence[LabelledListing],
    valid_rows: Sequence[LabelledListing],
    config: TrainConfig = TrainConfig(),
    progress: Progress | None = None,
    *,
    image_scorer: ImageScorer | None = None,
    train_weight: np.ndarray | None = None,
    valid_groups: Sequence[str] | None = None,
) -> Fitted:
    """Fit the model on ``train_rows`` (weighted by ``train_weight``, default 1 each: see
    ``trainers.sources``); calibrate and choose thresholds on ``valid_rows`` (a hide threshold must hold
    on each of ``valid_groups``, the rows' sources, as well as on all of them)."""
    say = progress or (lambda _m: None)
    y_tr = _labels(train_rows)
    y_va = _labels(valid_rows)
    fast = FastTierModel(random_state=config.seed).fit(
        [r.listing for r in train_rows],
        y_tr,
        progress=say,
        sample_weight=train_weight,
        groups=writer_groups(train_rows) if config.folds_by_writer else None,
    )
    deep = _fit_deep(train_rows, y_tr, config, say) if config.deep else None
    cf = fit_cascade(
        fast,
        [r.listing for r in valid_rows],
        y_va,
        deep=deep,
        calibration=config.calibration,
        band=config.band,
        max_deep_share=config.max_deep_share,
        image_band=config.image_band,
        image_scorer=image_scorer,
        seed=config.seed,
        progress=say,
        deep_categories=config.deep_categories,
    )
    model, s_va = cf.model, cf.valid_scores
    say("novelty threshold on the validation split")
    model.novelty_threshold = novelty_threshold(
        fast.novelty([r.listing for r in valid_rows]), config.novelty_quantile
    )
    say("choosing thresholds on the validation split")
    policy = Policy(select_thresholds(y_va, s_va, config.threshold_spec(), CATEGORIES, valid_groups))
    return Fitted(
        model=model,
        policy=policy,
        valid_scores=s_va,
        deep_share_valid=cf.deep_share_valid,
        reference_scores=reference_distribution(s_va, y_va, config.base_rates),
    )


def _fit_deep(
    rows: Sequence[LabelledListing], y: np.ndarray, config: TrainConfig, say: Progress
) -> TextScorer:
    from lovemachine.adapters.torch_text import DeepTextClassifier

    idx = np.arange(len(rows))
    if len(rows) > config.deep_max_train_rows:
        idx = np.random.default_rng(config.seed).choice(len(rows), config.deep_max_train_rows, replace=False)
    texts = [
        listing_text(rows[i].listing.title, rows[i].listing.description, rows[i].listing.brand)
        for i in idx.tolist()
    ]
    kw: dict[str, Any] = {
        "backbone": config.deep_backbone,
        "random_state": config.seed,
        "quantize": config.deep_quantize,
    }
    if config.deep_epochs is not None:
        kw["epochs"] = config.deep_epochs
    say(f"deep tier ({config.deep_backbone}) on {len(idx):,} listings")
    return DeepTextClassifier(**kw).fit(texts, y[idx], progress=say)


def _labels(rows: Sequence[LabelledListing]) -> np.ndarray:
    return np.array([r.label_vector() for r in rows], dtype=np.int8).reshape(-1, len(CATEGORIES))


def train(
    data: Dataset,
    config: TrainConfig = TrainConfig(),
    progress: Progress | None = None,
    *,
    image_scorer: ImageScorer | None = None,
    written: WrittenParts | None = None,
    source_weights: dict[str, float] | None = None,
) -> TrainResult:
    """Split ``data`` into train/validation/test and fit; ``written`` (the independently written
    corpus, ``trainers.sources``) adds its train part to training, with its per-source weight, and its
    validation part to validation; its regression part is scored and reported, never learned from."""
    say = progress or (lambda _m: None)
    t0 = time.perf_counter()
    tr, va, te = split_indices(
        data.rows, by=config.split, valid=config.valid_fraction, test=config.test_fraction, seed=config.seed
    )
    src = combine(data.subset(tr), data.subset(va), written, source_weights)
    say(f"training on {len(src.train):,} listings ({len(src.valid):,} validation, {len(te):,} test)")
    fitted = fit(
        src.train,
        src.valid,
        config,
        progress=say,
        image_scorer=image_scorer,
        train_weight=src.train_weight,
        valid_groups=src.valid_source if written is not None else None,
    )
    say("evaluating on the test split")
    test_rows = data.subset(te)
    test_listings = [r.listing for r in test_rows]
    deep_share = None
    if isinstance(fitted.model, CascadeModel):
        out = fitted.model.predict_detailed(test_listings)
        s_te, deep_share = out.scores, out.deep_share
    else:
        s_te = fitted.model.predict_scores(test_listings)
    y_te = _labels(test_rows)
    metrics = {
        "split": config.split,
        "rows": {"train": len(src.train), "validation": len(src.valid), "test": len(te)},
        "sources": _source_summary(data, written, source_weights),
        "hide_precision_target": config.hide_precision,
        "report_precision_target": config.report_precision,
        "thresholds_from": config.threshold_spec().to_dict(),
        "test": category_metrics(y_te, s_te, CATEGORIES, fitted.policy),
        REFERENCE_KEY: fitted.reference_scores,
        "calibration": config.calibration,
        "expected_calibration_error": {
            c: round(expected_calibration_error(y_te[:, k], s_te[:, k]), 4) for k, c in enumerate(CATEGORIES)
        },
        "deep": config.deep,
        "deep_share_valid": round(fitted.deep_share_valid, 4),
        "deep_share_test": round(deep_share, 4) if deep_share is not None else None,
    }
    if src.regression:
        say(f"scoring the regression set ({len(src.regression):,} independently written listings)")
        y_rg = _labels(src.regression)
        s_rg = fitted.model.predict_scores([r.listing for r in src.regression])
        metrics["regression"] = category_metrics(y_rg, s_rg, CATEGORIES, fitted.policy)
    sha = data.sha256 if written is None else _combined_sha(data.sha256, written.sha256)
    return TrainResult(fitted.model, fitted.policy, metrics, sha, time.perf_counter() - t0)


def _combined_sha(*parts: str) -> str:
    import hashlib

    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _source_summary(
    data: Dataset, written: WrittenParts | None, weights: dict[str, float] | None
) -> dict[str, Any]:
    w = {**SOURCE_WEIGHTS, **(weights or {})}
    out: dict[str, Any] = {GENERATED: {"rows": len(data.rows), "sha256": data.sha256, "weight": w[GENERATED]}}
    if written is not None:
        out[WRITTEN] = {
            "sha256": written.sha256,
            "train": len(written.train),
            "validation": len(written.valid),
            "regression": len(written.regression),
            "weight": w[WRITTEN],
        }
    return out


def train_and_register(
    data: Dataset,
    *,
    registry: ModelRegistry,
    artifact_dir: Path,
    model_name: str,
    config: TrainConfig = TrainConfig(),
    make_champion: bool = True,
    actor: str = "trainer",
    progress: Progress | None = None,
    image_scorer: ImageScorer | None = None,
    written: WrittenParts | None = None,
) -> tuple[ModelVersionRecord, TrainResult]:
    result = train(data, config, progress, image_scorer=image_scorer, written=written)
    regression = regression_set_for(written)
    result.metrics[REGRESSION_META_KEY] = regression.metadata()
    now = datetime.now(UTC)
    version = new_model_version(model_name, result.data_sha256, now)
    import lightgbm
    import sklearn

    uri, sha = save_artifact(
        result.model,
        version=version,
        artifact_dir=artifact_dir,
        metadata={
            "name": model_name,
            "created_at": now.isoformat(),
            "categories": list(CATEGORIES),
            "thresholds": result.policy.to_dict(),
            "metrics": result.metrics,
            "training_data_sha256": result.data_sha256,
            "training_rows": len(data.rows),
            REGRESSION_META_KEY: regression.metadata(),
            "train_seconds": round(result.train_seconds, 1),
            "libraries": {
                "python": platform.python_version(),
                "scikit-learn": sklearn.__version__,
                "lightgbm": lightgbm.__version__,
                "numpy": np.__version__,
            },
        },
        files=regression.files(),
    )
    record = ModelVersionRecord(
        version=version,
        name=model_name,
        artifact_uri=uri,
        artifact_sha256=sha,
        training_data_sha256=result.data_sha256,
        metrics=result.metrics,
        thresholds=result.policy.to_dict(),
        created_at=now,
    )
    registry.register_model_version(record)
    if make_champion:
        registry.set_alias(Alias.CHAMPION, version, actor=actor, reason="trained with make_champion")
    return record, result
