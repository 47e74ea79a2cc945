"""Statements of reasons and listing versions in SQL: written inside the transactions of decisions,
labels and appeals (``insert_statements``), read by the CS tool and ``lovemachine dsa``, and their
Transparency Database state updated by ``dsa submit``. A statement row is never updated except for
that state: a correction is a new statement."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, select, update

from lovemachine.adapters.sql._base import SqlBase, utcnow
from lovemachine.adapters.sql.records import LISTING_FIELDS, Row
from lovemachine.adapters.sql.tables import listing_versions, statements
from lovemachine.dsa.records import StoredStatement, SubmissionResult, TdbState
from lovemachine.dsa.statements import StatementPlan
from lovemachine.listings import Listing


def listing_version_row(listing: Listing, now: datetime) -> dict[str, Any]:
    row: dict[str, Any] = {"listing_id": listing.id, "first_seen_at": now}
    for name in LISTING_FIELDS:
        row[name] = getattr(listing, name)
    row["image_urls"] = list(listing.image_urls)
    return row


def insert_statements(conn: Connection, plans: Sequence[StatementPlan], now: datetime) -> None:
    """Store planned statements in the caller's transaction (a puid already stored is kept as it is)."""
    if not plans:
        return
    rows = []
    for p in plans:
        c = p.cause
        rows.append(
            {
                "puid": p.puid,
                "kind": c.kind.value,
                "listing_id": c.listing_id,
                "listing_version": c.listing_version,
                "decision_id": c.decision_id,
                "label_id": c.label_id,
                "appeal_id": c.appeal_id,
                "supersedes": c.supersedes,
                "category": c.category,
                "automated_detection": c.automated_detection,
                "automated_decision": c.automation.value,
                "source": c.source.value,
                "language": p.language,
                "text": p.text,
                "record": p.record,
                "tdb": p.tdb,
                "created_at": now,
                "tdb_state": (TdbState.PENDING if p.tdb is not None else TdbState.NOT_APPLICABLE).value,
                "tdb_attempts": 0,
            }
        )
    existing = set(
        conn.execute(
            select(statements.c.puid).where(statements.c.puid.in_([r["puid"] for r in rows]))
        ).scalars()
    )
    fresh = [r for r in rows if r["puid"] not in existing]
    if fresh:
        conn.execute(statements.insert(), fresh)


def latest_restriction(conn: Connection, listing_id: str, version: int) -> str | None:
    """The puid of the newest restriction statement on a listing version (what a restore reverses)."""
    query = (
        select(statements.c.puid)
        .where(
            statements.c.listing_id == listing_id,
            statements.c.listing_version == version,
            statements.c.kind == "restriction",
        )
        .order_by(statements.c.id.desc())
        .limit(1)
    )
    return conn.execute(query).scalar_one_or_none()


def statement_from_row(row: Row) -> StoredStatement:
    return StoredStatement(
        id=row["id"],
        puid=row["puid"],
        kind=row["kind"],
        listing_id=row["listing_id"],
        listing_version=row["listing_version"],
        decision_id=row["decision_id"],
        label_id=row["label_id"],
        appeal_id=row["appeal_id"],
        supersedes=row["supersedes"],
        category=row["category"],
        automated_detection=bool(row["automated_detection"]),
        automated_decision=row["automated_decision"],
        source=row["source"],
        language=row["language"],
        text=row["text"],
        record=dict(row["record"]),
        tdb=dict(row["tdb"]) if row["tdb"] is not None else None,
        created_at=row["created_at"],
        tdb_state=row["tdb_state"],
        tdb_attempts=row["tdb_attempts"],
        tdb_error=row["tdb_error"],
        tdb_submitted_at=row["tdb_submitted_at"],
    )


class StatementStoreMixin(SqlBase):
    def listing_version(self, listing_id: str, version: int) -> Listing | None:
        """The listing exactly as it was at ``version`` (every judged version is kept)."""
        query = select(listing_versions).where(
            listing_versions.c.listing_id == listing_id, listing_versions.c.version == version
        )
        with self._read() as conn:
            row = conn.execute(query).mappings().first()
        if row is None:
            return None
        return Listing.model_validate({"id": row["listing_id"], **{f: row[f] for f in LISTING_FIELDS}})

    def get_statement(self, puid: str) -> StoredStatement | None:
        with self._read() as conn:
            row = conn.execute(select(statements).where(statements.c.puid == puid)).mappings().first()
        return statement_from_row(row) if row is not None else None

    def statements_for(self, listing_id: str) -> list[StoredStatement]:
        """Every statement on any version of the listing, oldest first."""
        query = select(statements).where(statements.c.listing_id == listing_id).order_by(statements.c.id)
        with self._read() as conn:
            return [statement_from_row(r) for r in conn.execute(query).mappings()]

    def statements_between(
        self, since: datetime, until: datetime | None = None, *, kind: str | None = None, limit: int = 10_000
    ) -> list[StoredStatement]:
        """Statements made in [since, until), oldest first, at most ``limit``."""
        query = select(statements).where(statements.c.created_at >= since)
        if until is not None:
            query = query.where(statements.c.created_at < until)
        if kind is not None:
            query = query.where(statements.c.kind == kind)
        query = query.order_by(statements.c.created_at, statements.c.id).limit(limit)
        with self._read() as conn:
            return [statement_from_row(r) for r in conn.execute(query).mappings()]

    def statements_to_submit(
        self, *, limit: int = 1_000, retry_rejected: bool = False
    ) -> list[StoredStatement]:
        """Restrictions the Transparency Database has not confirmed yet: pending and failed ones (and
        rejected ones when ``retry_rejected``), oldest first."""
        states = [TdbState.PENDING.value, TdbState.FAILED.value]
        if retry_rejected:
            states.append(TdbState.REJECTED.value)
        query = (
            select(statements)
            .where(statements.c.tdb_state.in_(states), statements.c.tdb.is_not(None))
            .order_by(statements.c.created_at, statements.c.id)
            .limit(limit)
        )
        with self._read() as conn:
            return [statement_from_row(r) for r in conn.execute(query).mappings()]

    def record_submissions(self, results: Sequence[SubmissionResult]) -> None:
        """Record what ``dsa submit`` did: the state, the error (or none), one more attempt. A
        statement already submitted or present is never moved back."""
        if not results:
            return
        now = utcnow()
        done = (TdbState.SUBMITTED.value, TdbState.PRESENT.value)
        stmt = (
            update(statements)
            .where(
                and_(
                    statements.c.puid == bindparam("b_puid"),
                    statements.c.tdb_state != TdbState.SUBMITTED.value,
                    statements.c.tdb_state != TdbState.PRESENT.value,
                )
            )
            .values(
                tdb_state=bindparam("b_state"),
                tdb_error=bindparam("b_error"),
                tdb_attempts=statements.c.tdb_attempts + 1,
                tdb_submitted_at=bindparam("b_at"),
            )
        )
        rows = [
            {
                "b_puid": r.puid,
                "b_state": r.state.value,
                "b_error": r.error,
                "b_at": now if r.state.value in done else None,
            }
            for r in results
        ]
        with self._write() as conn:
            conn.execute(stmt, rows)
