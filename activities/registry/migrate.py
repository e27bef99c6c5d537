"""Bring a registry database to the newest schema with Alembic, keeping every row.

Run by the worker at start, by `ea migrate`, by `make run` (through the worker) and by the tests.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect, text

from activities.registry.database import database_url_from_env, make_engine

MIGRATIONS = Path(__file__).parent / "migrations"
FIRST_REVISION = "0001"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


MIGRATION_LOCK = 0x65615F6D6967
"""The PostgreSQL advisory lock every process takes to migrate."""


def migrate(engine: Engine, revision: str = "head") -> None:
    """Workers started together (a new release, `ea run`'s two processes) migrate one after the
    other, the later ones finding nothing left to do: PostgreSQL serialises them with an advisory
    lock in the migration's transaction, SQLite with a lock file beside the database."""
    config = alembic_config()
    with _sqlite_lock(engine), engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config.attributes["connection"] = connection
        tables = set(inspect(connection).get_table_names())
        if "journal" in tables and "alembic_version" not in tables:
            # A journal made before migrations existed (the first release): it is revision 0001.
            command.stamp(config, FIRST_REVISION)
        command.upgrade(config, revision)


@contextmanager
def _sqlite_lock(engine: Engine) -> Iterator[None]:
    database = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    descriptor = os.open(f"{database}.migrating", os.O_CREAT | os.O_RDWR, 0o600)  # holds no data; owner's only all the same
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # releases the lock


def migrated_engine(url: str | None = None) -> Engine:
    """An engine on the registry (DATABASE_URL, or the SQLite file under var/) at the newest schema."""
    engine = make_engine(url or database_url_from_env())
    migrate(engine)
    return engine
