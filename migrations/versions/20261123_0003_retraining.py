"""Retraining: training runs, dataset snapshots, the audit sample (owned by the retraining work)

Written by hand from ``lovemachine/adapters/sql/tables.py``; ``tests/contract/test_sql_store.py``
checks that the two agree. Constraint names follow ``tables.NAMING_CONVENTION``.

Two new tables and nothing else: the audit sample needs no schema (its review items live in the
existing ``review_items`` table under the ``audit`` queue, its labels in ``labels`` with the existing
source ``audit``), so no existing table is altered and SQLite never has to copy one.

Revision ID: 20261123_0003
Revises: 20261123_0002
Create Date: 2026-11-23 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261123_0003"
down_revision: str | None = "20261123_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "dataset_snapshots",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        _ts("created_at"),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("label_rows", sa.Integer(), nullable=False),
        _ts("labels_from", nullable=True),
        _ts("labels_to", nullable=True),
        sa.Column("base_sha256", sa.String(64), nullable=True),
        sa.Column("base_source", sa.Text(), nullable=True),
        sa.Column("rows_path", sa.Text(), nullable=True),
        sa.Column("provenance", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dataset_snapshots"),
        sa.UniqueConstraint("sha256", name="uq_dataset_snapshots_sha256"),
    )

    op.create_table(
        "training_runs",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        _ts("started_at"),
        _ts("finished_at", nullable=True),
        sa.Column("dataset_snapshot_id", BigId, nullable=True),
        sa.Column("model_version", sa.String(128), nullable=True),
        sa.Column("eligible", sa.Boolean(), nullable=True),
        sa.Column("report_path", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_training_runs"),
        sa.ForeignKeyConstraint(
            ["dataset_snapshot_id"],
            ["dataset_snapshots.id"],
            name="fk_training_runs_dataset_snapshot_id_dataset_snapshots",
        ),
        sa.ForeignKeyConstraint(
            ["model_version"], ["model_versions.version"], name="fk_training_runs_model_version_model_versions"
        ),
        sa.CheckConstraint("trigger IN ('manual', 'scheduled')", name="ck_training_runs_trigger"),
        sa.CheckConstraint(
            "status IN ('running', 'succeeded', 'failed', 'not_eligible')", name="ck_training_runs_status"
        ),
    )
    op.create_index("ix_training_runs_status", "training_runs", ["status"])
    op.create_index("ix_training_runs_started_at", "training_runs", ["started_at"])


def downgrade() -> None:
    op.drop_table("training_runs")
    op.drop_table("dataset_snapshots")
