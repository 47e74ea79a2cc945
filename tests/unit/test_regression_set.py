"""The fixed regression set kept with a model artifact: saved beside it, checked, carried forward."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from lovemachine.categories import CATEGORIES
from lovemachine.errors import ArtifactIntegrityError
from lovemachine.listings import Listing, parse_labelled
from lovemachine.policy import Policy
from lovemachine.ports import ModelVersionRecord
from lovemachine.registry import load_artifact, save_artifact
from synth import generate
from trainers.regression import (
    DEFAULT_SOURCE,
    META_KEY,
    REGRESSION_FILE,
    RegressionSet,
    default_regression_set,
    regression_set_of,
)


class ConstantModel:
    categories = CATEGORIES

    def predict_scores(self, listings: Sequence[Listing]) -> np.ndarray:
        return np.full((len(listings), len(CATEGORIES)), 0.5)


def small_set() -> RegressionSet:
    return RegressionSet(rows=[parse_labelled(d) for d in generate(30, seed=2)], source="test")


def saved(tmp_path: Path, reg: RegressionSet | None, *, in_registry: bool = True) -> ModelVersionRecord:
    meta = {META_KEY: reg.metadata()} if reg else {}
    uri, sha = save_artifact(
        ConstantModel(),  # type: ignore[arg-type]
        version="v1",
        artifact_dir=tmp_path,
        metadata=meta,
        files=reg.files() if reg else None,
    )
    metrics = meta if in_registry else {}
    return ModelVersionRecord(
        "v1", "lm", uri, sha, "0" * 64, metrics, Policy.uniform().to_dict(), datetime.now(UTC)
    )


def test_the_regression_set_is_written_beside_the_model_and_recorded_with_its_checksum(
    tmp_path: Path,
) -> None:
    reg = small_set()
    record = saved(tmp_path, reg)
    meta = json.loads((Path(record.artifact_uri) / "metadata.json").read_text())
    assert meta["files"][REGRESSION_FILE]["sha256"] == reg.sha256 == meta[META_KEY]["sha256"]
    assert meta[META_KEY]["rows"] == 30 and meta[META_KEY]["clean_rows"] == len(reg.clean)
    # the model's own checksum is unchanged by the data file: it still loads
    load_artifact(
        record.artifact_uri, expected_sha256=record.artifact_sha256, version="v1", policy=Policy.uniform()
    )


def test_a_retrain_carries_the_live_models_regression_set_forward_unchanged(tmp_path: Path) -> None:
    reg = small_set()
    got = regression_set_of(saved(tmp_path / "a", reg))
    assert got.payload == reg.payload and got.source == "carried from v1"
    # checked against metadata.json when the registry record predates the set
    assert regression_set_of(saved(tmp_path / "b", reg, in_registry=False)).sha256 == reg.sha256


def test_a_model_saved_without_one_falls_back_to_the_default_and_an_altered_one_is_refused(
    tmp_path: Path,
) -> None:
    fallback = regression_set_of(saved(tmp_path / "a", None))
    assert fallback.source == DEFAULT_SOURCE and fallback.sha256 == default_regression_set().sha256
    assert len(fallback.clean) > 100  # hard negatives by independent writers
    record = saved(tmp_path / "b", small_set())
    path = Path(record.artifact_uri) / REGRESSION_FILE
    path.write_bytes(path.read_bytes()[:-200])
    with pytest.raises(ArtifactIntegrityError, match="fails its checksum"):
        regression_set_of(record)
    path.unlink()
    with pytest.raises(ArtifactIntegrityError, match="cannot read the regression set"):
        regression_set_of(record)


def test_data_file_names_cannot_replace_the_model_or_leave_the_artifact(tmp_path: Path) -> None:
    for name in ("model.pkl", "metadata.json", "../x.jsonl", ".hidden"):
        with pytest.raises(ValueError, match="plain file name"):
            save_artifact(ConstantModel(), version="v", artifact_dir=tmp_path, metadata={}, files={name: b""})  # type: ignore[arg-type]
    assert not (tmp_path / "v").exists()
