"""APScheduler 3 inside `signoff serve` and `signoff run`: cron triggers in the organisation's
time zone that call the same job runner as `signoff tick`.

APScheduler's own job store is not shared between processes (its documentation says that cannot
work), so it keeps nothing: the ledger of job runs and the outbox are the truth, and a missed
trigger is caught up by the next one."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from scheduler.runner import run_due_jobs

if TYPE_CHECKING:
    from bot.app import Services

log = logging.getLogger(__name__)

_DAYS = {"MO": "mon", "TU": "tue", "WE": "wed", "TH": "thu", "FR": "fri", "SA": "sat", "SU": "sun"}


def start_scheduler(services: Services) -> BackgroundScheduler:
    settings = services.runtime.settings
    zone = settings.timezone
    hour, minute = (int(part) for part in settings.daily_at.split(":"))
    scheduler = BackgroundScheduler(
        timezone=zone,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 6 * 3600},
    )

    def run(only: str | None = None) -> None:
        try:
            for line in run_due_jobs(services, datetime.now(UTC), only=only):
                log.info("jobs: %s", line)
        except Exception:
            log.exception("periodic jobs failed; the next trigger tries again")

    def retry_outbox() -> None:
        try:
            services.delivery.run(datetime.now(UTC))
        except Exception:
            log.exception("outbox retry failed; the next minute tries again")

    daily = CronTrigger(hour=hour, minute=minute, timezone=zone)
    scheduler.add_job(run, daily, kwargs={"only": "daily"}, id="daily")
    scheduler.add_job(
        run,
        CronTrigger(
            day_of_week=_DAYS[settings.digest_day], hour=hour, minute=minute, timezone=zone
        ),
        kwargs={"only": "digest"},
        id="digest",
    )
    scheduler.add_job(run, daily, kwargs={"only": "slt_agenda"}, id="slt_agenda")
    scheduler.add_job(run, daily, kwargs={"only": "monthly_report"}, id="monthly_report")
    scheduler.add_job(retry_outbox, CronTrigger(minute="*", timezone=zone), id="outbox")
    # Catch up at start-up on whatever fell due while no copy was running.
    scheduler.add_job(run, id="catch_up")
    scheduler.start()
    return scheduler
