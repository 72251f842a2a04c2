"""Every (state, action, role) under the built-in chain (the approver, who may defer to the SLT):
allowed ones land where the design says, refused ones raise, change nothing, and are recorded.

The states a review can be in under that chain are told apart by where it stands: awaiting the
approver or (once referred) the SLT, and changes requested by the approver, or by the SLT with or
without asking to see the redraft again. Where the route decides where an action lands, the
landing for the built-in chain is written out here, not asked of the code. (Nothing is consulted
on in the built-in chain: a draft in consultation is tested under a file that consults.)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from db.models import AgendaItem, AuditEvent, Consultation, Decision, Document, Review, Submission
from tests.factories import (
    ADMIN,
    APPROVER,
    NOW,
    OWNER,
    SLT,
    STRANGER,
    Register,
    Rows,
    act,
    governed,
    restore_rows,
    row,
    saved_rows,
)
from workflow.errors import Refused
from workflow.governance import parse
from workflow.reviews import decide, open_review, start_review, submit_draft, submit_no_changes
from workflow.states import RULES, WITH_A_BODY, Action, Role, State

SLT_BODY = "slt"
BY_APPROVER = "approver"


@dataclass(frozen=True)
class Situation:
    """Where a review stands: its state and, with a body or after conditions, which body."""

    name: str
    state: State
    at: str = BY_APPROVER  # awaiting: the body deciding; changes requested: who set them
    comes_back: bool = False  # changes requested by the SLT, asking to see the redraft again


SITUATIONS = [
    Situation("current", State.CURRENT),
    Situation("review_due", State.REVIEW_DUE),
    Situation("in_review", State.IN_REVIEW),
    Situation("awaiting_approver", State.AWAITING_APPROVAL),
    Situation("awaiting_slt", State.AWAITING_APPROVAL, at=SLT_BODY),
    Situation("changes_by_approver", State.CHANGES_REQUESTED),
    Situation("changes_by_slt", State.CHANGES_REQUESTED, at=SLT_BODY),
    Situation("changes_by_slt_comes_back", State.CHANGES_REQUESTED, at=SLT_BODY, comes_back=True),
]

# The people who act, each named by the role they hold somewhere: the approver decides at level 1,
# a member of the SLT once the approver has referred it there.
PEOPLE = {
    "owner": OWNER,
    "approver": APPROVER,
    "decider": SLT,
    "admin": ADMIN,
    "system": "system",
    "stranger": STRANGER,
}


def roles_held(situation: Situation, person: str) -> frozenset[Role]:
    """The roles each person holds on LAC-014 in each situation, under the built-in chain."""
    awaiting = situation.state is State.AWAITING_APPROVAL
    return frozenset(
        {
            "owner": {Role.OWNER},
            "approver": {Role.APPROVER}
            | ({Role.DECIDER} if awaiting and situation.at == BY_APPROVER else set()),
            "decider": {Role.DECIDER} if awaiting and situation.at == SLT_BODY else set(),
            "admin": {Role.ADMIN},
            "system": {Role.SYSTEM},
            "stranger": set(),
        }[person]
    )


# What each body may decide under the built-in chain: the approver may defer to the SLT; the SLT
# approves, or approves with conditions, and refers nowhere.
DECISIONS_OF = {
    BY_APPROVER: {Action.APPROVE, Action.APPROVE_WITH_CONDITIONS, Action.REFER},
    SLT_BODY: {Action.APPROVE, Action.APPROVE_WITH_CONDITIONS},
}

Landing = tuple[State, int | None, str | None, str | None]  # state, level, body, back_to


def expected(situation: Situation, action: Action) -> tuple[Landing | None, str | None]:
    """Under the built-in chain: where an allowed action lands, or why an action that the
    state's rules let its role take is still refused ('wrong_state' / 'not_allowed')."""
    state = situation.state
    if action is Action.SUBMIT_DRAFT and state in WITH_A_BODY:
        action = Action.REVISE_DRAFT  # a draft while a body has it is a second draft
    if action is Action.REVISE_DRAFT:
        return None, "wrong_state"  # no level of the built-in chain is consulted on
    if action in (Action.INTERIM_APPROVE, Action.APPROVE_FOR_INFORMATION):
        return None, "wrong_state"  # nobody meets to ratify or note it
    if action is Action.OPEN:
        return (State.REVIEW_DUE, None, None, None), None
    if action is Action.START:
        return (State.IN_REVIEW, None, None, None), None
    if action is Action.SET_TARGET_DATE:
        return _unchanged(situation), None
    if action in (Action.SUBMIT_DRAFT, Action.SUBMIT_NO_CHANGES):
        back = SLT_BODY if situation.comes_back else BY_APPROVER
        return (State.AWAITING_APPROVAL, 1, back, None), None
    if action not in DECISIONS_OF[situation.at]:
        return None, "not_allowed"
    if action is Action.APPROVE:
        return (State.CURRENT, None, None, None), None
    if action is Action.APPROVE_WITH_CONDITIONS:
        # Only the SLT may ask for the redraft back (act() always asks): the approver gets it.
        back = SLT_BODY if situation.at == SLT_BODY else None
        return (State.CHANGES_REQUESTED, None, None, back), None
    assert action is Action.REFER
    return (State.AWAITING_APPROVAL, 1, SLT_BODY, None), None


