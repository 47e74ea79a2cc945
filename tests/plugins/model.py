"""A small real model, trained once per test session on synthetic data, and a store that serves it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lovemachine.adapters.sql import SqlStore, make_engine
from lovemachine.listings import LabelledListing, parse_labelled
from lovemachine.ports import ModelVersionRecord
from synth import generate
from trainers.dataset import Dataset
from trainers.train import TrainResult, train


@pytest.fixture(scope="session")
def synthetic_rows() -> list[LabelledListing]:
    return [parse_labelled(d) for d in generate(6000, seed=11)]


@pytest.fixture(scope="session")
def trained(synthetic_rows: list[LabelledListing]) -> TrainResult:
    return train(Dataset(rows=synthetic_rows, sha256="0" * 64))


@pytest.fixture(scope="session")
def model_artifact(trained: TrainResult, tmp_path_factory: pytest.TempPathFactory) -> ModelVersionRecord:
    from lovemachine.registry import save_artifact

    version = "test-model-1"
    uri, sha = save_artifact(
        trained.model, version=version, artifact_dir=tmp_path_factory.mktemp("artifacts"), metadata={}
    )
    return ModelVersionRecord(
        version=version,
        name="lovemachine",
        artifact_uri=uri,
        artifact_sha256=sha,
        training_data_sha256=trained.data_sha256,
        metrics=trained.metrics,
        thresholds=trained.policy.to_dict(),
        created_at=datetime.now(UTC),
    )


@pytest.fixture
def live_store(database_url: str, model_artifact: ModelVersionRecord) -> Iterator[SqlStore]:
    """A migrated store (SQLite and PostgreSQL) whose champion is the session's model."""
    store = SqlStore(make_engine(database_url))
    store.register_model_version(model_artifact)
    store.set_alias("champion", model_artifact.version, actor="test", reason="fixture")
    yield store
    store.dispose()


@pytest.fixture
def stream_rows() -> list[LabelledListing]:
    """Listings the model has never seen (another seed and id prefix)."""
    return [parse_labelled(d) for d in generate(300, seed=99, id_prefix="W")]


def event_bytes(row: LabelledListing) -> bytes:
    return row.model_dump_json(include={"event_id", "type", "occurred_at", "listing"}).encode()


__all__ = ["Path", "event_bytes"]
