"""Review dates: cycles, UK dates as people write them, and working days."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays
from dateutil.relativedelta import relativedelta

# Day first, always: 04/03/2027 is the 4th of March here, never April the 3rd.
_FORMATS = (
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%d/%m/%y",
    "%d-%m-%y",
    "%d %b %Y",
    "%d %B %Y",
    "%d-%b-%Y",
    "%d %b %y",
)
_ORDINAL = re.compile(r"(?<=\d)(st|nd|rd|th)\b", re.IGNORECASE)

DATE_EXAMPLES = "2027-03-14, 14/03/2027, 14-03-2027 or 14 Mar 2027"


def days_late(due: date, today: date) -> int:
    """Whole days past `due` on `today`, 0 until then: the one count of "days overdue"."""
    return max(0, (today - due).days)


def add_months(start: date, months: int) -> date:
    """`start` plus `months`, clamped to the month's end (31 Jan + 1 month is 28 or 29 Feb)."""
    return start + relativedelta(months=months)


def parse_uk_date(text: str) -> date:
    """Read a date as a UK register writes it. Raises ValueError naming the trouble."""
    cleaned = _ORDINAL.sub("", " ".join(text.strip().split()))
    if not cleaned:
        raise ValueError("empty date")
    for fmt in _FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    if _looks_numeric(cleaned):
        raise ValueError(f"'{text}' is not a real date (day first: {DATE_EXAMPLES})")
    raise ValueError(f"'{text}' is not a date I can read; write it as {DATE_EXAMPLES}")


def _looks_numeric(text: str) -> bool:
    return bool(re.fullmatch(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}", text))


@lru_cache(maxsize=8)
def _holidays(nation: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("GB", subdiv=nation, years=year)


def is_working_day(day: date, nation: str = "ENG") -> bool:
    """Weekdays that are not bank holidays in the UK nation given (ENG, WLS, SCT, NIR)."""
    return day.weekday() < 5 and day not in _holidays(nation, day.year)


def add_working_days(start: date, days: int, nation: str = "ENG") -> date:
    """The working day `days` working days after (or, negative, before) `start`."""
    step = 1 if days >= 0 else -1
    remaining = abs(days)
    day = start
    while remaining:
        day += timedelta(days=step)
        if is_working_day(day, nation):
            remaining -= 1
    return day


def working_days_between(start: date, end: date, nation: str = "ENG") -> int:
    """How many working days after `start`, up to and including `end`."""
    if end <= start:
        return 0
    return sum(
        1 for n in range(1, (end - start).days + 1) if is_working_day(start + timedelta(n), nation)
    )
