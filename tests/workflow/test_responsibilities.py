"""Deputies end by themselves and decide for whom they stand in for, recorded as such (for an
approver, or for a member of a body); a person who leaves hands their owner's part to the
approver."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from db.models import AuditEvent, Decision, Person
from tests.factories import APPROVER, NOW, OWNER, SLT, STRANGER, Register, row
from workflow.context import SYSTEM
from workflow.errors import Refused
from workflow.responsibilities import deputies_on, deputy_on, person_left, set_deputy
from workflow.reviews import decide, open_review, submit_no_changes
from workflow.states import Action, State
from workflow.summaries import review_summary


def test_a_deputy_stands_in_for_the_period_and_not_a_day_longer(runtime):
    register = Register(runtime)
    register.add(row())
    start, end = NOW.date(), NOW.date() + timedelta(days=7)
    set_deputy(register.ctx(APPROVER), deputy_email=STRANGER, starts_on=start, ends_on=end)
    approver_id = register.document().approver_id
    with runtime.sessions() as session:
        assert deputy_on(session, approver_id, start) is not None
        assert deputy_on(session, approver_id, end) is not None
        assert deputy_on(session, approver_id, end + timedelta(days=1)) is None
    stranger = register.actor(STRANGER)
    assert stranger.stands_in_for == frozenset({approver_id})
    later = runtime.actor_for_email(STRANGER, now=NOW + timedelta(days=8))
    assert later.stands_in_for == frozenset()


def test_deputies_of_many_people_are_whom_each_one_asked_alone_would_name(runtime):
    register = Register(runtime)
    register.add(row())
    start = NOW.date()
    set_deputy(register.ctx(APPROVER), deputy_email=STRANGER, starts_on=start, ends_on=start)
    # Named later for a longer spell: the latest named wins where they overlap.
    set_deputy(
        register.ctx(APPROVER), deputy_email=SLT, starts_on=start, ends_on=start + timedelta(1)
    )
    document = register.document()
    people = {document.approver_id, document.owner_id}
    with runtime.sessions() as session:
        for day in (start, start + timedelta(1), start + timedelta(2)):
            alone = {p: deputy_on(session, p, day) for p in people}
            assert deputies_on(session, people, day) == {
                p: d for p, d in alone.items() if d is not None
            }
        assert deputies_on(session, people, start)[document.approver_id] == deputy_on(
            session, document.approver_id, start
        )
        assert deputies_on(session, set(), start) == {}


@pytest.mark.parametrize(
    ("start", "end", "problem"),
    [
        (date(2026, 12, 8), date(2026, 12, 1), "ends"),
        (date(2026, 1, 1), date(2026, 1, 8), "has passed"),
    ],
)
def test_a_deputy_period_that_cannot_be_is_refused(runtime, start, end, problem):
    register = Register(runtime)
    register.add(row())
    with pytest.raises(Refused, match=problem):
        set_deputy(register.ctx(APPROVER), deputy_email=STRANGER, starts_on=start, ends_on=end)


def test_when_the_owner_leaves_the_approver_acts_as_owner(runtime):
    register = Register(runtime)
    register.add(row())
    review = open_review(register.ctx(SYSTEM), "LAC-014")
    with pytest.raises(Refused):
        submit_no_changes(register.ctx(APPROVER), review.id)
    owner_id = register.document().owner_id
    held = person_left(register.ctx(SYSTEM), owner_id)
    assert held == ["LAC-014"]
    submit_no_changes(register.ctx(APPROVER), review.id)
    with pytest.raises(Refused):
        submit_no_changes(register.ctx(OWNER), review.id)


def test_a_deputy_for_a_member_of_the_slt_decides_for_the_slt_recorded_as_such(runtime):
    register = Register(runtime)
    register.add(row())
    review_id = register.bring_to(State.AWAITING_APPROVAL, at="slt")
    with pytest.raises(Refused, match="Only a member of the Senior Leadership Team"):
        decide(register.ctx(STRANGER), review_id, Action.APPROVE)
    start, end = NOW.date(), NOW.date() + timedelta(days=7)
    set_deputy(register.ctx(SLT), deputy_email=STRANGER, starts_on=start, ends_on=end)
    decide(register.ctx(STRANGER), review_id, Action.APPROVE)
    assert register.review().outcome == "approved"
    with runtime.sessions() as session:
        member = session.scalar(select(Person.id).where(Person.email == SLT))
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "review.approved")
        ).one()
        assert (event.actor_label, event.on_behalf_of_id) == (STRANGER, member)
        decision = session.scalars(select(Decision).where(Decision.outcome == "approved")).one()
        assert (decision.level, decision.body) == (1, "slt")
        steps = review_summary(session, review_id, runtime.rules).history
    approved = [s for s in steps if s.action == "review.approved"]
    assert [s.who for s in approved] == [f"{STRANGER} for {SLT}"]
    assert approved[0].body == "Senior Leadership Team"


def test_a_deputy_for_a_member_of_the_slt_does_not_decide_once_the_period_ends(runtime):
    register = Register(runtime)
    register.add(row())
    review_id = register.bring_to(State.AWAITING_APPROVAL, at="slt")
    start, end = NOW.date(), NOW.date() + timedelta(days=2)
    set_deputy(register.ctx(SLT), deputy_email=STRANGER, starts_on=start, ends_on=end)
    later = NOW + timedelta(days=3)
    deputy = runtime.actor_for_email(STRANGER, now=later)
    with pytest.raises(Refused, match="Only a member of the Senior Leadership Team"):
        decide(runtime.ctx(deputy, now=later), review_id, Action.APPROVE)
    assert register.review().closed_at is None


def test_a_deputy_for_the_approver_decides_for_the_approver_recorded_as_such(runtime):
    register = Register(runtime)
    register.add(row())
    review_id = register.bring_to(State.AWAITING_APPROVAL)
    start, end = NOW.date(), NOW.date() + timedelta(days=7)
    set_deputy(register.ctx(APPROVER), deputy_email=STRANGER, starts_on=start, ends_on=end)
    decide(register.ctx(STRANGER), review_id, Action.REFER, text="Two services")
    with runtime.sessions() as session:
        steps = review_summary(session, review_id, runtime.rules).history
    referred = [s for s in steps if s.action == "review.referred"]
    assert [s.who for s in referred] == [f"{STRANGER} for {APPROVER}"]
