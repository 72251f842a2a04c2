"""Every (state, action, role): allowed ones land where the design says, refused ones raise,
change nothing, and are recorded."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from db.models import AuditEvent, Decision, Document, Review, Submission
from tests.factories import ADMIN, APPROVER, NOW, OWNER, SLT, STRANGER, Register, act, row
from workflow.errors import Refused
from workflow.reviews import decide, open_review, start_review, submit_draft, submit_no_changes
from workflow.states import RULES, Action, Role, State, next_state

ROLE_EMAIL = {
    Role.OWNER: OWNER,
    Role.APPROVER: APPROVER,
    Role.SLT: SLT,
    Role.ADMIN: ADMIN,
    Role.SYSTEM: "system",
    None: STRANGER,
}


def observe(register: Register) -> dict[str, Any]:
    with register.runtime.sessions() as session:
        document = session.scalars(select(Document)).one()
        reviews = session.scalars(select(Review).order_by(Review.id)).all()
        return {
            "document": {
                c: getattr(document, c)
                for c in (
                    "owner_id",
                    "approver_id",
                    "last_approved",
                    "next_review_due",
                    "version",
                    "pending_publication_version",
                )
            },
            "reviews": [(r.state, r.target_date, r.closed_at, r.back_to_slt) for r in reviews],
            "submissions": session.scalar(select(func.count(Submission.id))),
            "decisions": session.scalar(select(func.count(Decision.id))),
        }


def audit_count(register: Register, *, refused: bool) -> int:
    with register.runtime.sessions() as session:
        return session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.refused.is_(refused))
        )


def prepare(register: Register, state: State) -> int | None:
    register.add(row())
    if state is State.CURRENT:
        # A document that has been through a review already: acting on that closed review
        # must be refused as firmly as acting on none.
        review_id = register.bring_to(State.AWAITING_APPROVAL)
        decide(register.ctx(APPROVER), review_id, Action.APPROVE)
        return review_id
    return register.bring_to(state)


CASES = [
    pytest.param(state, action, role, id=f"{state.value}-{action.value}-{role or 'stranger'}")
    for state in State
    for action in Action
    for role in [*Role, None]
]


@pytest.mark.parametrize(("state", "action", "role"), CASES)
def test_every_state_action_and_role(runtime, state: State, action: Action, role: Role | None):
    register = Register(runtime)
    review_id = prepare(register, state)
    rule = RULES.get((state, action))
    allowed = rule is not None and role in rule.roles
    before = observe(register)
    changes_before = audit_count(register, refused=False)
    refusals_before = audit_count(register, refused=True)

    ctx = register.ctx(ROLE_EMAIL[role])
    if allowed:
        act(ctx, action, review_id, today=NOW.date())
        expected = next_state(state, action)
        review = register.review()
        landed = State.CURRENT if review.closed_at else State(review.state)
        assert landed is expected
        assert audit_count(register, refused=False) == changes_before + 1
        assert audit_count(register, refused=True) == refusals_before
    else:
        with pytest.raises(Refused) as refusal:
            act(ctx, action, review_id, today=NOW.date())
        assert refusal.value.code == ("wrong_state" if rule is None else "not_allowed")
        assert "LAC-014" in refusal.value.message
        assert observe(register) == before
        assert audit_count(register, refused=False) == changes_before
        assert audit_count(register, refused=True) == refusals_before + 1


def test_approver_acts_as_owner_where_there_is_no_owner(runtime):
    register = Register(runtime)
    register.add(row(owner_email=None))
    review = open_review(register.ctx("system"), "LAC-014")
    start_review(register.ctx(APPROVER), review.id)
    submit_no_changes(register.ctx(APPROVER), review.id)
    assert register.review().state == State.AWAITING_APPROVAL


def test_a_redraft_the_slt_asked_to_see_goes_back_to_the_slt(runtime):
    register = Register(runtime)
    register.add(row())
    review_id = register.bring_to(State.CHANGES_REQUESTED, back_to_slt=True)
    submit_draft(register.ctx(OWNER), review_id, link=None, summary="Added the IRO's role")
    assert register.review().state == State.AWAITING_SLT
    decide(register.ctx(SLT), review_id, Action.SLT_APPROVE)
    assert register.review().closed_at is not None


def test_an_admin_acting_for_the_approver_is_recorded_as_such(runtime):
    register = Register(runtime)
    register.add(row())
    review_id = register.bring_to(State.AWAITING_APPROVAL)
    decide(register.ctx(ADMIN), review_id, Action.APPROVE)
    approver = register.document().approver_id
    with runtime.sessions() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "review.approved")
        ).one()
        assert event.actor_label == ADMIN
        assert event.on_behalf_of_id == approver


def test_refusal_names_who_may_act(runtime):
    register = Register(runtime)
    register.add(row())
    review_id = register.bring_to(State.AWAITING_APPROVAL)
    with pytest.raises(Refused, match=r"Only the approver of LAC-014 \(approver@example.org\)"):
        decide(register.ctx(STRANGER), review_id, Action.APPROVE)


def test_refusal_at_wrong_state_says_where_the_review_is(runtime):
    register = Register(runtime)
    register.add(row())
    review_id = register.bring_to(State.AWAITING_SLT)
    with pytest.raises(Refused, match="LAC-014 is awaiting the SLT, so you cannot approve it"):
        decide(register.ctx(APPROVER), review_id, Action.APPROVE)


@pytest.mark.parametrize(
    ("action", "text", "problem"),
    [
        (Action.APPROVE_WITH_CONDITIONS, "  ", "Write the conditions"),
        (Action.DEFER_TO_SLT, None, "Give the reason"),
    ],
)
def test_a_decision_missing_its_text_is_refused_and_changes_nothing(runtime, action, text, problem):
    register = Register(runtime)
    register.add(row())
    review_id = register.bring_to(State.AWAITING_APPROVAL)
    before = observe(register)
    with pytest.raises(Refused, match=problem) as refusal:
        decide(register.ctx(APPROVER), review_id, action, text=text)
    assert refusal.value.code == "invalid"
    assert observe(register) == before


def test_a_draft_link_must_be_a_web_address(runtime):
    register = Register(runtime)
    register.add(row())
    review_id = register.bring_to(State.IN_REVIEW)
    with pytest.raises(Refused, match="must start with http"):
        submit_draft(register.ctx(OWNER), review_id, link="S:/drafts/lac.docx", summary="x")
    assert register.review().state == State.IN_REVIEW


def test_the_same_decision_cannot_be_recorded_twice(runtime):
    register = Register(runtime)
    register.add(row())
    review_id = register.bring_to(State.AWAITING_APPROVAL)
    decide(register.ctx(APPROVER), review_id, Action.APPROVE)
    with pytest.raises(Refused) as second:
        decide(register.ctx(APPROVER), review_id, Action.APPROVE)
    assert second.value.code == "wrong_state"
    with runtime.sessions() as session:
        assert session.scalar(select(func.count(Decision.id))) == 1
