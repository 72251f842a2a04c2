"""Random sequences of actions by random people under the built-in chain: the review never
reaches a state the design does not have, lands where the chain says, every completed review
leaves the document current and due later, and the audit log gains exactly one event per change
and per refusal. (tests/workflow/test_governance_properties.py does the same for random
governance files.)"""

from __future__ import annotations

import itertools
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from db.models import AuditEvent, Document, Review
from tests.factories import ADMIN, APPROVER, NOW, OWNER, SLT, STRANGER, Register, act, row
from workflow.errors import Refused
from workflow.states import OPEN_STATES, Action, State

PEOPLE = [OWNER, APPROVER, SLT, ADMIN, STRANGER, "system"]
steps = st.lists(
    st.tuples(st.sampled_from(list(Action)), st.sampled_from(PEOPLE)), min_size=1, max_size=25
)
# Most random sequences stall early; these nudge them along the happy path too.
HAPPY = [(Action.OPEN, "system"), (Action.START, OWNER), (Action.SUBMIT_DRAFT, OWNER)]

_references = (f"P-{n:05d}" for n in itertools.count())

# Where each action that is taken lands under the built-in chain: a single level, the approver's,
# who may defer to the SLT. A second draft, interim approval and approval outright are never
# taken there (nothing is consulted on, and nobody meets to ratify or note).
LANDS = {
    Action.OPEN: State.REVIEW_DUE,
    Action.START: State.IN_REVIEW,
    Action.SUBMIT_DRAFT: State.AWAITING_APPROVAL,
    Action.SUBMIT_NO_CHANGES: State.AWAITING_APPROVAL,
    Action.APPROVE: State.CURRENT,
    Action.APPROVE_WITH_CONDITIONS: State.CHANGES_REQUESTED,
    Action.REFER: State.AWAITING_APPROVAL,
}


def look(register: Register, reference: str) -> tuple[Document, Review | None, int]:
    with register.runtime.sessions() as session:
        document = session.scalars(select(Document).where(Document.reference == reference)).one()
        reviews = session.scalars(
            select(Review).where(Review.document_id == document.id).order_by(Review.id)
        ).all()
        open_reviews = [r for r in reviews if r.closed_at is None]
        assert len(open_reviews) <= 1
        events = session.scalar(
            select(func.count(AuditEvent.id)).where(AuditEvent.document_id == document.id)
        )
        return document, (reviews[-1] if reviews else None), events


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(prefix=st.booleans(), sequence=steps)
def test_random_sequences_keep_every_invariant(runtime, prefix, sequence):
    register = Register(runtime)
    reference = next(_references)
    register.add(row(reference, next_review_due=NOW.date() + timedelta(days=10)))
    now = NOW
    for action, who in [*HAPPY, *sequence] if prefix else sequence:
        document, review, events = look(register, reference)
        state = State.CURRENT if review is None or review.closed_at else State(review.state)
        due_before = document.next_review_due
        if review is None and action is not Action.OPEN:
            continue  # no message about a review exists yet, so nothing could carry this click
        review_id = review.id if review is not None else None
        try:
            act(
                register.ctx(who, now=now), action, review_id, today=now.date(), reference=reference
            )
        except Refused:
            after_document, after_review, after_events = look(register, reference)
            assert after_events == events + 1
            assert after_document.next_review_due == due_before
            assert (after_review.state if after_review else None) == (
                review.state if review else None
            )
        else:
            after_document, after_review, after_events = look(register, reference)
            assert after_events == events + 1
            landed = State.CURRENT if after_review.closed_at else State(after_review.state)
            assert landed is LANDS.get(action, state), (state, action, who)
            if action is Action.SUBMIT_DRAFT and review is not None:
                # A redraft goes back to the SLT only where it asked to see it again.
                wanted = review.back_to or "approver"
                assert (after_review.level, after_review.body) == (1, wanted)
            if action is Action.REFER:
                assert (after_review.level, after_review.body) == (1, "slt")
            if state in OPEN_STATES and landed is State.CURRENT:
                today = now.date()
                assert after_review.outcome in ("approved", "approved_no_changes")
                assert after_document.last_approved == today
                assert after_document.next_review_due > today
                assert after_document.next_review_due > due_before
        assert (
            after_review is None
            or after_review.closed_at is not None
            or State(after_review.state) in OPEN_STATES
        )
        now += timedelta(days=1)
