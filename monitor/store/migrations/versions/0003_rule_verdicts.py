"""The rule scorer's verdict beside the judge's on judged samples.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sample_results") as batch:
        batch.add_column(sa.Column("rule_score", sa.Float(), nullable=True))
        batch.add_column(sa.Column("rule_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sample_results") as batch:
        batch.drop_column("rule_reason")
        batch.drop_column("rule_score")
