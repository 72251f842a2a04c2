"""A year of mornings over a register of three hundred documents, with the clock frozen at each:
the exact reminders each document gets, escalations once, a digest every Monday, an agenda
before each SLT meeting, and nothing on bank holidays where working days are meant."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.app import Services, build_client
from bot.runtime import Runtime
from bot.slack_standin import SlackStandin
from db.models import OutboxMessage, Review
from scheduler import schedule
from scheduler.runner import clock_of, run_due_jobs
from tests.e2e.conftest import DIGEST_CHANNEL, SLT_CHANNEL, USERS
from tests.factories import row
from workflow.context import Actor
from workflow.register_sync import import_register
from workflow.reminders import Policy, reminder_stage
from workflow.reviews import decide, submit_no_changes
from workflow.states import Action

LONDON = ZoneInfo("Europe/London")
START = date(2026, 11, 23)
DAYS = int(__import__("os").environ.get("SIGNOFF_YEAR_DAYS", "365"))
BANK_HOLIDAYS = {date(2026, 12, 25), date(2026, 12, 28), date(2027, 3, 26)}


@pytest.fixture
def year(settings, tmp_path):  # type: ignore[no-untyped-def]
    standin = SlackStandin(users=list(USERS.values()))
    standin.start()
    settings = settings.model_copy(
        update={
            "slack_bot_token": "xoxb-test",
            "slack_api_url": standin.base_url,
            "slt_channel": SLT_CHANNEL,
            "digest_channel": DIGEST_CHANNEL,
        }
    )
    runtime = Runtime.start(settings)
    services = Services(runtime, build_client(runtime))
    rows = [
        row(
            f"DOC-{n:03d}",
            owner_email="owner@example.org",
            next_review_due=START + timedelta(days=(n * 7) % 400 - 30),
            doc_type="policy" if n % 3 else "procedure",
        )
        for n in range(300)
    ]
    import_register(runtime.ctx(Actor(None, "test", is_admin=True)), rows)
    sent_on: dict[str, date] = {}
    owner = runtime.actor_for_email("owner@example.org")
    approver = runtime.actor_for_email("approver@example.org")
    for n in range(DAYS):
        day = START + timedelta(days=n)
        now = datetime.combine(day, time(9, 30), tzinfo=LONDON).astimezone(UTC)
        services.clock = lambda now=now: now
        run_due_jobs(services, now)
        # On the due date owners say no changes are needed and approvers approve, except for
        # every tenth document, which nobody touches all year.
        with runtime.sessions() as session:
            due_today = [
                r.id
                for r in session.scalars(
                    select(Review).where(Review.closed_at.is_(None), Review.due_date <= day)
                )
                if not r.document.reference.endswith("0")
            ]
        later = now + timedelta(hours=2)
        for review_id in due_today:
            submit_no_changes(runtime.ctx(owner, now=later), review_id)
            decide(runtime.ctx(approver, now=later), review_id, Action.APPROVE)
        with runtime.sessions() as session:
            for key in session.scalars(
                select(OutboxMessage.key).where(OutboxMessage.sent_at >= now)
            ):
                sent_on.setdefault(key, day)
    yield runtime, standin, sent_on
    standin.stop()
    runtime.engine.dispose()


def test_a_year_of_mornings(year):  # one long simulation, several findings
    runtime, standin, sent_on = year
    keys = standin.posted_keys()
    assert len(keys) == len(set(keys)), "a message was posted twice"
    with runtime.sessions() as session:
        reviews = {
            r.id: r for r in session.scalars(select(Review).options(selectinload(Review.document)))
        }
    policy = Policy()

    # Every completed review left its document current and due a cycle later.
    for review in reviews.values():
        if review.closed_at is not None:
            closed = review.closed_at.astimezone(LONDON).date()
            assert review.document.last_approved == closed
            assert review.document.next_review_due > closed + timedelta(days=300)

    # Reminders: for each review, exactly the stages its due date calls for, each on its day,
    # until the day it was completed.
    got: dict[int, list[tuple[str, date]]] = defaultdict(list)
    for key, day in sent_on.items():
        if key.startswith("reminder:"):
            _, review_id, stage = key.split(":")
            got[int(review_id)].append((stage, day))
    for review_id, review in reviews.items():
        expected = []
        last = (
            review.closed_at.astimezone(LONDON).date()
            if review.closed_at
            else START + timedelta(days=DAYS - 1)
        )
        for n in range((last - START).days + 1):
            day = START + timedelta(days=n)
            stage = reminder_stage(review.due_date, day, policy)
            if stage is not None and (not expected or expected[-1][0] != stage):
                expected.append((stage, day))
        assert sorted(got[review_id], key=lambda s: s[1]) == expected, review.document_id

    # Escalation: once per review, on the day it is 61 days overdue (or the first morning after,
    # for those already that late when signoff started).
    escalations = {
        int(k.split(":")[1]): d
        for k, d in sent_on.items()
        if k.startswith("escalation:") and k.count(":") == 1
    }
    for review_id, review in reviews.items():
        if (
            review.closed_at is None
            and (START + timedelta(days=DAYS - 1) - review.due_date).days >= 61
        ):
            assert escalations[review_id] == max(START, review.due_date + timedelta(days=61))
        else:
            assert review_id not in escalations

    # A digest every Monday, and only then.
    digests = sorted(d for k, d in sent_on.items() if k.startswith("digest:"))
    assert len(digests) == 53 and all(d.weekday() == 0 for d in digests)

    # An agenda three working days before each SLT meeting: none in August or December.
    clock = clock_of_settings(runtime)
    agendas = sorted(d for k, d in sent_on.items() if k.startswith("slt_agenda:"))
    rule = rrulestr(clock.meetings_rule, dtstart=datetime.combine(START, time(0)))
    meetings = [
        m.date()
        for m in rule.between(
            datetime.combine(START, time(0)),
            datetime.combine(START + timedelta(days=DAYS), time(0)),
        )
    ]
    assert len(agendas) == len(meetings) == 10
    assert {d.month for d in meetings}.isdisjoint({8, 12})
    assert agendas[0] == date(2027, 1, 7)  # Tue 12 Jan 2027, less three working days
    assert date(2027, 3, 4) in agendas  # Tue 9 Mar 2027

    # The monthly report on the first working day: 4 Jan 2027 (1 Jan is a bank holiday).
    reports = sorted({d for k, d in sent_on.items() if k.startswith("monthly_report:")})
    assert date(2027, 1, 4) in reports and date(2027, 1, 1) not in reports
    assert all(d.weekday() < 5 for d in reports)

    # Nothing that keeps to working days lands on a bank holiday.
    working = [
        d
        for k, d in sent_on.items()
        if k.startswith(("slt_agenda:", "monthly_report:", "nudge:", "slt_nudge:"))
    ]
    assert not set(working) & BANK_HOLIDAYS


def clock_of_settings(runtime: Runtime) -> schedule.Clock:
    return clock_of(Services(runtime, build_client(runtime)))


@pytest.mark.parametrize(
    ("rule", "meeting", "agenda"),
    [
        (None, date(2027, 1, 12), date(2027, 1, 7)),
        (None, date(2027, 3, 9), date(2027, 3, 4)),
        (None, date(2027, 4, 13), date(2027, 4, 8)),
        # Tue 30 Mar 2027: Easter Monday (29th) and Good Friday (26th) are not working days.
        ("FREQ=MONTHLY;BYDAY=-1TU;BYMONTH=3", date(2027, 3, 30), date(2027, 3, 23)),
    ],
)
def test_agendas_go_three_working_days_before_the_meeting(settings, rule, meeting, agenda):
    clock = schedule.Clock(LONDON, time(9), "MO", rule or settings.slt_meetings, 3, "ENG")
    assert meeting in schedule.meetings(clock, meeting)
    at = datetime.combine(agenda, time(9, 30), tzinfo=LONDON)
    assert schedule.agenda(at, clock) == (datetime.combine(agenda, time(9), tzinfo=LONDON), meeting)
    before = datetime.combine(agenda - timedelta(days=1), time(9, 30), tzinfo=LONDON)
    found = schedule.agenda(before, clock)
    assert found is None or found[1] != meeting


def test_no_slt_meeting_in_august_or_december(settings):
    clock = schedule.Clock(LONDON, time(9), "MO", settings.slt_meetings, 3, "ENG")
    months = {m.month for m in schedule.meetings(clock, date(2027, 8, 1))}
    assert 8 not in months and 12 not in schedule.meetings(clock, date(2026, 12, 1)) and months


@pytest.mark.parametrize(
    ("due", "today", "stage"),
    [
        (date(2027, 3, 1), date(2027, 1, 17), None),
        (date(2027, 3, 1), date(2027, 1, 18), "42"),
        (date(2027, 3, 1), date(2027, 2, 14), "42"),
        (date(2027, 3, 1), date(2027, 2, 15), "14"),
        (date(2027, 3, 1), date(2027, 2, 22), "7"),
        (date(2027, 3, 1), date(2027, 3, 1), "0"),
        (date(2027, 3, 1), date(2027, 3, 7), "0"),
        (date(2027, 3, 1), date(2027, 3, 8), "overdue-1"),
        (date(2027, 3, 1), date(2027, 5, 1), "overdue-8"),
    ],
)
def test_the_latest_stage_that_applies(due, today, stage):
    assert reminder_stage(due, today, Policy()) == stage
