"""Staff accounts for the web application and their sessions, the person's and the employers'
sign-in links and sessions, counted attempts (throttling), and the access log of every display of
a person's file

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ID = sa.String(64)
MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", ID, primary_key=True),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("structure_id", ID, nullable=True),
        sa.Column("referent_id", ID, nullable=True, unique=True),
        sa.Column("password_hash", sa.String(200), nullable=True),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("disabled_at", MOMENT, nullable=True),
    )
    op.create_index("ix_accounts_structure_id", "accounts", ["structure_id"])
    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("account_id", ID, nullable=True),
        sa.Column("party", sa.String(100), nullable=True),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("last_seen_at", MOMENT, nullable=False),
    )
    op.create_index("ix_web_sessions_account_id", "web_sessions", ["account_id"])
    op.create_table(
        "sign_in_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("at", MOMENT, nullable=False),
    )
    op.create_index("ix_sign_in_attempts_key", "sign_in_attempts", ["key"])
    op.create_table(
        "portal_links",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(30), nullable=False),
        sa.Column("party_id", ID, nullable=False),
        sa.Column("browser_hash", sa.String(64), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("expires_at", MOMENT, nullable=False),
        sa.Column("used_at", MOMENT, nullable=True),
    )
    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", MOMENT, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("structure_id", ID, nullable=False),
        sa.Column("what", sa.String(20), nullable=False),
    )
    op.create_index("ix_access_log_case_id", "access_log", ["case_id"])
    op.create_index("ix_access_log_structure_at", "access_log", ["structure_id", "at"])


def downgrade() -> None:
    for table in ("access_log", "portal_links", "sign_in_attempts", "web_sessions", "accounts"):
        op.drop_table(table)
