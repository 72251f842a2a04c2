"""Databases for the tests: a real SQLite file of this run's own or, with SIGNOFF_TEST_DATABASE_URL
set, a PostgreSQL schema of this run's own; either way its tables are emptied before each test,
and the tests' runtimes share one engine on it, which keeps the SQL it has compiled.

Time: tests take it from the `clock` fixture, never from the machine. `pytest --clock-at
INSTANT` moves the machine's clock too (this process and every process it starts) and starts
the tests' clock there, to show that nothing depends on the hour or the date it runs at."""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import Engine, create_engine, text

from bot.clock import FixedClock
from bot.runtime import Runtime
from bot.settings import Settings
from db.engine import make_engine, make_sessionmaker
from db.migrate import upgrade
from tests.factories import emptied
from tests.launcher import Launcher

POSTGRES_URL = os.environ.get("SIGNOFF_TEST_DATABASE_URL")

# Where the tests' clock starts unless --clock-at says otherwise: a Monday morning in London.
DEFAULT_START = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
# The instants .ci/run moves the clock to, each standing on more than one edge: the last minutes
# of a year (and of a day), the first minutes of a leap day (and of a day), and the night the
# UK's clocks go back, before and after 01:00 UTC.
CLOCK_CHECK_INSTANTS = (
    "2026-12-31T23:55:00Z",
    "2028-02-29T00:05:00Z",
    "2026-10-25T00:30:00Z",
    "2026-10-25T01:30:00Z",
)
CLOCKSHIFT = Path(__file__).parent / "clockshift"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock-at",
        metavar="INSTANT",
        help="move the machine's clock to INSTANT (ISO 8601 with a zone, e.g. "
        "2026-10-25T01:30Z) for this process and those it starts, and start the tests' clock "
        "there",
    )
    parser.addoption(
        "--all-on-postgres",
        action="store_true",
        help="with SIGNOFF_TEST_DATABASE_URL set, run the tests that never touch a database too",
    )


def pytest_configure(config: pytest.Config) -> None:
    text_ = config.getoption("--clock-at")
    if not text_:
        return
    instant = datetime.fromisoformat(text_.replace("Z", "+00:00"))
    if instant.tzinfo is None:
        raise pytest.UsageError("--clock-at needs a zone, e.g. 2026-10-25T01:30Z")
    import time_machine

    # The machine's clock, read once, to know how far to move it.
    shift = (instant - datetime.now(UTC)).total_seconds()
    os.environ["TESTS_CLOCK_SHIFT_SECONDS"] = str(shift)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(CLOCKSHIFT), os.environ.get("PYTHONPATH")])
    )
    config._signoff_travel = time_machine.travel(instant, tick=True)  # type: ignore[attr-defined]
    config._signoff_travel.start()  # type: ignore[attr-defined]
    config._signoff_start = instant.astimezone(UTC)  # type: ignore[attr-defined]


