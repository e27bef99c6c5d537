"""The case file: evaluation findings (sealed), project content, the support plan's objectives,
workplace adaptations, trainings, evidence and its scans, partners; employers' sector and sites;
the journal's sealed private detail; documents sealed at rest

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-09 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ID = sa.String(64)
MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "objectives",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("due_on", sa.Date, nullable=True),
        sa.Column("reviewed_on", sa.Date, nullable=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.UniqueConstraint("case_id", "title", name="uq_objective_case_title"),
    )
    op.create_table(
        "adaptations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("adaptation_id", ID, nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("proposed_by", sa.String(30), nullable=False),
        sa.Column("employer_id", ID, nullable=False),
        sa.Column("stage", sa.String(20), nullable=False),
        sa.Column("dates", sa.JSON, nullable=False),
        sa.Column("funder", sa.String(20), nullable=True),
        sa.Column("amendment", sa.Integer, nullable=True),
        sa.Column("opinion", sa.Text, nullable=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.UniqueConstraint("case_id", "adaptation_id", name="uq_adaptation_case"),
    )
    op.create_table(
        "trainings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("title", sa.String(64), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("funder", sa.String(20), nullable=True),
        sa.Column("on", sa.Date, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.UniqueConstraint("case_id", "kind", "title", name="uq_training_case_title"),
    )
    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_until", sa.Date, nullable=True),
        sa.Column("reference", sa.String(64), nullable=True),
        sa.Column("file_id", ID, nullable=True),
        sa.Column("warned_at", MOMENT, nullable=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.UniqueConstraint("case_id", "kind", name="uq_evidence_case_kind"),
    )
    op.create_table(
        "evidence_files",
        sa.Column("id", ID, primary_key=True),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("content_type", sa.String(40), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("uploaded_at", MOMENT, nullable=False),
    )
    op.create_table(
        "case_partners",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("partner_id", ID, nullable=False),
        sa.Column("since", MOMENT, nullable=False),
        sa.UniqueConstraint("case_id", "partner_id", name="uq_case_partner"),
    )
    for table in ("objectives", "adaptations", "trainings", "evidence", "evidence_files", "case_partners"):
        op.create_index(f"ix_{table}_case_id", table, ["case_id"])
    with op.batch_alter_table("evaluations") as batch_op:
        batch_op.add_column(sa.Column("author", sa.String(80), nullable=True))
        for name in ("capacities", "needs", "constraints", "employer_needs"):
            batch_op.add_column(sa.Column(name, sa.Text, nullable=True))
        batch_op.add_column(sa.Column("tools", sa.JSON, nullable=True))
    with op.batch_alter_table("projects") as batch_op:
        batch_op.add_column(sa.Column("content", sa.JSON, nullable=True))
    with op.batch_alter_table("reviews") as batch_op:
        batch_op.add_column(sa.Column("notes", sa.Text, nullable=True))
    with op.batch_alter_table("employer_requests") as batch_op:
        batch_op.add_column(sa.Column("partner_id", ID, nullable=True))
    with op.batch_alter_table("organisations") as batch_op:
        batch_op.add_column(sa.Column("sector", sa.String(10), nullable=True))
        batch_op.add_column(sa.Column("sites", sa.JSON, nullable=True))
        batch_op.add_column(sa.Column("partner_kind", sa.String(30), nullable=True))
    with op.batch_alter_table("journal") as batch_op:
        batch_op.add_column(sa.Column("private_detail", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("journal") as batch_op:
        batch_op.drop_column("private_detail")
    with op.batch_alter_table("organisations") as batch_op:
        for name in ("partner_kind", "sites", "sector"):
            batch_op.drop_column(name)
    with op.batch_alter_table("employer_requests") as batch_op:
        batch_op.drop_column("partner_id")
    with op.batch_alter_table("reviews") as batch_op:
        batch_op.drop_column("notes")
    with op.batch_alter_table("projects") as batch_op:
        batch_op.drop_column("content")
    with op.batch_alter_table("evaluations") as batch_op:
        for name in ("tools", "employer_needs", "constraints", "needs", "capacities", "author"):
            batch_op.drop_column(name)
    for table in ("case_partners", "evidence_files", "evidence", "trainings", "adaptations", "objectives"):
        op.drop_table(table)
