"""Resolving an alias (``champion``, ``challenger``) to a verified, loaded model."""

from __future__ import annotations

from pathlib import Path

from lovemachine.errors import ArtifactIntegrityError, ModelNotFoundError
from lovemachine.policy import Policy
from lovemachine.ports import ModelRegistry, ModelVersionRecord
from lovemachine.registry.aliases import Alias
from lovemachine.registry.artifacts import MODEL_FILE, LoadedModel, file_sha256, load_artifact


def load_record(record: ModelVersionRecord) -> LoadedModel:
    return load_artifact(
        record.artifact_uri,
        expected_sha256=record.artifact_sha256,
        version=record.version,
        policy=Policy.from_dict(record.thresholds),
    )


def verify_record(record: ModelVersionRecord) -> None:
    """Raise ``ArtifactIntegrityError`` unless the version's artifact is readable and matches its
    checksum (without unpickling it): what a deploy checks before moving an alias to it."""
    path = Path(record.artifact_uri) / MODEL_FILE
    try:
        actual = file_sha256(path)
    except OSError as exc:
        raise ArtifactIntegrityError(f"cannot read model artifact {path}: {exc}") from None
    if actual != record.artifact_sha256:
        raise ArtifactIntegrityError(
            f"model artifact {path} of {record.version} fails its checksum "
            f"(expected {record.artifact_sha256[:12]}…, got {actual[:12]}…)"
        )


def load_alias(registry: ModelRegistry, alias: str = Alias.CHAMPION) -> LoadedModel:
    record = registry.get_alias(alias)
    if record is None:
        raise ModelNotFoundError(f"no model version has the alias {alias!r}")
    return load_record(record)
