"""Engines and sessions for SQLite (the default) and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

EXAMPLES = "e.g. sqlite:///signoff.db or postgresql+psycopg://user@host/signoff"
CONNECT_TIMEOUT_SECONDS = 10


class BadDatabase(Exception):
    """A database URL that cannot be used: unreadable, of an unknown kind, lacking its driver,
    or naming a database that cannot be reached. `str(exc)` is one line saying how to fix it."""


class DatabaseMissing(Exception):
    """A SQLite file that does not exist yet, and is not to be created by opening it."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"There is no database at {path} yet. Run `signoff db upgrade` first.")
        self.path = path


def make_engine(url: str) -> Engine:
    parsed = _parse(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(parsed)
        connect_args = {}
        if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
            # A host that never answers must not hang a command: say so within seconds.
            connect_args["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
        return create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)
    except NoSuchModuleError:
        if parsed.drivername.split("+")[0] == "postgres":
            raise BadDatabase(
                f"{parsed.drivername}:// is not a name SQLAlchemy knows: write "
                "postgresql+psycopg://… instead (pip install 'signoff[postgres]')"
            ) from None
        raise BadDatabase(
            f"'{parsed.drivername}' is not a database signoff knows ({_shown(parsed)}); {EXAMPLES}"
        ) from None
    except ImportError as error:
        raise BadDatabase(_missing_driver(parsed, error)) from None


def open_database(url: str, *, create: bool = False) -> Engine:
    """An engine whose database has been reached once, so that a wrong URL, a server that is
    down or a missing driver is said in one line before anything else happens. A SQLite file
    is only created when `create` is set: a command run before `signoff db upgrade` must not
    leave an empty file behind."""
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":
        path = sqlite_path(engine.url)
        if path is not None and not path.exists():
            if not create:
                engine.dispose()
                raise DatabaseMissing(path)
            if not path.parent.is_dir():
                raise BadDatabase(
                    f"the folder {path.parent} of the SQLite file {path.name} does not exist: "
                    "create it, or correct the path"
                )
    try:
        with engine.connect():
            pass
    except DBAPIError as error:
        engine.dispose()
        raise BadDatabase(_unreachable(engine.url, error)) from None
    return engine


def sqlite_path(url: URL) -> Path | None:
    """The file a SQLite URL names; None for a database in memory."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError:
        raise BadDatabase(f"'{url}' is not a database URL; {EXAMPLES}") from None


def _shown(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def _missing_driver(url: URL, error: ImportError) -> str:
    module = (error.name or str(error)).split(".")[0]
    if url.get_backend_name() == "postgresql" and module == "psycopg":
        return (
            "PostgreSQL needs the psycopg driver, which is not installed: "
            "pip install 'signoff[postgres]'"
        )
    if url.get_backend_name() == "postgresql":
        return (
            f"{url.drivername}:// asks for the {module} driver, which signoff does not use; "
            "write postgresql+psycopg://… instead (pip install 'signoff[postgres]')"
        )
    return f"{url.drivername} needs the {module} driver, which is not installed; {EXAMPLES}"


def _unreachable(url: URL, error: DBAPIError) -> str:
    if url.get_backend_name() == "sqlite":
        return f"cannot open the SQLite file {url.database}: {error.orig}"
    reason = str(error.orig).strip().splitlines()[0] if str(error.orig).strip() else "no answer"
    # psycopg says "connection failed: connection to server at ... failed: FATAL:  why"
    reason = reason.rsplit("failed: ", 1)[-1].removeprefix("FATAL:").strip()
    where = f"PostgreSQL at {url.host or 'localhost'}:{url.port or 5432}"
    lowered = reason.lower()
    if "does not exist" in lowered and "database" in lowered:
        fix = f"create it (createdb {url.database}) or correct the database name"
    elif "refused" in lowered:
        fix = "is the server running, and listening on that host and port?"
    elif "resolve host" in lowered or "name or service not known" in lowered:
        fix = "check the host name"
    elif "timeout" in lowered or "timed out" in lowered:
        fix = "is the host reachable from here?"
    elif "role" in lowered or "password" in lowered or "authentication" in lowered:
        fix = "check the user name and password"
    else:
        fix = f"check {_shown(url)}"
    return f"cannot connect to {where}: {reason}; {fix}"


def _sqlite_engine(url: URL) -> Engine:
    engine = create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        # Let SQLAlchemy, not the driver, decide when transactions begin (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):  # type: ignore[no-untyped-def]
        # Take the write lock up front: two writers then queue on busy_timeout instead of one
        # failing when it upgrades a read lock, which is what a double click would otherwise do.
        # A lone read (make_reads) needs no transaction at all: the driver, told to begin none
        # itself (_on_connect), runs it on its own.
        if not connection.get_execution_options().get(LONE_READ):
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


# An execution option: the session reads, each statement consistent on its own.
LONE_READ = "signoff_lone_read"


def make_reads(engine: Engine) -> sessionmaker[Session]:
    """Sessions for reads that need no transaction (each statement consistent on its own, as
    when looking up who clicked): on SQLite they take no write lock and cost no BEGIN."""
    return sessionmaker(engine.execution_options(**{LONE_READ: True}))
