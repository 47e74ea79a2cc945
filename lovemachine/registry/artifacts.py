"""Model artifacts on disk: ``<artifact_dir>/<version>/model.pkl`` + ``metadata.json`` (+ data files).

A model artifact is a pickle, and unpickling runs code, so an artifact is only ever loaded after its
SHA-256 matches the checksum recorded in the model registry (the database) when it was trained. The
``metadata.json`` beside it repeats the checksum, the training-data hash, metrics and thresholds so
an artifact directory is self-describing, but it is never trusted on its own.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lovemachine.classifiers import Classifier
from lovemachine.errors import ArtifactIntegrityError
from lovemachine.policy import Policy

MODEL_FILE = "model.pkl"
METADATA_FILE = "metadata.json"


@dataclass(frozen=True)
class LoadedModel:
    version: str
    model: Classifier
    policy: Policy
    metadata: dict[str, Any]


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def new_model_version(name: str, training_data_sha256: str, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"{name}-{now:%Y%m%d-%H%M%S}-{training_data_sha256[:8]}"


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_artifact(
    model: Classifier,
    *,
    version: str,
    artifact_dir: Path,
    metadata: dict[str, Any],
    files: Mapping[str, bytes] | None = None,
) -> tuple[str, str]:
    """Write the artifact; returns (uri, sha256). Refuses to overwrite an existing version.

    ``files`` are data files kept with the model (e.g. its regression set, ``trainers.regression``),
    written beside ``model.pkl`` and listed in ``metadata.json`` under ``files`` with their SHA-256.
    The returned checksum covers ``model.pkl`` only (what is unpickled); whoever reads a data file
    checks it against its own recorded checksum.
    """
    extra = dict(files or {})
    for name in extra:
        if name in (MODEL_FILE, METADATA_FILE) or Path(name).name != name or name.startswith("."):
            raise ValueError(f"artifact data file {name!r}: a plain file name other than the model's")
    target = Path(artifact_dir) / version
    if target.exists():
        raise FileExistsError(f"artifact {target} already exists; model versions are immutable")
    target.mkdir(parents=True)
    payload = pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
    _atomic_write(target / MODEL_FILE, payload)
    for name, data in extra.items():
        _atomic_write(target / name, data)
    sha = hashlib.sha256(payload).hexdigest()
    meta = {**metadata, "version": version, "artifact_sha256": sha, "model_file": MODEL_FILE}
    if extra:
        meta["files"] = {
            name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
            for name, data in extra.items()
        }
    _atomic_write(target / METADATA_FILE, json.dumps(meta, indent=2, sort_keys=True, default=str).encode())
    return str(target.resolve()), sha


# Classes that moved after artifacts were pickled: (old module, name) -> new module. Unpickling looks
# names up by string, so the core does not import the adapter that holds the class.
MOVED_CLASSES: dict[tuple[str, str], str] = {
    ("lovemachine.classifiers.deep", "DeepTextClassifier"): "lovemachine.adapters.torch_text",
}


class _ArtifactUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        return super().find_class(MOVED_CLASSES.get((module, name), module), name)


def load_artifact(uri: str, *, expected_sha256: str, version: str, policy: Policy) -> LoadedModel:
    """Load a model after verifying its checksum against the registry's record."""
    path = Path(uri) / MODEL_FILE
    try:
        payload = path.read_bytes()
    except OSError as exc:
        raise ArtifactIntegrityError(f"cannot read model artifact {path}: {exc}") from None
    actual = hashlib.sha256(payload).hexdigest()
    if actual != expected_sha256:
        raise ArtifactIntegrityError(
            f"model artifact {path} fails its checksum "
            f"(expected {expected_sha256[:12]}…, got {actual[:12]}…); "
            "refusing to load it"
        )
    try:
        model = _ArtifactUnpickler(io.BytesIO(payload)).load()
    except Exception as exc:
        raise ArtifactIntegrityError(f"model artifact {path} does not load: {exc}") from None
    if not isinstance(model, Classifier):
        raise ArtifactIntegrityError(f"model artifact {path} is not a classifier ({type(model).__name__})")
    try:
        metadata = json.loads((Path(uri) / METADATA_FILE).read_text())
    except (OSError, ValueError):
        metadata = {}
    return LoadedModel(version=version, model=model, policy=policy, metadata=metadata)
