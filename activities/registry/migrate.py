"""Bring a registry database to the newest schema with Alembic, keeping every row.

Run by the worker at start, by `ea migrate`, by `make run` (through the worker) and by the tests.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, inspect

from activities.registry.database import database_url_from_env, make_engine

MIGRATIONS = Path(__file__).parent / "migrations"
FIRST_REVISION = "0001"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        tables = set(inspect(connection).get_table_names())
        if "journal" in tables and "alembic_version" not in tables:
            # A journal made before migrations existed (the first release): it is revision 0001.
            command.stamp(config, FIRST_REVISION)
        command.upgrade(config, revision)


def migrated_engine(url: str | None = None) -> Engine:
    """An engine on the registry (DATABASE_URL, or the SQLite file under var/) at the newest schema."""
    engine = make_engine(url or database_url_from_env())
    migrate(engine)
    return engine
