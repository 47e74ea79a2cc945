"""Retraining: what a retraining run reads (labels) and writes (snapshots, runs, versions)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from lovemachine.ports.registry import ModelRegistry
from lovemachine.retraining import DatasetSnapshot, LabelledVersion, TrainingRun


class TrainingStore(ModelRegistry, Protocol):
    """What a retraining run reads and writes (the SQL store implements it)."""

    def labels_for_training(self, sources: Sequence[str] = ...) -> list[LabelledVersion]:
        """Every label of ``sources``, oldest first, each with its listing version if still stored."""

    def save_dataset_snapshot(
        self,
        *,
        sha256: str,
        rows: int,
        label_rows: int,
        labels_from: datetime | None,
        labels_to: datetime | None,
        base_sha256: str | None,
        base_source: str | None,
        rows_path: str | None,
        provenance: Mapping[str, Any],
    ) -> DatasetSnapshot:
        """Store a snapshot's provenance, or return the stored one with the same content hash."""

    def start_training_run(self, *, trigger: str, actor: str) -> TrainingRun:
        """Record a ``running`` run, committed at once."""

    def update_training_run(
        self, run_id: int, *, dataset_snapshot_id: int | None = None, detail: Mapping[str, Any] | None = None
    ) -> None:
        """Attach what a running run has produced so far."""

    def finish_training_run(
        self,
        run_id: int,
        *,
        status: str,
        model_version: str | None = None,
        eligible: bool | None = None,
        report_path: str | None = None,
        error: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> TrainingRun:
        """End a run with its outcome."""
