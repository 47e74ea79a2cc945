"""The relational schema, as SQLAlchemy Core tables: the one source of truth for the migrations.

``migrations/versions`` is written by hand from these definitions and a test
(``tests/contract/test_sql_store.py``) checks that ``alembic upgrade head`` produces exactly this
metadata. Constraint names come from ``NAMING_CONVENTION`` so that they are the same on SQLite and
PostgreSQL and a later migration can refer to them.

Categories are plain strings (never an enum or a CHECK listing them): adding a category is a code
change and a retrain, not a schema migration. Only closed, structural vocabularies (a listing's
status, a decision's action, a review item's status, a rule's kind) are checked by the database.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp that always comes back as an aware UTC ``datetime``.

    PostgreSQL stores ``timestamptz``; SQLite has no time zones, so values are normalised to UTC
    before they are written and marked UTC when read. Naive datetimes are refused: they are a bug.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware datetime (UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):  # pragma: no cover - drivers return datetimes
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# 64-bit surrogate keys on PostgreSQL; SQLite only auto-increments a column declared INTEGER.
BigId = BigInteger().with_variant(Integer(), "sqlite")

ID = 128  # length of external identifiers (listing ids, seller ids, model versions, categories)


def listing_content() -> list[Column[Any]]:
    """A listing version's content columns (new objects each call: a column belongs to one table),
    shared by ``listings`` (the current version) and ``listing_versions`` (every version judged)."""
    return [
        Column("seller_id", String(ID), nullable=False),
        Column("title", Text, nullable=False),
        Column("description", Text, nullable=False),
        Column("price", Float, nullable=False),
        Column("currency", String(3), nullable=False),
        Column("category", String(ID), nullable=False),
        Column("brand", String(256), nullable=True),
        Column("condition", String(64), nullable=True),
        Column("image_urls", JSON, nullable=False),
        Column("locale", String(35), nullable=False),
    ]


listings = Table(
    "listings",
    metadata,
    Column("id", String(ID), nullable=False),
    Column("version", Integer, nullable=False),
    *listing_content(),
    Column("status", String(16), nullable=False),
    Column("first_seen_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("id"),
    CheckConstraint("status IN ('visible', 'hidden')", name="status"),
    Index(None, "seller_id"),
)

decisions = Table(
    "decisions",
    metadata,
    Column("id", BigId, autoincrement=True, nullable=False),
    Column("listing_id", String(ID), nullable=False),
    Column("listing_version", Integer, nullable=False),
    Column("model_version", String(ID), nullable=False),
    Column("action", String(16), nullable=False),
    Column("category", String(ID), nullable=True),
    Column("scores", JSON, nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("rule_ids", JSON, nullable=False),
    Column("decided_at", UtcDateTime, nullable=False),
    Column("action_published_at", UtcDateTime, nullable=True),
    PrimaryKeyConstraint("id"),
    ForeignKeyConstraint(["listing_id"], ["listings.id"]),
    UniqueConstraint("listing_id", "listing_version", "model_version"),
    CheckConstraint("action IN ('allow', 'report', 'hide')", name="action"),
    Index(None, "decided_at"),
    Index(None, "model_version", "action"),
)

review_items = Table(
    "review_items",
    metadata,
    Column("id", BigId, autoincrement=True, nullable=False),
    Column("listing_id", String(ID), nullable=False),
    Column("listing_version", Integer, nullable=False),
    Column("decision_id", BigId, nullable=True),
    Column("queue", String(ID), nullable=False),  # a category id, 'user_reports' or 'audit'
    Column("priority", Float, nullable=False),
    Column("status", String(16), nullable=False),
    Column("claimed_by", String(ID), nullable=True),
    Column("claim_expires_at", UtcDateTime, nullable=True),
    Column("auto_hidden", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("resolved_at", UtcDateTime, nullable=True),
    PrimaryKeyConstraint("id"),
    ForeignKeyConstraint(["decision_id"], ["decisions.id"]),
    UniqueConstraint("listing_id", "listing_version", "queue"),
    CheckConstraint("status IN ('open', 'claimed', 'done')", name="status"),
    Index(None, "status", "queue", "priority"),
    Index(None, "decision_id"),
)

labels = Table(
    "labels",
    metadata,
    Column("id", BigId, autoincrement=True, nullable=False),
    Column("listing_id", String(ID), nullable=False),
    Column("listing_version", Integer, nullable=False),
    Column("review_item_id", BigId, nullable=True),
    Column("category", String(ID), nullable=True),  # NULL = no violation
    Column("violation", Boolean, nullable=False),
    Column("source", String(16), nullable=False),
    Column("reviewer", String(ID), nullable=True),
    Column("note", Text, nullable=False),
    Column("model_version", String(ID), nullable=True),
    Column("thresholds", JSON, nullable=True),
    Column("auto_hidden", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("superseded_by", BigId, nullable=True),
    # 0002 (CS tool): the client's Idempotency-Key; one label per (reviewer, key)
    Column("idempotency_key", String(ID), nullable=True),
    PrimaryKeyConstraint("id"),
    ForeignKeyConstraint(["review_item_id"], ["review_items.id"]),
    ForeignKeyConstraint(["superseded_by"], ["labels.id"]),
    CheckConstraint("source IN ('cs', 'synthetic', 'audit', 'user_report')", name="source"),
    Index(None, "listing_id", "listing_version"),
    Index(None, "created_at"),
    Index(None, "review_item_id"),
    Index(None, "reviewer", "idempotency_key", unique=True),
)

model_versions = Table(
    "model_versions",
    metadata,
    Column("version", String(ID), nullable=False),
    Column("name", String(ID), nullable=False),
    Column("artifact_uri", Text, nullable=False),
    Column("artifact_sha256", String(64), nullable=False),
    Column("training_data_sha256", String(64), nullable=False),
    Column("metrics", JSON, nullable=False),
    Column("thresholds", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("version"),
    Index(None, "name", "created_at"),
)

model_aliases = Table(
    "model_aliases",
    metadata,
    Column("name", String(ID), nullable=False),
    Column("alias", String(ID), nullable=False),
    Column("version", String(ID), nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("name", "alias"),
    ForeignKeyConstraint(["version"], ["model_versions.version"]),
)

model_alias_history = Table(
    "model_alias_history",
    metadata,
    Column("id", BigId, autoincrement=True, nullable=False),
    Column("name", String(ID), nullable=False),
    Column("alias", String(ID), nullable=False),
    Column("from_version", String(ID), nullable=True),
    Column("to_version", String(ID), nullable=False),
    Column("actor", String(ID), nullable=False),
    Column("reason", Text, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("id"),
    Index(None, "name", "alias", "at"),
)

rules = Table(
    "rules",
    metadata,
    Column("id", Integer, autoincrement=True, nullable=False),
    Column("pattern", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("category", String(ID), nullable=False),
    Column("action", String(16), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("owner", String(ID), nullable=False),
    Column("note", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("id"),
    CheckConstraint("kind IN ('keyword', 'regex')", name="kind"),
    CheckConstraint("action IN ('hide', 'report')", name="action"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, autoincrement=True, nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(ID), nullable=False),
    Column("action", String(64), nullable=False),
    Column("entity_type", String(64), nullable=False),
    Column("entity_id", String(ID), nullable=False),
    Column("detail", JSON, nullable=False),
    PrimaryKeyConstraint("id"),
    Index(None, "at"),
    Index(None, "entity_type", "entity_id"),
)


# ----------------------------------------------------------------------------- CS tool (0002)
staff = Table(
    "staff",
    metadata,
    Column("username", String(ID), nullable=False),
    Column("password_hash", Text, nullable=False),  # argon2id, PHC string format
    Column("role", String(16), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("username"),
    CheckConstraint("role IN ('agent', 'lead', 'admin')", name="role"),
)

staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("id", String(64), nullable=False),  # sha256 hex of the cookie value; the value is never stored
    Column("username", String(ID), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("id"),
    ForeignKeyConstraint(["username"], ["staff.username"]),
    Index(None, "username"),
    Index(None, "expires_at"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", BigId, autoincrement=True, nullable=False),
    Column("name", String(ID), nullable=False),
    Column("token_sha256", String(64), nullable=False),
    Column("prefix", String(16), nullable=False),  # the first characters, to recognise a token in a list
    Column("scopes", JSON, nullable=False),
    Column("created_by", String(ID), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_used_at", UtcDateTime, nullable=True),
    Column("revoked_at", UtcDateTime, nullable=True),
    PrimaryKeyConstraint("id"),
    UniqueConstraint("token_sha256"),
)

user_reports = Table(
    "user_reports",
    metadata,
    Column("id", BigId, autoincrement=True, nullable=False),
    Column("listing_id", String(ID), nullable=False),
    Column("listing_version", Integer, nullable=False),
    Column("reporter_id", String(ID), nullable=False),
    Column("reason", Text, nullable=False),
    Column("review_item_id", BigId, nullable=True),
    Column("times", Integer, nullable=False),  # how often this reporter reported this version (merged)
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_reported_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("id"),
    ForeignKeyConstraint(["listing_id"], ["listings.id"]),
    ForeignKeyConstraint(["review_item_id"], ["review_items.id"]),
    UniqueConstraint("listing_id", "listing_version", "reporter_id"),
    Index(None, "review_item_id"),
)

action_outbox = Table(
    "action_outbox",
    metadata,
    Column("id", BigId, autoincrement=True, nullable=False),
    Column("label_id", BigId, nullable=True),
    Column("listing_id", String(ID), nullable=False),
    Column("listing_version", Integer, nullable=False),
    Column("action", String(16), nullable=False),
    Column("payload", JSON, nullable=False),  # the moderation-actions message body
    Column("attributes", JSON, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("published_at", UtcDateTime, nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    PrimaryKeyConstraint("id"),
    ForeignKeyConstraint(["label_id"], ["labels.id"]),
    CheckConstraint("action IN ('hide', 'restore')", name="action"),
    Index(None, "published_at"),
    Index(None, "label_id"),
)


# ----------------------------------------------------------------------------- retraining (0003)
dataset_snapshots = Table(
    "dataset_snapshots",
    metadata,
    Column("id", BigId, autoincrement=True, nullable=False),
    Column("sha256", String(64), nullable=False),  # of the canonical serialisation: same content, same row
    Column("created_at", UtcDateTime, nullable=False),
    Column("rows", Integer, nullable=False),  # training rows: base data + resolved labels
    Column("label_rows", Integer, nullable=False),
    Column("labels_from", UtcDateTime, nullable=True),
    Column("labels_to", UtcDateTime, nullable=True),
    Column("base_sha256", String(64), nullable=True),
    Column("base_source", Text, nullable=True),  # a JSONL path, or how the synthetic base was generated
    Column("rows_path", Text, nullable=True),  # the label rows as labelled JSONL, under the artifact dir
    Column("provenance", JSON, nullable=False),  # counts per source and label, overturned, disagreements
    PrimaryKeyConstraint("id"),
    UniqueConstraint("sha256"),
)

training_runs = Table(
    "training_runs",
    metadata,
    Column("id", BigId, autoincrement=True, nullable=False),
    Column("trigger", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("actor", String(ID), nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("dataset_snapshot_id", BigId, nullable=True),
    Column("model_version", String(ID), nullable=True),
    Column("eligible", Boolean, nullable=True),
    Column("report_path", Text, nullable=True),
    Column("error", Text, nullable=True),
    Column("detail", JSON, nullable=False),
    PrimaryKeyConstraint("id"),
    ForeignKeyConstraint(["dataset_snapshot_id"], ["dataset_snapshots.id"]),
    ForeignKeyConstraint(["model_version"], ["model_versions.version"]),
    CheckConstraint("trigger IN ('manual', 'scheduled')", name="trigger"),
    CheckConstraint("status IN ('running', 'succeeded', 'failed', 'not_eligible')", name="status"),
    Index(None, "status"),
    Index(None, "started_at"),
)


# ----------------------------------------------------------------------------- shadow scoring (0004)
# A challenger's decisions on live traffic: stored to compare with the champion's, never acted on (no
# review item, no moderation action, no change to the listing). One per (listing, version, model).
shadow_decisions = Table(
    "shadow_decisions",
    metadata,
    Column("id", BigId, autoincrement=True, nullable=False),
    Column("listing_id", String(ID), nullable=False),
    Column("listing_version", Integer, nullable=False),
    Column("model_version", String(ID), nullable=False),
    Column("action", String(16), nullable=False),
    Column("category", String(ID), nullable=True),
    Column("scores", JSON, nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("rule_ids", JSON, nullable=False),
    Column("decided_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("id"),
    ForeignKeyConstraint(["listing_id"], ["listings.id"]),
    UniqueConstraint("listing_id", "listing_version", "model_version"),
    CheckConstraint("action IN ('allow', 'report', 'hide')", name="action"),
    Index(None, "model_version", "decided_at"),
)


# 0005: the enforcement record's tables live in their own module, on this metadata
from lovemachine.adapters.sql.enforcement_tables import (  # noqa: E402
    account_actions as account_actions,
    appeals as appeals,
    listing_versions as listing_versions,
    statements as statements,
)
