"""Decisions that wait: an approver is nudged after 5 working days, the SLT after 10, counted
without weekends or bank holidays, once per stretch of waiting."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from db.models import OutboxMessage
from tests.factories import APPROVER, OWNER, Register, row
from workflow.context import SYSTEM
from workflow.reminders import Policy, nudge_deciders
from workflow.reviews import decide, open_review, submit_no_changes
from workflow.states import Action

SUBMITTED = datetime(2026, 12, 21, 10, 0, tzinfo=UTC)  # Monday before Christmas


def nudges(register: Register, at: datetime) -> list[str]:
    return nudge_deciders(register.ctx(SYSTEM, now=at), Policy())


def test_the_approver_is_nudged_after_five_working_days_not_counting_christmas(runtime):
    register = Register(runtime)
    register.add(row())
    review = open_review(register.ctx(SYSTEM, now=SUBMITTED), "LAC-014")
    submit_no_changes(register.ctx(OWNER, now=SUBMITTED), review.id)
    # 22, 23, 24, 29, 30 Dec are the five working days (25 and 28 Dec are bank holidays).
    assert nudges(register, datetime(2026, 12, 30, 9, 30, tzinfo=UTC)) == []
    written = nudges(register, datetime(2026, 12, 31, 9, 30, tzinfo=UTC))
    assert len(written) == 1 and written[0].startswith("nudge:")
    assert nudges(register, datetime(2027, 1, 4, 9, 30, tzinfo=UTC)) == []  # once per stretch
    approver_id = register.document().approver_id
    with runtime.sessions() as session:
        nudge = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "nudge")).one()
        assert nudge.person_id == approver_id


def test_the_slt_is_nudged_in_its_channel_after_ten_working_days(runtime):
    register = Register(runtime)
    register.add(row())
    at = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)
    review = open_review(register.ctx(SYSTEM, now=at), "LAC-014")
    submit_no_changes(register.ctx(OWNER, now=at), review.id)
    decide(register.ctx(APPROVER, now=at), review.id, Action.DEFER_TO_SLT, text="Two services")
    # Ten working days from Mon 1 Mar 2027 end on Fri 12 Mar; Good Friday is later.
    assert nudges(register, datetime(2027, 3, 15, 9, 0, tzinfo=UTC)) == []
    written = nudges(register, datetime(2027, 3, 16, 9, 0, tzinfo=UTC))
    assert len(written) == 1 and written[0].startswith("slt_nudge:")
    with runtime.sessions() as session:
        nudge = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "nudge")).one()
        assert nudge.audience == "slt"
