"""Legal representatives (who consents and signs for a person under a protective measure), and
the job an employee holds when the case opens, whose contract and first day may be unknown

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
    with op.batch_alter_table("employments") as batch_op:
        batch_op.alter_column("contract_type", existing_type=sa.String(20), nullable=True)
        batch_op.alter_column("start_date", existing_type=sa.Date(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM employments WHERE start_date IS NULL OR contract_type IS NULL")
    with op.batch_alter_table("employments") as batch_op:
        batch_op.alter_column("contract_type", existing_type=sa.String(20), nullable=False)
        batch_op.alter_column("start_date", existing_type=sa.Date(), nullable=False)
    op.drop_index("ix_legal_representatives_beneficiary_id", "legal_representatives")
    op.drop_table("legal_representatives")
