"""Retraining records: training runs, dataset snapshots and labelled listing versions.

The SQL store returns these (never rows); ``trainers.retrain`` produces them and the CS tool lists
the runs. A run is ``running`` until it ends ``succeeded`` (a new version, eligible, now the
``challenger``), ``not_eligible`` (a new version that did not beat the live model: registered with
its report, no alias) or ``failed`` (an error; nothing registered, no alias moved).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from lovemachine.errors import (  # re-exported: callers import them from here too
    NotEnoughLabelsError as NotEnoughLabelsError,
)
from lovemachine.listings import Listing
from lovemachine.review.records import LabelRecord

TRIGGERS: Final[tuple[str, ...]] = ("manual", "scheduled")
RUNNING: Final = "running"
SUCCEEDED: Final = "succeeded"
FAILED: Final = "failed"
NOT_ELIGIBLE: Final = "not_eligible"
RUN_STATUSES: Final[tuple[str, ...]] = (RUNNING, SUCCEEDED, FAILED, NOT_ELIGIBLE)


@dataclass(frozen=True)
class LabelledVersion:
    """A label with the listing version it judged, or ``listing=None`` when the store no longer holds
    that version (the seller edited the listing since: its text is gone, so the label cannot train)."""

    label: LabelRecord
    listing: Listing | None


@dataclass(frozen=True)
class DatasetSnapshot:
    id: int
    sha256: str
    created_at: datetime
    rows: int
    label_rows: int
    labels_from: datetime | None
    labels_to: datetime | None
    base_sha256: str | None
    base_source: str | None
    rows_path: str | None
    provenance: dict[str, Any]


@dataclass(frozen=True)
class TrainingRun:
    id: int
    trigger: str
    status: str
    actor: str
    started_at: datetime
    finished_at: datetime | None = None
    dataset_snapshot_id: int | None = None
    model_version: str | None = None
    eligible: bool | None = None
    report_path: str | None = None
    error: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
