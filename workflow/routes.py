"""The other ways a review opens: someone asks for an unscheduled review, or the policy officer
creates a new document for a gap. (Update rounds are in workflow/rounds.py.)"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from sqlalchemy import func, select

from db.models import Document, Review
from workflow import audit
from workflow.context import SYSTEM, Ctx, use_case
from workflow.errors import Refused
from workflow.outbox import enqueue
from workflow.people import person_for_email
from workflow.register import DOC_TYPES, default_cycle
from workflow.reviews import (
    acting_owner_id,
    find_document,
    open_review,
    open_review_of,
    roles_of,
)
from workflow.states import Role, State

REASONS = {
    "case_audit": "Case audit recommendation",
    "local_change": "Change in local practice or structure",
    "legislation": "Change in legislation or statutory guidance",
    "gap": "Confirmed gap",
    "linked_change": "Change to a linked document",
    "other": "Other",
}
# Until the owner and an admin agree a date, an unscheduled review is due this far ahead.
PROVISIONAL_WEEKS = 8


@use_case
def request_review(ctx: Ctx, reference: str, *, reason: str, details: str) -> Review:
    """Anyone may ask for an unscheduled review; the owner and the admins are told."""
    document = find_document(ctx, reference)
    if ctx.actor.person_id is None:
        raise Refused("Only a person can ask for a review.").about(document.id)
    if reason not in REASONS:
        raise Refused(
            f"Choose a reason: {', '.join(REASONS.values())}.", code="invalid", field="reason"
        ).about(document.id)
    details = (details or "").strip()
    if not details:
        raise Refused(
            "Say what prompted the review: the details are empty.", code="invalid", field="details"
        ).about(document.id)
    current = open_review_of(ctx, document)
    if current is not None:
        raise Refused(
            f"{document.reference} already has a review open "
            f"({State(current.state).label}, due {current.due_date:%d %b %Y}): "
            "write to its owner, or add a note to it.",
            code="wrong_state",
        ).about(document.id, current.id)
    # Opening is signoff's to do on the person's behalf, so it runs as signoff does.
    review = open_review.__wrapped__(  # type: ignore[attr-defined]
        _as_system(ctx),
        document.reference,
        route="unscheduled_review",
        due_date=ctx.today + timedelta(weeks=PROVISIONAL_WEEKS),
        reason=f"{REASONS[reason]}: {details}",
        requested_by_id=ctx.actor.person_id,
    )
    audit.record(ctx, "review.requested", review=review, detail=review.reason)
    enqueue(
        ctx.session,
        f"requested:{review.id}:owner",
        "review_requested",
        now=ctx.now,
        person_id=acting_owner_id(document),
        review_id=review.id,
    )
    enqueue(
        ctx.session,
        f"requested:{review.id}",
        "review_requested",
        now=ctx.now,
        audience="admins",
        review_id=review.id,
    )
    return review


def _as_system(ctx: Ctx) -> Ctx:
    """Opening a review is signoff's to do; it does so here on the requester's behalf."""
    return replace(ctx, actor=replace(SYSTEM, label=f"signoff for {ctx.actor.label}"))


@use_case
def agree_due_date(ctx: Ctx, review_id: int, due: date) -> Review:
    """The owner and an admin settle when an unscheduled or new review is due."""
    review = ctx.session.scalar(select(Review).where(Review.id == review_id).with_for_update())
    if review is None:
        raise Refused(f"There is no review {review_id}.", code="not_found")
    document = review.document
    if not roles_of(ctx.actor, document, review) & {Role.OWNER, Role.ADMIN}:
        raise Refused(
            f"Only the owner of {document.reference} or an admin can set when its review is due."
        ).about(document.id, review.id)
    if review.closed_at is not None:
        raise Refused(f"The review of {document.reference} is complete.", code="wrong_state").about(
            document.id, review.id
        )
    if due < ctx.today:
        raise Refused(
            f"{due:%d %B %Y} has passed: give a date from today on.", code="invalid", field="due"
        ).about(document.id, review.id)
    before = review.due_date
    review.due_date = due
    audit.record(
        ctx,
        "review.due_date_agreed",
        review=review,
        before={"due_date": before},
        after={"due_date": due},
    )
    return review


@use_case
def create_document(
    ctx: Ctx,
    *,
    reference: str,
    title: str,
    doc_type: str,
    service_area: str | None,
    owner_email: str | None,
    approver_email: str,
    due: date,
) -> Review:
    """A new procedure for a confirmed gap: it enters the register with its review in hand."""
    if not ctx.actor.is_admin:
        raise Refused("Only an admin (the policy officer) can add a document to the register.")
    reference, title = reference.strip(), " ".join(title.split())
    problems = {}
    if not reference:
        problems["reference"] = "Give the new document a reference, e.g. LAC-050."
    if not title:
        problems["title"] = "Give the new document a title."
    if doc_type not in DOC_TYPES:
        problems["type"] = f"Choose a type: {', '.join(DOC_TYPES)}."
    if due < ctx.today:
        problems["due"] = f"{due:%d %B %Y} has passed: give a date from today on."
    if problems:
        field, message = next(iter(problems.items()))
        raise Refused(message, code="invalid", field=field)
    from sqlalchemy import select

    if ctx.session.scalar(
        select(Document.id).where(func.upper(Document.reference) == reference.upper())
    ):
        raise Refused(f"{reference} is already in the register.", code="invalid", field="reference")
    approver = person_for_email(ctx.session, approver_email, now=ctx.now)
    owner = person_for_email(ctx.session, owner_email, now=ctx.now) if owner_email else None
    document = Document(
        reference=reference,
        title=title,
        doc_type=doc_type,
        service_area=(service_area or "").strip() or None,
        owner_id=owner.id if owner else None,
        approver_id=approver.id,
        review_cycle_months=default_cycle(doc_type),
        next_review_due=due,
        version=None,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    ctx.session.add(document)
    ctx.session.flush()
    audit.record(
        ctx,
        "document.created",
        document=document,
        after={
            "reference": reference,
            "title": title,
            "type": doc_type,
            "owner": owner.email if owner else None,
            "approver": approver.email,
        },
        detail="new document for a confirmed gap",
    )
    review = Review(
        document_id=document.id,
        route="new_document",
        state=State.IN_REVIEW.value,
        due_date=due,
        opened_at=ctx.now,
        state_changed_at=ctx.now,
        requested_by_id=ctx.actor.person_id,
    )
    ctx.session.add(review)
    ctx.session.flush()
    audit.record(
        ctx,
        "review.opened",
        review=review,
        after={"state": review.state, "route": "new_document", "due_date": due},
    )
    for person_id in {acting_owner_id(document), approver.id}:
        enqueue(
            ctx.session,
            f"new_document:{review.id}:{person_id}",
            "new_document",
            now=ctx.now,
            person_id=person_id,
            review_id=review.id,
        )
    return review
