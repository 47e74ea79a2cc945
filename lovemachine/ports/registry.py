"""The model registry: versions, their records, and the aliases a deploy moves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class ModelVersionRecord:
    version: str
    name: str
    artifact_uri: str
    artifact_sha256: str
    training_data_sha256: str
    metrics: dict[str, object]
    thresholds: dict[str, dict[str, float]]
    created_at: datetime


@dataclass(frozen=True)
class AliasChange:
    """One move of a model alias (``from_version`` is None when the alias was created)."""

    name: str
    alias: str
    from_version: str | None
    to_version: str
    actor: str
    reason: str
    at: datetime


ANY_VERSION: str = "*"
"""``set_alias(..., expected=ANY_VERSION)``: move the alias wherever it points now (unconditional)."""


class ModelRegistry(Protocol):
    def register_model_version(self, record: ModelVersionRecord) -> None: ...
    def get_model_version(self, version: str) -> ModelVersionRecord | None: ...
    def set_alias(
        self, alias: str, version: str, *, actor: str, reason: str, expected: str | None = ANY_VERSION
    ) -> AliasChange:
        """Point ``alias`` at ``version`` and append the move to the alias history, in ONE transaction.

        ``expected`` makes the move a compare-and-set: it happens only if the alias points at
        ``expected`` right now (None: the alias must not exist yet), else ``AliasConflictError`` and
        nothing is written. ``LookupError`` for an unknown version."""

    def get_alias(self, alias: str) -> ModelVersionRecord | None: ...
