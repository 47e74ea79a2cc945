"""Database fixtures: every SQL test runs on SQLite and on a real PostgreSQL.

``database_url`` is parametrized over both backends and hands out a fresh database already
migrated to head with ``lovemachine.adapters.sql.migrate.upgrade`` (so the migrations themselves are
under test). PostgreSQL must be reachable (``LOVEMACHINE_TEST_POSTGRES_URL``, default
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``): a missing server fails the tests
instead of silently skipping half of them. Each test gets its own uniquely named database, dropped
afterwards, so parallel test sessions do not see each other.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from lovemachine.adapters.sql import SqlStore, make_engine
from lovemachine.adapters.sql.migrate import upgrade

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
TEST_DB_PREFIX = "lm_test_"


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """URL of the PostgreSQL maintenance database; fails (never skips) when it is unreachable."""
    url = os.environ.get("LOVEMACHINE_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {make_url(url).render_as_string(hide_password=True)}: "
            f"{type(exc).__name__}: {exc}\nStart it (PostgreSQL 15, trust auth, user postgres) or set "
            "LOVEMACHINE_TEST_POSTGRES_URL to a server where this user may CREATE DATABASE.",
            pytrace=False,
        )
    finally:
        engine.dispose()
    return url


def _drop_database(admin_url: str, name: str) -> None:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


@pytest.fixture
def postgres_database_url(postgres_server_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database (not migrated), dropped after the test."""
    name = f"{TEST_DB_PREFIX}{uuid.uuid4().hex[:16]}"
    engine = create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    try:
        yield make_url(postgres_server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        _drop_database(postgres_server_url, name)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database on each backend, migrated to head."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'db' / 'lovemachine.db'}"
    else:
        url = request.getfixturevalue("postgres_database_url")
    upgrade(url)
    return url


@pytest.fixture
def sql_store(database_url: str) -> Iterator[SqlStore]:
    store = SqlStore(make_engine(database_url))
    try:
        yield store
    finally:
        store.dispose()
