"""`signoff ARGS` with each SQL statement timed: the command runs as `python -m bot` would run
it, and on exit the costliest statements are written to the file named by
SIGNOFF_BENCH_STATEMENTS as JSON (total seconds, count, statement), for the bench runner to
name the top queries of what it measured.

    SIGNOFF_BENCH_STATEMENTS=top.json python bench/profiled.py tick --now 2026-11-25T09:30
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import time

from sqlalchemy import event
from sqlalchemy.engine import Engine

costs: dict[str, list[float]] = {}
started: list[float] = []


@event.listens_for(Engine, "before_cursor_execute")
def _before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
    started.append(time.perf_counter())


@event.listens_for(Engine, "after_cursor_execute")
def _after(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
    costs.setdefault(" ".join(statement.split()), []).append(time.perf_counter() - started.pop())


@atexit.register
def _write() -> None:
    ranked = sorted(((sum(t), len(t), s) for s, t in costs.items()), reverse=True)
    with open(os.environ["SIGNOFF_BENCH_STATEMENTS"], "w") as out:
        json.dump({"statements": sum(len(t) for t in costs.values()), "top": ranked[:5]}, out)


if __name__ == "__main__":
    from bot.cli import main

    sys.argv = ["signoff", *sys.argv[1:]]
    sys.exit(main())
