"""The enforcement record's tables (migration 0005: DSA): every listing version judged, the statements
of reasons, appeals and account actions. Same metadata and conventions as ``tables``."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from lovemachine.adapters.sql.tables import ID, BigId, UtcDateTime, listing_content, metadata

# 0005 (enforcement record, DSA): every listing version judged, the statements of reasons, appeals.
listing_versions = Table(
    "listing_versions",
    metadata,
    Column("listing_id", String(ID), nullable=False),
    Column("version", Integer, nullable=False),
    *listing_content(),
    Column("first_seen_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("listing_id", "version"),
    Index(None, "seller_id"),
)
statements = Table(
    "statements",
    metadata,
    Column("id", BigId, autoincrement=True, nullable=False),
    Column("puid", String(500), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("listing_id", String(ID), nullable=False),
    Column("listing_version", Integer, nullable=False),
    Column("decision_id", BigId, nullable=True),
    Column("label_id", BigId, nullable=True),
    Column("appeal_id", BigId, nullable=True),
    Column("supersedes", String(500), nullable=True),  # the puid this one reverses or corrects
    Column("category", String(ID), nullable=False),
    Column("automated_detection", Boolean, nullable=False),
    Column("automated_decision", String(16), nullable=False),
    Column("source", String(16), nullable=False),
    Column("language", String(8), nullable=False),
    Column("text", Text, nullable=False),  # what the seller reads, in their language
    Column("record", JSON, nullable=False),  # the Art. 17(3) content, structured
    Column("tdb", JSON, nullable=True),  # the Transparency Database body; NULL: not submitted (a restore)
    Column("created_at", UtcDateTime, nullable=False),
    Column("tdb_state", String(16), nullable=False),
    Column("tdb_attempts", Integer, nullable=False),
    Column("tdb_error", Text, nullable=True),
    Column("tdb_submitted_at", UtcDateTime, nullable=True),
    PrimaryKeyConstraint("id"),
    UniqueConstraint("puid"),
    ForeignKeyConstraint(["decision_id"], ["decisions.id"]),
    ForeignKeyConstraint(["label_id"], ["labels.id"]),
    CheckConstraint("kind IN ('restriction', 'restore')", name="kind"),
    CheckConstraint("automated_decision IN ('fully', 'partially', 'not')", name="automated_decision"),
    CheckConstraint("source IN ('own_initiative', 'notice')", name="source"),
    CheckConstraint(
        "tdb_state IN ('pending', 'submitted', 'present', 'rejected', 'failed', 'not_applicable')",
        name="tdb_state",
    ),
    Index(None, "listing_id", "listing_version"),
    Index(None, "created_at"),
    Index(None, "tdb_state", "created_at"),
)
appeals = Table(
    "appeals",
    metadata,
    Column("id", BigId, autoincrement=True, nullable=False),
    Column("listing_id", String(ID), nullable=False),
    Column("listing_version", Integer, nullable=False),
    Column("statement_puid", String(500), nullable=True),  # the contested statement (a seller's appeal)
    Column("appellant", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("submitted_by", String(ID), nullable=False),  # the marketplace token's name
    Column("external_id", String(ID), nullable=True),  # the marketplace's complaint id (idempotency)
    Column("contested", String(16), nullable=False),  # what is contested: a restriction or no action
    Column("original_decider", String(ID), nullable=False),  # a reviewer, or worker:<model version>
    Column("original_label_id", BigId, nullable=True),
    Column("original_model_version", String(ID), nullable=True),
    Column("received_at", UtcDateTime, nullable=False),
    Column("due_at", UtcDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("claimed_by", String(ID), nullable=True),
    Column("claim_expires_at", UtcDateTime, nullable=True),
    Column("outcome", String(16), nullable=True),
    Column("decided_by", String(ID), nullable=True),
    Column("decided_at", UtcDateTime, nullable=True),
    Column("reason", Text, nullable=True),
    Column("label_id", BigId, nullable=True),  # the label the decision wrote
    Column("statement_out_puid", String(500), nullable=True),  # the statement an overturn issued
    PrimaryKeyConstraint("id"),
    ForeignKeyConstraint(["original_label_id"], ["labels.id"]),
    ForeignKeyConstraint(["label_id"], ["labels.id"]),
    UniqueConstraint("submitted_by", "external_id"),
    CheckConstraint("appellant IN ('seller', 'notifier')", name="appellant"),
    CheckConstraint("contested IN ('restriction', 'no_action')", name="contested"),
    CheckConstraint("status IN ('open', 'claimed', 'decided')", name="status"),
    CheckConstraint("outcome IS NULL OR outcome IN ('upheld', 'overturned')", name="outcome"),
    Index(None, "status", "received_at"),
    Index(None, "listing_id", "listing_version"),
    Index(None, "decided_at"),
)
account_actions = Table(
    "account_actions",
    metadata,
    Column("id", BigId, autoincrement=True, nullable=False),
    Column("seller_id", String(ID), nullable=False),
    Column("action", String(16), nullable=False),
    Column("strike_weight", Float, nullable=False),  # the seller's active strikes when recommended
    Column("threshold", Float, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("decided_by", String(ID), nullable=True),
    Column("decided_at", UtcDateTime, nullable=True),
    Column("reason", Text, nullable=True),
    Column("payload", JSON, nullable=True),  # the message published once confirmed
    Column("published_at", UtcDateTime, nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    PrimaryKeyConstraint("id"),
    CheckConstraint("action IN ('suspend')", name="action"),
    CheckConstraint("status IN ('recommended', 'confirmed', 'dismissed')", name="status"),
    Index(None, "seller_id", "status"),
    Index(None, "status", "published_at"),
)
