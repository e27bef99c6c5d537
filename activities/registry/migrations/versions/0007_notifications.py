"""Notifications: the outbox of e-mails events call for, référents' daily digests, where
escalations and employers' messages go, and the secret of each référent's calendar feed

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ID = sa.String(64)
MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", ID, nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("recipient", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("next_attempt_at", MOMENT, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("claimed_at", MOMENT, nullable=True),
        sa.Column("last_error", sa.String(300), nullable=True),
        sa.Column("sent_at", MOMENT, nullable=True),
        sa.Column("address", sa.String(254), nullable=True),
        sa.Column("subject", sa.String(200), nullable=True),
        sa.Column("message_id", sa.String(200), nullable=True),
        sa.UniqueConstraint("case_id", "seq", "recipient", "kind", name="uq_notification_event_recipient_kind"),
    )
    op.create_index("ix_notifications_case_id", "notifications", ["case_id"])
    op.create_index("ix_notifications_status_next", "notifications", ["status", "next_attempt_at"])
    op.create_table(
        "digests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("referent_id", ID, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("items", sa.Integer, nullable=False),
        sa.Column("sent_at", MOMENT, nullable=True),
        sa.Column("address", sa.String(254), nullable=True),
        sa.Column("message_id", sa.String(200), nullable=True),
        sa.UniqueConstraint("referent_id", "day", name="uq_digest_referent_day"),
    )
    with op.batch_alter_table("structures") as batch_op:
        batch_op.add_column(sa.Column("coordinator_name", sa.String(200), nullable=True))
        batch_op.add_column(sa.Column("coordinator_email", sa.String(254), nullable=True))
    with op.batch_alter_table("organisations") as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(254), nullable=True))
    with op.batch_alter_table("referents") as batch_op:
        batch_op.add_column(sa.Column("notify", sa.String(10), nullable=False, server_default="each"))
        batch_op.add_column(sa.Column("calendar_token_hash", sa.String(64), nullable=True))
        batch_op.create_unique_constraint("uq_referents_calendar_token_hash", ["calendar_token_hash"])


def downgrade() -> None:
    with op.batch_alter_table("referents") as batch_op:
        batch_op.drop_constraint("uq_referents_calendar_token_hash", type_="unique")
        batch_op.drop_column("calendar_token_hash")
        batch_op.drop_column("notify")
    with op.batch_alter_table("organisations") as batch_op:
        batch_op.drop_column("email")
    with op.batch_alter_table("structures") as batch_op:
        batch_op.drop_column("coordinator_email")
        batch_op.drop_column("coordinator_name")
    op.drop_table("digests")
    op.drop_index("ix_notifications_status_next", "notifications")
    op.drop_index("ix_notifications_case_id", "notifications")
    op.drop_table("notifications")
