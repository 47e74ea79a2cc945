"""Versioned model artifacts: saving, checksums, refusing anything that does not verify."""

from lovemachine.registry.artifacts import (
    LoadedModel,
    file_sha256,
    load_artifact,
    new_model_version,
    save_artifact,
)

__all__ = ["LoadedModel", "file_sha256", "load_artifact", "new_model_version", "save_artifact"]
