"""Update rounds at the level of their rules: the plan's problems, the countdown, the report,
and several approvers each approving before the draft goes on."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from db.models import Decision, OutboxMessage, UpdateRound
from tests.factories import ADMIN, APPROVER, NOW, OWNER, SLT, Register, row
from workflow.context import SYSTEM
from workflow.errors import Refused
from workflow.reviews import decide, submit_draft
from workflow.rounds import open_round, round_notices, statuses, validate_plan
from workflow.states import Action, State

DEADLINE = NOW.date() + timedelta(days=42)


def kinds(register: Register) -> list[str]:
    with register.runtime.sessions() as session:
        return [m.key for m in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def test_the_plan_reports_every_problem_with_its_line():
    items, problems = validate_plan(
        ["Reference", "Amendment", "Approver Emails", "Colour"],
        [
            (2, ["LAC-014", "Update 4.2", "a@example.org; b@example.org", ""]),
            (3, ["lac-014", "again", "", ""]),
            (4, ["NOPE-1", "", "nobody", ""]),
        ],
        {"LAC-014"},
    )
    assert [str(p) for p in problems] == [
        "1: Colour: unknown column; the plan's columns are reference, amendment, approver_emails",
        "3: reference: lac-014 appears twice in the plan (first on line 2)",
        "4: reference: NOPE-1 is not in the register",
        "4: amendment: required: the recommended change, text or a link",
        "4: approver_emails: 'nobody' is not an e-mail address (e.g. jane.smith@example.org)",
    ]
    assert [(i.reference, i.approver_emails) for i in items] == [
        ("LAC-014", ("a@example.org", "b@example.org"))
    ]


def test_only_an_admin_opens_a_round_and_the_deadline_must_be_ahead(runtime):
    register = Register(runtime)
    register.add(row())
    items, _ = validate_plan(["reference", "amendment"], [(2, ["LAC-014", "x"])], {"LAC-014"})
    with pytest.raises(Refused, match="Only an admin"):
        open_round(register.ctx(OWNER), "Spring", DEADLINE, items)
    with pytest.raises(Refused, match="must be after today"):
        open_round(register.ctx(ADMIN), "Spring", NOW.date(), items)
    open_round(register.ctx(ADMIN), "Spring", DEADLINE, items)
    with pytest.raises(Refused, match="already a round called Spring"):
        open_round(register.ctx(ADMIN), "spring", DEADLINE, items)


def test_the_weekly_countdown_the_warning_and_the_report_are_each_sent_once(runtime):
    register = Register(runtime)
    register.add(row(), row("CP-001"))
    items, _ = validate_plan(
        ["reference", "amendment"],
        [(2, ["LAC-014", "x"]), (3, ["CP-001", "y"])],
        {"LAC-014", "CP-001"},
    )
    round_ = open_round(register.ctx(ADMIN), "Spring", DEADLINE, items)
    far_off = {round_.id: date(2099, 1, 1)}
    for _ in range(2):
        round_notices(register.ctx(SYSTEM), warn_on=far_off, weekly=True)
    assert len([k for k in kinds(register) if k.startswith("round_status:")]) == 1
    now_on = {round_.id: NOW.date()}
    round_notices(register.ctx(SYSTEM), warn_on=now_on, weekly=False)
    round_notices(register.ctx(SYSTEM), warn_on=now_on, weekly=False)
    warnings = [k for k in kinds(register) if k.startswith("round_warning:")]
    assert len(warnings) == 4  # two documents, each to its owner and its approver
    after = NOW + timedelta(days=43)
    round_notices(register.ctx(SYSTEM, now=after), warn_on=now_on, weekly=True)
    round_notices(register.ctx(SYSTEM, now=after), warn_on=now_on, weekly=True)
    assert [k for k in kinds(register) if k.startswith("round_report:")] == [
        f"round_report:{round_.id}"
    ]


def test_several_approvers_each_approve_and_the_round_says_where_each_item_stands(runtime):
    register = Register(runtime)
    register.add(row())
    items, problems = validate_plan(
        ["reference", "amendment", "approver_emails"],
        [(2, ["LAC-014", "Update 4.2", "a@example.org; b@example.org"])],
        {"LAC-014"},
    )
    assert problems == []
    round_ = open_round(register.ctx(ADMIN), "Spring", DEADLINE, items)
    review_id = register.review().id

    def status() -> str:
        with runtime.sessions() as session:
            found = session.get(UpdateRound, round_.id)
            return statuses(found, NOW.date(), runtime.settings.timezone)[0].status

    assert status() == "waiting on owner"
    submit_draft(register.ctx(OWNER), review_id, link=None, summary="Update 4.2 made")
    assert status() == "waiting on approver"
    # The register's approver is not one of this round's approvers.
    with pytest.raises(Refused, match=r"Only the approvers of LAC-014 \(a@example.org"):
        decide(register.ctx(APPROVER), review_id, Action.APPROVE)
    decide(register.ctx("a@example.org"), review_id, Action.APPROVE)
    with pytest.raises(Refused, match="already decided"):
        decide(register.ctx("a@example.org"), review_id, Action.APPROVE)
    assert status() == "waiting on approver"
    decide(register.ctx("b@example.org"), review_id, Action.REFER, text="Two services")
    review = register.review()
    assert (review.state, review.level, review.body) == (State.AWAITING_APPROVAL, 1, "slt")
    assert status() == "with a body"
    decide(register.ctx(SLT), review_id, Action.APPROVE)
    assert status() == "decided"
    with runtime.sessions() as session:
        decisions = [
            (d.level, d.body, d.outcome)
            for d in session.scalars(select(Decision).order_by(Decision.id))
        ]
    assert decisions == [
        (1, "approver", "approved"),
        (1, "approver", "referred"),
        (1, "slt", "approved"),
    ]
