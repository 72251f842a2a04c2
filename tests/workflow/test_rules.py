"""The pure rules: dates, working days, versions, meetings' calendars and cut-offs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from workflow.context import SYSTEM, Ctx
from workflow.dates import add_months, add_working_days, is_working_day, parse_uk_date
from workflow.errors import Refused
from workflow.governance import (
    Body,
    Governance,
    Level,
    Route,
    describe_rule,
    meeting_dates,
    plain,
)
from workflow.states import Action, Role, State, check
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


# --- the governance's calendar: meetings, cut-offs, papers ------------------------------------

DORSET_RULE = "FREQ=MONTHLY;BYDAY=2TU;BYMONTH=1,2,3,4,5,6,7,9,10,11"


def _body(**settings: object) -> Governance:
    body = Body(
        name="PPP group",
        members=["chair@example.org"],
        chair="chair@example.org",
        decides="at_meetings",
        **settings,  # type: ignore[arg-type]
    )
    route = Route(types=["all"], level=[Level(body="ppp")])
    return Governance(organisation=None, bodies={"ppp": body}, routes=(route,))


def test_a_monthly_group_meets_on_its_day_and_not_in_august_or_december():
    assert meeting_dates(DORSET_RULE, date(2027, 1, 1), date(2027, 12, 31)) == [
        date(2027, 1, 12),
        date(2027, 2, 9),
        date(2027, 3, 9),
        date(2027, 4, 13),
        date(2027, 5, 11),
        date(2027, 6, 8),
        date(2027, 7, 13),
        date(2027, 9, 14),
        date(2027, 10, 12),
        date(2027, 11, 9),
    ]
    assert describe_rule(DORSET_RULE) == (
        "the second Tuesday of each month except August and December"
    )


def test_a_rule_with_an_interval_keeps_its_rhythm_whatever_day_is_asked_about():
    rule = "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE"
    whole = meeting_dates(rule, date(2027, 1, 1), date(2027, 3, 31))
    later = meeting_dates(rule, date(2027, 1, 14), date(2027, 3, 31))
    assert later == [d for d in whole if d >= date(2027, 1, 14)]
    assert all((b - a).days == 14 for a, b in pairwise(whole))


@pytest.mark.parametrize(
    ("reached", "meeting", "closes", "missed"),
    [
        # Ten working days before Tue 9 Mar 2027 is Tue 23 Feb.
        (date(2027, 2, 22), date(2027, 3, 9), date(2027, 2, 23), False),
        (date(2027, 2, 23), date(2027, 3, 9), date(2027, 2, 23), False),
        # A day late: to Tue 13 Apr, whose agenda closes Tue 30 Mar (Easter is not counted).
        (date(2027, 2, 24), date(2027, 4, 13), date(2027, 3, 30), True),
        # August has no meeting: from the July cut-off on, to September.
        (date(2027, 6, 30), date(2027, 9, 14), date(2027, 8, 31), True),
    ],
)
def test_an_item_goes_to_the_next_meeting_whose_agenda_is_still_open(
    reached, meeting, closes, missed
):
    rules = _body(meetings=DORSET_RULE, item_cutoff_working_days=10, papers_working_days=3)
    assert rules.next_meeting("ppp", reached, "ENG") == (meeting, closes, missed)
    assert rules.agenda_closes("ppp", meeting, "ENG") == closes


@pytest.mark.parametrize(
    ("meeting", "papers"),
    [
        (date(2027, 4, 13), date(2027, 4, 8)),
        # Tue 30 Mar 2027: Easter Monday (29th) and Good Friday (26th) are not working days.
        (date(2027, 3, 30), date(2027, 3, 23)),
    ],
)
def test_papers_go_out_their_working_days_before_the_meeting(meeting, papers):
    rules = _body(meetings=DORSET_RULE, item_cutoff_working_days=10, papers_working_days=3)
    assert rules.papers_day("ppp", meeting, "ENG") == papers


def test_who_decides_for_a_body():
    meets = _body(meetings=DORSET_RULE)
    assert meets.deciders("ppp") == ["chair@example.org"]
    assert meets.meets("ppp")
    assert meets.bodies_of("chair@example.org") == frozenset({"ppp"})
    rules = plain()
    assert rules.deciders("slt") == []  # nobody in the SLT without settings
    assert not rules.meets("slt")  # the SLT decides at any time, and meets too
    assert rules.name_of("approver") == "the approver"
    assert rules.short_of("slt") == "SLT"


def test_the_refusal_of_a_decision_at_the_wrong_state_names_whose_decision_is_awaited():
    with pytest.raises(Refused) as refusal:
        check(
            State.AWAITING_APPROVAL,
            Action.START,
            frozenset({Role.OWNER}),
            reference="LAC-014",
            awaiting="the PPP group",
        )
    assert refusal.value.message == (
        "LAC-014 is awaiting the PPP group, so you cannot start the review of it now."
    )
    assert refusal.value.code == "wrong_state"
    with pytest.raises(Refused) as refusal:
        check(
            State.AWAITING_APPROVAL,
            Action.APPROVE,
            frozenset({Role.OWNER, Role.APPROVER}),
            reference="LAC-014",
            who={Role.DECIDER: "the chair of the PPP group (Pat Officer)"},
        )
    assert refusal.value.message == (
        "Only the chair of the PPP group (Pat Officer) or an admin can approve LAC-014."
    )
