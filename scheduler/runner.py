"""Running the periodic jobs that are due at a moment: once per period, one runner at a time.

The ledger (job_runs) says which periods have run; the outbox keys make a re-run harmless; on
PostgreSQL an advisory lock keeps a second copy from running the same jobs at the same time:
`signoff tick` takes it for one run, a server leads for as long as it lives
(scheduler/leader.py). The lock goes with its connection, so a runner that dies hands it on."""

from __future__ import annotations

import logging
import time as timer
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from bot import logs
from bot.metrics import JOB_RUNS, JOB_SECONDS
from db.inserts import insert_if_absent
from db.models import JobRun
from scheduler import jobs, schedule
from scheduler.leader import LOCK_KEY, TRY_LOCK, UNLOCK
from workflow.reminders import Policy
from workflow.words import counted

if TYPE_CHECKING:
    from collections.abc import Iterator

    from bot.platforms.slack.services import Services

log = logging.getLogger(__name__)

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


def _monthly(now: datetime, clock: schedule.Clock) -> Due | None:
    moment = schedule.first_working_day(now, clock)
    return (moment, moment.strftime("%Y-%m")) if moment else None


JOBS = (
    Job("daily", _daily, jobs.daily, grace=timedelta(hours=20)),
    Job("digest", _weekly, jobs.digest, grace=timedelta(days=6)),
    Job("monthly_report", _monthly, jobs.monthly_report, grace=timedelta(days=6)),
)


def clock_of(services: Services) -> schedule.Clock:
    settings = services.runtime.settings
    hours, minutes = (int(part) for part in settings.daily_at.split(":"))
    return schedule.Clock(
        zone=settings.timezone,
        daily_at=time(hours, minutes),
        digest_day=settings.digest_day,
        nation=settings.bank_holidays,
    )


def policy_of(services: Services) -> Policy:
    s = services.runtime.settings
    return Policy(
        stages=tuple(s.reminder_stages),
        overdue_every_days=s.overdue_every_days,
        escalate_after_days=s.escalate_after_days,
        approval_nudge_working_days=s.approval_nudge_working_days,
        body_nudge_working_days=s.slt_nudge_working_days,
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
        held = bool(connection.execute(TRY_LOCK, {"k": LOCK_KEY}).scalar())
        connection.commit()
        try:
            yield held
        finally:
            if held:
                connection.execute(UNLOCK, {"k": LOCK_KEY})
                connection.commit()


def run_due_jobs(
    services: Services, now: datetime, *, only: str | None = None, leader: bool | None = None
) -> list[str]:
    """Run every job due at `now` whose period has not run, then deliver. Lines to print.

    `leader` says whether this process leads (a server knows): one that does not leaves the
    jobs and the outbox's retries to the one that does. Without it this run takes the lock for
    itself, as `signoff tick` does, and delivers either way."""
    if leader is None:
        with runner_lock(services) as runner:
            report = (
                _run_jobs(services, now, only)
                if runner
                else ["another signoff is running the jobs; delivering only"]
            )
    elif leader:
        report = _run_jobs(services, now, only)
    else:
        return ["another signoff leads: it runs the jobs and retries the outbox"]
    delivered = services.delivery.run(now)
    report.append(f"delivery: {delivered.describe(services.runtime.settings.timezone, now)}")
    return report


def _run_jobs(services: Services, now: datetime, only: str | None) -> list[str]:
    report: list[str] = []
    clock = clock_of(services)
    for job in JOBS:
        if only is not None and job.name != only:
            continue
        due = job.due(now, clock)
        if due is None:
            continue
        moment, period = due
        if now - moment > job.grace:
            continue
        with logs.bound(job=f"{job.name}:{period}"):
            if not _claim_period(services, job.name, period, now):
                continue
            started = timer.perf_counter()
            try:
                produced = job.body(services, now, period)
            except Exception:
                JOB_RUNS.labels(job.name, "failed").inc()
                raise
            finally:
                JOB_SECONDS.labels(job.name).observe(timer.perf_counter() - started)
            _finish_period(services, job.name, period, produced, now)
            JOB_RUNS.labels(job.name, "done").inc()
            log.info("%s %s: %s", job.name, period, counted(produced, "new message"))
        report.append(f"{job.name} {period}: {counted(produced, 'new message')}")
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


def _finish_period(services: Services, job: str, period: str, produced: int, now: datetime) -> None:
    with services.runtime.sessions.begin() as session:
        session.execute(
            update(JobRun)
            .where(JobRun.job == job, JobRun.period == period)
            .values(finished_at=now, produced=produced)
        )
