"""Databases for the tests: a real SQLite file per test, or, with SIGNOFF_TEST_DATABASE_URL set,
a PostgreSQL schema of this run's own whose tables are emptied before each test."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

from bot.runtime import Runtime
from bot.settings import Settings
from db.engine import make_engine
from db.migrate import upgrade
from db.models import Base

POSTGRES_URL = os.environ.get("SIGNOFF_TEST_DATABASE_URL")


def _with_search_path(url: str, schema: str) -> str:
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture(scope="session")
def _postgres_schema() -> Iterator[str | None]:
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
    engine.dispose()
    try:
        yield url
    finally:
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


@pytest.fixture
def database_url(_postgres_schema: str | None, _sqlite_template: Path, tmp_path: Path) -> str:
    """A migrated, empty database of this test's own."""
    if _postgres_schema is not None:
        engine = make_engine(_postgres_schema)
        tables = ", ".join(f'"{table.name}"' for table in Base.metadata.sorted_tables)
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return _postgres_schema
    path = tmp_path / "signoff.db"
    shutil.copy(_sqlite_template, path)
    return f"sqlite:///{path}"


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


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    runtime = Runtime.start(settings)
    yield runtime
    runtime.engine.dispose()
