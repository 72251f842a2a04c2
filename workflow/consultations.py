"""Consultation before a level decides: the draft goes to the people the route names, each may
comment or say they have none, and at the deadline silence is recorded for each who said nothing
(as agreement, where the route says so). The owner sees every comment and may submit a second
draft before the body decides; the decision request carries the comments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from db.models import Consultation, ConsultationResponse, Consultee, Meeting, Person, Review
from db.models import Submission as SubmissionRow
from workflow import audit
from workflow.chain import Stage, stage_of
from workflow.context import Ctx, use_case
from workflow.dates import add_working_days
from workflow.errors import Refused
from workflow.outbox import enqueue
from workflow.people import person_for_email
from workflow.states import State

DEFAULT_WORKING_DAYS = 10


def open_consultation(session, review: Review) -> Consultation | None:  # type: ignore[no-untyped-def]
    """The review's consultation still running (or not yet open), if any."""
    return session.scalar(
        select(Consultation)
        .where(Consultation.review_id == review.id, Consultation.closed_at.is_(None))
        .order_by(Consultation.id.desc())
        .limit(1)
    )


def start(
    ctx: Ctx,
    review: Review,
    submission: SubmissionRow,
    stage: Stage,
    meeting: Meeting | None,
) -> Consultation:
    """Plan the consultation before `stage` decides, and open it now if its day has come."""
    rules = stage.level.consultation
    assert rules is not None
    today = ctx.today
    if meeting is not None:
        closes = meeting.held_on - timedelta(days=rules.closes_days_before_meeting or 0)
        opens = (
            meeting.held_on - timedelta(days=rules.opens_days_before_meeting)
            if rules.opens_days_before_meeting
            else today
        )
        # An item that reached the body late still gets a day to be commented on.
        opens = max(opens, today)
        closes = max(closes, opens)
    else:
        opens = today
        closes = add_working_days(
            today, rules.lasts_working_days or DEFAULT_WORKING_DAYS, ctx.nation
        )
    consultation = Consultation(
        review_id=review.id,
        submission_id=submission.id,
        level=stage.number,
        body=stage.body,
        opens_on=opens,
        closes_on=closes,
        silence_is_agreement=rules.silence_is_agreement,
        created_at=ctx.now,
    )
    ctx.session.add(consultation)
    ctx.session.flush()
    if opens <= today:
        _open(ctx, review, consultation, stage)
    return consultation


def _open(ctx: Ctx, review: Review, consultation: Consultation, stage: Stage) -> None:
    rules = stage.level.consultation
    assert rules is not None
    from workflow.reviews import acting_owner_id

    owner_id = acting_owner_id(review.document)
    consulted = []
    for email in ctx.governance.people_of(rules.with_):
        person = person_for_email(ctx.session, email, now=ctx.now)
        if person.id == owner_id or not person.active:
            continue
        ctx.session.add(Consultee(consultation_id=consultation.id, person_id=person.id))
        consulted.append(person)
    consultation.opened_at = ctx.now
    ctx.session.flush()
    for person in consulted:
        enqueue(
            ctx.session,
            f"consultation:{consultation.id}:{person.id}",
            "consultation_request",
            now=ctx.now,
            person_id=person.id,
            review_id=review.id,
            payload={"consultation_id": consultation.id},
        )
    audit.record(
        ctx,
        "review.consultation_opened",
        review=review,
        detail=f"{len(consulted)} consulted; comments by {consultation.closes_on:%d %b %Y}",
    )


@use_case
def respond(ctx: Ctx, review_id: int, *, comment: str | None) -> ConsultationResponse:
    """A consulted person's comment (or, with none, that they have no comments)."""
    from workflow.reviews import _authorise, _invalid, _locked_review, _refresh, acting_owner_id
    from workflow.states import Action

    review = _locked_review(ctx, review_id)
    document = review.document
    _authorise(ctx, document, review, Action.COMMENT)
    consultation = open_consultation(ctx.session, review)
    assert consultation is not None and ctx.actor.person_id is not None
    text = (comment or "").strip() if comment is not None else None
    if comment is not None and not text:
        raise _invalid("Write your comment: it is empty.", document, review, field="text")
    response = ctx.session.scalar(
        select(ConsultationResponse).where(
            ConsultationResponse.consultation_id == consultation.id,
            ConsultationResponse.person_id == ctx.actor.person_id,
        )
    )
    if response is not None and text is None:
        raise Refused(
            f"You have already answered the consultation on {document.reference}.",
            code="wrong_state",
        ).about(document.id, review.id)
    if response is None:
        response = ConsultationResponse(
            consultation_id=consultation.id, person_id=ctx.actor.person_id, at=ctx.now
        )
        ctx.session.add(response)
    elif response.text and text:
        # A second comment adds to the first: what they said is kept whole.
        text = f"{response.text}\n\n{text}"
    response.kind = "comment" if text else "no_comments"
    response.text = text
    response.at = ctx.now
    ctx.session.flush()
    event = audit.record(
        ctx,
        "review.commented" if text else "review.no_comments",
        review=review,
        detail=comment.strip() if comment else None,
    )
    if text:
        enqueue(
            ctx.session,
            f"consultation_comment:{event.id}",
            "consultation_comment",
            now=ctx.now,
            person_id=acting_owner_id(document),
            review_id=review.id,
            payload={"consultation_id": consultation.id, "person_id": ctx.actor.person_id},
        )
    _refresh(ctx, review, event.id)
    return response


