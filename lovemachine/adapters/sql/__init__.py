"""SQL adapter (SQLAlchemy 2.x): the storage ports on SQLite (default) or PostgreSQL.

``make_engine(url)`` builds a correctly configured engine, ``SqlStore(engine)`` implements
``DecisionStore``, ``RuleStore`` and ``ModelRegistry``, and ``migrate.upgrade(url)`` brings a
database to the latest Alembic revision (``lovemachine db upgrade``).
"""

from lovemachine.adapters.sql.engine import make_engine
from lovemachine.adapters.sql.records import AliasChange, StoredListing
from lovemachine.adapters.sql.store import SqlStore
from lovemachine.adapters.sql.tables import metadata

__all__ = ["AliasChange", "SqlStore", "StoredListing", "make_engine", "metadata"]
