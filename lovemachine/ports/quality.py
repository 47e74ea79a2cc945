"""Live quality: the reads the audit-sample estimate of live precision and recall needs."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from lovemachine.ports.registry import ModelVersionRecord
from lovemachine.review.audit import SampledDecision


class QualityStore(Protocol):
    """The reads :func:`live_quality` needs (the SQL store implements them)."""

    def get_alias(self, alias: str) -> ModelVersionRecord | None: ...
    def get_model_version(self, version: str) -> ModelVersionRecord | None: ...
    def decision_strata(
        self, model_version: str, *, since: datetime | None = None
    ) -> dict[str, dict[str, int]]: ...
    def labelled_sample(
        self, model_version: str, *, since: datetime | None = None
    ) -> list[SampledDecision]: ...
