"""When each periodic job falls due: its latest occurrence at or before a moment.

Pure. `signoff tick` and the in-process scheduler both ask this, and the ledger of job runs
records each occurrence (its "period") once it has run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import DAILY, WEEKLY, rrule, rrulestr, weekday
from dateutil.rrule import MO as _MO

from workflow.dates import add_working_days, is_working_day

_WEEKDAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}


@dataclass(frozen=True)
class Clock:
    zone: ZoneInfo
    daily_at: time
    digest_day: str
    meetings_rule: str
    agenda_days_before: int
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


def meetings(clock: Clock, around: date) -> list[date]:
    """SLT meetings from two months before `around` to three months after."""
    start = datetime.combine(around - timedelta(days=62), time(0))
    rule = rrulestr(clock.meetings_rule, dtstart=start)
    until = datetime.combine(around + timedelta(days=93), time(0))
    return [moment.date() for moment in rule.between(start, until, inc=True)]


def agenda(now: datetime, clock: Clock) -> tuple[datetime, date] | None:
    """The latest agenda moment (N working days before a meeting) at or before now, and the
    meeting it is for."""
    local = now.astimezone(clock.zone).date()
    latest = None
    for meeting in meetings(clock, local):
        moment = _at(add_working_days(meeting, -clock.agenda_days_before, clock.nation), clock)
        if moment <= now and meeting >= local:  # never an agenda for a meeting that is past
            latest = (moment, meeting)
    return latest


Due = Callable[[datetime, Clock], datetime | None]
