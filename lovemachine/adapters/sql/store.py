"""``SqlStore``: the SQLAlchemy implementation of the storage ports, on SQLite or PostgreSQL.

It implements :class:`~lovemachine.ports.DecisionStore`, :class:`~lovemachine.ports.RuleStore` and
:class:`~lovemachine.ports.ModelRegistry`, plus the reads the CLI and the demo need. Each concern
lives in its own module (``decision_store``, ``rule_store``, ``registry_store``); every public
method runs in its own transaction and returns plain domain objects, never rows.
"""

from __future__ import annotations

from lovemachine.adapters.sql.decision_store import DecisionStoreMixin
from lovemachine.adapters.sql.registry_store import RegistryStoreMixin
from lovemachine.adapters.sql.rule_store import RuleStoreMixin


class SqlStore(DecisionStoreMixin, RuleStoreMixin, RegistryStoreMixin):
    """``SqlStore(make_engine(url), model_name="lovemachine")``; call ``dispose()`` when done."""
