"""Legal representatives: who consents and signs for a person under a protective measure

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 20:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ID = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "legal_representatives",
        sa.Column("id", ID, primary_key=True),
        sa.Column("beneficiary_id", ID, nullable=False),
        sa.Column("first_name", sa.String(100), nullable=False),
        sa.Column("last_name", sa.String(100), nullable=False),
        sa.Column("measure", sa.String(30), nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("phone", sa.String(30), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_legal_representatives_beneficiary_id", "legal_representatives", ["beneficiary_id"])


def downgrade() -> None:
    op.drop_index("ix_legal_representatives_beneficiary_id", "legal_representatives")
    op.drop_table("legal_representatives")
