"""Engine construction: the per-database settings every process must agree on.

SQLite is the zero-setup default (a file under ``var/``) and has to survive several threads and
processes writing at once, so every connection gets WAL, ``synchronous=NORMAL``, enforced foreign
keys and a busy timeout. pysqlite's own transaction handling is switched off in favour of an
explicit ``BEGIN`` (``BEGIN IMMEDIATE`` for write transactions, see :func:`write_transaction`): a
write transaction then takes the write lock up front and waits for it, instead of failing with
"database is locked" when it upgrades from a read. PostgreSQL needs only ``pool_pre_ping``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

SQLITE_BUSY_TIMEOUT_MS = 30_000
_WRITE = "lovemachine_write"


PG_CONNECT_ARGS = {
    "connect_timeout": 10,
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` (``sqlite:///path`` or ``postgresql+psycopg://...``).

    Extra keyword arguments go to :func:`sqlalchemy.create_engine`.
    """
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        connect_args = {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        connect_args.update(kwargs.pop("connect_args", {}))
        engine = create_engine(parsed, connect_args=connect_args, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    # A server that is down or unreachable must fail a call in bounded time (the worker then backs
    # off and retries), not hang it: bound connecting, and let TCP keepalives notice a dead peer.
    connect_args = {**PG_CONNECT_ARGS, **kwargs.pop("connect_args", {})}
    return create_engine(parsed, connect_args=connect_args, **kwargs)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy emit BEGIN itself (see _sqlite_on_begin); pysqlite's legacy mode would not
    # begin a transaction before a SELECT.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction meant to write: commits on exit, rolls back on error.

    On SQLite the transaction starts with ``BEGIN IMMEDIATE`` (waits for the write lock up to the
    busy timeout); on PostgreSQL it is an ordinary READ COMMITTED transaction.
    """
    with engine.connect() as conn:
        conn.execution_options(**{_WRITE: True})
        with conn.begin():
            yield conn


@contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """A connection for reads; its implicit transaction is rolled back on exit."""
    with engine.connect() as conn:
        yield conn
