"""The case journal, as the lifecycle shipped it.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "journal",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("phase_before", sa.String(20), nullable=False),
        sa.Column("phase_after", sa.String(20), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.UniqueConstraint("case_id", "seq", name="uq_journal_case_seq"),
    )
    op.create_index("ix_journal_case_id", "journal", ["case_id"])


def downgrade() -> None:
    op.drop_table("journal")
