"""CS tool: staff, sessions, API tokens, user reports, the label idempotency key, the action outbox

Written by hand from ``lovemachine/adapters/sql/tables.py``; ``tests/contract/test_sql_store.py``
checks that the two agree. Constraint names follow ``tables.NAMING_CONVENTION``.

``labels`` only gains a nullable column and a unique index, which SQLite does with plain ``ALTER
TABLE ADD COLUMN`` and ``CREATE INDEX``: ``batch_alter_table`` (recreate="auto") never has to copy
the table, so its CHECK constraints (which SQLite reflection cannot see) survive.

Revision ID: 20261123_0002
Revises: 20261123_0001
Create Date: 2026-11-23 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261123_0002"
down_revision: str | None = "20261123_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("labels") as batch:
        batch.add_column(sa.Column("idempotency_key", sa.String(128), nullable=True))
    op.create_index(
        "ix_labels_reviewer_idempotency_key", "labels", ["reviewer", "idempotency_key"], unique=True
    )

    op.create_table(
        "staff",
        sa.Column("username", sa.String(128), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _ts("created_at"),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("username", name="pk_staff"),
        sa.CheckConstraint("role IN ('agent', 'lead', 'admin')", name="ck_staff_role"),
    )

    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("username", sa.String(128), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        _ts("created_at"),
        _ts("expires_at"),
        sa.PrimaryKeyConstraint("id", name="pk_staff_sessions"),
        sa.ForeignKeyConstraint(["username"], ["staff.username"], name="fk_staff_sessions_username_staff"),
    )
    op.create_index("ix_staff_sessions_username", "staff_sessions", ["username"])
    op.create_index("ix_staff_sessions_expires_at", "staff_sessions", ["expires_at"])

    op.create_table(
        "api_tokens",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        _ts("created_at"),
        _ts("last_used_at", nullable=True),
        _ts("revoked_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.UniqueConstraint("token_sha256", name="uq_api_tokens_token_sha256"),
    )

    op.create_table(
        "user_reports",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("listing_id", sa.String(128), nullable=False),
        sa.Column("listing_version", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.String(128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("review_item_id", BigId, nullable=True),
        sa.Column("times", sa.Integer(), nullable=False),
        _ts("created_at"),
        _ts("last_reported_at"),
        sa.PrimaryKeyConstraint("id", name="pk_user_reports"),
        sa.ForeignKeyConstraint(["listing_id"], ["listings.id"], name="fk_user_reports_listing_id_listings"),
        sa.ForeignKeyConstraint(
            ["review_item_id"], ["review_items.id"], name="fk_user_reports_review_item_id_review_items"
        ),
        sa.UniqueConstraint(
            "listing_id",
            "listing_version",
            "reporter_id",
            name="uq_user_reports_listing_id_listing_version_reporter_id",
        ),
    )
    op.create_index("ix_user_reports_review_item_id", "user_reports", ["review_item_id"])

    op.create_table(
        "action_outbox",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("label_id", BigId, nullable=True),
        sa.Column("listing_id", sa.String(128), nullable=False),
        sa.Column("listing_version", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        _ts("created_at"),
        _ts("published_at", nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_action_outbox"),
        sa.ForeignKeyConstraint(["label_id"], ["labels.id"], name="fk_action_outbox_label_id_labels"),
        sa.CheckConstraint("action IN ('hide', 'restore')", name="ck_action_outbox_action"),
    )
    op.create_index("ix_action_outbox_published_at", "action_outbox", ["published_at"])
    op.create_index("ix_action_outbox_label_id", "action_outbox", ["label_id"])


def downgrade() -> None:
    for table in ("action_outbox", "user_reports", "api_tokens", "staff_sessions", "staff"):
        op.drop_table(table)
    op.drop_index("ix_labels_reviewer_idempotency_key", table_name="labels")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite >= 3.35 drops a column in place; a batch "recreate" would lose the CHECK constraints
        op.execute("ALTER TABLE labels DROP COLUMN idempotency_key")
    else:
        op.drop_column("labels", "idempotency_key")