def _unchanged(situation: Situation) -> Landing:
    back = SLT_BODY if situation.comes_back else None
    return (situation.state, None, None, back)


def landing(register: Register) -> Landing:
    review = register.review()
    if review.closed_at is not None:
        return (State.CURRENT, None, None, None)
    state = State(review.state)
    if state in WITH_A_BODY:
        return (state, review.level, review.body, review.back_to)
    return (state, None, None, review.back_to)


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
            "reviews": [
                (r.state, r.target_date, r.closed_at, r.level, r.body, r.back_to) for r in reviews
            ],
            "submissions": session.scalar(select(func.count(Submission.id))),
            "decisions": session.scalar(select(func.count(Decision.id))),
            "agenda_items": session.scalar(select(func.count(AgendaItem.id))),
            "consultations": session.scalar(select(func.count(Consultation.id))),
        }


def audit_count(register: Register, *, refused: bool) -> int:
    with register.runtime.sessions() as session:
        return session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.refused.is_(refused))
        )


def prepare(register: Register, situation: Situation) -> int | None:
    register.add(row())
    if situation.state is State.CURRENT:
        # A document that has been through a review already: acting on that closed review
        # must be refused as firmly as acting on none.
        review_id = register.bring_to(State.AWAITING_APPROVAL)
        decide(register.ctx(APPROVER), review_id, Action.APPROVE)
        return review_id
    return register.bring_to(situation.state, at=situation.at, comes_back=situation.comes_back)


# Each situation as the use cases first built it, and its review: the matrix's other cases about
# it start from these rows put back, not from the same steps walked again.
PREPARED: dict[str, tuple[Rows, int | None]] = {}


def prepared(register: Register, situation: Situation) -> int | None:
    if situation.name not in PREPARED:
        review_id = prepare(register, situation)
        PREPARED[situation.name] = (saved_rows(register.runtime.engine), review_id)
        return review_id
    rows, review_id = PREPARED[situation.name]
    restore_rows(register.runtime.engine, rows)
    return review_id


CASES = [
    pytest.param(situation, action, person, id=f"{situation.name}-{action.value}-{person}")
    for situation in SITUATIONS
    for action in Action
    for person in PEOPLE
]


@pytest.mark.parametrize(("situation", "action", "person"), CASES)
def test_every_state_action_and_role(runtime, situation: Situation, action: Action, person: str):
    register = Register(runtime)
    review_id = prepared(register, situation)
    assert landing(register)[0] is situation.state
    effective = (
        Action.REVISE_DRAFT
        if action is Action.SUBMIT_DRAFT and situation.state in WITH_A_BODY
        else action
    )
    rule = RULES.get((situation.state, effective))
    permitted = rule is not None and bool(roles_held(situation, person) & rule.roles)
    lands, refused_as = expected(situation, action) if permitted else (None, None)
    before = observe(register)
    changes_before = audit_count(register, refused=False)
    refusals_before = audit_count(register, refused=True)

    ctx = register.ctx(PEOPLE[person])
    if lands is not None:
        act(ctx, action, review_id, today=NOW.date())
        assert landing(register) == lands
        assert audit_count(register, refused=False) == changes_before + 1
        assert audit_count(register, refused=True) == refusals_before
    else:
        with pytest.raises(Refused) as refusal:
            act(ctx, action, review_id, today=NOW.date())
        code = refused_as or ("wrong_state" if rule is None else "not_allowed")
        assert refusal.value.code == code, refusal.value.message
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
    review = register.review()
    assert (review.state, review.level, review.body) == (State.AWAITING_APPROVAL, 1, "approver")


def test_a_redraft_the_slt_asked_to_see_goes_back_to_the_slt(runtime):
    register = Register(runtime)
    register.add(row())
    review_id = register.bring_to(State.CHANGES_REQUESTED, at=SLT_BODY, comes_back=True)
    submit_draft(register.ctx(OWNER), review_id, link=None, summary="Added the IRO's role")
    review = register.review()
    assert (review.state, review.level, review.body) == (State.AWAITING_APPROVAL, 1, SLT_BODY)
    assert review.back_to is None  # asked once: a later redraft goes the usual way
    with pytest.raises(Refused, match="Only a member of the Senior Leadership Team"):
        decide(register.ctx(APPROVER), review_id, Action.APPROVE)
    decide(register.ctx(SLT), review_id, Action.APPROVE)
    assert register.review().closed_at is not None


