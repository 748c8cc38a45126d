"""Run shards (mode: distributed): a run's work items split into ranges that any worker may execute.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "run_shards",
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("shard", sa.Integer(), nullable=False),
        sa.Column("first", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("worker", sa.String(255), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("run_id", "shard", name="pk_run_shards"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_run_shards_run_id_runs", ondelete="CASCADE"),
    )


def downgrade() -> None:
    op.drop_table("run_shards")
