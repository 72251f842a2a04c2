"""Running the periodic jobs that are due at a moment: once per period, one runner at a time.

The ledger (job_runs) says which periods have run; the outbox keys make a re-run harmless; on
PostgreSQL an advisory lock keeps a second replica from running the same jobs at the same time
(the lock goes with its connection, so a runner that dies hands it on)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import select, text, update

from db.inserts import insert_if_absent
from db.models import JobRun
from scheduler import jobs, schedule
from workflow.reminders import Policy

if TYPE_CHECKING:
    from collections.abc import Iterator

    from bot.app import Services

log = logging.getLogger(__name__)

LOCK_KEY = 0x5167_0FF  # the advisory lock every signoff replica competes for


Due = tuple[datetime, str]  # the occurrence, and the period it stands for in the ledger


@dataclass(frozen=True)
class Job:
    name: str
    due: Callable[[datetime, schedule.Clock], Due | None]
    body: Callable[[Services, datetime, str], int]
    # How late a missed occurrence may still run after downtime; past that it is skipped, so
    # that coming back sends what is due now, not last month's report.
    grace: timedelta


def _daily(now: datetime, clock: schedule.Clock) -> Due | None:
    moment = schedule.daily(now, clock)
    return (moment, moment.date().isoformat()) if moment else None


def _weekly(now: datetime, clock: schedule.Clock) -> Due | None:
    moment = schedule.weekly(now, clock)
    return (moment, moment.date().isoformat()) if moment else None


def _agenda(now: datetime, clock: schedule.Clock) -> Due | None:
    found = schedule.agenda(now, clock)
    return (found[0], found[1].isoformat()) if found else None  # period: the meeting's date


def _monthly(now: datetime, clock: schedule.Clock) -> Due | None:
    moment = schedule.first_working_day(now, clock)
    return (moment, moment.strftime("%Y-%m")) if moment else None


JOBS = (
    Job("daily", _daily, jobs.daily, grace=timedelta(hours=20)),
    Job("digest", _weekly, jobs.digest, grace=timedelta(days=6)),
    Job("slt_agenda", _agenda, jobs.slt_agenda, grace=timedelta(days=31)),
    Job("monthly_report", _monthly, jobs.monthly_report, grace=timedelta(days=6)),
)


def parse_now(value: str | None, zone: ZoneInfo) -> datetime:
    """`--now`: ISO 8601; naive times are in the organisation's zone. Default: now."""
    if not value:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise SystemExit(
            f"signoff: --now: '{value}' is not an ISO 8601 date and time (e.g. 2027-03-01T09:00)"
        ) from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def clock_of(services: Services) -> schedule.Clock:
    settings = services.runtime.settings
    hours, minutes = (int(part) for part in settings.daily_at.split(":"))
    return schedule.Clock(
        zone=settings.timezone,
        daily_at=time(hours, minutes),
        digest_day=settings.digest_day,
        meetings_rule=settings.slt_meetings,
        agenda_days_before=settings.agenda_working_days_before,
        nation=settings.bank_holidays,
    )


def policy_of(services: Services) -> Policy:
    s = services.runtime.settings
    return Policy(
        stages=tuple(s.reminder_stages),
        overdue_every_days=s.overdue_every_days,
        escalate_after_days=s.escalate_after_days,
        approval_nudge_working_days=s.approval_nudge_working_days,
        slt_nudge_working_days=s.slt_nudge_working_days,
        nation=s.bank_holidays,
    )


@contextmanager
def runner_lock(services: Services) -> Iterator[bool]:
    """True while this process is the one runner; always True on SQLite, where the ledger and
    the outbox keys alone keep runs single."""
    engine = services.runtime.engine
    if engine.dialect.name != "postgresql":
        yield True
        return
    with engine.connect() as connection:
        held = bool(
            connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar()
        )
        connection.commit()
        try:
            yield held
        finally:
            if held:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
                connection.commit()


def run_due_jobs(services: Services, now: datetime, *, only: str | None = None) -> list[str]:
    """Run every job due at `now` whose period has not run, then deliver. Lines to print."""
    report: list[str] = []
    clock = clock_of(services)
    with runner_lock(services) as runner:
        if not runner:
            report.append("another signoff is running the jobs; delivering only")
        for job in JOBS if runner else ():
            if only is not None and job.name != only:
                continue
            due = job.due(now, clock)
            if due is None:
                continue
            moment, period = due
            if now - moment > job.grace:
                continue
            if not _claim_period(services, job.name, period, now):
                continue
            produced = job.body(services, now, period)
            _finish_period(services, job.name, period, produced)
            report.append(f"{job.name} {period}: {produced} new messages")
    sent = services.delivery.run(now)
    report.append(f"delivered {sent} messages")
    return report


def _claim_period(services: Services, job: str, period: str, now: datetime) -> bool:
    """False when this period has already run to the end. A period that started and never
    finished (its runner died) runs again: its outbox keys make that safe."""
    with services.runtime.sessions.begin() as session:
        insert_if_absent(
            session,
            JobRun,
            {"job": job, "period": period, "started_at": now, "produced": 0},
            ["job", "period"],
        )
        finished = session.scalar(
            select(JobRun.finished_at).where(JobRun.job == job, JobRun.period == period)
        )
        return finished is None


def _finish_period(services: Services, job: str, period: str, produced: int) -> None:
    with services.runtime.sessions.begin() as session:
        session.execute(
            update(JobRun)
            .where(JobRun.job == job, JobRun.period == period)
            .values(finished_at=datetime.now(UTC), produced=produced)
        )