def test_a_redraft_after_the_slts_conditions_goes_to_the_approver_unless_it_asked(runtime):
    register = Register(runtime)
    register.add(row())
    review_id = register.bring_to(State.CHANGES_REQUESTED, at=SLT_BODY, comes_back=False)
    submit_draft(register.ctx(OWNER), review_id, link=None, summary="Added the IRO's role")
    review = register.review()
    assert (review.state, review.level, review.body) == (State.AWAITING_APPROVAL, 1, "approver")


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
        decision = session.scalars(select(Decision)).one()
        assert (decision.level, decision.body) == (1, "approver")


def test_refusal_names_who_may_act(runtime):
    register = Register(runtime)
    register.add(row())
    review_id = register.bring_to(State.AWAITING_APPROVAL)
    with pytest.raises(Refused) as refusal:
        decide(register.ctx(STRANGER), review_id, Action.APPROVE)
    assert refusal.value.message == (
        "Only the approver of LAC-014 (approver@example.org) or an admin can approve LAC-014."
    )


def test_refusal_names_the_slt_once_it_is_referred_there(runtime):
    register = Register(runtime)
    register.add(row())
    review_id = register.bring_to(State.AWAITING_APPROVAL, at=SLT_BODY)
    for who in (APPROVER, STRANGER, OWNER):
        with pytest.raises(Refused) as refusal:
            decide(register.ctx(who), review_id, Action.APPROVE)
        assert refusal.value.message == (
            "Only a member of the Senior Leadership Team or an admin can approve LAC-014."
        )


def test_refusal_at_wrong_state_says_where_the_review_is(runtime):
    register = Register(runtime)
    register.add(row())
    review_id = register.bring_to(State.AWAITING_APPROVAL, at=SLT_BODY)
    with pytest.raises(Refused) as refusal:
        start_review(register.ctx(OWNER), review_id)
    assert refusal.value.message == (
        "LAC-014 is awaiting the Senior Leadership Team, so you cannot start the review of it now."
    )


@pytest.mark.parametrize(
    ("action", "text", "problem"),
    [
        (Action.APPROVE_WITH_CONDITIONS, "  ", "Write the conditions"),
        (Action.REFER, None, "Give the reason"),
    ],
)
def test_a_decision_missing_its_text_is_refused_and_changes_nothing(runtime, action, text, problem):
    register = Register(runtime)
    register.add(row())
    review_id = register.bring_to(State.AWAITING_APPROVAL)
    before = observe(register)
    refusals = audit_count(register, refused=True)
    with pytest.raises(Refused, match=problem) as refusal:
        decide(register.ctx(APPROVER), review_id, action, text=text)
    assert refusal.value.code == "invalid"
    assert observe(register) == before
    assert audit_count(register, refused=True) == refusals + 1


def test_a_referral_to_a_body_the_level_cannot_refer_to_is_refused(runtime):
    register = Register(runtime)
    register.add(row())
    review_id = register.bring_to(State.AWAITING_APPROVAL)
    before = observe(register)
    with pytest.raises(Refused, match="Choose whom to refer it to: Senior Leadership Team"):
        decide(register.ctx(APPROVER), review_id, Action.REFER, text="Why", refer_to="board")
    assert observe(register) == before


def test_a_draft_link_must_be_a_web_address(runtime):
    register = Register(runtime)
    register.add(row())
    review_id = register.bring_to(State.IN_REVIEW)
    with pytest.raises(Refused, match="must start with http"):
        submit_draft(register.ctx(OWNER), review_id, link="S:/drafts/lac.docx", summary="x")
    assert register.review().state == State.IN_REVIEW


@pytest.mark.parametrize("at", [BY_APPROVER, SLT_BODY])
def test_the_same_decision_cannot_be_recorded_twice(runtime, at):
    register = Register(runtime)
    register.add(row())
    review_id = register.bring_to(State.AWAITING_APPROVAL, at=at)
    decider = APPROVER if at == BY_APPROVER else SLT
    decide(register.ctx(decider), review_id, Action.APPROVE)
    for who in (decider, "slt.two@example.org", ADMIN):
        with pytest.raises(Refused) as second:
            decide(register.ctx(who), review_id, Action.APPROVE)
        assert second.value.code in ("wrong_state", "not_allowed")
    with runtime.sessions() as session:
        decisions = session.scalars(select(Decision).where(Decision.outcome == "approved")).all()
        assert len(decisions) == 1


