"""Read-only questions about the register: whose turn it is, what is due, what is overdue."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, aliased

from db.models import Decision, Document, Person, Review, ReviewApprover, Submission
from workflow.governance import APPROVER
from workflow.references import mentioned
from workflow.states import State


def _open_reviews(*where) -> Select:  # type: ignore[no-untyped-def,type-arg]
    """Open reviews meeting `where`, soonest due first. Each question below is asked of the
    database, not of the whole register loaded into Python: a Home tab or a digest costs the
    same few statements at 300 documents as at 100,000."""
    return (
        select(Review.id)
        .join(Document, Document.id == Review.document_id)
        .where(Review.closed_at.is_(None), *where)
        .order_by(Review.due_date, Review.id)
    )


def _acting_owner_is(person_id: int):  # type: ignore[no-untyped-def]
    """SQL for acting_owner_id(document) == person_id: the owner while they are active, else
    the approver."""
    owner = aliased(Person)
    active_owner = select(owner.id).where(owner.id == Document.owner_id, owner.active).exists()
    return or_(
        (Document.owner_id == person_id) & active_owner,
        (Document.approver_id == person_id) & ~active_owner,
    )


def reviews_to_do(session: Session, person_id: int) -> list[int]:
    """Open reviews where the person acts as owner and it is their turn."""
    owner_states = [State.REVIEW_DUE.value, State.IN_REVIEW.value, State.CHANGES_REQUESTED.value]
    return list(
        session.scalars(_open_reviews(Review.state.in_(owner_states), _acting_owner_is(person_id)))
    )


def reviews_owned(session: Session, person_id: int) -> list[int]:
    """Every open review of a document the person acts as owner of, whoever's turn it is."""
    return list(session.scalars(_open_reviews(_acting_owner_is(person_id))))


def reviews_to_decide(
    session: Session, person_id: int, bodies: frozenset[str] = frozenset()
) -> list[int]:
    """Reviews awaiting the person's decision: as the document's approver (or one of the
    review's own approvers, where it names several), or in a body they decide in (`bodies`,
    from the governance)."""
    named = select(ReviewApprover.id).where(ReviewApprover.review_id == Review.id)
    as_approver = or_(
        named.where(ReviewApprover.person_id == person_id).exists(),
        ~named.exists() & (Document.approver_id == person_id),
    )
    return list(
        session.scalars(
            _open_reviews(
                Review.state == State.AWAITING_APPROVAL.value,
                or_(
                    or_(Review.body.is_(None), Review.body == APPROVER) & as_approver,
                    Review.body.in_(sorted(bodies)),
                ),
            )
        )
    )


def all_awaiting_approval(session: Session) -> list[int]:
    """Every review with a body: awaiting a decision, or out for consultation before one."""
    with_a_body = (State.AWAITING_APPROVAL.value, State.IN_CONSULTATION.value)
    return list(session.scalars(_open_reviews(Review.state.in_(with_a_body))))


def reviews_with(session: Session, body: str) -> list[int]:
    """Reviews awaiting `body`'s decision."""
    return list(
        session.scalars(
            _open_reviews(Review.state == State.AWAITING_APPROVAL.value, Review.body == body)
        )
    )


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
    return list(
        session.scalars(
            select(Document)
            .where(
                or_(
                    _acting_owner_is(person_id),
                    Document.approver_id == person_id,
                    Document.owner_id == person_id,
                )
            )
            .order_by(Document.next_review_due, Document.id)
        )
    )


def status_counts(session: Session) -> dict[str, int]:
    open_states = dict(
        session.execute(  # type: ignore[arg-type]
            select(Review.state, func.count(Review.id))
            .where(Review.closed_at.is_(None))
            .group_by(Review.state)
        ).all()
    )
    total = session.scalar(select(func.count(Document.id))) or 0
    return {State.CURRENT.value: total - sum(open_states.values()), **open_states}


def due_by(document: Document, review: Review | None) -> date:
    return review.due_date if review is not None else document.next_review_due


def _due_between(session: Session, since: date | None, until: date) -> list[Document]:
    """Documents whose review is due from `since` (None: any time before) until `until`
    inclusive, by their open review's due date where one is open, soonest first."""
    due = func.coalesce(Review.due_date, Document.next_review_due)
    query = (
        select(Document)
        .outerjoin(Review, (Review.document_id == Document.id) & Review.closed_at.is_(None))
        .where(due <= until)
        .order_by(due, Document.id)
    )
    if since is not None:
        query = query.where(due >= since)
    return list(session.scalars(query))


def overdue(session: Session, today: date) -> list[Document]:
    """Past the due date and the review not complete (overdue is not a state)."""
    return _due_between(session, None, today - timedelta(days=1))


def due_within(session: Session, today: date, days: int) -> list[Document]:
    return _due_between(session, today, today + timedelta(days=days))


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
    # In SQL: loading every document to look at its owner cost the digest 200 MiB at 100,000.
    owner = aliased(Person)
    return list(
        session.scalars(
            select(Document)
            .outerjoin(owner, owner.id == Document.owner_id)
            .where(or_(Document.owner_id.is_(None), owner.active.is_(False)))
            .order_by(Document.reference)
        )
    )


def references_held_by(session: Session, person_id: int) -> list[str]:
    """The documents a person owns or approves, by reference."""
    return list(
        session.scalars(
            select(Document.reference)
            .where(or_(Document.owner_id == person_id, Document.approver_id == person_id))
            .order_by(Document.reference)
        )
    )


def people_not_in_slack(session: Session) -> list[tuple[str, list[str]]]:
    from db.models import Person

    missing = session.scalars(
        select(Person).where(Person.slack_lookup == "missing").order_by(Person.email)
    ).all()
    result = []
    for person in missing:
        held = references_held_by(session, person.id)
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


def references_mentioned(session: Session, text: str) -> set[str]:
    """The register's references a chat message could mean: those it names word for word, and
    those sharing the letters of a word written like a reference (to say which one was meant).
    Reading these, not the whole register, keeps a message's cost the same at any size; the
    message is understood exactly as against every reference (tests/workflow/test_chat.py)."""
    words = mentioned(text)
    if not words.words and not words.prefixes:
        return set()
    upper = func.upper(Document.reference)
    candidates = session.scalars(
        select(Document.reference).where(
            or_(
                upper.in_(sorted(words.words)),
                *(upper.like(f"{prefix}%") for prefix in sorted(words.prefixes)),
            )
        )
    )
    return {reference for reference in candidates if words.could_mean(reference)}
