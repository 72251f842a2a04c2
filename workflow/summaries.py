"""Plain, read-only pictures of reviews and documents, for messages, Home tabs and replies.

Builders render these and nothing else, so that they stay pure functions of plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from db.models import (
    AgendaItem,
    AuditEvent,
    Decision,
    Document,
    Meeting,
    Person,
    Review,
    Submission,
)
from workflow import chain
from workflow.consultations import ConsultationView
from workflow.consultations import latest as latest_consultation
from workflow.dates import days_late
from workflow.governance import Governance
from workflow.reviews import acting_owner_id, approver_ids
from workflow.states import WITH_A_BODY, State


@dataclass(frozen=True)
class PersonRef:
    id: int
    email: str
    name: str | None = None
    slack_user_id: str | None = None

    @property
    def display(self) -> str:
        return self.name or self.email


@dataclass(frozen=True)
class SubmissionView:
    id: int
    seq: int
    kind: str  # draft | no_changes
    link: str | None
    summary: str
    submitted_at: datetime
    submitted_by: PersonRef | None


@dataclass(frozen=True)
class BodyRef:
    """A body of the governance, as messages name it."""

    key: str
    name: str  # "Senior Leadership Team", or "the approver"
    short: str  # "SLT"
    refer_word: str = "Refer"  # how it says it sends a draft higher: Refer, or Defer

    @property
    def is_approver(self) -> bool:
        return self.key == "approver"

    @property
    def the(self) -> str:
        """ "the SLT", "the PPP group", "the approver": how a sentence names it."""
        return self.short if self.short.startswith("the ") else f"the {self.short}"


def body_ref(governance: Governance, key: str) -> BodyRef:
    try:
        body = governance.body(key)
    except LookupError:
        # A body the governance no longer names (the file changed): still named in history.
        return BodyRef(key, key.replace("_", " "), key.replace("_", " "))
    return BodyRef(key, governance.name_of(key), governance.short_of(key), body.refer_word)


@dataclass(frozen=True)
class DecisionView:
    id: int
    submission_id: int
    level: int
    body: BodyRef  # the body that took it
    outcome: str  # approved | approved_with_conditions | referred | interim_approved
    text: str | None
    comes_back: bool
    decided_at: datetime
    decided_by: PersonRef | None
    referred_to: BodyRef | None = None


@dataclass(frozen=True)
class StageView:
    """Where a submitted draft is on its route, and what may be decided there."""

    key: str  # names the stage in buttons' values
    number: int
    levels: int
    body: BodyRef
    referred: bool
    decisions: tuple[str, ...]  # approve, approve_with_conditions, refer
    refer_to: tuple[BodyRef, ...]
    refer_word: str  # "Refer", or "Defer" as some say it
    may_ask_back: bool
    meets: bool
    meeting: date | None = None  # the meeting whose agenda it is on
    agenda_kind: str | None = None  # decision | ratification | information
    meeting_note: str | None = None  # why that meeting, when it missed one
    interim_by: BodyRef | None = None
    information_by: BodyRef | None = None


@dataclass(frozen=True)
class Step:
    at: datetime
    who: str
    action: str
    text: str | None = None
    body: str | None = None  # the body a decision was taken by, in words


@dataclass(frozen=True)
class ReviewSummary:
    review_id: int
    document_id: int
    reference: str
    title: str
    doc_type: str
    service_area: str | None
    version: str | None
    link: str | None
    route: str
    state: State  # CURRENT once the review is complete
    due_date: date
    target_date: date | None
    opened_at: datetime
    closed_at: datetime | None
    outcome: str | None
    owner: PersonRef | None  # who acts as owner: the approver where there is none
    approver: PersonRef
    latest: SubmissionView | None
    decisions: list[DecisionView] = field(default_factory=list)  # on every submission
    history: list[Step] = field(default_factory=list)
    pending_publication_version: str | None = None
    published_version: str | None = None
    reason: str | None = None
    next_review_due: date | None = None
    approvers: list[PersonRef] = field(default_factory=list)  # all who must approve
    requested_by: PersonRef | None = None
    stage: StageView | None = None  # while a body has the draft
    consultation: ConsultationView | None = None  # the latest, at any level
    back_to: BodyRef | None = None  # after conditions: the body the redraft goes to

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def decisions_on(self, submission_id: int) -> list[DecisionView]:
        return [d for d in self.decisions if d.submission_id == submission_id]

    @property
    def last_decision(self) -> DecisionView | None:
        return self.decisions[-1] if self.decisions else None

    def days_overdue(self, today: date) -> int:
        return days_late(self.due_date, today) if self.is_open else 0


def person_ref(person: Person | None) -> PersonRef | None:
    if person is None:
        return None
    return PersonRef(person.id, person.email, person.name, person.slack_user_id)


def review_summary(session: Session, review_id: int, governance: Governance) -> ReviewSummary:
    # The document and the approvers come with the review: each message drawn reads them.
    review = session.get(
        Review, review_id, options=[joinedload(Review.document), joinedload(Review.approvers)]
    )
    if review is None:
        raise LookupError(f"no review {review_id}")
    document = review.document
    submissions = list(
        session.scalars(
            select(Submission).where(Submission.review_id == review.id).order_by(Submission.seq)
        )
    )
    decisions = (
        list(
            session.scalars(
                select(Decision)
                .where(Decision.submission_id.in_([s.id for s in submissions]))
                .order_by(Decision.id)
            )
        )
        if submissions
        else []
    )
    events = list(
        session.scalars(
            select(AuditEvent)
            .where(AuditEvent.review_id == review.id, AuditEvent.refused.is_(False))
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )
    latest = submissions[-1] if submissions else None
    # Only the people this review names: the whole directory grows with the organisation,
    # and every message about a review draws one of these.
    named = {
        document.owner_id,
        document.approver_id,
        review.requested_by_id,
        *approver_ids(document, review),
        *(s.submitted_by_id for s in submissions),
        *(d.decided_by_id for d in decisions),
        *(e.actor_id for e in events),
        *(e.on_behalf_of_id for e in events),
    } - {None}
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(named)))}
    state = State.CURRENT if review.closed_at else State(review.state)
    back_to = None
    if state is State.CHANGES_REQUESTED:
        stage = chain.stage_of(governance, review)
        back_to = body_ref(governance, review.back_to or stage.level_body)
    return ReviewSummary(
        review_id=review.id,
        document_id=document.id,
        reference=document.reference,
        title=document.title,
        doc_type=document.doc_type,
        service_area=document.service_area,
        version=document.version,
        link=document.link,
        route=review.route,
        state=state,
        due_date=review.due_date,
        target_date=review.target_date,
        opened_at=review.opened_at,
        closed_at=review.closed_at,
        outcome=review.outcome,
        owner=person_ref(people.get(acting_owner_id(document))),
        approver=person_ref(people[document.approver_id]),  # type: ignore[arg-type]
        latest=SubmissionView(
            latest.id,
            latest.seq,
            latest.kind,
            latest.link,
            latest.summary,
            latest.submitted_at,
            person_ref(people.get(latest.submitted_by_id)),
        )
        if latest
        else None,
        decisions=[
            DecisionView(
                d.id,
                d.submission_id,
                d.level,
                body_ref(governance, d.body),
                d.outcome,
                d.text,
                d.comes_back,
                d.decided_at,
                person_ref(people.get(d.decided_by_id)),
                body_ref(governance, d.referred_to) if d.referred_to else None,
            )
            for d in decisions
        ],
        history=[_step(e, people, governance) for e in events],
        pending_publication_version=document.pending_publication_version,
        published_version=document.published_version,
        reason=review.reason,
        next_review_due=document.next_review_due,
        approvers=[person_ref(people[pid]) for pid in approver_ids(document, review)],  # type: ignore[misc]
        requested_by=person_ref(people.get(review.requested_by_id))
        if review.requested_by_id
        else None,
        stage=_stage_view(session, governance, review) if state in WITH_A_BODY else None,
        consultation=latest_consultation(session, review.id),
        back_to=back_to,
    )


def _stage_view(session: Session, governance: Governance, review: Review) -> StageView:
    stage = chain.stage_of(governance, review)
    item = session.execute(
        select(AgendaItem, Meeting.held_on)
        .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        .where(
            AgendaItem.review_id == review.id,
            AgendaItem.outcome.is_(None),
            Meeting.body == stage.body,
        )
        .order_by(Meeting.held_on)
        .limit(1)
    ).first()
    interim = chain.interim_body(governance, stage)
    informing = chain.information_body(governance, stage)
    refer_word = governance.body(stage.body).refer_word
    return StageView(
        key=stage.key,
        number=stage.number,
        levels=len(stage.route.levels),
        body=body_ref(governance, stage.body),
        referred=stage.referred,
        decisions=tuple(chain.decisions_at(governance, stage)),
        refer_to=tuple(body_ref(governance, t) for t in chain.refer_targets(governance, stage)),
        refer_word=refer_word,
        may_ask_back=chain.may_ask_back(governance, stage),
        meets=governance.meets(stage.body),
        meeting=item[1] if item else None,
        agenda_kind=item[0].kind if item else None,
        meeting_note=item[0].note if item else None,
        interim_by=body_ref(governance, interim) if interim else None,
        information_by=body_ref(governance, informing) if informing else None,
    )


def _step(event: AuditEvent, people: dict[int, Person], governance: Governance) -> Step:
    decided = (event.after or {}).get("decided_at") or {}
    body = decided.get("body") if isinstance(decided, dict) else None
    named = None
    if body and body != "approver":
        try:
            named = governance.name_of(body)
        except LookupError:
            named = str(body)
    return Step(event.at, _who(event, people), event.action, event.detail, named)


def _who(event: AuditEvent, people: dict[int, Person]) -> str:
    person = people.get(event.actor_id) if event.actor_id else None
    who = person.name or person.email if person else event.actor_label
    if event.on_behalf_of_id and event.on_behalf_of_id in people:
        behalf = people[event.on_behalf_of_id]
        who += f" for {behalf.name or behalf.email}"
    return who


def open_reviews_summaries(
    session: Session, governance: Governance, document_ids: list[int] | None = None
) -> list[ReviewSummary]:
    query = select(Review.id).where(Review.closed_at.is_(None)).order_by(Review.due_date)
    if document_ids is not None:
        query = query.where(Review.document_id.in_(document_ids))
    return [review_summary(session, rid, governance) for rid in session.scalars(query)]


@dataclass(frozen=True)
class DocumentView:
    reference: str
    title: str
    doc_type: str
    service_area: str | None
    owner: PersonRef | None
    approver: PersonRef
    next_review_due: date
    last_approved: date | None
    version: str | None
    link: str | None
    state: State
    review_id: int | None
    target_date: date | None
    pending_publication_version: str | None

    def days_overdue(self, today: date) -> int:
        """Past its due date and not reviewed, whether or not its review has been opened yet:
        overdue is not a state."""
        return days_late(self.next_review_due, today)


def document_views(session: Session, documents: list[Document]) -> list[DocumentView]:
    people = {p.id: p for p in session.scalars(select(Person))}
    reviews = {
        r.document_id: r
        for r in session.scalars(
            select(Review).where(
                Review.closed_at.is_(None), Review.document_id.in_([d.id for d in documents])
            )
        )
    }
    views = []
    for d in documents:
        review = reviews.get(d.id)
        views.append(
            DocumentView(
                d.reference,
                d.title,
                d.doc_type,
                d.service_area,
                person_ref(people.get(acting_owner_id(d))),
                person_ref(people[d.approver_id]),  # type: ignore[arg-type]
                d.next_review_due if review is None else review.due_date,
                d.last_approved,
                d.version,
                d.link,
                State(review.state) if review else State.CURRENT,
                review.id if review else None,
                review.target_date if review else None,
                d.pending_publication_version,
            )
        )
    return views
