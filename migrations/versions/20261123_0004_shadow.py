"""Shadow scoring and deploys: challenger decisions (owned by the deploy work)

Written by hand from ``lovemachine/adapters/sql/tables.py``; ``tests/contract/test_sql_store.py``
checks that the two agree. Constraint names follow ``tables.NAMING_CONVENTION``.

Only a new table: nothing existing is altered, so SQLite never has to copy a table (and lose the
CHECK constraints its reflection cannot see). Blue-green deploys need no other schema: aliases and
their history (``model_aliases``, ``model_alias_history``) exist since 0001, and a compare-and-set
move is a locked read and a write in one transaction.

Revision ID: 20261123_0004
Revises: 20261123_0003
Create Date: 2026-11-23 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261123_0004"
down_revision: str | None = "20261123_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "shadow_decisions",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("listing_id", sa.String(128), nullable=False),
        sa.Column("listing_version", sa.Integer(), nullable=False),
        sa.Column("model_version", sa.String(128), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("category", sa.String(128), nullable=True),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("rule_ids", sa.JSON(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_shadow_decisions"),
        sa.ForeignKeyConstraint(
            ["listing_id"], ["listings.id"], name="fk_shadow_decisions_listing_id_listings"
        ),
        sa.UniqueConstraint(
            "listing_id",
            "listing_version",
            "model_version",
            name="uq_shadow_decisions_listing_id_listing_version_model_version",
        ),
        sa.CheckConstraint("action IN ('allow', 'report', 'hide')", name="ck_shadow_decisions_action"),
    )
    op.create_index(
        "ix_shadow_decisions_model_version_decided_at", "shadow_decisions", ["model_version", "decided_at"]
    )


def downgrade() -> None:
    op.drop_table("shadow_decisions")
