"""Weekly reminders of a late review: the latest carries the buttons and the whole text; each
earlier one becomes one line once a later one is posted, and is not updated again."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from bot.platforms import SLACK, NotDelivered
from bot.platforms.slack.blocks.kit import day
from db.models import Review
from scheduler.runner import run_due_jobs
from tests.e2e.conftest import USERS
from tests.factories import OWNER, row
from workflow.context import Actor
from workflow.register_sync import import_register
from workflow.reviews import submit_no_changes


def late_review(runtime, clock):  # type: ignore[no-untyped-def]
    """LAC-033 in the register, its review 20 days late: its first morning's date."""
    today = clock.now().astimezone(runtime.settings.timezone).date()
    import_register(
        runtime.ctx(Actor(None, "test", is_admin=True)),
        [row("LAC-033", next_review_due=today - timedelta(days=20))],
    )
    return today


def test_earlier_reminders_collapse_to_one_line_and_stay_out_of_later_updates(
    services, slack, clock
):
    runtime = services.runtime
    zone = runtime.settings.timezone
    today = late_review(runtime, clock)
    days = [today + timedelta(days=n) for n in range(0, 22)]
    for each in days:
        clock.set(datetime.combine(each, time(9, 30), tzinfo=zone))
        run_due_jobs(services, clock.now())
    owner = USERS["owner"].id
    reminders = [m for m in slack.dms_to(owner) if "LAC-033" in m.text]
    assert len(reminders) == 4  # 20, 21, 28 and 35 days late
    posted_on = [today, today + timedelta(days=1), today + timedelta(days=8), days[15]]
    latest, earlier = reminders[-1], reminders[:-1]
    assert "Submit draft" in json.dumps(latest.blocks)
    for message, next_one in zip(earlier, posted_on[1:], strict=True):
        assert len(message.blocks) == 1 and "Submit draft" not in json.dumps(message.blocks)
        assert f"superseded by the reminder of {day(next_one)}" in message.text

    updates = len(slack.calls_of("chat.update"))
    with runtime.sessions() as session:
        review_id = session.scalar(select(Review.id))
    submit_no_changes(runtime.ctx(runtime.actor_for_email(OWNER)), review_id)
    services.delivery.run(clock.now())
    updated = [c.args["ts"] for c in slack.calls_of("chat.update")[updates:]]
    assert latest.ts in updated
    assert not {m.ts for m in earlier} & set(updated)
    assert "Review submitted: LAC-033" in json.dumps(latest.blocks)


def test_a_reminder_slack_would_not_collapse_is_collapsed_with_the_next_one(
    services, slack, clock, monkeypatch
):
    runtime = services.runtime
    zone = runtime.settings.timezone
    today = late_review(runtime, clock)
    platform = services.delivery.platforms[SLACK]
    update = platform.update
    refused: list[int] = []  # which of the collapsing updates Slack refuses, counted from 1

    def flaky(posted, message):  # type: ignore[no-untyped-def]
        flaky.calls += 1
        if flaky.calls in refused:
            raise NotDelivered("Slack said internal_error")
        return update(posted, message)

    flaky.calls = 0
    monkeypatch.setattr(platform, "update", flaky)

    def remind(on: date, refuse: list[int]) -> list[str]:
        """The tick of `on`, Slack refusing the updates numbered in `refuse`: what it updated."""
        refused[:] = refuse
        flaky.calls = 0
        before = len(slack.calls_of("chat.update"))
        clock.set(datetime.combine(on, time(9, 30), tzinfo=zone))
        run_due_jobs(services, clock.now())
        return [c.args["ts"] for c in slack.calls_of("chat.update")[before:]]

    owner = USERS["owner"].id
    remind(today, [])
    assert remind(today + timedelta(days=1), [1]) == []  # the new one is out all the same
    first, second = [m for m in slack.dms_to(owner) if "LAC-033" in m.text]
    assert "Submit draft" in json.dumps(first.blocks)
    # The next reminder collapses both; Slack refuses the second, so only the first is done.
    assert remind(today + timedelta(days=8), [2]) == [first.ts]
    assert len(first.blocks) == 1 and "Submit draft" in json.dumps(second.blocks)
    # And the one after collapses what is left, leaving what was collapsed alone.
    third = [m for m in slack.dms_to(owner) if "LAC-033" in m.text][2]
    assert remind(today + timedelta(days=15), []) == [second.ts, third.ts]
    assert len(second.blocks) == 1 and len(third.blocks) == 1
