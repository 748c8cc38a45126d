"""Initial schema: runs, sample_results, task_scores, baselines, events.

Revision ID: 0001
Revises:
Create Date: 2026-05-20
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("endpoint", sa.String(255), nullable=False),
        sa.Column("trigger", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("tasks", sa.JSON(), nullable=False),
        sa.Column("suite_version", sa.String(64), nullable=False),
        sa.Column("profile", sa.String(64), nullable=False),
        _ts("created_at"),
        _ts("started_at", nullable=True),
        _ts("finished_at", nullable=True),
        sa.Column("model", sa.Text(), nullable=False),
        sa.Column("model_version", sa.Text(), nullable=False),
        sa.Column("model_fingerprint", sa.Text(), nullable=False),
        sa.Column("total_items", sa.Integer(), nullable=False),
        sa.Column("done_items", sa.Integer(), nullable=False),
        sa.Column("error_items", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
    )
    op.create_index("ix_runs_endpoint_created_at", "runs", ["endpoint", "created_at"])
    op.create_index("ix_runs_status", "runs", ["status"])

    op.create_table(
        "sample_results",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("task", sa.String(255), nullable=False),
        sa.Column("variant", sa.String(255), nullable=False),
        sa.Column("sample_id", sa.String(255), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("error_kind", sa.String(64), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=False),
        sa.Column("latency_s", sa.Float(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("scorer", sa.String(255), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("tokens_in", sa.Integer(), nullable=True),
        sa.Column("tokens_out", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sample_results"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_sample_results_run_id_runs", ondelete="CASCADE"),
        sa.UniqueConstraint(
            "run_id", "task", "variant", "sample_id", name="uq_sample_results_run_id_task_variant_sample_id"
        ),
    )
    op.create_index("ix_sample_results_run_id_task", "sample_results", ["run_id", "task"])

    op.create_table(
        "task_scores",
        sa.Column("run_id", sa.String(32), nullable=False),
        sa.Column("task", sa.String(255), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("ci_low", sa.Float(), nullable=True),
        sa.Column("ci_high", sa.Float(), nullable=True),
        sa.Column("n_scored", sa.Integer(), nullable=False),
        sa.Column("n_errors", sa.Integer(), nullable=False),
        sa.Column("n_unscorable", sa.Integer(), nullable=False),
        sa.Column("variant_scores", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "task", name="pk_task_scores"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_task_scores_run_id_runs", ondelete="CASCADE"),
    )

    op.create_table(
        "baselines",
        sa.Column("endpoint", sa.String(255), nullable=False),
        sa.Column("run_id", sa.String(32), nullable=False),
        _ts("set_at"),
        sa.PrimaryKeyConstraint("endpoint", name="pk_baselines"),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name="fk_baselines_run_id_runs", ondelete="CASCADE"),
    )

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _ts("at"),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("endpoint", sa.String(255), nullable=False),
        sa.Column("run_id", sa.String(32), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
    )
    op.create_index("ix_events_endpoint_id", "events", ["endpoint", "id"])


def downgrade() -> None:
    op.drop_index("ix_events_endpoint_id", table_name="events")
    op.drop_table("events")
    op.drop_table("baselines")
    op.drop_table("task_scores")
    op.drop_index("ix_sample_results_run_id_task", table_name="sample_results")
    op.drop_table("sample_results")
    op.drop_index("ix_runs_status", table_name="runs")
    op.drop_index("ix_runs_endpoint_created_at", table_name="runs")
    op.drop_table("runs")
