"""Resolving an alias (``champion``, ``challenger``) to a verified, loaded model."""

from __future__ import annotations

from lovemachine.errors import ModelNotFoundError
from lovemachine.policy import Policy
from lovemachine.ports import ModelRegistry, ModelVersionRecord
from lovemachine.registry.artifacts import LoadedModel, load_artifact


def load_record(record: ModelVersionRecord) -> LoadedModel:
    return load_artifact(
        record.artifact_uri,
        expected_sha256=record.artifact_sha256,
        version=record.version,
        policy=Policy.from_dict(record.thresholds),
    )


def load_alias(registry: ModelRegistry, alias: str = "champion") -> LoadedModel:
    record = registry.get_alias(alias)
    if record is None:
        raise ModelNotFoundError(f"no model version has the alias {alias!r}")
    return load_record(record)