@use_case
def open_due(ctx: Ctx) -> list[int]:
    """Consultations whose opening day has come; the ids opened."""
    opened = []
    for consultation in ctx.session.scalars(
        select(Consultation).where(
            Consultation.opened_at.is_(None),
            Consultation.closed_at.is_(None),
            Consultation.opens_on <= ctx.today,
        )
    ).all():
        review = ctx.session.get(Review, consultation.review_id)
        assert review is not None
        _open(ctx, review, consultation, stage_of(ctx.governance, review))
        opened.append(consultation.id)
    return opened


def due_to_close(ctx: Ctx) -> list[int]:
    return list(
        ctx.session.scalars(
            select(Consultation.id).where(
                Consultation.closed_at.is_(None),
                Consultation.opened_at.is_not(None),
                Consultation.closes_on < ctx.today,
            )
        )
    )


@use_case
def close(ctx: Ctx, consultation_id: int) -> Consultation:
    """The deadline has passed: silence is recorded for each who said nothing, the owner gets the
    comments and may submit a second draft, and the level's body is asked (or its meeting's
    papers will carry them)."""
    from workflow.routing import ask_decision

    consultation = ctx.session.scalar(
        select(Consultation).where(Consultation.id == consultation_id).with_for_update()
    )
    if consultation is None or consultation.closed_at is not None:
        return consultation  # type: ignore[return-value]
    answered = {r.person_id for r in consultation.responses}
    silent = 0
    for consultee in consultation.consultees:
        if consultee.person_id in answered:
            continue
        ctx.session.add(
            ConsultationResponse(
                consultation_id=consultation.id,
                person_id=consultee.person_id,
                kind="silent",
                agreed=consultation.silence_is_agreement,
                at=ctx.now,
            )
        )
        silent += 1
    consultation.closed_at = ctx.now
    ctx.session.flush()
    ctx.session.expire(consultation, ["responses"])  # the silences just added
    review = ctx.session.get(Review, consultation.review_id)
    assert review is not None
    counts = summary(ctx.session, consultation)
    event = audit.record(
        ctx,
        "review.consultation_closed",
        review=review,
        detail=counts.in_words(),
    )
    from workflow.reviews import _refresh, acting_owner_id

    if State(review.state) is State.IN_CONSULTATION:
        review.state = State.AWAITING_APPROVAL.value
        review.state_changed_at = ctx.now
        ask_decision(ctx, review, review.submissions[-1], stage_of(ctx.governance, review))
    enqueue(
        ctx.session,
        f"consultation_closed:{consultation.id}",
        "consultation_closed",
        now=ctx.now,
        person_id=acting_owner_id(review.document),
        review_id=review.id,
        payload={"consultation_id": consultation.id},
    )
    _refresh(ctx, review, event.id)
    return consultation


# --- as plain data ------------------------------------------------------------------------


@dataclass(frozen=True)
class Response:
    person: str  # their name, or e-mail
    kind: str  # comment | no_comments | silent
    text: str | None
    agreed: bool
    at: datetime


@dataclass(frozen=True)
class ConsultationView:
    id: int
    opens_on: date
    closes_on: date
    opened: bool
    closed: bool
    silence_is_agreement: bool
    consulted: list[str]
    responses: list[Response]

    @property
    def comments(self) -> list[Response]:
        return [r for r in self.responses if r.kind == "comment"]

    def in_words(self) -> str:
        count = {k: sum(r.kind == k for r in self.responses) for k in ("comment", "no_comments")}
        silent = [r for r in self.responses if r.kind == "silent"]
        waiting = len(self.consulted) - len(self.responses)
        parts = [
            f"{count['comment']} comment{'s' if count['comment'] != 1 else ''}",
            f"{count['no_comments']} no comments",
        ]
        if silent:
            taken = " (taken as agreement)" if self.silence_is_agreement else ""
            parts.append(f"{len(silent)} silent{taken}")
        if waiting > 0:
            parts.append(f"{waiting} yet to answer")
        return ", ".join(parts)


def summary(session, consultation: Consultation) -> ConsultationView:  # type: ignore[no-untyped-def]
    people = {
        p.id: p
        for p in session.scalars(
            select(Person).where(
                Person.id.in_(
                    [c.person_id for c in consultation.consultees]
                    + [r.person_id for r in consultation.responses]
                )
            )
        )
    }

    def name(pid: int) -> str:
        person = people.get(pid)
        return person.display if person else "someone"

    return ConsultationView(
        id=consultation.id,
        opens_on=consultation.opens_on,
        closes_on=consultation.closes_on,
        opened=consultation.opened_at is not None,
        closed=consultation.closed_at is not None,
        silence_is_agreement=consultation.silence_is_agreement,
        consulted=[name(c.person_id) for c in consultation.consultees],
        responses=[
            Response(name(r.person_id), r.kind, r.text, r.agreed, r.at)
            for r in consultation.responses
        ],
    )


def latest(session, review_id: int) -> ConsultationView | None:  # type: ignore[no-untyped-def]
    consultation = session.scalar(
        select(Consultation)
        .where(Consultation.review_id == review_id)
        .order_by(Consultation.id.desc())
        .limit(1)
    )
    return summary(session, consultation) if consultation is not None else None
