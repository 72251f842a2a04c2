"""Alembic, driven from code: the migrations ship inside the package."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine


class DatabaseNotReady(Exception):
    """The database is missing tables or behind the latest migration."""


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", "db:migrations")
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def heads(engine: Engine) -> tuple[set[str], set[str]]:
    """(the revisions the database is at, the latest revisions shipped)."""
    script = ScriptDirectory.from_config(alembic_config(engine))
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current, set(script.get_heads())


def ensure_current(engine: Engine) -> None:
    current, latest = heads(engine)
    if not current:
        raise DatabaseNotReady(
            "The database has no signoff tables yet. Run `signoff db upgrade` first."
        )
    if current != latest:
        raise DatabaseNotReady(
            f"The database is at migration {', '.join(sorted(current))} but this signoff "
            f"needs {', '.join(sorted(latest))}. Run `signoff db upgrade` first."
        )
