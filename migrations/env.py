"""Alembic environment: runs the revisions in ``versions/`` against one database.

The URL comes from ``sqlalchemy.url`` in the Alembic config (set by
``lovemachine.adapters.sql.migrate``), else from ``LOVEMACHINE_DATABASE_URL``. The engine is built
with ``make_engine`` so that migrations see the same SQLite pragmas as the application.
"""

from __future__ import annotations

import os

from alembic import context

from lovemachine.adapters.sql.engine import make_engine
from lovemachine.adapters.sql.tables import metadata

config = context.config
target_metadata = metadata


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("LOVEMACHINE_DATABASE_URL")
    if not url:
        raise RuntimeError("no database URL: set sqlalchemy.url or LOVEMACHINE_DATABASE_URL")
    return url


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=_url().startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(_url())
    try:
        with engine.connect() as connection:
            is_sqlite = connection.dialect.name == "sqlite"
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=is_sqlite,
                # make_engine makes SQLite emit a real BEGIN, so its DDL is transactional too.
                transactional_ddl=True,
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
