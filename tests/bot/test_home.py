"""The Home tab of someone with many reviews waiting: it shows the first of each list and says
how many more, and costs the same whether ten wait or a hundred."""

from __future__ import annotations

import json
import re
from datetime import datetime, time, timedelta

from sqlalchemy import event

from handlers.home import publish_home
from scheduler.runner import run_due_jobs
from tests.e2e.conftest import USERS
from tests.factories import row
from workflow.context import Actor
from workflow.register_sync import import_register


def owner_of(services, clock, count: int) -> None:  # type: ignore[no-untyped-def]
    """`count` documents of the owner's, each reminded by the next morning's tick."""
    runtime = services.runtime
    zone = runtime.settings.timezone
    today = clock.now().astimezone(zone).date() + timedelta(days=1)
    import_register(
        runtime.ctx(Actor(None, "test", is_admin=True)),
        [
            row(f"LAC-{n:03d}", line=2 + n, next_review_due=today + timedelta(days=10 + n % 20))
            for n in range(count)
        ],
    )
    clock.set(datetime.combine(today, time(9, 30), tzinfo=zone))
    run_due_jobs(services, clock.now())


def statements_of_home(services, user_id: str) -> int:  # type: ignore[no-untyped-def]
    seen: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        seen.append(statement)

    engine = services.runtime.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        publish_home(services, user_id)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_the_home_summarises_only_what_it_shows_and_counts_the_rest(services, slack, clock):
    owner = USERS["owner"].id
    owner_of(services, clock, 12)
    publish_home(services, owner)  # the first asks Slack who the owner is
    few = statements_of_home(services, owner)
    home = json.dumps(slack.homes[owner])
    assert home.count("Submit draft") == 10
    assert "and 2 more: `/signoff mine` lists them all" in home

    owner_of(services, clock, 120)
    many = statements_of_home(services, owner)
    home = json.dumps(slack.homes[owner])
    assert home.count("Submit draft") == 10
    assert "and 110 more: `/signoff mine` lists them all" in home, re.findall(r"and \d+ more", home)
    assert many == few, f"{few} statements with 12 to review, {many} with 120"
