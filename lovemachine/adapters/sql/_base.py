"""What the SQL store's parts share: the engine, transactions, the clock, upserts and the audit log."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table
from sqlalchemy.dialects import postgresql, sqlite

from lovemachine.adapters.sql.engine import read_connection, write_transaction
from lovemachine.adapters.sql.tables import audit_log
from lovemachine.dsa.policy import DsaPolicy
from lovemachine.errors import ConfigurationError
from lovemachine.review.audit import AuditSample


def utcnow() -> datetime:
    return datetime.now(UTC)


def dialect_insert(conn: Connection, table: Table) -> Any:
    """``INSERT`` with ``ON CONFLICT`` support: the dialect's own insert construct.

    Both PostgreSQL and SQLite (>= 3.24) implement ``on_conflict_do_nothing`` /
    ``on_conflict_do_update`` with the same arguments, so the callers stay portable.
    """
    name = conn.dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise ConfigurationError(
        f"the SQL store supports sqlite and postgresql, not {name!r}: check LOVEMACHINE_DATABASE_URL"
    )


class SqlBase:
    def __init__(
        self,
        engine: Engine,
        *,
        model_name: str = "lovemachine",
        audit_sample: AuditSample | None = None,
        dsa: DsaPolicy | None = None,
    ) -> None:
        self.engine = engine
        self.model_name = model_name
        """The model whose aliases ``get_alias`` reads when no name is given."""
        self.audit_sample = audit_sample or AuditSample()
        """Which hidden and allowed decisions ``record_decisions`` also sends to the ``audit`` queue."""
        self.dsa = dsa or DsaPolicy()
        """The operator's enforcement policy: statements of reasons, appeals, strikes."""

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with write_transaction(self.engine) as conn:
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with read_connection(self.engine) as conn:
            yield conn

    def _audit(
        self,
        conn: Connection,
        entries: Sequence[tuple[str, str, str, str, Mapping[str, Any]]],
        *,
        at: datetime | None = None,
    ) -> None:
        """Append (actor, action, entity_type, entity_id, detail) rows to the audit log."""
        if not entries:
            return
        when = at or utcnow()
        conn.execute(
            audit_log.insert(),
            [
                {
                    "at": when,
                    "actor": actor,
                    "action": action,
                    "entity_type": entity_type,
                    "entity_id": entity_id,
                    "detail": dict(detail),
                }
                for actor, action, entity_type, entity_id, detail in entries
            ],
        )

    def ping(self) -> None:
        """Raise if the database cannot answer ``SELECT 1`` (health checks)."""
        with self._read() as conn:
            conn.exec_driver_sql("SELECT 1")

    def dispose(self) -> None:
        """Close the engine's pooled connections."""
        self.engine.dispose()