def test_a_decision_on_a_stage_the_review_has_moved_past_is_refused(runtime):
    register = Register(runtime)
    register.add(row())
    review_id = register.bring_to(State.AWAITING_APPROVAL)
    with runtime.sessions() as session:
        submission_id = session.scalars(
            select(Submission.id).where(Submission.review_id == review_id)
        ).one()
    decide(
        register.ctx(APPROVER),
        review_id,
        Action.REFER,
        text="Spans two services",
        seen_submission_id=submission_id,
        seen_stage="1.approver",
    )
    before = observe(register)
    # An admin clicks Approve on the approver's request, which the referral has left behind.
    with pytest.raises(Refused, match="out of date") as refusal:
        decide(
            register.ctx(ADMIN),
            review_id,
            Action.APPROVE,
            seen_submission_id=submission_id,
            seen_stage="1.approver",
        )
    assert refusal.value.code == "wrong_state"
    assert observe(register) == before
    # The SLT's own request (its stage key) is live.
    decide(
        register.ctx(SLT),
        review_id,
        Action.APPROVE,
        seen_submission_id=submission_id,
        seen_stage="1.slt",
    )
    assert register.review().closed_at is not None


CONSULTED_FIRST = """
[bodies.leads]
name = "Area leads"
members = ["lead.one@example.org", "lead.two@example.org"]

[[route]]
types = ["all"]
  [[route.level]]
  body = "approver"
    [route.level.consultation]
    with = ["leads"]
    lasts_working_days = 5
"""


@pytest.mark.parametrize(
    ("action", "who", "outcome"),
    [
        (Action.COMMENT, "lead.one@example.org", None),
        (Action.COMMENT, STRANGER, "not_allowed"),
        (Action.COMMENT, OWNER, "not_allowed"),
        (Action.REVISE_DRAFT, OWNER, None),
        (Action.SUBMIT_DRAFT, OWNER, None),  # while a body has it, a draft is a second draft
        (Action.REVISE_DRAFT, "lead.one@example.org", "not_allowed"),
        (Action.APPROVE, APPROVER, "wrong_state"),  # the consultation comes first
        (Action.REFER, ADMIN, "wrong_state"),
        (Action.SUBMIT_NO_CHANGES, OWNER, "wrong_state"),
        (Action.SET_TARGET_DATE, OWNER, "wrong_state"),
        (Action.START, OWNER, "wrong_state"),
        (Action.INTERIM_APPROVE, APPROVER, "not_allowed"),
    ],
)
def test_in_consultation_the_consulted_comment_and_the_owner_may_send_a_second_draft(
    runtime, action, who, outcome
):
    rules = parse(CONSULTED_FIRST, source="consulted.toml", today=NOW.date())
    register = Register(governed(runtime, rules))
    register.add(row())
    review_id = register.bring_to(State.IN_CONSULTATION)
    before = observe(register)
    refusals = audit_count(register, refused=True)
    if outcome is None:
        act(register.ctx(who), action, review_id, today=NOW.date())
        review = register.review()
        assert (review.state, review.level, review.body) == (State.IN_CONSULTATION, 1, "approver")
        assert audit_count(register, refused=True) == refusals
        return
    with pytest.raises(Refused) as refusal:
        act(register.ctx(who), action, review_id, today=NOW.date())
    assert refusal.value.code == outcome, refusal.value.message
    assert "LAC-014" in refusal.value.message
    assert observe(register) == before
    assert audit_count(register, refused=True) == refusals + 1


APPROVE_ONLY = """
[bodies.approver]
refer_to = ["panel"]

[bodies.panel]
name = "Policy Panel"
members = ["panel@example.org"]

[[route]]
types = ["all"]
  [[route.level]]
  body = "approver"
  decisions = ["approve"]
"""


@pytest.mark.parametrize("action", [Action.REFER, Action.APPROVE_WITH_CONDITIONS])
def test_a_decision_the_level_does_not_allow_is_refused_naming_the_body_once(runtime, action):
    rules = parse(APPROVE_ONLY, source="approve_only.toml", today=NOW.date())
    register = Register(governed(runtime, rules))
    register.add(row())
    review_id = register.bring_to(State.AWAITING_APPROVAL)
    before = observe(register)
    with pytest.raises(Refused) as refusal:
        decide(register.ctx(APPROVER), review_id, action, text="Two services")
    assert refusal.value.code == "not_allowed"
    message = refusal.value.message
    assert f"cannot {action.label} LAC-014" in message
    assert "the the" not in message.lower(), message
    assert observe(register) == before
