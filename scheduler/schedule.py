"""When each periodic job falls due: its latest occurrence at or before a moment.

Pure. `signoff tick` and the in-process scheduler both ask this, and the ledger of job runs
records each occurrence (its "period") once it has run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import DAILY, WEEKLY, rrule, weekday
from dateutil.rrule import MO as _MO

from workflow.dates import is_working_day

_WEEKDAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}


@dataclass(frozen=True)
class Clock:
    zone: ZoneInfo
    daily_at: time
    digest_day: str
    nation: str


def _at(day: date, clock: Clock) -> datetime:
    return datetime.combine(day, clock.daily_at, tzinfo=clock.zone)


def _latest(rule: rrule, now: datetime) -> datetime | None:
    return rule.before(now, inc=True)


def daily(now: datetime, clock: Clock) -> datetime | None:
    start = _at((now.astimezone(clock.zone) - timedelta(days=2)).date(), clock)
    return _latest(rrule(DAILY, dtstart=start), now)


def weekly(now: datetime, clock: Clock) -> datetime | None:
    start = _at((now.astimezone(clock.zone) - timedelta(days=8)).date(), clock)
    day = weekday(_WEEKDAYS[clock.digest_day]) if clock.digest_day else _MO
    return _latest(rrule(WEEKLY, byweekday=day, dtstart=start), now)


def first_working_day(now: datetime, clock: Clock) -> datetime | None:
    """09:00 (or the daily time) on the first working day of the month."""
    local = now.astimezone(clock.zone).date()
    for month_start in (
        local.replace(day=1),
        (local.replace(day=1) - timedelta(days=1)).replace(day=1),
    ):
        day = month_start
        while not is_working_day(day, clock.nation):
            day += timedelta(days=1)
        moment = _at(day, clock)
        if moment <= now:
            return moment
    return None


Due = Callable[[datetime, Clock], datetime | None]
