"""Bodies that decide at meetings: the agenda, the papers, the chair's record, the minutes.

An item that reaches such a body before the next meeting's agenda closes goes on that meeting;
a later one goes on the meeting after, and the owner is told which and why. The papers go out at
the body's lead time. The chair records each item's decision; closing the meeting rolls what was
not decided to the next one and posts the minutes, and the body's report follows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from db.inserts import insert_if_absent
from db.models import AgendaItem, Decision, Meeting, Person, Review
from workflow import audit
from workflow.context import Ctx, use_case
from workflow.errors import Refused
from workflow.outbox import enqueue, enqueue_now
from workflow.words import day

KINDS = ("decision", "ratification", "information")


def _meeting(ctx: Ctx, body: str, held_on: date) -> Meeting:
    governance = ctx.governance
    insert_if_absent(
        ctx.session,
        Meeting,
        {
            "body": body,
            "held_on": held_on,
            "agenda_closes_on": governance.agenda_closes(body, held_on, ctx.nation),
            "papers_on": governance.papers_day(body, held_on, ctx.nation),
            "created_at": ctx.now,
        },
        ["body", "held_on"],
    )
    meeting = ctx.session.scalar(
        select(Meeting).where(Meeting.body == body, Meeting.held_on == held_on)
    )
    assert meeting is not None
    return meeting


def open_item(ctx: Ctx, review: Review, body: str) -> AgendaItem | None:
    """The item for `review` still to be decided (or noted) at a meeting of `body`."""
    return ctx.session.scalar(
        select(AgendaItem)
        .join(Meeting)
        .where(
            AgendaItem.review_id == review.id,
            AgendaItem.outcome.is_(None),
            Meeting.body == body,
        )
        .order_by(Meeting.held_on)
        .limit(1)
    )


def schedule(
    ctx: Ctx, review: Review, body: str, *, kind: str, after: date | None = None, note: str = ""
) -> Meeting:
    """Put `review` on the agenda of `body`'s next meeting whose agenda is still open (after
    `after`, for an item rolled on from a meeting), and tell the owner which and why."""
    existing = open_item(ctx, review, body)
    if existing is not None:
        return existing.meeting
    governance = ctx.governance
    taken = set(
        ctx.session.scalars(
            select(Meeting.held_on)
            .join(AgendaItem)
            .where(AgendaItem.review_id == review.id, Meeting.body == body)
        )
    )
    # A meeting already closed takes nothing more, though it is today's: its chair has
    # recorded its decisions and the item would wait on an agenda nobody will hold.
    taken |= set(
        ctx.session.scalars(
            select(Meeting.held_on).where(
                Meeting.body == body,
                Meeting.closed_at.is_not(None),
                Meeting.held_on >= (after or ctx.today),
            )
        )
    )
    if after is not None:
        # Rolled on: the next meeting, whatever its cut-off, since the item was on an agenda.
        held_on = next(
            d
            for d in governance.meetings_of(
                body, after + timedelta(days=1), after + timedelta(days=800)
            )
            if d not in taken
        )
        missed = None
    else:
        reached = ctx.today
        held_on, closes, skipped = governance.next_meeting(body, reached, ctx.nation)
        while held_on in taken:
            held_on, closes, _ = governance.next_meeting(
                body, held_on + timedelta(days=1), ctx.nation
            )
        missed = _missed(ctx, body, reached) if skipped else None
        if missed is not None:
            note = (
                f"It reached the {governance.name_of(body)} after the agenda of the meeting on "
                f"{day(missed[0])} closed on {day(missed[1])}, so it goes to the meeting on "
                f"{day(held_on)} (agenda closes {day(closes)})."
            )
    meeting = _meeting(ctx, body, held_on)
    item = AgendaItem(
        meeting_id=meeting.id,
        review_id=review.id,
        kind=kind,
        added_at=ctx.now,
        note=note or None,
    )
    ctx.session.add(item)
    ctx.session.flush()
    audit.record(
        ctx,
        "review.scheduled",
        review=review,
        after={"meeting": held_on, "body": body, "kind": kind},
        detail=note or None,
    )
    from workflow.reviews import acting_owner_id

    enqueue(
        ctx.session,
        f"scheduled:{item.id}",
        "scheduled",
        now=ctx.now,
        person_id=acting_owner_id(review.document),
        review_id=review.id,
        payload={"item_id": item.id, "meeting_id": meeting.id},
    )
    return meeting


def _missed(ctx: Ctx, body: str, reached: date) -> tuple[date, date] | None:
    """The meeting whose agenda had closed when the item reached the body, and when it closed."""
    governance = ctx.governance
    for held_on in governance.meetings_of(body, reached, reached + timedelta(days=400)):
        closes = governance.agenda_closes(body, held_on, ctx.nation)
        if reached > closes:
            return held_on, closes
        break
    return None


def record(ctx: Ctx, review: Review, body: str, decision: Decision) -> None:
    """The chair's record of an item's decision, on the meeting it was on."""
    item = open_item(ctx, review, body)
    if item is None:
        return
    item.outcome = decision.outcome
    item.decision_id = decision.id
    item.recorded_by_id = ctx.actor.person_id
    item.recorded_at = ctx.now


def change_item(
    ctx: Ctx, review: Review, body: str, kind: str, *, decision: Decision | None = None
) -> None:
    """An interim approval makes the item one for ratification; an approval outright, one the
    meeting notes for information."""
    item = open_item(ctx, review, body)
    if item is None:
        schedule(ctx, review, body, kind=kind)
        return
    item.kind = kind
    if decision is not None:
        item.decision_id = decision.id


@use_case
def note_item(ctx: Ctx, item_id: int) -> AgendaItem:
    """The chair notes an information item."""
    item = ctx.session.get(AgendaItem, item_id)
    if item is None:
        raise Refused(f"There is no agenda item {item_id}.", code="not_found")
    _must_chair(ctx, item.meeting)
    if item.kind != "information" or item.outcome is not None:
        raise Refused("That item has already been dealt with.", code="wrong_state").about(
            item.review.document_id, item.review_id
        )
    item.outcome = "noted"
    item.recorded_by_id = ctx.actor.person_id
    item.recorded_at = ctx.now
    audit.record(ctx, "review.noted", review=item.review, detail=_meeting_name(ctx, item.meeting))
    _refresh_meeting(ctx, item.meeting)
    return item


def _must_chair(ctx: Ctx, meeting: Meeting) -> None:
    governance = ctx.governance
    chairs = set(governance.deciders(meeting.body))
    if ctx.actor.is_admin or ctx.actor.is_system or ctx.actor.emails & chairs:
        return
    chair = governance.body(meeting.body).chair or "its chair"
    raise Refused(
        f"Only the chair of the {governance.name_of(meeting.body)} ({chair}) or an admin can "
        "record its meeting."
    )


def _meeting_name(ctx: Ctx, meeting: Meeting) -> str:
    return f"{ctx.governance.name_of(meeting.body)} meeting of {meeting.held_on:%d %b %Y}"


@use_case
def close_meeting(ctx: Ctx, meeting_id: int) -> list[int]:
    """Close a meeting: every item not decided rolls to the next meeting (its owner told), the
    minutes are posted, and the body's report goes to whom it reports to. The ids of the items
    that rolled."""
    meeting = ctx.session.scalar(select(Meeting).where(Meeting.id == meeting_id).with_for_update())
    if meeting is None:
        raise Refused(f"There is no meeting {meeting_id}.", code="not_found")
    _must_chair(ctx, meeting)
    if meeting.closed_at is not None:
        raise Refused(f"The {_meeting_name(ctx, meeting)} is already closed.", code="wrong_state")
    rolled = []
    for item in list(meeting.items):
        if item.outcome is not None:
            continue
        item.outcome = "rolled"
        item.recorded_at = ctx.now
        item.recorded_by_id = ctx.actor.person_id
        if item.review.closed_at is not None and item.kind != "information":
            continue
        note = f"Not reached at the meeting of {day(meeting.held_on)}."
        later = schedule(
            ctx, item.review, meeting.body, kind=item.kind, after=meeting.held_on, note=note
        )
        rolled.append(item.id)
        audit.record(
            ctx,
            "review.rolled",
            review=item.review,
            before={"meeting": meeting.held_on},
            after={"meeting": later.held_on},
            detail=note,
        )
    meeting.closed_at = ctx.now
    meeting.closed_by_id = ctx.actor.person_id
    audit.record(ctx, "meeting.closed", detail=_meeting_name(ctx, meeting))
    body = ctx.governance.body(meeting.body)
    enqueue(
        ctx.session,
        f"minutes:{meeting.id}",
        "minutes",
        now=ctx.now,
        audience=f"body:{meeting.body}",
        payload={"meeting_id": meeting.id},
    )
    if body.reports_to:
        enqueue(
            ctx.session,
            f"meeting_report:{meeting.id}",
            "meeting_report",
            now=ctx.now,
            audience=f"body:{body.reports_to}",
            payload={"meeting_id": meeting.id},
        )
    _refresh_meeting(ctx, meeting)
    return rolled


def _refresh_meeting(ctx: Ctx, meeting: Meeting) -> None:
    enqueue(
        ctx.session,
        f"refresh_meeting:{meeting.id}:{ctx.now.isoformat()}:{len(meeting.items)}",
        "refresh_meeting",
        now=ctx.now,
        audience="review_messages",
        payload={"meeting_id": meeting.id},
    )


@use_case
def send_papers(ctx: Ctx) -> list[str]:
    """Papers for every meeting whose lead time has come: to the body's channel (or members),
    and to each member directly where there is a channel too. Once per meeting."""
    written = []
    due = ctx.session.scalars(
        select(Meeting)
        .where(
            Meeting.papers_sent_at.is_(None),
            Meeting.closed_at.is_(None),
            Meeting.papers_on <= ctx.today,
            Meeting.held_on >= ctx.today,
        )
        .order_by(Meeting.held_on, Meeting.id)
    ).all()
    for meeting in due:
        meeting.papers_sent_at = ctx.now
        audiences = [f"body:{meeting.body}"]
        if ctx.governance.body(meeting.body).channel:
            audiences.append(f"members:{meeting.body}")
        for audience in audiences:
            key = f"papers:{meeting.id}:{audience}"
            if enqueue_now(
                ctx.session,
                key,
                "papers",
                now=ctx.now,
                audience=audience,
                payload={"meeting_id": meeting.id},
            ):
                written.append(key)
        audit.record(ctx, "meeting.papers_sent", detail=_meeting_name(ctx, meeting))
    return written


def meetings_to_close(ctx: Ctx) -> list[int]:
    """Meetings held before today that nobody closed: signoff closes them the day after."""
    return list(
        ctx.session.scalars(
            select(Meeting.id)
            .where(Meeting.closed_at.is_(None), Meeting.held_on < ctx.today)
            .order_by(Meeting.held_on, Meeting.id)
        )
    )


def find_meeting(ctx: Ctx, body: str, held_on: date) -> Meeting:
    meeting = ctx.session.scalar(
        select(Meeting).where(Meeting.body == body, Meeting.held_on == held_on)
    )
    if meeting is None:
        raise Refused(
            f"The {ctx.governance.name_of(body)} has no meeting with items on {held_on:%d %b %Y}.",
            code="not_found",
        )
    return meeting


# --- minutes, as plain data ---------------------------------------------------------------


@dataclass(frozen=True)
class MinuteLine:
    reference: str
    title: str
    kind: str  # decision | ratification | information
    outcome: str  # approved, approved_with_conditions, referred, noted, rolled, or "" (open)
    text: str | None  # the conditions, or the reason for a referral
    referred_to: str | None
    recorded_by: str | None
    action: str | None  # what follows, and for whom


@dataclass(frozen=True)
class Minutes:
    body: str
    body_name: str
    held_on: date
    chair: str | None
    closed: bool
    lines: list[MinuteLine]


def minutes(ctx: Ctx, meeting: Meeting) -> Minutes:
    governance = ctx.governance
    people = {p.id: p for p in ctx.session.scalars(select(Person))}
    lines = []
    for item in meeting.items:
        decision = ctx.session.get(Decision, item.decision_id) if item.decision_id else None
        document = item.review.document
        from workflow.reviews import acting_owner_id

        owner = people.get(acting_owner_id(document))
        action = None
        if item.outcome == "approved_with_conditions":
            action = f"{owner.display if owner else 'The owner'} to make the amendments and submit "
            action += "the redraft"
        elif item.outcome == "referred" and decision and decision.referred_to:
            action = f"To the {governance.name_of(decision.referred_to)}"
        elif item.outcome == "rolled":
            action = "To the next meeting"
        elif item.outcome == "approved" and document.pending_publication_version:
            action = f"Policy officer to publish version {document.pending_publication_version}"
        recorder = people.get(item.recorded_by_id) if item.recorded_by_id else None
        lines.append(
            MinuteLine(
                reference=document.reference,
                title=document.title,
                kind=item.kind,
                outcome=item.outcome or "",
                text=decision.text if decision else None,
                referred_to=governance.name_of(decision.referred_to)
                if decision and decision.referred_to
                else None,
                recorded_by=recorder.display if recorder else None,
                action=action,
            )
        )
    chair = governance.body(meeting.body).chair
    chair_person = next((p for p in people.values() if p.email == chair), None)
    return Minutes(
        body=meeting.body,
        body_name=governance.name_of(meeting.body),
        held_on=meeting.held_on,
        chair=chair_person.display if chair_person else chair,
        closed=meeting.closed_at is not None,
        lines=lines,
    )