# The fixtures through which a test reaches the database under test.
_DATABASE_FIXTURES = {"database_url", "year"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With SIGNOFF_TEST_DATABASE_URL set, run only the tests that would touch PostgreSQL: the
    rest (builders, parsing, the demo's own SQLite file) already ran in the SQLite run, and
    would only run again unchanged. `pytest --all-on-postgres` runs everything anyway."""
    if not POSTGRES_URL or config.getoption("--all-on-postgres"):
        return
    keep, drop = [], []
    for item in items:
        module = getattr(item, "module", None)
        touches = _DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())) or (
            module is not None and hasattr(module, "POSTGRES_URL")
        )
        (keep if touches else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_report_header(config: pytest.Config) -> str:
    start = getattr(config, "_signoff_start", None)
    return (
        f"clock moved to {start.isoformat()}" if start else f"tests' clock starts {DEFAULT_START}"
    )


@pytest.fixture(autouse=True)
def _root_logging() -> Iterator[None]:
    """A command run in-process sets up logging for a process: put it back for the next test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> FixedClock:
    """The tests' clock: it stands still until a test moves it."""
    return FixedClock(getattr(request.config, "_signoff_start", DEFAULT_START))


def _with_search_path(url: str, schema: str) -> str:
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture(scope="session")
def launcher(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Launcher]:
    """One launcher for the session's `signoff` commands, started with the tests' environment."""
    with Launcher(os.environ, tmp_path_factory.mktemp("launcher")) as started:
        yield started


@pytest.fixture(scope="session")
def _postgres_schema() -> Iterator[tuple[str, Engine] | None]:
    """A schema of the session's own, migrated, and an engine on it for emptying it."""
    if not POSTGRES_URL:
        yield None
        return
    schema = f"signoff_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = _with_search_path(POSTGRES_URL, schema)
    engine = make_engine(url)
    upgrade(engine)
    try:
        yield url, engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "signoff.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # the last connection to close folds the WAL back into the file
    assert not path.with_name("signoff.db-wal").exists()
    return path


@pytest.fixture(scope="session")
def _test_database(
    _postgres_schema: tuple[str, Engine] | None,
    _sqlite_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, Engine]]:
    """The run's database, migrated, and the engine the tests' runtimes share on it. One engine
    for the run: a new one in each test compiled every SQL statement again, which was about
    half of what the tests that act in this process took."""
    if _postgres_schema is not None:
        yield _postgres_schema
        return
    path = tmp_path_factory.mktemp("database") / "signoff.db"
    shutil.copy(_sqlite_template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    yield url, engine
    engine.dispose()


@pytest.fixture
def database_url(_test_database: tuple[str, Engine]) -> str:
    """The run's database, migrated and emptied for this test."""
    url, engine = _test_database
    emptied(engine)
    return url


@pytest.fixture
def settings(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    # Nothing from the developer's own environment or .env may leak into a test.
    for name in list(os.environ):
        if name.startswith(("SIGNOFF_", "SLACK_")) or name == "DATABASE_URL":
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SIGNOFF_ADMIN_EMAILS", "ppo@example.org")
    monkeypatch.setenv("SIGNOFF_SLT_EMAILS", "slt.one@example.org,slt.two@example.org")
    monkeypatch.setenv("SIGNOFF_ESCALATION_EMAILS", "hoqa@example.org")
    return Settings(_env_file=None)


def started(settings: Settings, clock: FixedClock, database: tuple[str, Engine]) -> Runtime:
    """signoff started as Runtime.start starts it, on the run's shared engine where `settings`
    name the run's database (the test's own engine where they name another)."""
    url, engine = database
    if settings.database_url != url:
        return Runtime.start(settings, clock=clock)
    return Runtime(settings, engine, make_sessionmaker(engine), clock)


@pytest.fixture
def runtime(
    settings: Settings, clock: FixedClock, _test_database: tuple[str, Engine]
) -> Iterator[Runtime]:
    runtime = started(settings, clock, _test_database)
    yield runtime
    runtime.engine.dispose()  # its connections closed; the SQL it compiled is kept


@pytest.fixture(scope="session")
def year(_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A year of a register's life through the real use cases (tests/history.py), built once per
    session in a database of its own, and only read by the tests that use it."""
    from tests.history import ADMIN, SLT, build_year

    schema = None
    if POSTGRES_URL:
        schema = f"signoff_year_{uuid.uuid4().hex[:12]}"
        admin = create_engine(POSTGRES_URL)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = _with_search_path(POSTGRES_URL, schema)
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
    else:
        path = tmp_path_factory.mktemp("year") / "signoff.db"
        shutil.copy(_sqlite_template, path)
        url = f"sqlite:///{path}"
    settings = Settings(
        _env_file=None,
        database_url=url,
        timezone_name="Europe/London",
        admin_emails=[ADMIN],
        slt_emails=[SLT],
    )
    runtime = Runtime.start(settings, clock=FixedClock(DEFAULT_START))
    try:
        yield build_year(runtime)
    finally:
        runtime.engine.dispose()
        if schema is not None:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    """The adversarial tests' counts, whatever the run's verbosity."""
    from tests.adversarial.conftest import REPORTED

    if REPORTED:
        terminalreporter.section("adversarial counts")
        for said in REPORTED:
            terminalreporter.write_line(said)
