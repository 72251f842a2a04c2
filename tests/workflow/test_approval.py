"""What an approval does to the register, and what each use case asks to be sent."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from db.models import AgendaItem, Decision, OutboxMessage
from tests.factories import ADMIN, APPROVER, NOW, OWNER, SLT, Register, governed, row
from workflow.errors import Refused
from workflow.governance import parse
from workflow.reviews import (
    approve_for_information,
    decide,
    interim_approve,
    mark_published,
    open_review,
    submit_draft,
    submit_no_changes,
)
from workflow.states import Action, State


def outbox(register: Register) -> list[tuple[str, str | None, int | None]]:
    with register.runtime.sessions() as session:
        return [
            (m.kind, m.audience, m.person_id)
            for m in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]


def test_an_amended_draft_approved_moves_dates_and_version_and_awaits_publication(runtime):
    register = Register(runtime)
    register.add(row(version="3.9", review_cycle_months=1))
    review_id = register.bring_to(State.AWAITING_APPROVAL)
    decided = datetime(2027, 1, 31, 15, 0, tzinfo=UTC)
    decide(register.ctx(APPROVER, now=decided), review_id, Action.APPROVE)
    document = register.document()
    assert document.last_approved == date(2027, 1, 31)
    assert document.next_review_due == date(2027, 2, 28)
    assert document.version == "3.10"
    assert document.pending_publication_version == "3.10"
    kinds = [kind for kind, _, _ in outbox(register)]
    assert kinds.count("outcome") == 2
    assert ("publication_request", "admins", None) in outbox(register)

    mark_published(register.ctx(ADMIN), "LAC-014", published_on=date(2027, 2, 3))
    document = register.document()
    assert (document.published_version, document.published_on) == ("3.10", date(2027, 2, 3))
    assert document.pending_publication_version is None


def test_a_no_changes_review_keeps_the_version(runtime):
    register = Register(runtime)
    register.add(row(version="3.2", review_cycle_months=12))
    review = open_review(register.ctx("system"), "LAC-014")
    submission = submit_no_changes(register.ctx(OWNER), review.id)
    assert submission.summary == (
        "The Looked After Children Reviews has been reviewed and no changes are required."
    )
    decide(register.ctx(APPROVER), review.id, Action.APPROVE)
    document = register.document()
    assert document.version == "3.2"
    assert document.pending_publication_version is None
    assert register.review().outcome == "approved_no_changes"
    assert "publication_request" not in [kind for kind, _, _ in outbox(register)]


def test_the_slt_path_asks_the_slt_and_then_approves(runtime):
    register = Register(runtime)
    register.add(row())
    review_id = register.bring_to(State.AWAITING_APPROVAL, at="slt")
    assert ("approval_request", "body:slt", None) in outbox(register)
    with runtime.sessions() as session:
        request = session.scalars(
            select(OutboxMessage).where(OutboxMessage.audience == "body:slt")
        ).one()
        assert request.key.endswith(":1.slt")
        assert request.payload["level"] == 1 and request.payload["body"] == "slt"
    decide(register.ctx(SLT), review_id, Action.APPROVE)
    assert register.review().outcome == "approved"
    assert register.document().version == "3.10"
    with runtime.sessions() as session:
        decisions = [
            (d.level, d.body, d.outcome, d.referred_to)
            for d in session.scalars(select(Decision).order_by(Decision.id))
        ]
    assert decisions == [(1, "approver", "referred", "slt"), (1, "slt", "approved", None)]


def test_the_slt_sets_conditions_and_asks_to_see_the_redraft_again(runtime):
    register = Register(runtime)
    register.add(row())
    review_id = register.bring_to(State.CHANGES_REQUESTED, at="slt", comes_back=True)
    owner_id = register.document().owner_id
    assert ("conditions", None, owner_id) in outbox(register)
    submit_draft(register.ctx(OWNER), review_id, link=None, summary="Added the IRO's role")
    # The redraft is asked of the SLT again, not of the approver.
    requests = [m for m in outbox(register) if m[0] == "approval_request"]
    assert requests[-1] == ("approval_request", "body:slt", None)
    assert [m for m in requests if m[2] is not None] == [
        ("approval_request", None, register.document().approver_id)
    ]


def test_conditions_go_to_the_owner_and_the_redraft_back_to_the_approver(runtime):
    register = Register(runtime)
    register.add(row())
    review_id = register.bring_to(State.CHANGES_REQUESTED)
    owner_id = register.document().owner_id
    assert ("conditions", None, owner_id) in outbox(register)
    submit_draft(register.ctx(OWNER), review_id, link=None, summary="Added the IRO's role")
    requests = [m for m in outbox(register) if m[0] == "approval_request"]
    assert len(requests) == 2  # one per submission


def test_reassigning_moves_the_open_review_tells_both_people_and_keeps_history(runtime):
    from workflow.errors import Refused
    from workflow.reviews import reassign

    register = Register(runtime)
    register.add(row())
    review_id = register.bring_to(State.IN_REVIEW)
    try:
        reassign(register.ctx(OWNER), "LAC-014", role="owner", email="new.owner@example.org")
    except Refused as refusal:
        assert "Only an admin" in refusal.message
    else:
        raise AssertionError("an owner reassigned their own document")
    reassign(register.ctx(ADMIN), "LAC-014", role="owner", email="New.Owner@example.org")
    submit_no_changes(register.ctx("new.owner@example.org"), review_id)
    assert register.review().state == State.AWAITING_APPROVAL
    told = [(kind, person) for kind, _, person in outbox(register) if kind == "reassigned"]
    assert len(told) == 2
    with runtime.sessions() as session:
        from db.models import AuditEvent

        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "document.owner_changed")
        ).one()
        assert (event.before, event.after) == ({"owner": OWNER}, {"owner": "new.owner@example.org"})


TWO_LEVELS = """
[bodies.panel]
name = "Policy Panel"
members = ["panel.one@example.org", "panel.two@example.org"]

