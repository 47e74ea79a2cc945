"""Training job: labelled JSONL -> fitted model, thresholds from held-out data, metrics, artifact.

Pure steps (split -> fit -> choose thresholds -> evaluate) with a thin ``train_and_register`` around
them that writes the artifact and the registry record and, when asked, points ``champion`` at it.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from lovemachine.categories import ADULT, CASH, CATEGORIES, COUNTERFEIT
from lovemachine.classifiers import Classifier, FastTierModel
from lovemachine.classifiers.calibration import expected_calibration_error
from lovemachine.classifiers.cascade import CascadeModel, TextScorer
from lovemachine.features.text import listing_text
from lovemachine.images import ImageScorer
from lovemachine.listings import LabelledListing
from lovemachine.policy import Policy
from lovemachine.policy.thresholds import choose_thresholds
from lovemachine.ports import ModelRegistry, ModelVersionRecord
from lovemachine.registry import new_model_version, save_artifact
from trainers.cascade import fit_cascade
from trainers.dataset import Dataset, split_indices
from trainers.metrics import category_metrics

Progress = Callable[[str], None]


@dataclass(frozen=True)
class TrainConfig:
    split: str = "random"
    valid_fraction: float = 0.15
    test_fraction: float = 0.15
    hide_precision: float = 0.99
    report_precision: float = 0.8
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
    max_deep_share: float = 0.1
    """At most this share of (validation) listings reaches the deep tier. The throughput budget sets
    it: fast tier ~3,400/s and int8 deep tier ~320 routed listings/s on 2 cores give
    1 / (1/3400 + s/320) >= 1,500 listings/s for s <= 0.12 (docs/benchmarks.md)."""
    image_band: tuple[float, float] | None = (0.02, 0.98)
    deep_categories: tuple[str, ...] = (COUNTERFEIT, ADULT, CASH)
    """Categories the deep tier may rescore. Keyword stuffing is left to the fast tier: it is the
    shape of the whole description (a wall of names, often past any token window), which the fast
    tier's shape features measure over all of it and the deep tier sees a truncated window of. On
    the hand-written set the cascade took stuffing's PR-AUC from .985 to .861 (docs/deep_tier.md)."""


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


def fit(
    train_rows: Sequence[LabelledListing],
    valid_rows: Sequence[LabelledListing],
    config: TrainConfig = TrainConfig(),
    progress: Progress | None = None,
    *,
    image_scorer: ImageScorer | None = None,
) -> Fitted:
    """Fit the model on ``train_rows``; calibrate and choose thresholds on ``valid_rows``."""
    say = progress or (lambda _m: None)
    y_tr = _labels(train_rows)
    y_va = _labels(valid_rows)
    fast = FastTierModel(random_state=config.seed).fit([r.listing for r in train_rows], y_tr, progress=say)
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
    say("choosing thresholds on the validation split")
    policy = Policy(
        {
            c: choose_thresholds(
                y_va[:, k],
                s_va[:, k],
                hide_precision=config.hide_precision,
                report_precision=config.report_precision,
            )
            for k, c in enumerate(CATEGORIES)
        }
    )
    return Fitted(model=model, policy=policy, valid_scores=s_va, deep_share_valid=cf.deep_share_valid)


def _fit_deep(
    rows: Sequence[LabelledListing], y: np.ndarray, config: TrainConfig, say: Progress
) -> TextScorer:
    from lovemachine.classifiers.deep import DeepTextClassifier

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
) -> TrainResult:
    say = progress or (lambda _m: None)
    t0 = time.perf_counter()
    tr, va, te = split_indices(
        data.rows, by=config.split, valid=config.valid_fraction, test=config.test_fraction, seed=config.seed
    )
    say(f"training on {len(tr):,} listings ({len(va):,} validation, {len(te):,} test)")
    fitted = fit(data.subset(tr), data.subset(va), config, progress=say, image_scorer=image_scorer)
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
        "rows": {"train": len(tr), "validation": len(va), "test": len(te)},
        "hide_precision_target": config.hide_precision,
        "report_precision_target": config.report_precision,
        "test": category_metrics(y_te, s_te, CATEGORIES, fitted.policy),
        "calibration": config.calibration,
        "expected_calibration_error": {
            c: round(expected_calibration_error(y_te[:, k], s_te[:, k]), 4) for k, c in enumerate(CATEGORIES)
        },
        "deep": config.deep,
        "deep_share_valid": round(fitted.deep_share_valid, 4),
        "deep_share_test": round(deep_share, 4) if deep_share is not None else None,
    }
    return TrainResult(fitted.model, fitted.policy, metrics, data.sha256, time.perf_counter() - t0)


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
) -> tuple[ModelVersionRecord, TrainResult]:
    result = train(data, config, progress, image_scorer=image_scorer)
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
            "train_seconds": round(result.train_seconds, 1),
            "libraries": {
                "python": platform.python_version(),
                "scikit-learn": sklearn.__version__,
                "lightgbm": lightgbm.__version__,
                "numpy": np.__version__,
            },
        },
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
        registry.set_alias("champion", version, actor=actor, reason="trained with make_champion")
    return record, result
