"""Alembic's environment: runs on the connection that `activities.registry.migrate` hands it."""

from __future__ import annotations

from alembic import context

from activities.registry import schema  # noqa: F401  (registers every table on Base.metadata)
from activities.registry.database import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
