"""Alembic's environment: runs on the connection that `activities.migrate` hands it."""

from __future__ import annotations

from alembic import context

from activities import schema  # noqa: F401  (registers every table on Base.metadata)
from activities.database import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
