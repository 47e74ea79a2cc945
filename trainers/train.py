"""Training job: labelled JSONL -> fitted model, thresholds from held-out data, metrics, artifact.

Pure steps (split -> fit -> choose thresholds -> evaluate) with a thin ``train_and_register`` around
them that writes the artifact and the registry record and, when asked, points ``champion`` at it.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from lovemachine.categories import CATEGORIES
from lovemachine.classifiers import FastTierModel
from lovemachine.listings import Listing
from lovemachine.policy import Policy
from lovemachine.policy.thresholds import choose_thresholds
from lovemachine.ports import ModelRegistry, ModelVersionRecord
from lovemachine.registry import new_model_version, save_artifact
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


@dataclass(frozen=True)
class TrainResult:
    model: FastTierModel
    policy: Policy
    metrics: dict[str, Any]
    data_sha256: str
    train_seconds: float


def train(
    data: Dataset, config: TrainConfig = TrainConfig(), progress: Progress | None = None
) -> TrainResult:
    say = progress or (lambda _m: None)
    t0 = time.perf_counter()
    tr, va, te = split_indices(
        data.rows, by=config.split, valid=config.valid_fraction, test=config.test_fraction, seed=config.seed
    )
    y = data.y
    listings: list[Listing] = [r.listing for r in data.rows]
    say(f"training on {len(tr):,} listings ({len(va):,} validation, {len(te):,} test)")
    model = FastTierModel(random_state=config.seed).fit([listings[i] for i in tr], y[tr], progress=say)
    say("choosing thresholds on the validation split")
    s_va = model.predict_scores([listings[i] for i in va])
    policy = Policy(
        {
            c: choose_thresholds(
                y[va, k],
                s_va[:, k],
                hide_precision=config.hide_precision,
                report_precision=config.report_precision,
            )
            for k, c in enumerate(CATEGORIES)
        }
    )
    say("evaluating on the test split")
    s_te = model.predict_scores([listings[i] for i in te])
    metrics = {
        "split": config.split,
        "rows": {"train": len(tr), "validation": len(va), "test": len(te)},
        "hide_precision_target": config.hide_precision,
        "report_precision_target": config.report_precision,
        "test": category_metrics(y[te], s_te, CATEGORIES, policy),
    }
    return TrainResult(model, policy, metrics, data.sha256, time.perf_counter() - t0)


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
) -> tuple[ModelVersionRecord, TrainResult]:
    result = train(data, config, progress)
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
