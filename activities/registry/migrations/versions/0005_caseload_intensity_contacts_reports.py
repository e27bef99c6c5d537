"""Caseloads, support intensity, contacts, requests from the person, funders' reports

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 10:12:00
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ID = sa.String(64)


def _case_event(name: str, *columns: sa.Column) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        *columns,
    )
    op.create_index(f"ix_{name}_case_id", name, ["case_id"])


def upgrade() -> None:
    op.create_table(
        "caseload_seats",
        sa.Column("case_id", ID, primary_key=True),
        sa.Column("referent_id", ID, nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("forced_reason", sa.Text(), nullable=True),
        sa.Column("forced_by", sa.String(80), nullable=True),
    )
    op.create_index("ix_caseload_seats_referent_id", "caseload_seats", ["referent_id"])
    _case_event("contacts", sa.Column("on", sa.Date(), nullable=False), sa.Column("kind", sa.String(30), nullable=False),
                sa.Column("employer_id", ID, nullable=True), sa.Column("phase", sa.String(20), nullable=False))  # fmt: skip
    _case_event("intensity_changes", sa.Column("level", sa.String(10), nullable=True),
                sa.Column("previous", sa.String(10), nullable=True), sa.Column("reason", sa.String(30), nullable=False))  # fmt: skip
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("scope", ID, nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("kind", "scope", "period_from", "period_to", name="uq_report_period"),
    )
    with op.batch_alter_table("referents") as batch_op:
        batch_op.add_column(sa.Column("capacity", sa.Integer(), nullable=True))
    with op.batch_alter_table("cases") as batch_op:
        batch_op.add_column(sa.Column("intensity", sa.String(10), nullable=True))
        batch_op.add_column(sa.Column("birth_year", sa.Integer(), nullable=True))
    with op.batch_alter_table("employer_requests") as batch_op:
        batch_op.add_column(sa.Column("origin", sa.String(12), nullable=False, server_default="employer"))
        batch_op.alter_column("employer_id", existing_type=ID, nullable=True)
    _backfill()


def _backfill() -> None:
    """Birth years from the journal's openings; a place in the caseload for every open case with a référent."""
    bind = op.get_bind()
    openings = bind.execute(sa.text("SELECT case_id, detail FROM journal WHERE kind = 'case_opened'"))
    for case_id, detail in openings:
        detail = json.loads(detail) if isinstance(detail, str) else detail
        born = str((detail or {}).get("birth_date") or "")[:4]
        if born.isdigit():
            bind.execute(sa.text("UPDATE cases SET birth_year = :year WHERE id = :id"), {"year": int(born), "id": case_id})
    bind.execute(sa.text(
        "INSERT INTO caseload_seats (case_id, referent_id, since) "
        "SELECT id, referent_id, updated_at FROM cases WHERE closed_at IS NULL AND referent_id IS NOT NULL"
    ))  # fmt: skip


def downgrade() -> None:
    with op.batch_alter_table("employer_requests") as batch_op:
        batch_op.alter_column("employer_id", existing_type=ID, nullable=False)
        batch_op.drop_column("origin")
    with op.batch_alter_table("cases") as batch_op:
        batch_op.drop_column("birth_year")
        batch_op.drop_column("intensity")
    with op.batch_alter_table("referents") as batch_op:
        batch_op.drop_column("capacity")
    op.drop_table("reports")
    op.drop_table("intensity_changes")
    op.drop_table("contacts")
    op.drop_table("caseload_seats")
