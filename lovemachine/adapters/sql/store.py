"""``SqlStore``: the SQLAlchemy implementation of the storage ports, on SQLite or PostgreSQL.

It implements :class:`~lovemachine.ports.DecisionStore`, :class:`~lovemachine.ports.RuleStore` and
:class:`~lovemachine.ports.ModelRegistry`, plus the reads the CLI and the demo need. Each concern
lives in its own module (``decision_store``, ``rule_store``, ``registry_store``, and for the CS tool
``review_store``, ``label_store``, ``report_store``, ``staff_store``, ``audit_store``); every public
method runs in its own transaction and returns plain domain objects, never rows.
"""

from __future__ import annotations

from lovemachine.adapters.sql.appeal_decision import AppealDecisionMixin
from lovemachine.adapters.sql.appeal_store import AppealStoreMixin
from lovemachine.adapters.sql.audit_store import AuditStoreMixin
from lovemachine.adapters.sql.decision_store import DecisionStoreMixin
from lovemachine.adapters.sql.enforcement_store import EnforcementStoreMixin
from lovemachine.adapters.sql.label_store import LabelStoreMixin
from lovemachine.adapters.sql.live_quality_store import LiveQualityStoreMixin
from lovemachine.adapters.sql.ops_store import OpsStoreMixin
from lovemachine.adapters.sql.registry_store import RegistryStoreMixin
from lovemachine.adapters.sql.report_store import ReportStoreMixin
from lovemachine.adapters.sql.review_store import ReviewStoreMixin
from lovemachine.adapters.sql.rule_store import RuleStoreMixin
from lovemachine.adapters.sql.shadow_store import ShadowStoreMixin
from lovemachine.adapters.sql.staff_store import StaffStoreMixin
from lovemachine.adapters.sql.statement_store import StatementStoreMixin
from lovemachine.adapters.sql.training_store import TrainingStoreMixin


class SqlStore(
    DecisionStoreMixin,
    RuleStoreMixin,
    RegistryStoreMixin,
    ReviewStoreMixin,
    LabelStoreMixin,
    ReportStoreMixin,
    StaffStoreMixin,
    AuditStoreMixin,
    ShadowStoreMixin,
    TrainingStoreMixin,
    LiveQualityStoreMixin,
    StatementStoreMixin,
    AppealStoreMixin,
    AppealDecisionMixin,
    EnforcementStoreMixin,
    OpsStoreMixin,
):
    """``SqlStore(make_engine(url), model_name="lovemachine")``; call ``dispose()`` when done."""
