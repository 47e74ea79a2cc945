"""The enforcement record (DSA): listing versions, statements of reasons, appeals, account actions

Written by hand from ``lovemachine/adapters/sql/tables.py``; ``tests/contract/test_sql_store.py``
checks that the two agree. Constraint names follow ``tables.NAMING_CONVENTION``.

Only new tables, so SQLite never copies an existing one. ``listing_versions`` is filled with the
version each ``listings`` row holds now: earlier versions were overwritten before this revision and
cannot be recovered.

Revision ID: 20261207_0005
Revises: 20261123_0004
Create Date: 2026-12-07 21:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_0005"
down_revision: str | None = "20261123_0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ID = 128
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "listing_versions",
        sa.Column("listing_id", sa.String(ID), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.String(ID), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("price", sa.Float(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("category", sa.String(ID), nullable=False),
        sa.Column("brand", sa.String(256), nullable=True),
        sa.Column("condition", sa.String(64), nullable=True),
        sa.Column("image_urls", sa.JSON(), nullable=False),
        sa.Column("locale", sa.String(35), nullable=False),
        sa.Column("first_seen_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("listing_id", "version", name="pk_listing_versions"),
    )
    op.create_index("ix_listing_versions_seller_id", "listing_versions", ["seller_id"])
    op.execute(
        "INSERT INTO listing_versions (listing_id, version, seller_id, title, description, price, currency,"
        " category, brand, condition, image_urls, locale, first_seen_at)"
        " SELECT id, version, seller_id, title, description, price, currency, category, brand, condition,"
        " image_urls, locale, updated_at FROM listings"
    )
    op.create_table(
        "statements",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("puid", sa.String(500), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("listing_id", sa.String(ID), nullable=False),
        sa.Column("listing_version", sa.Integer(), nullable=False),
        sa.Column("decision_id", BigId, nullable=True),
        sa.Column("label_id", BigId, nullable=True),
        sa.Column("appeal_id", BigId, nullable=True),
        sa.Column("supersedes", sa.String(500), nullable=True),
        sa.Column("category", sa.String(ID), nullable=False),
        sa.Column("automated_detection", sa.Boolean(), nullable=False),
        sa.Column("automated_decision", sa.String(16), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("tdb", sa.JSON(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("tdb_state", sa.String(16), nullable=False),
        sa.Column("tdb_attempts", sa.Integer(), nullable=False),
        sa.Column("tdb_error", sa.Text(), nullable=True),
        sa.Column("tdb_submitted_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_statements"),
        sa.UniqueConstraint("puid", name="uq_statements_puid"),
        sa.ForeignKeyConstraint(["decision_id"], ["decisions.id"], name="fk_statements_decision_id_decisions"),
        sa.ForeignKeyConstraint(["label_id"], ["labels.id"], name="fk_statements_label_id_labels"),
        sa.CheckConstraint("kind IN ('restriction', 'restore')", name="ck_statements_kind"),
        sa.CheckConstraint(
            "automated_decision IN ('fully', 'partially', 'not')", name="ck_statements_automated_decision"
        ),
        sa.CheckConstraint("source IN ('own_initiative', 'notice')", name="ck_statements_source"),
        sa.CheckConstraint(
            "tdb_state IN ('pending', 'submitted', 'present', 'rejected', 'failed', 'not_applicable')",
            name="ck_statements_tdb_state",
        ),
    )
    op.create_index("ix_statements_listing_id_listing_version", "statements", ["listing_id", "listing_version"])
    op.create_index("ix_statements_created_at", "statements", ["created_at"])
    op.create_index("ix_statements_tdb_state_created_at", "statements", ["tdb_state", "created_at"])
    op.create_table(
        "appeals",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("listing_id", sa.String(ID), nullable=False),
        sa.Column("listing_version", sa.Integer(), nullable=False),
        sa.Column("statement_puid", sa.String(500), nullable=True),
        sa.Column("appellant", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("submitted_by", sa.String(ID), nullable=False),
        sa.Column("external_id", sa.String(ID), nullable=True),
        sa.Column("contested", sa.String(16), nullable=False),
        sa.Column("original_decider", sa.String(ID), nullable=False),
        sa.Column("original_label_id", BigId, nullable=True),
        sa.Column("original_model_version", sa.String(ID), nullable=True),
        sa.Column("received_at", TS, nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("claimed_by", sa.String(ID), nullable=True),
        sa.Column("claim_expires_at", TS, nullable=True),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("decided_by", sa.String(ID), nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("label_id", BigId, nullable=True),
        sa.Column("statement_out_puid", sa.String(500), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_appeals"),
        sa.ForeignKeyConstraint(
            ["original_label_id"], ["labels.id"], name="fk_appeals_original_label_id_labels"
        ),
        sa.ForeignKeyConstraint(["label_id"], ["labels.id"], name="fk_appeals_label_id_labels"),
        sa.UniqueConstraint("submitted_by", "external_id", name="uq_appeals_submitted_by_external_id"),
        sa.CheckConstraint("appellant IN ('seller', 'notifier')", name="ck_appeals_appellant"),
        sa.CheckConstraint("contested IN ('restriction', 'no_action')", name="ck_appeals_contested"),
        sa.CheckConstraint("status IN ('open', 'claimed', 'decided')", name="ck_appeals_status"),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('upheld', 'overturned')", name="ck_appeals_outcome"
        ),
    )
    op.create_index("ix_appeals_status_received_at", "appeals", ["status", "received_at"])
    op.create_index("ix_appeals_listing_id_listing_version", "appeals", ["listing_id", "listing_version"])
    op.create_index("ix_appeals_decided_at", "appeals", ["decided_at"])
    op.create_table(
        "account_actions",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("seller_id", sa.String(ID), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("strike_weight", sa.Float(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("decided_by", sa.String(ID), nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("published_at", TS, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_account_actions"),
        sa.CheckConstraint("action IN ('suspend')", name="ck_account_actions_action"),
        sa.CheckConstraint(
            "status IN ('recommended', 'confirmed', 'dismissed')", name="ck_account_actions_status"
        ),
    )
    op.create_index("ix_account_actions_seller_id_status", "account_actions", ["seller_id", "status"])
    op.create_index("ix_account_actions_status_published_at", "account_actions", ["status", "published_at"])


def downgrade() -> None:
    for table in ("account_actions", "appeals", "statements", "listing_versions"):
        op.drop_table(table)
