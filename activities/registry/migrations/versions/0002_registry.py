"""The registry: people, organisations, cases and their events (every table but the journal).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 08:07:12.293320
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "beneficiaries",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("structure_id", sa.String(length=64), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("identity_key", sa.String(length=201), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=30), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("situation", sa.String(length=20), nullable=True),
        sa.Column("rqth_reference", sa.String(length=64), nullable=True),
        sa.Column("esat_reference", sa.String(length=64), nullable=True),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("structure_id", "identity_key", "birth_date", name="uq_beneficiary_identity"),
    )
    op.create_table(
        "consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=True),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column("by_legal_representative", sa.Boolean(), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consents_case_id"), ["case_id"], unique=False)

    op.create_table(
        "convention_amendments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employer_id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("convention_amendments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_convention_amendments_case_id"), ["case_id"], unique=False)

    op.create_table(
        "convention_signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("party", sa.String(length=20), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("convention_signatures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_convention_signatures_case_id"), ["case_id"], unique=False)

    op.create_table(
        "employer_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(length=20), nullable=False),
        sa.Column("employer_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=30), nullable=True),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "request_id", name="uq_request_case"),
    )
    with op.batch_alter_table("employer_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_employer_requests_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_requests_open_deadline", ["status", "deadline"], unique=False)

    op.create_table(
        "employments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employer_id", sa.String(length=64), nullable=False),
        sa.Column("contract_type", sa.String(length=20), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("weekly_hours", sa.Float(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("employments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_employments_case_id"), ["case_id"], unique=False)

    op.create_table(
        "evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluations_case_id"), ["case_id"], unique=False)

    op.create_table(
        "organisations",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("siret", sa.String(length=14), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("siret"),
    )
    op.create_table(
        "prescriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("route", sa.String(length=10), nullable=False),
        sa.Column("prescriber", sa.String(length=20), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("dated", sa.Date(), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("prescriptions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_prescriptions_case_id"), ["case_id"], unique=False)

    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreed_on", sa.Date(), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_projects_case_id"), ["case_id"], unique=False)

    op.create_table(
        "referents",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("structure_id", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("referents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referents_structure_id"), ["structure_id"], unique=False)

    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(length=20), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("held_on", sa.Date(), nullable=True),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reviews_case_id"), ["case_id"], unique=False)

    op.create_table(
        "structures",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("department", sa.String(length=3), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("beneficiary_id", sa.String(length=64), nullable=True),
        sa.Column("structure_id", sa.String(length=64), nullable=False),
        sa.Column("phase", sa.String(length=20), nullable=False),
        sa.Column("situation", sa.String(length=20), nullable=True),
        sa.Column("route", sa.String(length=10), nullable=True),
        sa.Column("referent_id", sa.String(length=64), nullable=True),
        sa.Column("employer_id", sa.String(length=64), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closure_reason", sa.String(length=30), nullable=True),
        sa.Column("next_review_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("open_requests", sa.Integer(), nullable=False),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cases_beneficiary_id"), ["beneficiary_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_employer_id"), ["employer_id"], unique=False)
        batch_op.create_index("ix_cases_next_review", ["next_review_due"], unique=False)
        batch_op.create_index("ix_cases_phase_opened", ["phase", "opened_at", "id"], unique=False)
        batch_op.create_index("ix_cases_referent_phase", ["referent_id", "phase"], unique=False)
        batch_op.create_index("ix_cases_structure_phase", ["structure_id", "phase"], unique=False)

    with op.batch_alter_table("journal", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actor_role", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("actor_id", sa.String(length=64), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table("journal", schema=None) as batch_op:
        batch_op.drop_column("actor_id")
        batch_op.drop_column("actor_role")

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_structure_phase")
        batch_op.drop_index("ix_cases_referent_phase")
        batch_op.drop_index("ix_cases_phase_opened")
        batch_op.drop_index("ix_cases_next_review")
        batch_op.drop_index(batch_op.f("ix_cases_employer_id"))
        batch_op.drop_index(batch_op.f("ix_cases_beneficiary_id"))

    op.drop_table("cases")
    op.drop_table("structures")
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reviews_case_id"))

    op.drop_table("reviews")
    with op.batch_alter_table("referents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referents_structure_id"))

    op.drop_table("referents")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_projects_case_id"))

    op.drop_table("projects")
    with op.batch_alter_table("prescriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prescriptions_case_id"))

    op.drop_table("prescriptions")
    op.drop_table("organisations")
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluations_case_id"))

    op.drop_table("evaluations")
    with op.batch_alter_table("employments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_employments_case_id"))

    op.drop_table("employments")
    with op.batch_alter_table("employer_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_requests_open_deadline")
        batch_op.drop_index(batch_op.f("ix_employer_requests_case_id"))

    op.drop_table("employer_requests")
    with op.batch_alter_table("convention_signatures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_convention_signatures_case_id"))

    op.drop_table("convention_signatures")
    with op.batch_alter_table("convention_amendments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_convention_amendments_case_id"))

    op.drop_table("convention_amendments")
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consents_case_id"))

    op.drop_table("consents")
    op.drop_table("beneficiaries")
