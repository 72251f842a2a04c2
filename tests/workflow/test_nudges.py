"""Decisions that wait: an approver is nudged after 5 working days, a body after its own
nudge_after_working_days (the SLT's is 10), counted without weekends or bank holidays, once per
stretch of waiting. A body that decides at meetings is not nudged: its papers are its reminder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from db.models import OutboxMessage, Submission
from tests.factories import APPROVER, OWNER, Register, governed, row
from workflow.context import SYSTEM
from workflow.governance import parse
from workflow.reminders import Policy, nudge_deciders
from workflow.reviews import decide, open_review, submit_no_changes
from workflow.states import Action

SUBMITTED = datetime(2026, 12, 21, 10, 0, tzinfo=UTC)  # Monday before Christmas


def nudges(register: Register, at: datetime) -> list[str]:
    return nudge_deciders(register.ctx(SYSTEM, now=at), Policy())


def submitted(register: Register, at: datetime) -> int:
    review = open_review(register.ctx(SYSTEM, now=at), "LAC-014")
    submit_no_changes(register.ctx(OWNER, now=at), review.id)
    return review.id


def test_the_approver_is_nudged_after_five_working_days_not_counting_christmas(runtime):
    register = Register(runtime)
    register.add(row())
    review_id = submitted(register, SUBMITTED)
    # 22, 23, 24, 29, 30 Dec are the five working days (25 and 28 Dec are bank holidays).
    assert nudges(register, datetime(2026, 12, 30, 9, 30, tzinfo=UTC)) == []
    written = nudges(register, datetime(2026, 12, 31, 9, 30, tzinfo=UTC))
    with runtime.sessions() as session:
        submission = session.scalars(select(Submission.id)).one()
    assert written == [f"nudge:{review_id}:{submission}:1"]
    assert nudges(register, datetime(2027, 1, 4, 9, 30, tzinfo=UTC)) == []  # once per stretch
    approver_id = register.document().approver_id
    with runtime.sessions() as session:
        nudge = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "nudge")).one()
        assert nudge.person_id == approver_id
        assert nudge.payload["body"] == "approver" and nudge.payload["level"] == 1


def test_the_slt_is_nudged_in_its_channel_after_ten_working_days(runtime):
    register = Register(runtime)
    register.add(row())
    at = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)
    review_id = submitted(register, at)
    decide(register.ctx(APPROVER, now=at), review_id, Action.REFER, text="Two services")
    # Ten working days from Mon 1 Mar 2027 end on Fri 12 Mar; Good Friday is later.
    assert nudges(register, datetime(2027, 3, 15, 9, 0, tzinfo=UTC)) == []
    written = nudges(register, datetime(2027, 3, 16, 9, 0, tzinfo=UTC))
    assert len(written) == 1
    review, submission, stage, round_ = written[0].split(":")[1:]
    assert (int(review), stage, round_) == (review_id, "1.slt", "1")
    assert int(submission) > 0
    assert nudges(register, datetime(2027, 3, 17, 9, 0, tzinfo=UTC)) == []
    with runtime.sessions() as session:
        nudge = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "nudge")).one()
        assert nudge.audience == "body:slt"
        assert nudge.person_id is None


ITS_OWN_PACE = """
[bodies.quick]
name = "Quick Panel"
members = ["quick@example.org"]
nudge_after_working_days = 2

[bodies.ppp]
name = "PPP group"
members = ["chair@example.org"]
chair = "chair@example.org"
decides = "at_meetings"
meetings = "FREQ=WEEKLY;BYDAY=TH"

[[route]]
types = ["procedure"]
  [[route.level]]
  body = "quick"

[[route]]
types = ["all"]
  [[route.level]]
  body = "ppp"
"""


def test_a_body_is_nudged_after_its_own_working_days(runtime):
    rules = parse(ITS_OWN_PACE, today=SUBMITTED.date())
    register = Register(governed(runtime, rules))
    register.add(row())  # a procedure: to the quick panel
    review_id = submitted(register, SUBMITTED)
    # Tue 22 and Wed 23 Dec are its two working days.
    assert nudges(register, datetime(2026, 12, 23, 9, 30, tzinfo=UTC)) == []
    written = nudges(register, datetime(2026, 12, 24, 9, 30, tzinfo=UTC))
    assert len(written) == 1 and written[0].startswith(f"nudge:{review_id}:")
    assert written[0].endswith(":1.quick:1")
    # Two more working days (29, 30 Dec): the next nudge of the same wait.
    assert nudges(register, datetime(2026, 12, 29, 9, 30, tzinfo=UTC)) == []
    again = nudges(register, datetime(2026, 12, 30, 9, 30, tzinfo=UTC))
    assert len(again) == 1 and again[0].endswith(":1.quick:2")


def test_a_body_that_decides_at_meetings_is_not_nudged(runtime):
    rules = parse(ITS_OWN_PACE, today=SUBMITTED.date())
    register = Register(governed(runtime, rules))
    register.add(row(doc_type="policy"))  # a policy: to the PPP group's meetings
    submitted(register, SUBMITTED)
    assert register.review().body == "ppp"
    for days in range(1, 60):
        assert nudges(register, SUBMITTED + timedelta(days=days)) == []
    with runtime.sessions() as session:
        assert not session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "nudge")).all()
