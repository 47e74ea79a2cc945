"""Ports: every interface the core and the applications depend on, in one package, one module per
concern (as HMA's ``storage/interface.py`` does). Consumers are typed against the narrowest port they
use; adapters implement them: ``lovemachine.adapters.sql`` (SQLAlchemy; SQLite and PostgreSQL),
``lovemachine.adapters.pubsub`` (google-cloud-pubsub, emulator or GCP),
``lovemachine.adapters.local_broker`` (embedded, in-process) and ``lovemachine.adapters.images``.
The same contract tests run against every implementation.

* ``messaging`` — ``Broker``, ``StreamingPull``, ``ReceivedMessage``, ``TopologyAdmin``, ``Topology``
* ``decisions`` — ``DecisionStore``, ``ShadowDecisionStore``, ``RuleStore``, ``RecordedDecision``
* ``registry`` — ``ModelRegistry``, ``ModelVersionRecord``, ``AliasChange``, ``ANY_VERSION``
* ``deploy`` — ``DeployStore`` (aliases, their history, the shadow sample)
* ``training`` — ``TrainingStore`` (labels in; snapshots, runs and versions out)
* ``outbox`` — ``ActionOutbox`` (actions queued by CS labels)
* ``quality`` — ``QualityStore`` (the audit sample's reads)
* ``images`` — ``ImageScorer``, ``ImageScore``
* ``enforcement`` — ``EnforcementRecord`` (DSA): ``StatementStore``, ``AppealStore``, ``EnforcementStore``
* ``review`` — ``CsToolStore`` (the CS tool's store) and its parts: ``ReviewStore``, ``StaffStore``,
  ``RuleAdminStore``, ``AuditLogStore``, ``TrainingRunStore``, ``ModelCatalogStore``, ``HealthStore``;
  ``StoredListingView``
"""

from lovemachine.ports.decisions import DecisionStore, RecordedDecision, RuleStore, ShadowDecisionStore

# after the registry: these import modules that import the names above from this package
from lovemachine.ports.deploy import DeployStore
from lovemachine.ports.enforcement import AppealStore, EnforcementRecord, EnforcementStore, StatementStore
from lovemachine.ports.images import ImageScore, ImageScorer
from lovemachine.ports.messaging import (
    Broker,
    ReceivedMessage,
    StreamingPull,
    Topology,
    TopologyAdmin,
    create_topology,
)
from lovemachine.ports.outbox import ActionOutbox
from lovemachine.ports.quality import QualityStore
from lovemachine.ports.registry import ANY_VERSION, AliasChange, ModelRegistry, ModelVersionRecord
from lovemachine.ports.review import (
    AuditLogStore,
    CsToolStore,
    HealthStore,
    ModelCatalogStore,
    ReviewStore,
    RuleAdminStore,
    StaffStore,
    StoredListingView,
    TrainingRunStore,
)
from lovemachine.ports.training import TrainingStore

__all__ = [
    "ANY_VERSION",
    "ActionOutbox",
    "AliasChange",
    "AppealStore",
    "AuditLogStore",
    "Broker",
    "CsToolStore",
    "DecisionStore",
    "DeployStore",
    "EnforcementRecord",
    "EnforcementStore",
    "HealthStore",
    "ImageScore",
    "ImageScorer",
    "ModelCatalogStore",
    "ModelRegistry",
    "ModelVersionRecord",
    "QualityStore",
    "ReceivedMessage",
    "RecordedDecision",
    "ReviewStore",
    "RuleAdminStore",
    "RuleStore",
    "ShadowDecisionStore",
    "StaffStore",
    "StatementStore",
    "StoredListingView",
    "StreamingPull",
    "Topology",
    "TopologyAdmin",
    "TrainingRunStore",
    "TrainingStore",
    "create_topology",
]
