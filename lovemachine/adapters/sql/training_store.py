"""Retraining's records: the labels it learns from, dataset snapshots and training runs.

A training run is written when it starts (``running``) and again when it ends, each in its own short
transaction, so the CS tool shows a run while it trains and a crash leaves a visible ``running`` row
rather than nothing. Snapshots are keyed by their content hash: the same labels and base data give
the same snapshot row, whichever run built it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select, update

from lovemachine.adapters.sql._base import SqlBase, dialect_insert, utcnow
from lovemachine.adapters.sql.label_store import REVIEW_SOURCES, label_from_row
from lovemachine.adapters.sql.records import LISTING_FIELDS, Row
from lovemachine.adapters.sql.tables import dataset_snapshots, labels, listing_versions, training_runs
from lovemachine.listings import Listing
from lovemachine.retraining import (
    RUN_STATUSES,
    RUNNING,
    TRIGGERS,
    DatasetSnapshot,
    LabelledVersion,
    TrainingRun,
)
from lovemachine.review.cursor import decode_cursor, encode_cursor
from lovemachine.review.records import NotFoundError, Page


def _snapshot(row: Row) -> DatasetSnapshot:
    return DatasetSnapshot(
        id=int(row["id"]),
        sha256=row["sha256"],
        created_at=row["created_at"],
        rows=int(row["rows"]),
        label_rows=int(row["label_rows"]),
        labels_from=row["labels_from"],
        labels_to=row["labels_to"],
        base_sha256=row["base_sha256"],
        base_source=row["base_source"],
        rows_path=row["rows_path"],
        provenance=dict(row["provenance"]),
    )


def _run(row: Row) -> TrainingRun:
    return TrainingRun(
        id=int(row["id"]),
        trigger=row["trigger"],
        status=row["status"],
        actor=row["actor"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        dataset_snapshot_id=row["dataset_snapshot_id"],
        model_version=row["model_version"],
        eligible=row["eligible"],
        report_path=row["report_path"],
        error=row["error"],
        detail=dict(row["detail"]),
    )


class TrainingStoreMixin(SqlBase):
    # ----------------------------------------------------------------------------- labels
    def labels_for_training(self, sources: Sequence[str] = REVIEW_SOURCES) -> list[LabelledVersion]:
        """Every label of ``sources``, oldest first, with the listing version it judged (every judged
        version is kept in ``listing_versions``, so an edit does not take a label's text away)."""
        lc, li = labels.c, listing_versions.c
        query = (
            select(labels, li.listing_id.label("l_id"), *(li[f].label(f"l_{f}") for f in LISTING_FIELDS))
            .outerjoin(
                listing_versions, and_(li.listing_id == lc.listing_id, li.version == lc.listing_version)
            )
            .where(lc.source.in_(list(sources)))
            .order_by(lc.created_at, lc.id)
        )
        with self._read() as conn:
            rows = conn.execute(query).mappings().all()
        out = []
        for r in rows:
            listing = None
            if r["l_id"] is not None:
                listing = Listing.model_validate({f: r[f"l_{f}"] for f in ("id", *LISTING_FIELDS)})
            out.append(LabelledVersion(label=label_from_row(r), listing=listing))
        return out

    # ----------------------------------------------------------------------------- snapshots
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
        values = {
            "sha256": sha256,
            "created_at": utcnow(),
            "rows": rows,
            "label_rows": label_rows,
            "labels_from": labels_from,
            "labels_to": labels_to,
            "base_sha256": base_sha256,
            "base_source": base_source,
            "rows_path": rows_path,
            "provenance": dict(provenance),
        }
        with self._write() as conn:
            conn.execute(
                dialect_insert(conn, dataset_snapshots).on_conflict_do_nothing(index_elements=["sha256"]),
                values,
            )
            row = (
                conn.execute(select(dataset_snapshots).where(dataset_snapshots.c.sha256 == sha256))
                .mappings()
                .one()
            )
        return _snapshot(row)

    def get_dataset_snapshot(self, snapshot_id: int) -> DatasetSnapshot | None:
        with self._read() as conn:
            row = (
                conn.execute(select(dataset_snapshots).where(dataset_snapshots.c.id == snapshot_id))
                .mappings()
                .first()
            )
        return _snapshot(row) if row is not None else None

    # ----------------------------------------------------------------------------- runs
    def start_training_run(self, *, trigger: str, actor: str) -> TrainingRun:
        """Record a run as ``running`` (committed at once, so it is visible while it trains)."""
        if trigger not in TRIGGERS:
            raise ValueError(f"unknown trigger {trigger!r}; expected one of {', '.join(TRIGGERS)}")
        now = utcnow()
        with self._write() as conn:
            run_id = conn.execute(
                training_runs.insert()
                .values(trigger=trigger, status=RUNNING, actor=actor, started_at=now, detail={})
                .returning(training_runs.c.id)
            ).scalar_one()
            self._audit(
                conn,
                [(actor, "training_run.start", "training_run", str(run_id), {"trigger": trigger})],
                at=now,
            )
            row = conn.execute(select(training_runs).where(training_runs.c.id == run_id)).mappings().one()
        return _run(row)

    def update_training_run(
        self,
        run_id: int,
        *,
        dataset_snapshot_id: int | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        """Attach what a running run has produced so far (its snapshot, progress detail)."""
        values: dict[str, Any] = {}
        if dataset_snapshot_id is not None:
            values["dataset_snapshot_id"] = dataset_snapshot_id
        if detail is not None:
            values["detail"] = dict(detail)
        if not values:
            return
        with self._write() as conn:
            conn.execute(update(training_runs).where(training_runs.c.id == run_id).values(**values))

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
        """End a run with its outcome (``succeeded``, ``not_eligible`` or ``failed``) and audit it."""
        if status not in RUN_STATUSES or status == RUNNING:
            raise ValueError(f"a run ends succeeded, not_eligible or failed, not {status!r}")
        now = utcnow()
        values: dict[str, Any] = {
            "status": status,
            "finished_at": now,
            "model_version": model_version,
            "eligible": eligible,
            "report_path": report_path,
            "error": error[:4000] if error else None,
        }
        if detail is not None:
            values["detail"] = dict(detail)
        with self._write() as conn:
            row = conn.execute(select(training_runs).where(training_runs.c.id == run_id)).mappings().first()
            if row is None:
                raise NotFoundError(f"no training run #{run_id}")
            conn.execute(update(training_runs).where(training_runs.c.id == run_id).values(**values))
            audit = {"status": status, "model_version": model_version, "eligible": eligible, "error": error}
            self._audit(
                conn,
                [(row["actor"], "training_run.finish", "training_run", str(run_id), audit)],
                at=now,
            )
            row = conn.execute(select(training_runs).where(training_runs.c.id == run_id)).mappings().one()
        return _run(row)

    def get_training_run(self, run_id: int) -> TrainingRun | None:
        with self._read() as conn:
            row = conn.execute(select(training_runs).where(training_runs.c.id == run_id)).mappings().first()
        return _run(row) if row is not None else None

    def list_training_runs(
        self, *, limit: int = 50, cursor: str | None = None, status: str | None = None
    ) -> Page[TrainingRun]:
        """Newest first (by id), keyset-paged."""
        c = training_runs.c
        query = select(training_runs).order_by(c.id.desc()).limit(limit + 1)
        if status is not None:
            query = query.where(c.status == status)
        if cursor:
            (before,) = decode_cursor(cursor, [int])
            query = query.where(c.id < before)
        with self._read() as conn:
            rows = conn.execute(query).mappings().all()
        items = [_run(r) for r in rows[:limit]]
        return Page(items, encode_cursor([items[-1].id]) if len(rows) > limit else None)
