"""Attacks and faults against a running signoff: the end-to-end harness (a real `signoff serve`,
the Slack stand-in, signed requests), driven hard, each test counting what it sent and what came
back. Requests go over one kept-alive connection, so that a thousand cost seconds, not minutes."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import create_engine, select

from bot.platforms.slack.simulator import Response, SlackSimulator
from db.models import Base
from tests.e2e.conftest import signoff, slack, start_signoff  # noqa: F401  (the fixtures)

State = dict[str, list[tuple[str, ...]]]


class Wire:
    """Raw POSTs to one URL over a kept-alive HTTP/1.1 connection, reopened when the server
    closes it (as it does after refusing a body it would not read)."""

    def __init__(self, url: str) -> None:
        parsed = urlparse(url)
        self.host, self.port, self.path = parsed.hostname or "", parsed.port or 80, parsed.path
        self.connection: http.client.HTTPConnection | None = None

    def post(self, body: bytes, headers: dict[str, str], *, method: str = "POST") -> int:
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                self.connection.request(method, self.path, body=body, headers=headers)
                reply = self.connection.getresponse()
                reply.read()
            except (ConnectionError, http.client.HTTPException):
                # The server closed the connection after its last answer: once more, afresh.
                self.close()
                if attempt == 2:
                    raise
                continue
            if reply.will_close:
                self.close()
            return reply.status
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def captured(sim: SlackSimulator, gesture: Callable[[], Any]) -> tuple[bytes, str]:
    """The body and content type a gesture would send, without sending it."""
    sent: list[tuple[bytes, str]] = []

    def send(body: bytes, content_type: str, **kwargs: Any) -> Response:
        sent.append((body, content_type))
        return Response(200, "")

    sim.send = send  # type: ignore[method-assign]
    try:
        gesture()
    finally:
        del sim.send
    assert len(sent) == 1, sent
    return sent[0]


def state(database_url: str, *, leave_out: tuple[str, ...] = ()) -> State:
    """Every row of every table (but those left out), as text, in a stable order."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return {
                table.name: sorted(
                    tuple(repr(value) for value in row) for row in connection.execute(select(table))
                )
                for table in Base.metadata.sorted_tables
                if table.name not in leave_out
            }
    finally:
        engine.dispose()


def settled(database_url: str, *, leave_out: tuple[str, ...] = (), timeout: float = 20) -> State:
    """The state once the server has finished what it was doing (delivering after a click
    answers after the ack): the same twice, a quarter of a second apart."""
    deadline = time.monotonic() + timeout
    last = state(database_url, leave_out=leave_out)
    while True:
        time.sleep(0.25)
        now = state(database_url, leave_out=leave_out)
        if now == last:
            return now
        assert time.monotonic() < deadline, f"still changing: {changed(last, now)}"
        last = now


def changed(before: State, after: State) -> dict[str, int]:
    """The tables whose rows differ, and by how many rows."""
    return {
        name: len(set(after[name]) ^ set(before[name]))
        for name in before
        if before[name] != after[name]
    }


def tracebacks(log: Path) -> list[str]:
    text = log.read_text(errors="replace")
    return [chunk[:2000] for chunk in text.split("Traceback (most recent call last)")[1:]]


# Every count reported this session, for the summary at the end of the run (tests/conftest.py).
REPORTED: list[str] = []


def report(name: str, counts: dict[str, Any]) -> None:
    """A test's counts in one line: printed (pytest -s, or on failure) and kept for the run's
    summary, so that a quiet run (-q, as CI's) still shows them."""
    said = f"[adversarial] {name}: {json.dumps(counts, sort_keys=True)}"
    REPORTED.append(said)
    print("\n" + said)
