"""Read-only questions about the register: whose turn it is, what is due, what is overdue."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from db.models import Decision, Document, Review, Submission
from workflow.governance import APPROVER
from workflow.reviews import acting_owner_id, approver_ids
from workflow.states import State


def _open_reviews(session: Session) -> list[Review]:
    return list(
        session.scalars(
            select(Review).where(Review.closed_at.is_(None)).order_by(Review.due_date, Review.id)
        )
    )


def reviews_to_do(session: Session, person_id: int) -> list[int]:
    """Open reviews where the person acts as owner and it is their turn."""
    owner_states = {State.REVIEW_DUE, State.IN_REVIEW, State.CHANGES_REQUESTED}
    return [
        r.id
        for r in _open_reviews(session)
        if State(r.state) in owner_states and acting_owner_id(r.document) == person_id
    ]


def reviews_owned(session: Session, person_id: int) -> list[int]:
    """Every open review of a document the person acts as owner of, whoever's turn it is."""
    return [r.id for r in _open_reviews(session) if acting_owner_id(r.document) == person_id]


def reviews_to_decide(
    session: Session, person_id: int, bodies: frozenset[str] = frozenset()
) -> list[int]:
    """Reviews awaiting the person's decision: as the document's approver, or in a body they
    decide in (`bodies`, from the governance)."""
    return [
        r.id
        for r in _open_reviews(session)
        if r.state == State.AWAITING_APPROVAL
        and (
            (r.body in (None, APPROVER) and person_id in approver_ids(r.document, r))
            or r.body in bodies
        )
    ]


def all_awaiting_approval(session: Session) -> list[int]:
    """Every review with a body: awaiting a decision, or out for consultation before one."""
    with_a_body = (State.AWAITING_APPROVAL.value, State.IN_CONSULTATION.value)
    return [r.id for r in _open_reviews(session) if r.state in with_a_body]


def reviews_with(session: Session, body: str) -> list[int]:
    """Reviews awaiting `body`'s decision."""
    return [
        r.id
        for r in _open_reviews(session)
        if r.state == State.AWAITING_APPROVAL and r.body == body
    ]


def recently_decided(session: Session, person_id: int, *, limit: int = 5) -> list[int]:
    """Reviews the person owns or approves with the latest decisions, newest first."""
    rows = session.execute(
        select(Review.id, func.max(Decision.decided_at))
        .join(Submission, Submission.review_id == Review.id)
        .join(Decision, Decision.submission_id == Submission.id)
        .join(Document, Document.id == Review.document_id)
        .where(
            or_(
                Document.owner_id == person_id,
                Document.approver_id == person_id,
                Decision.decided_by_id == person_id,
            )
        )
        .group_by(Review.id)
        .order_by(func.max(Decision.decided_at).desc())
        .limit(limit)
    ).all()
    return [row[0] for row in rows]


def documents_of(session: Session, person_id: int) -> list[Document]:
    documents = session.scalars(select(Document).order_by(Document.next_review_due)).all()
    return [d for d in documents if person_id in (acting_owner_id(d), d.approver_id, d.owner_id)]


def status_counts(session: Session) -> dict[str, int]:
    open_states = Counter(r.state for r in _open_reviews(session))
    total = session.scalar(select(func.count(Document.id))) or 0
    return {State.CURRENT.value: total - sum(open_states.values()), **open_states}


def due_by(document: Document, review: Review | None) -> date:
    return review.due_date if review is not None else document.next_review_due


def overdue(session: Session, today: date) -> list[Document]:
    """Past the due date and the review not complete (overdue is not a state)."""
    reviews = {r.document_id: r for r in _open_reviews(session)}
    documents = session.scalars(select(Document)).all()
    late = [d for d in documents if due_by(d, reviews.get(d.id)) < today]
    return sorted(late, key=lambda d: due_by(d, reviews.get(d.id)))


def due_within(session: Session, today: date, days: int) -> list[Document]:
    reviews = {r.document_id: r for r in _open_reviews(session)}
    until = today + timedelta(days=days)
    documents = session.scalars(select(Document)).all()
    soon = [d for d in documents if today <= due_by(d, reviews.get(d.id)) <= until]
    return sorted(soon, key=lambda d: due_by(d, reviews.get(d.id)))


def find(session: Session, text: str, *, limit: int = 40) -> list[Document]:
    pattern = f"%{text.strip().lower()}%"
    return list(
        session.scalars(
            select(Document)
            .where(
                or_(
                    func.lower(Document.reference).like(pattern),
                    func.lower(Document.title).like(pattern),
                    func.lower(Document.service_area).like(pattern),
                )
            )
            .order_by(Document.reference)
            .limit(limit)
        )
    )


def documents_without_owner(session: Session) -> list[Document]:
    """Every document needs an owner: none named, or one who has left."""
    return [
        d
        for d in session.scalars(select(Document).order_by(Document.reference))
        if d.owner_id is None or (d.owner is not None and not d.owner.active)
    ]


def people_not_in_slack(session: Session) -> list[tuple[str, list[str]]]:
    from db.models import Person

    missing = session.scalars(
        select(Person).where(Person.slack_lookup == "missing").order_by(Person.email)
    ).all()
    result = []
    for person in missing:
        held = session.scalars(
            select(Document.reference)
            .where(or_(Document.owner_id == person.id, Document.approver_id == person.id))
            .order_by(Document.reference)
        ).all()
        if held:
            result.append((person.email, list(held)))
    return result


def approved_in(session: Session, first: date, last: date, zone: ZoneInfo) -> list[int]:
    """Reviews approved between two dates (inclusive, in the organisation's zone)."""
    reviews = session.scalars(
        select(Review).where(Review.closed_at.is_not(None)).order_by(Review.closed_at)
    ).all()
    return [
        r.id
        for r in reviews
        if r.closed_at is not None and first <= r.closed_at.astimezone(zone).date() <= last
    ]


def pending_publication(session: Session) -> list[Document]:
    return list(
        session.scalars(
            select(Document)
            .where(Document.pending_publication_version.is_not(None))
            .order_by(Document.reference)
        )
    )