[[route]]
types = ["all"]
  [[route.level]]
  body = "approver"
  [[route.level]]
  body = "panel"
"""

AT_MEETINGS = """
[bodies.ppp]
name = "Practice, Policy and Procedures group"
short = "PPP group"
members = ["chair@example.org", "member@example.org"]
chair = "chair@example.org"
decides = "at_meetings"
meetings = "FREQ=MONTHLY;BYDAY=2TU"
item_cutoff_working_days = 10
papers_working_days = 3

[bodies.heads]
name = "Heads of Service"
members = ["head@example.org"]

[bodies.directors]
name = "Directors"
members = ["director@example.org"]

[[route]]
types = ["all"]
  [[route.level]]
  body = "ppp"
  interim_by = "heads"
  information_by = "directors"
"""


def under(runtime, text: str) -> Register:  # type: ignore[no-untyped-def]
    rules = parse(text, source="test.toml", today=NOW.date())
    register = Register(governed(runtime, rules))
    register.add(row())
    return register


def test_approval_at_a_level_that_is_not_the_last_moves_the_draft_on(runtime):
    register = under(runtime, TWO_LEVELS)
    review_id = register.bring_to(State.AWAITING_APPROVAL)
    decide(register.ctx(APPROVER), review_id, Action.APPROVE)
    review = register.review()
    assert (review.state, review.level, review.body) == (State.AWAITING_APPROVAL, 2, "panel")
    assert review.closed_at is None
    assert register.document().version == "3.9"  # not approved yet
    owner_id = register.document().owner_id
    assert ("moved_on", None, owner_id) in outbox(register)
    assert ("approval_request", "body:panel", None) in outbox(register)
    with pytest.raises(Refused, match="Only a member of the Policy Panel"):
        decide(register.ctx(APPROVER), review_id, Action.APPROVE)
    decide(register.ctx("panel.two@example.org"), review_id, Action.APPROVE)
    assert register.review().outcome == "approved"
    assert register.document().version == "3.10"


def test_a_body_that_meets_puts_the_draft_on_its_next_meetings_agenda(runtime):
    register = under(runtime, AT_MEETINGS)
    review_id = register.bring_to(State.AWAITING_APPROVAL)  # submitted Mon 23 Nov 2026
    with runtime.sessions() as session:
        item = session.scalars(select(AgendaItem)).one()
        # Tue 8 Dec closed its agenda ten working days before, on Tue 24 Nov: in time.
        assert (item.meeting.body, item.meeting.held_on) == ("ppp", date(2026, 12, 8))
        assert item.kind == "decision" and item.outcome is None
    assert ("scheduled", None, register.document().owner_id) in outbox(register)
    # The chair records the decision; nobody is asked before the papers go out.
    assert not [m for m in outbox(register) if m[0] == "approval_request"]
    with pytest.raises(Refused, match=r"Only the chair of the Practice, Policy and Procedures"):
        decide(register.ctx("member@example.org"), review_id, Action.APPROVE)
    decide(register.ctx("chair@example.org"), review_id, Action.APPROVE)
    with runtime.sessions() as session:
        item = session.scalars(select(AgendaItem)).one()
        assert item.outcome == "approved" and item.decision_id is not None


def test_interim_approval_takes_effect_at_once_and_the_meeting_ratifies_it(runtime):
    register = under(runtime, AT_MEETINGS)
    review_id = register.bring_to(State.AWAITING_APPROVAL)
    with pytest.raises(Refused, match="Only a member of the Heads of Service"):
        interim_approve(register.ctx("director@example.org"), review_id)
    interim_approve(register.ctx("head@example.org"), review_id)
    document = register.document()
    assert (document.version, document.pending_publication_version) == ("3.10", "3.10")
    review = register.review()
    assert review.closed_at is None and review.state == State.AWAITING_APPROVAL
    with runtime.sessions() as session:
        item = session.scalars(select(AgendaItem)).one()
        assert item.kind == "ratification"
    with pytest.raises(Refused, match="already approved in the interim"):
        interim_approve(register.ctx("head@example.org"), review_id)
    decide(register.ctx("chair@example.org"), review_id, Action.APPROVE)
    document = register.document()
    assert document.version == "3.10"  # ratified: the version moved once
    assert register.review().outcome == "approved"
    kinds = [kind for kind, _, _ in outbox(register)]
    assert kinds.count("publication_request") == 1


def test_approval_outright_completes_the_review_and_the_meeting_notes_it(runtime):
    register = under(runtime, AT_MEETINGS)
    review_id = register.bring_to(State.AWAITING_APPROVAL)
    approve_for_information(register.ctx("director@example.org"), review_id)
    review = register.review()
    assert review.outcome == "approved" and review.closed_at is not None
    assert register.document().version == "3.10"
    with runtime.sessions() as session:
        item = session.scalars(select(AgendaItem)).one()
        assert item.kind == "information" and item.outcome is None
        decision = session.scalars(select(Decision)).one()
        assert (decision.level, decision.body, decision.outcome) == (1, "directors", "approved")


def test_a_body_that_approved_in_the_interim_still_decides_when_the_draft_is_referred_to_it(
    runtime,
):
    # The group's chair may refer a draft to the leadership team, which may also approve in
    # the interim: its interim approval must not stand in for its decision on the referral.
    register = under(
        runtime,
        AT_MEETINGS.replace('interim_by = "heads"', 'interim_by = "heads"\n  refer_to = ["heads"]'),
    )
    review_id = register.bring_to(State.AWAITING_APPROVAL)
    interim_approve(register.ctx("head@example.org"), review_id)
    decide(register.ctx("chair@example.org"), review_id, Action.REFER, text="For the heads")
    review = register.review()
    assert (review.state, review.level, review.body) == (State.AWAITING_APPROVAL, 1, "heads")
    decide(register.ctx("head@example.org"), review_id, Action.APPROVE)
    assert register.review().outcome == "approved"
