"""The scheduler inside `signoff serve` and `signoff run`: a beat every minute (or
SIGNOFF_SCHEDULER_EVERY_SECONDS), at which the leader runs whatever jobs are due and retries the
outbox, and the other replicas try to take the lead (scheduler/leader.py). Every replica still
delivers at once what its own listeners cause.

The beat only wakes the runner: what is due is decided by the injected clock and the ledger of
job runs, so a beat that comes late or twice changes nothing. APScheduler's own job store is not
shared between processes (its documentation says that cannot work), so it keeps nothing."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from scheduler.leader import Leadership
from scheduler.runner import run_due_jobs

if TYPE_CHECKING:
    from bot.platforms.slack.services import Services

log = logging.getLogger(__name__)


@dataclass
class Beating:
    scheduler: BackgroundScheduler
    leadership: Leadership

    def shutdown(self) -> None:
        self.scheduler.shutdown(wait=False)
        self.leadership.release()


def start_scheduler(services: Services) -> Beating:
    settings = services.runtime.settings
    leadership = Leadership(services.runtime.engine)
    busy = threading.Lock()

    def beat() -> None:
        if not busy.acquire(blocking=False):
            return  # the last beat is still at work
        try:
            # The runner logs each job it runs; what the beat delivered is its last line.
            last = run_due_jobs(services, services.now(), leader=leadership.hold())[-1]
            busy_beat = not last.endswith(("nothing to send", "retries the outbox"))
            log.log(logging.INFO if busy_beat else logging.DEBUG, last)
        except Exception:
            log.exception("periodic jobs failed; the next beat tries again")
        finally:
            busy.release()

    scheduler = BackgroundScheduler(
        timezone=settings.timezone,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
    )
    scheduler.add_job(beat, IntervalTrigger(seconds=settings.scheduler_every_seconds), id="beat")
    # At once too: catch up on whatever fell due while no copy was running.
    scheduler.add_job(beat, id="start")
    scheduler.start()
    return Beating(scheduler, leadership)
