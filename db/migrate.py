"""Alembic, driven from code: the migrations ship inside the package.

Every command checks first that the database is current. That check reads the version table
itself and compares it with `LATEST`: loading Alembic and its migrations cost a short command
(a quiet `signoff tick`) more than all its own SQL, so Alembic is loaded only to migrate, or to
say exactly what is wrong with a database that is not current."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

# The newest migration shipped in db/migrations/versions (tests/db/test_latest.py holds it to
# Alembic's own answer, so a new migration that forgets it fails there).
LATEST = "0007"


class DatabaseNotReady(Exception):
    """The database is missing tables or behind the latest migration."""


@dataclass(frozen=True)
class Upgraded:
    """What `upgrade` found and left: the migrations the database was at, before and after."""

    before: frozenset[str]
    after: frozenset[str]

    def describe(self) -> str:
        after = _names(self.after)
        if not self.before:
            return f"Created the tables (migration {after})."
        if self.before == self.after:
            return f"The database is already up to date (migration {after})."
        return f"Migrated the database from migration {_names(self.before)} to {after}."


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "db:migrations")
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> Upgraded:
    from alembic import command

    before, _latest = heads(engine)
    command.upgrade(alembic_config(engine), revision)
    after, _latest = heads(engine)
    return Upgraded(frozenset(before), frozenset(after))


def heads(engine: Engine) -> tuple[set[str], set[str]]:
    """(the revisions the database is at, the latest revisions shipped)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(engine))
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    unknown = sorted(rev for rev in current if not _known(script, rev))
    if unknown:
        raise DatabaseNotReady(
            f"The database is at migration {', '.join(unknown)}, which this signoff does not "
            "know: a newer signoff migrated it. Run that version, or restore a backup."
        )
    return current, set(script.get_heads())


def ensure_current(engine: Engine) -> None:
    if _recorded(engine) == {LATEST}:
        return
    current, latest = heads(engine)
    if not current:
        raise DatabaseNotReady(
            "The database has no signoff tables yet. Run `signoff db upgrade` first."
        )
    if current != latest:
        raise DatabaseNotReady(
            f"The database is at migration {_names(current)} but this signoff "
            f"needs {_names(latest)}. Run `signoff db upgrade` first."
        )


def _recorded(engine: Engine) -> set[str]:
    """The revisions the version table names; none where there is no such table yet."""
    try:
        with engine.connect() as connection:
            return set(connection.scalars(text("SELECT version_num FROM alembic_version")))
    except DBAPIError:
        return set()


def _known(script: ScriptDirectory, revision: str) -> bool:
    from alembic.util.exc import CommandError

    try:
        return script.get_revision(revision) is not None
    except CommandError:
        return False


def _names(revisions: set[str] | frozenset[str]) -> str:
    return ", ".join(sorted(revisions)) or "none"
