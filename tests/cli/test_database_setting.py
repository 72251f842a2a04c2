"""A DATABASE_URL that cannot be used stops every command that opens the database with one
line naming the setting and how to fix it; a command run before `signoff db upgrade` leaves no
empty SQLite file behind."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy.engine import make_url

from bot.cli import main

# Every command that opens the database, with what it needs to get that far.
COMMANDS = [
    ["db", "upgrade"],
    ["db", "status"],
    ["import", "register.csv"],
    ["export", "-"],
    ["history", "LAC-014"],
    ["tick"],
    ["outbox"],
    ["outbox", "retry", "--all"],
    ["round", "open", "Spring 2027", "--deadline", "15/03/2027", "--plan", "plan.csv"],
    ["round", "status", "Spring 2027"],
    ["round", "export", "Spring 2027"],
    ["reassign", "--from", "a@example.org", "--to", "b@example.org"],
    ["serve", "--port", "1"],
    ["run"],
]
NOW = ["--now", "2026-11-23T09:30"]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in list(os.environ):
        if name.startswith(("SIGNOFF_", "SLACK_")) or name == "DATABASE_URL":
            monkeypatch.delenv(name, raising=False)
    for name, value in {
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "secret",
        "SLACK_APP_TOKEN": "xapp-test",
        "SLACK_API_URL": "http://127.0.0.1:1/api/",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)  # no .env or signoff.toml of the developer's
    return tmp_path


def one_line_error(capsys: pytest.CaptureFixture[str], command: list[str]) -> str:
    assert main([*NOW, *command]) == 1
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("signoff: DATABASE_URL: "), lines[0]
    return lines[0]


def server_listening(url: str) -> bool:
    parts = urlsplit(url.replace("+psycopg", ""))
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), 2):
            return True
    except OSError:
        return False


POSTGRES = os.environ.get("SIGNOFF_TEST_DATABASE_URL") or (
    "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)

BAD_URLS = {
    "unparseable": ("not a database", "'not a database' is not a database URL; e.g. sqlite:///"),
    "unknown scheme": ("mysqlx://app@db.example.org/signoff", "'mysqlx' is not a database"),
    "old postgres scheme": ("postgres://app@db.example.org/signoff", "write postgresql+psycopg"),
    "server not listening": (
        "postgresql+psycopg://postgres@127.0.0.1:1/signoff",
        "cannot connect to PostgreSQL at 127.0.0.1:1: Connection refused; is the server running",
    ),
    "unknown host": (
        "postgresql+psycopg://postgres@no-such-host.invalid/signoff",
        "no-such-host.invalid",
    ),
}


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("case", list(BAD_URLS))
def test_a_database_url_that_cannot_be_used_is_named_in_one_line(
    env, monkeypatch, capsys, command, case
):
    url, says = BAD_URLS[case]
    monkeypatch.setenv("DATABASE_URL", url)
    assert says in one_line_error(capsys, command)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_postgresql_without_its_driver_says_what_to_install(env, monkeypatch, capsys, command):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/signoff")
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as if psycopg were not installed
    line = one_line_error(capsys, command)
    assert line == (
        "signoff: DATABASE_URL: PostgreSQL needs the psycopg driver, which is not installed: "
        "pip install 'signoff[postgres]'"
    )


def test_a_plain_postgresql_url_is_pointed_at_the_driver_signoff_uses(env, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/signoff")
    monkeypatch.setitem(sys.modules, "psycopg2", None)
    assert "write postgresql+psycopg://" in one_line_error(capsys, ["export", "-"])


@pytest.mark.skipif(not server_listening(POSTGRES), reason="no PostgreSQL server to ask")
@pytest.mark.parametrize("command", [["db", "upgrade"], ["export", "-"], ["tick"]], ids=" ".join)
def test_a_database_that_does_not_exist_on_the_server_is_named(env, monkeypatch, capsys, command):
    url = make_url(POSTGRES).set(database="signoff_no_such_database", query={})
    monkeypatch.setenv("DATABASE_URL", url.render_as_string(hide_password=False))
    line = one_line_error(capsys, command)
    assert 'database "signoff_no_such_database" does not exist' in line
    assert "createdb signoff_no_such_database" in line


def test_a_password_is_never_printed(env, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "mysqlx://app:hunter2@db.example.org/signoff")
    line = one_line_error(capsys, ["export", "-"])
    assert "hunter2" not in line and "app:***@db.example.org" in line


# --- before `signoff db upgrade` ------------------------------------------------------------


@pytest.mark.parametrize(
    "command", [c for c in COMMANDS if c[:2] not in (["db", "upgrade"], ["db", "status"])]
)
def test_a_command_before_db_upgrade_leaves_no_empty_sqlite_file(env, monkeypatch, capsys, command):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///signoff.db")
    assert main([*NOW, *command]) == 1
    err = capsys.readouterr().err.strip()
    assert err == "signoff: There is no database at signoff.db yet. Run `signoff db upgrade` first."
    assert sorted(p.name for p in env.iterdir()) == []


def test_db_status_before_db_upgrade_says_so_and_creates_nothing(env, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///signoff.db")
    assert main(["db", "status"]) == 0
    assert (
        capsys.readouterr().out
        == "No database at signoff.db yet: `signoff db upgrade` creates it.\n"
    )
    assert list(env.iterdir()) == []
    assert main(["db", "upgrade"]) == 0
    assert (env / "signoff.db").is_file()


def test_db_upgrade_into_a_folder_that_does_not_exist_says_so(env, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{env / 'data' / 'signoff.db'}")
    line = one_line_error(capsys, ["db", "upgrade"])
    assert line == (
        f"signoff: DATABASE_URL: the folder {env / 'data'} of the SQLite file signoff.db does "
        "not exist: create it, or correct the path"
    )
    assert list(env.iterdir()) == []
