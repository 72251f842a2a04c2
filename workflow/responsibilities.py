"""Keeping owners real: every document must always have an owner and an approver. Moving what
someone holds to someone else, noticing that someone has left, and deputies for a period."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select

from db.models import Deputy, Document, Person, Review, ReviewApprover
from workflow import audit
from workflow.context import Ctx, use_case
from workflow.errors import Refused
from workflow.outbox import enqueue
from workflow.people import normalise_email, person_for_email


@use_case
def reassign_all(ctx: Ctx, *, from_email: str, to_email: str, role: str | None = None) -> list[str]:
    """Move every document `from_email` owns or approves (or only one role) to `to_email`,
    with the open reviews' approvals too; both people and the admins are told."""
    if not ctx.actor.is_admin:
        raise Refused("Only an admin can move someone's documents to someone else.")
    if role not in (None, "owner", "approver"):
        raise Refused(
            f"The role must be owner or approver (got '{role}').", code="invalid", field="role"
        )
    try:
        source_email, target_email = normalise_email(from_email), normalise_email(to_email)
    except ValueError as error:
        raise Refused(str(error), code="invalid", field="to") from None
    if source_email == target_email:
        raise Refused("Choose two different people.", code="invalid", field="to")
    source = ctx.session.scalar(select(Person).where(Person.email == source_email))
    if source is None:
        raise Refused(f"{source_email} holds nothing in the register.", code="not_found")
    target = person_for_email(ctx.session, target_email, now=ctx.now)
    moved: list[str] = []
    documents = ctx.session.scalars(
        select(Document)
        .where(or_(Document.owner_id == source.id, Document.approver_id == source.id))
        .order_by(Document.reference)
    ).all()
    for document in documents:
        changes = {}
        if role in (None, "owner") and document.owner_id == source.id:
            document.owner_id, changes["owner"] = target.id, (source_email, target_email)
        if role in (None, "approver") and document.approver_id == source.id:
            document.approver_id, changes["approver"] = target.id, (source_email, target_email)
        if changes:
            document.updated_at = ctx.now
            audit.record(
                ctx,
                "document.reassigned",
                document=document,
                before={k: v[0] for k, v in changes.items()},
                after={k: v[1] for k, v in changes.items()},
            )
            moved.append(document.reference)
    if role in (None, "approver"):
        for approver in ctx.session.scalars(
            select(ReviewApprover)
            .join(Review)
            .where(ReviewApprover.person_id == source.id, Review.closed_at.is_(None))
        ):
            approver.person_id = target.id
    if not moved:
        raise Refused(
            f"{source_email} holds no documents" + (f" as {role}" if role else "") + ".",
            code="not_found",
        )
    event = audit.record(
        ctx, "people.reassigned", detail=f"{source_email} -> {target_email}: " + ", ".join(moved)
    )
    payload = {"from": source_email, "to": target_email, "documents": moved, "role": role}
    for person_id in (source.id, target.id):
        enqueue(
            ctx.session,
            f"handover:{event.id}:{person_id}",
            "handover",
            now=ctx.now,
            person_id=person_id,
            payload=payload,
        )
    enqueue(
        ctx.session,
        f"handover:{event.id}",
        "handover",
        now=ctx.now,
        audience="admins",
        payload=payload,
    )
    return moved


@use_case
def person_left(ctx: Ctx, person_id: int) -> list[str]:
    """Someone deactivated in Slack: until their documents are reassigned the approver acts as
    owner; the admins are told once, with what they hold."""
    person = ctx.session.get(Person, person_id)
    if person is None:
        return []
    held = list(
        ctx.session.scalars(
            select(Document.reference)
            .where(or_(Document.owner_id == person.id, Document.approver_id == person.id))
            .order_by(Document.reference)
        )
    )
    if person.active:
        person.active = False
        audit.record(
            ctx,
            "person.left",
            detail=f"{person.email} left; holds " + (", ".join(held) or "nothing"),
        )
    if held:
        enqueue(
            ctx.session,
            f"person_left:{person.id}",
            "person_left",
            now=ctx.now,
            audience="admins",
            payload={"person_id": person.id, "email": person.email, "documents": held},
        )
    return held


@use_case
def set_deputy(ctx: Ctx, *, deputy_email: str, starts_on: date, ends_on: date) -> Deputy:
    """The actor names a deputy for a period; requests go to the deputy, the actor copied."""
    if ctx.actor.person_id is None:
        raise Refused("Only a person can name a deputy.")
    if ends_on < starts_on:
        raise Refused(
            f"The period ends ({ends_on:%d %b %Y}) before it starts ({starts_on:%d %b %Y}).",
            code="invalid",
            field="dates",
        )
    if ends_on < ctx.today:
        raise Refused(f"{ends_on:%d %B %Y} has passed.", code="invalid", field="dates")
    deputy = person_for_email(ctx.session, deputy_email, now=ctx.now)
    if deputy.id == ctx.actor.person_id:
        raise Refused("You cannot be your own deputy.", code="invalid", field="deputy")
    row = Deputy(
        person_id=ctx.actor.person_id,
        deputy_id=deputy.id,
        starts_on=starts_on,
        ends_on=ends_on,
        created_at=ctx.now,
    )
    ctx.session.add(row)
    ctx.session.flush()
    audit.record(
        ctx,
        "person.deputy_named",
        detail=f"{deputy.email} from {starts_on.isoformat()} to {ends_on.isoformat()}",
    )
    enqueue(
        ctx.session,
        f"deputy:{row.id}",
        "deputy_named",
        now=ctx.now,
        person_id=deputy.id,
        payload={"deputy_row": row.id},
    )
    return row


def deputy_on(session, person_id: int, day: date) -> int | None:  # type: ignore[no-untyped-def]
    """Who stands in for `person_id` on `day`, if anyone (the latest named wins)."""
    return session.scalar(
        select(Deputy.deputy_id)
        .where(Deputy.person_id == person_id, Deputy.starts_on <= day, Deputy.ends_on >= day)
        .order_by(Deputy.id.desc())
        .limit(1)
    )


def deputies_on(session, person_ids: set[int], day: date) -> dict[int, int]:  # type: ignore[no-untyped-def]
    """`deputy_on` for many people at once: each who has a deputy on `day`, with them."""
    if not person_ids:
        return {}
    named = session.execute(
        select(Deputy.person_id, Deputy.deputy_id)
        .where(Deputy.person_id.in_(person_ids), Deputy.starts_on <= day, Deputy.ends_on >= day)
        .order_by(Deputy.id)
    )
    return {person_id: deputy_id for person_id, deputy_id in named}  # the latest named wins


def covering(deputy: type[Deputy], deputy_id: Any, day: date) -> ColumnElement[bool]:
    """Where `deputy_id` (a person's id, or a column holding one) is a deputy on `day`."""
    return and_(deputy.deputy_id == deputy_id, deputy.starts_on <= day, deputy.ends_on >= day)
