"""One engine per process, chosen by DATABASE_URL: a SQLite file under var/ unless told otherwise."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase

from workflows.private_files import private_sqlite, var_dir


class Base(DeclarativeBase):
    pass


DIALECT_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
"""INSERT ... ON CONFLICT DO NOTHING, the way each backend we support spells it."""


def default_database_url() -> str:
    return f"sqlite:///{var_dir() / 'registry.db'}"


def database_url_from_env() -> str:
    return os.environ.get("DATABASE_URL") or default_database_url()


POOL_SIZE, MAX_OVERFLOW = 10, 10
"""Connections a process keeps open to a server database, and how many more it may open in a burst:
a case worker runs 8 activity threads, a documents worker 8 more (worker.py), each holding one
connection while it works."""


def pool_from_env() -> dict[str, int]:
    """EA_DB_POOL_SIZE and EA_DB_MAX_OVERFLOW: every worker process may hold their sum, so the
    sum times the processes must stay under PostgreSQL's max_connections (docs/SCALING.md)."""
    return {"pool_size": int(os.environ.get("EA_DB_POOL_SIZE") or POOL_SIZE),
            "max_overflow": int(os.environ.get("EA_DB_MAX_OVERFLOW") or MAX_OVERFLOW)}  # fmt: skip


def make_engine(url: str) -> Engine:
    # hide_parameters: an error or a log line must never carry the values of a row (personal data).
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, hide_parameters=True, **pool_from_env())
    # Several activity threads write at once: wait for the lock rather than fail, and let
    # readers (the CLI, reports) work while the worker writes.
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, hide_parameters=True)

    @event.listens_for(engine, "do_connect")
    def _private(*_args: Any) -> None:
        """Before SQLite opens (and maybe creates) the file: owner-only from its first byte."""
        private_sqlite(make_url(url).database or "")

    @event.listens_for(engine, "connect")
    def _wal(connection: Any, _record: Any) -> None:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA foreign_keys=ON")

    return engine


def utc(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes: they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
