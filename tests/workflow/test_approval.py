"""What an approval does to the register, and what each use case asks to be sent."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from db.models import OutboxMessage
from tests.factories import ADMIN, APPROVER, OWNER, SLT, Register, row
from workflow.reviews import decide, mark_published, open_review, submit_draft, submit_no_changes
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
    review_id = register.bring_to(State.AWAITING_SLT)
    assert ("slt_request", "slt", None) in outbox(register)
    decide(register.ctx(SLT), review_id, Action.SLT_APPROVE)
    assert register.review().outcome == "approved"
    assert register.document().version == "3.10"


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
