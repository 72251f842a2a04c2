"""Insert-if-absent is what once-only rests on: it must say truthfully whether it inserted, on
SQLite and on PostgreSQL, and two racing writers must leave one row."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from db.engine import make_engine, make_sessionmaker
from db.inserts import insert_if_absent
from db.models import InboundDelivery


def test_it_says_whether_it_inserted(database_url, clock):
    sessions = make_sessionmaker(make_engine(database_url))
    values = {"key": "Ev123", "received_at": clock.now()}
    with sessions.begin() as session:
        assert insert_if_absent(session, InboundDelivery, values, ["key"]) is True
    with sessions.begin() as session:
        assert insert_if_absent(session, InboundDelivery, values, ["key"]) is False


def test_racing_writers_leave_one_row_and_one_winner(database_url, clock):
    sessions = make_sessionmaker(make_engine(database_url))
    wins: list[bool] = []
    barrier = threading.Barrier(8)

    def write() -> None:
        barrier.wait()
        with sessions.begin() as session:
            wins.append(
                insert_if_absent(
                    session,
                    InboundDelivery,
                    {"key": "race", "received_at": clock.now()},
                    ["key"],
                )
            )

    threads = [threading.Thread(target=write) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == [False] * 7 + [True]
    with sessions() as session:
        assert session.scalar(select(func.count(InboundDelivery.id))) == 1
