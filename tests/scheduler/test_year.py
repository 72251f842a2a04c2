"""A year of mornings over a register of three hundred documents, with the clock frozen at each:
the exact reminders each document gets, escalations once, a digest every Monday, the SLT's agenda
(posted by the daily job, as for any body that decides at any time and meets) before each of its
meetings, the SLT nudged once about what was deferred to it, and nothing on bank holidays where
working days are meant."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from bot.clock import FixedClock
from bot.platforms.slack.app import Services, build_client
from bot.platforms.slack.standin import SlackStandin
from bot.runtime import Runtime
from db.models import OutboxMessage, Review
from scheduler.jobs import agendas
from scheduler.runner import run_due_jobs
from tests.e2e.conftest import DIGEST_CHANNEL, SLT_CHANNEL, USERS
from tests.factories import row
from workflow.context import SYSTEM, Actor
from workflow.dates import is_working_day
from workflow.people import person_for_email
from workflow.register_sync import import_register
from workflow.reminders import Policy, reminder_stage
from workflow.reviews import decide, submit_no_changes
from workflow.states import OWNER_STATES, Action

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
    clock = FixedClock(datetime.combine(START, time(9, 30), tzinfo=LONDON))
    runtime = Runtime.start(settings, clock=clock)
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
    referred: dict[int, date] = {}  # reviews the approver deferred to the SLT, and the day
    owner = runtime.actor_for_email("owner@example.org")
    approver = runtime.actor_for_email("approver@example.org")
    with runtime.sessions() as session, session.begin():
        person_for_email(session, "slt.one@example.org", now=clock.now())
    slt = runtime.actor_for_email("slt.one@example.org")
    for n in range(DAYS):
        day = START + timedelta(days=n)
        now = datetime.combine(day, time(9, 30), tzinfo=LONDON).astimezone(UTC)
        clock.set(now)
        run_due_jobs(services, now)
        # On the due date owners say no changes are needed and approvers approve, except for
        # every tenth document, which nobody touches all year, and every seventh, which the
        # approver defers to the SLT; the SLT decides the day it is nudged about it.
        with runtime.sessions() as session:
            due_today = [
                (r.id, int(r.document.reference.split("-")[1]))
                for r in session.scalars(
                    select(Review).where(Review.closed_at.is_(None), Review.due_date <= day)
                )
                if not r.document.reference.endswith("0") and r.state in OWNER_STATES
            ]
            nudged = [
                review_id
                for review_id in referred
                if session.scalar(
                    select(OutboxMessage.id).where(
                        OutboxMessage.key.like(f"nudge:{review_id}:%"),
                        OutboxMessage.created_at >= now,
                    )
                )
            ]
        later = now + timedelta(hours=2)
        for review_id, number in due_today:
            submit_no_changes(runtime.ctx(owner, now=later), review_id)
            if number % 7 == 3:
                decide(
                    runtime.ctx(approver, now=later),
                    review_id,
                    Action.REFER,
                    text="It changes practice in two services.",
                )
                referred[review_id] = day
            else:
                decide(runtime.ctx(approver, now=later), review_id, Action.APPROVE)
        for review_id in nudged:
            decide(runtime.ctx(slt, now=later), review_id, Action.APPROVE)
        with runtime.sessions() as session:
            for key in session.scalars(
                select(OutboxMessage.key).where(OutboxMessage.sent_at >= now)
            ):
                sent_on.setdefault(key, day)
    yield runtime, standin, sent_on, referred
    standin.stop()
    runtime.engine.dispose()


def test_a_year_of_mornings(year):  # one long simulation, several findings
    runtime, standin, sent_on, referred = year
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
            referred[review_id]  # once submitted, the owner is not reminded
            if review_id in referred
            else review.closed_at.astimezone(LONDON).date()
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
    mondays = [START + timedelta(days=n) for n in range(DAYS)]
    assert len(digests) == sum(d.weekday() == 0 for d in mondays)
    assert all(d.weekday() == 0 for d in digests)

    # The SLT's agenda three working days before each of its meetings: none in August or
    # December. The daily job posts it to the SLT, as for any body that decides at any time and
    # meets too.
    agendas_sent = sorted(
        (k.split(":")[2], d) for k, d in sent_on.items() if k.startswith("agenda:")
    )
    assert all(k.startswith("agenda:slt:") for k in sent_on if k.startswith("agenda:"))
    rule = rrulestr(runtime.settings.slt_meetings, dtstart=datetime.combine(START, time(0)))
    meetings = [
        m.date()
        for m in rule.between(
            datetime.combine(START, time(0)),
            datetime.combine(START + timedelta(days=DAYS), time(0)),
        )
    ]
    assert [date.fromisoformat(m) for m, _ in agendas_sent] == meetings
    assert len(meetings) == (10 if DAYS == 365 else len(meetings))
    assert {d.month for d in meetings}.isdisjoint({8, 12})
    for meeting, sent in agendas_sent:
        assert sent == working_days_before(date.fromisoformat(meeting), 3)
    if DAYS == 365:
        assert agendas_sent[0] == ("2027-01-12", date(2027, 1, 7))  # Tue 12 Jan 2027
        assert ("2027-03-09", date(2027, 3, 4)) in agendas_sent
    agenda_posts = [
        ((m.metadata or {}).get("event_payload") or {}).get("outbox_key", "")
        for m in standin.messages_in(SLT_CHANNEL)
    ]
    assert len([k for k in agenda_posts if k.startswith("agenda:slt:")]) == len(agendas_sent)

    # What the approver deferred to the SLT: the SLT is nudged once, in its channel, on the
    # eleventh working day of waiting (more than its ten), and decided that day.
    assert referred, "nothing was deferred to the SLT all year"
    nudges = {k: d for k, d in sent_on.items() if k.startswith("nudge:")}
    for review_id, on in referred.items():
        mine = {k: d for k, d in nudges.items() if k.split(":")[1] == str(review_id)}
        if review_id not in reviews or reviews[review_id].closed_at is None:
            assert len(mine) <= 1  # the year ended before its nudge
            continue
        assert len(mine) == 1, mine
        ((key, sent),) = mine.items()
        _, _, submission, stage, round_ = key.split(":")
        assert (stage, round_) == ("1.slt", "1") and int(submission) > 0
        assert sent == working_days_after(on, 11)
        assert reviews[review_id].closed_at.astimezone(LONDON).date() == sent

    # The monthly report on the first working day: 4 Jan 2027 (1 Jan is a bank holiday).
    reports = sorted({d for k, d in sent_on.items() if k.startswith("monthly_report:")})
    assert date(2027, 1, 4) in reports and date(2027, 1, 1) not in reports
    assert all(d.weekday() < 5 for d in reports)

    # Nothing that keeps to working days lands on a bank holiday.
    working = [
        d for k, d in sent_on.items() if k.startswith(("agenda:", "monthly_report:", "nudge:"))
    ]
    assert not set(working) & BANK_HOLIDAYS


def working_days_before(day: date, count: int) -> date:
    while count:
        day -= timedelta(days=1)
        count -= is_working_day(day)
    return day


def working_days_after(day: date, count: int) -> date:
    while count:
        day += timedelta(days=1)
        count -= is_working_day(day)
    return day


def agenda_keys(runtime: Runtime, at: datetime) -> list[str]:
    ctx = runtime.ctx(SYSTEM, now=at)
    with ctx.session:
        return agendas(ctx)


@pytest.mark.clock  # run again with the machine's clock moved: .ci/clock-check
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
def test_agendas_go_three_working_days_before_the_meeting(settings, clock, rule, meeting, agenda):
    if rule:
        settings = settings.model_copy(update={"slt_meetings": rule})
    runtime = Runtime.start(settings, clock=clock)
    key = f"agenda:slt:{meeting.isoformat()}:body:slt"
    try:
        before = datetime.combine(agenda - timedelta(days=1), time(9, 30), tzinfo=LONDON)
        assert key not in agenda_keys(runtime, before)
        at = datetime.combine(agenda, time(9, 30), tzinfo=LONDON)
        assert key in agenda_keys(runtime, at)
        assert agenda_keys(runtime, at) == []  # once
    finally:
        runtime.engine.dispose()


def test_after_downtime_the_agenda_still_goes_before_its_meeting(settings, clock):
    runtime = Runtime.start(settings, clock=clock)
    try:
        # Back on Mon 11 Jan 2027, the day before the meeting, having missed Thu 7 Jan.
        keys = agenda_keys(runtime, datetime(2027, 1, 11, 9, 30, tzinfo=LONDON))
        assert keys == ["agenda:slt:2027-01-12:body:slt"]
        assert agenda_keys(runtime, datetime(2027, 1, 13, 9, 30, tzinfo=LONDON)) == []
    finally:
        runtime.engine.dispose()


def test_a_body_that_decides_at_meetings_is_sent_no_agenda_its_papers_are_its_own(
    settings, clock, tmp_path
):
    governance = tmp_path / "governance.toml"
    governance.write_text(
        """
[bodies.ppp]
name = "PPP group"
members = ["chair@example.org"]
chair = "chair@example.org"
decides = "at_meetings"
meetings = "FREQ=MONTHLY;BYDAY=2TU"
papers_working_days = 3
item_cutoff_working_days = 5

[[route]]
types = ["all"]
  [[route.level]]
  body = "ppp"
"""
    )
    settings = settings.model_copy(update={"governance_file": str(governance)})
    runtime = Runtime.start(settings, clock=clock)
    try:
        assert agenda_keys(runtime, datetime(2027, 1, 7, 9, 30, tzinfo=LONDON)) == []
    finally:
        runtime.engine.dispose()


@pytest.mark.clock  # run again with the machine's clock moved: .ci/clock-check
def test_no_slt_meeting_in_august_or_december(settings, clock):
    runtime = Runtime.start(settings, clock=clock)
    try:
        rules = runtime.rules
        months = {m.month for m in rules.meetings_of("slt", date(2027, 1, 1), date(2027, 12, 31))}
        assert months == {1, 2, 3, 4, 5, 6, 7, 9, 10, 11}
    finally:
        runtime.engine.dispose()


@pytest.mark.clock  # run again with the machine's clock moved: .ci/clock-check
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
