"""Leadership of the periodic jobs: one holder at a time on PostgreSQL, handed on when the
holder lets go or its connection dies; everyone a runner on SQLite."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from db.engine import make_engine
from scheduler.leader import Leadership


def test_one_leader_at_a_time_and_the_lead_passes_on(database_url):
    engine = make_engine(database_url)
    first, second = Leadership(engine), Leadership(make_engine(database_url))
    try:
        if engine.dialect.name != "postgresql":
            assert first.hold() and second.hold()  # SQLite: the ledger keeps runs single
            return
        assert first.hold()
        assert not second.hold()
        assert first.hold()  # still its own, beat after beat
        first.release()
        assert second.hold()
        assert not first.hold()

        # The leader's connection dies (its process killed, the database restarted): the lock
        # goes with it, and the next to try leads; the old leader knows it no longer does.
        with engine.connect() as admin:
            pid = second._connection.execute(text("SELECT pg_backend_pid()")).scalar()  # type: ignore[union-attr]
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        # The killed backend lets go of its lock as it exits, a moment after being told to.
        deadline = time.monotonic() + 20
        while not first.hold():
            assert time.monotonic() < deadline, "the dead leader's lock was never freed"
            time.sleep(0.05)
        assert not second.hold()
    finally:
        first.release()
        second.release()
        engine.dispose()


def test_each_schema_has_a_leader_of_its_own(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("schemas are PostgreSQL's")
    other = "signoff_test_leader_other"
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{other}"'))
    elsewhere = make_engine(database_url.replace("search_path%3D", f"search_path%3D{other}%2C", 1))
    here, there = Leadership(engine), Leadership(elsewhere)
    try:
        with elsewhere.connect() as connection:
            assert connection.execute(text("SELECT current_schema()")).scalar() == other
        assert here.hold() and there.hold()
    finally:
        here.release()
        there.release()
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{other}"'))
        engine.dispose()
        elsewhere.dispose()
