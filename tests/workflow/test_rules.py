"""The pure rules: dates, working days, versions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from workflow.context import SYSTEM, Ctx
from workflow.dates import add_months, add_working_days, is_working_day, parse_uk_date
from workflow.versions import next_version


@pytest.mark.parametrize(
    ("start", "months", "due"),
    [
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2026, 8, 31), 6, date(2027, 2, 28)),
        (date(2026, 3, 14), 12, date(2027, 3, 14)),
        (date(2026, 5, 31), 36, date(2029, 5, 31)),
    ],
)
def test_cycles_clamp_to_the_months_end(start, months, due):
    assert add_months(start, months) == due


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-03-14", date(2027, 3, 14)),
        ("14/03/2027", date(2027, 3, 14)),
        ("14-03-2027", date(2027, 3, 14)),
        ("14 Mar 2027", date(2027, 3, 14)),
        ("14 March 2027", date(2027, 3, 14)),
        ("1st April 2027", date(2027, 4, 1)),
        ("04/03/2027", date(2027, 3, 4)),  # day first, never the 3rd of April
        ("4/3/27", date(2027, 3, 4)),
    ],
)
def test_uk_dates_are_read_day_first(text, expected):
    assert parse_uk_date(text) == expected


@pytest.mark.parametrize("text", ["31/02/2027", "03/14/2027", "2027-13-01", "next week", "14th"])
def test_impossible_or_unreadable_dates_are_refused_with_a_reason(text):
    with pytest.raises(ValueError, match=text.replace("/", "/")):
        parse_uk_date(text)


@pytest.mark.parametrize(
    ("version", "after"),
    [
        ("3.2", "3.3"),
        ("3.9", "3.10"),
        ("3.10", "3.11"),
        ("3", "3.1"),
        (None, "1.0"),
        ("", "1.0"),
        ("v2.4", "v2.5"),
        ("1.0.9", "1.0.10"),
        ("Draft", "Draft.1"),
    ],
)
def test_an_amended_draft_moves_the_version_on(version, after):
    assert next_version(version) == after


def test_working_days_skip_weekends_and_bank_holidays():
    assert not is_working_day(date(2026, 12, 25))  # Christmas Day
    assert not is_working_day(date(2026, 12, 28))  # Boxing Day, observed on the Monday
    assert not is_working_day(date(2027, 3, 26))  # Good Friday 2027
    assert not is_working_day(date(2026, 11, 28))  # a Saturday
    assert is_working_day(date(2026, 12, 29))
    # Thursday 24 Dec 2026 + 1 working day skips Christmas, the weekend and Boxing Day observed.
    assert add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)
    assert add_working_days(date(2026, 12, 29), -1) == date(2026, 12, 24)


def test_another_nation_has_its_own_bank_holidays():
    # St Andrew's Day is a bank holiday in Scotland only (Monday 30 Nov 2026).
    assert is_working_day(date(2026, 11, 30), "ENG")
    assert not is_working_day(date(2026, 11, 30), "SCT")


def test_a_decision_late_in_the_evening_is_dated_in_the_organisations_time_zone():
    at = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)  # 00:30 on 1 July in London
    ctx = Ctx(session=None, actor=SYSTEM, now=at, timezone=ZoneInfo("Europe/London"))  # type: ignore[arg-type]
    assert ctx.today == date(2026, 7, 1)
