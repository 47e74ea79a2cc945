"""initial schema: listings, decisions, review queue, labels, model registry, rules, audit log

Written by hand from ``lovemachine/adapters/sql/tables.py``; ``tests/contract/test_sql_store.py``
checks that the two agree. Constraint names follow ``tables.NAMING_CONVENTION``.

Revision ID: 20261123_0001
Revises:
Create Date: 2026-11-23 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261123_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "listings",
        sa.Column("id", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.String(128), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("price", sa.Float(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("category", sa.String(128), nullable=False),
        sa.Column("brand", sa.String(256), nullable=True),
        sa.Column("condition", sa.String(64), nullable=True),
        sa.Column("image_urls", sa.JSON(), nullable=False),
        sa.Column("locale", sa.String(35), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _ts("first_seen_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_listings"),
        sa.CheckConstraint("status IN ('visible', 'hidden')", name="ck_listings_status"),
    )
    op.create_index("ix_listings_seller_id", "listings", ["seller_id"])

    op.create_table(
        "decisions",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("listing_id", sa.String(128), nullable=False),
        sa.Column("listing_version", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.String(128), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("category", sa.String(128), nullable=True),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("rule_ids", sa.JSON(), nullable=False),
        _ts("decided_at"),
        _ts("action_published_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_decisions"),
        sa.ForeignKeyConstraint(["listing_id"], ["listings.id"], name="fk_decisions_listing_id_listings"),
        sa.UniqueConstraint(
            "listing_id",
            "listing_version",
            "model_version",
            name="uq_decisions_listing_id_listing_version_model_version",
        ),
        sa.CheckConstraint("action IN ('allow', 'report', 'hide')", name="ck_decisions_action"),
    )
    op.create_index("ix_decisions_decided_at", "decisions", ["decided_at"])
    op.create_index("ix_decisions_model_version_action", "decisions", ["model_version", "action"])

    op.create_table(
        "review_items",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("listing_id", sa.String(128), nullable=False),
        sa.Column("listing_version", sa.Integer(), nullable=False),
        sa.Column("decision_id", BigId, nullable=True),
        sa.Column("queue", sa.String(128), nullable=False),
        sa.Column("priority", sa.Float(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("claimed_by", sa.String(128), nullable=True),
        _ts("claim_expires_at", nullable=True),
        sa.Column("auto_hidden", sa.Boolean(), nullable=False),
        _ts("created_at"),
        _ts("resolved_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_review_items"),
        sa.ForeignKeyConstraint(["decision_id"], ["decisions.id"], name="fk_review_items_decision_id_decisions"),
        sa.UniqueConstraint(
            "listing_id", "listing_version", "queue", name="uq_review_items_listing_id_listing_version_queue"
        ),
        sa.CheckConstraint("status IN ('open', 'claimed', 'done')", name="ck_review_items_status"),
    )
    op.create_index("ix_review_items_status_queue_priority", "review_items", ["status", "queue", "priority"])
    op.create_index("ix_review_items_decision_id", "review_items", ["decision_id"])

    op.create_table(
        "labels",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("listing_id", sa.String(128), nullable=False),
        sa.Column("listing_version", sa.Integer(), nullable=False),
        sa.Column("review_item_id", BigId, nullable=True),
        sa.Column("category", sa.String(128), nullable=True),
        sa.Column("violation", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("reviewer", sa.String(128), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("model_version", sa.String(128), nullable=True),
        sa.Column("thresholds", sa.JSON(), nullable=True),
        sa.Column("auto_hidden", sa.Boolean(), nullable=False),
        _ts("created_at"),
        sa.Column("superseded_by", BigId, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_labels"),
        sa.ForeignKeyConstraint(
            ["review_item_id"], ["review_items.id"], name="fk_labels_review_item_id_review_items"
        ),
        sa.ForeignKeyConstraint(["superseded_by"], ["labels.id"], name="fk_labels_superseded_by_labels"),
        sa.CheckConstraint("source IN ('cs', 'synthetic', 'audit', 'user_report')", name="ck_labels_source"),
    )
    op.create_index("ix_labels_listing_id_listing_version", "labels", ["listing_id", "listing_version"])
    op.create_index("ix_labels_created_at", "labels", ["created_at"])
    op.create_index("ix_labels_review_item_id", "labels", ["review_item_id"])

    op.create_table(
        "model_versions",
        sa.Column("version", sa.String(128), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("artifact_uri", sa.Text(), nullable=False),
        sa.Column("artifact_sha256", sa.String(64), nullable=False),
        sa.Column("training_data_sha256", sa.String(64), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("thresholds", sa.JSON(), nullable=False),
        _ts("created_at"),
        sa.PrimaryKeyConstraint("version", name="pk_model_versions"),
    )
    op.create_index("ix_model_versions_name_created_at", "model_versions", ["name", "created_at"])

    op.create_table(
        "model_aliases",
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("alias", sa.String(128), nullable=False),
        sa.Column("version", sa.String(128), nullable=False),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("name", "alias", name="pk_model_aliases"),
        sa.ForeignKeyConstraint(
            ["version"], ["model_versions.version"], name="fk_model_aliases_version_model_versions"
        ),
    )

    op.create_table(
        "model_alias_history",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("alias", sa.String(128), nullable=False),
        sa.Column("from_version", sa.String(128), nullable=True),
        sa.Column("to_version", sa.String(128), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        _ts("at"),
        sa.PrimaryKeyConstraint("id", name="pk_model_alias_history"),
    )
    op.create_index("ix_model_alias_history_name_alias_at", "model_alias_history", ["name", "alias", "at"])

    op.create_table(
        "rules",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("pattern", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("category", sa.String(128), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_rules"),
        sa.CheckConstraint("kind IN ('keyword', 'regex')", name="ck_rules_kind"),
        sa.CheckConstraint("action IN ('hide', 'report')", name="ck_rules_action"),
    )

    op.create_table(
        "audit_log",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        _ts("at"),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("entity_type", sa.String(64), nullable=False),
        sa.Column("entity_id", sa.String(128), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_entity_type_entity_id", "audit_log", ["entity_type", "entity_id"])


def downgrade() -> None:
    for table in (
        "audit_log",
        "rules",
        "model_alias_history",
        "model_aliases",
        "model_versions",
        "labels",
        "review_items",
        "decisions",
        "listings",
    ):
        op.drop_table(table)
