"""Update rounds: the provider's update plan, a hard submission deadline about six weeks out, and
documents that must be amended and approved by then or wait for the next edition."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from db.models import Document, Review, ReviewApprover, RoundItem, UpdateRound
from workflow import audit
from workflow.context import Ctx, use_case
from workflow.errors import Refused
from workflow.governance import APPROVER
from workflow.outbox import enqueue, enqueue_now
from workflow.people import normalise_email, person_for_email
from workflow.register import Problem
from workflow.reviews import acting_owner_id, approver_ids, open_review, open_review_of
from workflow.states import State

PLAN_COLUMNS = ("reference", "amendment", "approver_emails")
# Where the next edition is months away, a missed deadline costs that long.
AT_STAKE = (
    "Missing the deadline means the change waits for the next edition of the manual: "
    "up to eight months."
)


@dataclass(frozen=True)
class PlanItem:
    line: int
    reference: str
    amendment: str
    approver_emails: tuple[str, ...]


def validate_plan(
    headers: Sequence[Any], rows: Sequence[tuple[int, list[Any]]], known: set[str]
) -> tuple[list[PlanItem], list[Problem]]:
    """The plan's items, and every problem in it with its line."""
    problems: list[Problem] = []
    positions: dict[int, str] = {}
    for index, header in enumerate(headers):
        key = re.sub(r"[^a-z0-9]+", "_", str(header or "").strip().lower()).strip("_")
        if not key:
            continue
        if key not in PLAN_COLUMNS:
            problems.append(
                Problem(
                    1,
                    str(header),
                    "unknown column; the plan's columns are " + ", ".join(PLAN_COLUMNS),
                )
            )
        else:
            positions[index] = key
    for column in ("reference", "amendment"):
        if column not in positions.values():
            problems.append(Problem(1, column, "required column is missing"))
    by_upper = {ref.upper(): ref for ref in known}
    items: list[PlanItem] = []
    first: dict[str, int] = {}
    for line, cells in rows:
        values = {
            column: str(cells[i]).strip() if i < len(cells) and cells[i] is not None else ""
            for i, column in positions.items()
        }
        reference = values.get("reference", "")
        found = by_upper.get(reference.upper())
        row_problems = []
        if not reference:
            row_problems.append(Problem(line, "reference", "required"))
        elif found is None:
            row_problems.append(Problem(line, "reference", f"{reference} is not in the register"))
        elif found.upper() in first:
            row_problems.append(
                Problem(
                    line,
                    "reference",
                    f"{reference} appears twice in the plan (first on line {first[found.upper()]})",
                )
            )
        if not values.get("amendment"):
            row_problems.append(
                Problem(line, "amendment", "required: the recommended change, text or a link")
            )
        emails = []
        for part in re.split(r"[;,]", values.get("approver_emails", "")):
            if part.strip():
                try:
                    emails.append(normalise_email(part))
                except ValueError as error:
                    row_problems.append(Problem(line, "approver_emails", str(error)))
        if found:
            first.setdefault(found.upper(), line)
        problems.extend(row_problems)
        if not row_problems and found:
            items.append(PlanItem(line, found, values["amendment"], tuple(dict.fromkeys(emails))))
    return items, problems


@use_case
def open_round(ctx: Ctx, name: str, deadline: date, items: Sequence[PlanItem]) -> UpdateRound:
    """Open a round: each document gets a review due at the deadline, its owner the recommended
    amendment, its approvers a note."""
    name = " ".join(name.split())
    if not ctx.actor.is_admin:
        raise Refused("Only an admin (the policy officer) can open an update round.")
    if not name:
        raise Refused("Give the round a name, e.g. 'Spring 2027'.", code="invalid", field="name")
    if deadline <= ctx.today:
        raise Refused(
            f"The deadline {deadline:%d %B %Y} must be after today.",
            code="invalid",
            field="deadline",
        )
    if not items:
        raise Refused("The plan names no documents.", code="invalid", field="plan")
    existing = ctx.session.scalar(
        select(UpdateRound.name).where(func.lower(UpdateRound.name) == name.lower())
    )
    if existing is not None:
        raise Refused(f"There is already a round called {existing}.", code="invalid", field="name")
    round_ = UpdateRound(name=name, deadline=deadline, opened_at=ctx.now, opened_by=ctx.actor.label)
    ctx.session.add(round_)
    ctx.session.flush()
    for item in items:
        document = ctx.session.scalars(
            select(Document).where(Document.reference == item.reference)
        ).one()
        review = open_review_of(ctx, document)
        if review is None:
            review = open_review.__wrapped__(  # type: ignore[attr-defined]
                ctx,
                document.reference,
                route="scheduled_update",
                due_date=deadline,
                reason=f"Update round {name}",
            )
        else:
            # The round's hard deadline governs a review already under way.
            review.due_date = min(review.due_date, deadline)
        for email in item.approver_emails:
            person = person_for_email(ctx.session, email, now=ctx.now)
            if not any(a.person_id == person.id for a in review.approvers):
                review.approvers.append(ReviewApprover(review_id=review.id, person_id=person.id))
        ctx.session.flush()
        ctx.session.add(
            RoundItem(
                round_id=round_.id,
                document_id=document.id,
                review_id=review.id,
                amendment=item.amendment,
            )
        )
        audit.record(
            ctx,
            "round.item_added",
            review=review,
            detail=item.amendment,
            after={
                "round": name,
                "deadline": deadline,
                "approvers": list(item.approver_emails) or None,
            },
        )
        enqueue(
            ctx.session,
            f"update_request:{round_.id}:{review.id}",
            "update_request",
            now=ctx.now,
            person_id=acting_owner_id(document),
            review_id=review.id,
            payload={"round": name, "deadline": deadline.isoformat(), "amendment": item.amendment},
        )
        for person_id in approver_ids(document, review):
            enqueue(
                ctx.session,
                f"round_note:{round_.id}:{review.id}:{person_id}",
                "round_note",
                now=ctx.now,
                person_id=person_id,
                review_id=review.id,
                payload={
                    "round": name,
                    "deadline": deadline.isoformat(),
                    "amendment": item.amendment,
                },
            )
    audit.record(
        ctx,
        "round.opened",
        detail=f"{name}: {len(items)} documents, deadline {deadline.isoformat()}",
    )
    return round_


# --- where a round stands -------------------------------------------------------------------


@dataclass(frozen=True)
class ItemStatus:
    reference: str
    title: str
    # decided | waiting on owner | waiting on approver | with a body | missed
    status: str
    approved_on: date | None
    version: str | None
    amendment: str
    review_id: int


def item_status(item: RoundItem, deadline: date, today: date, zone: Any) -> ItemStatus:
    review: Review = item.review
    approved_on = review.closed_at.astimezone(zone).date() if review.closed_at is not None else None
    if approved_on is not None and approved_on <= deadline:
        status = "decided"
    elif today > deadline:
        status = "missed"
    else:
        with_a_body = review.state in (State.AWAITING_APPROVAL.value, State.IN_CONSULTATION.value)
        status = (
            "waiting on owner"
            if not with_a_body
            else "waiting on approver"
            if review.body in (None, APPROVER)
            else "with a body"
        )
    return ItemStatus(
        item.document.reference,
        item.document.title,
        status,
        approved_on,
        item.document.version,
        item.amendment,
        review.id,
    )


def find_round(ctx: Ctx, name: str) -> UpdateRound:
    round_ = ctx.session.scalar(
        select(UpdateRound).where(func.lower(UpdateRound.name) == " ".join(name.split()).lower())
    )
    if round_ is None:
        raise Refused(f"There is no update round called {name}.", code="not_found")
    return round_


def statuses(round_: UpdateRound, today: date, zone: Any) -> list[ItemStatus]:
    return [item_status(item, round_.deadline, today, zone) for item in round_.items]


def open_rounds(
    session: Any, today: date, zone: Any, *, days_after: int = 14
) -> list[tuple[UpdateRound, list[ItemStatus]]]:
    """Rounds whose deadline is ahead or only just past, with where each item stands."""
    rounds = session.scalars(
        select(UpdateRound)
        .where(UpdateRound.deadline >= today - timedelta(days=days_after))
        .order_by(UpdateRound.deadline)
    )
    return [(r, statuses(r, today, zone)) for r in rounds]


@use_case
def round_export_rows(ctx: Ctx, name: str) -> list[dict[str, Any]]:
    """The approved items, for submission to the provider."""
    round_ = find_round(ctx, name)
    return [
        {
            "reference": s.reference,
            "title": s.title,
            "version": s.version,
            "approved_on": s.approved_on,
            "amendment": s.amendment,
        }
        for s in statuses(round_, ctx.today, ctx.timezone)
        if s.status == "decided"
    ]


@use_case
def round_notices(ctx: Ctx, *, warn_on: dict[int, date], weekly: bool) -> list[str]:
    """What the rounds ask for today: the warning ten working days out to those still to act,
    the weekly countdown to the admins, and the report once the deadline has passed."""
    written: list[str] = []
    for round_ in ctx.session.scalars(select(UpdateRound)):
        period = {
            "round_id": round_.id,
            "round": round_.name,
            "deadline": round_.deadline.isoformat(),
        }
        if ctx.today > round_.deadline:
            if enqueue_now(
                ctx.session,
                f"round_report:{round_.id}",
                "round_report",
                now=ctx.now,
                audience="admins",
                payload=period,
            ):
                written.append(f"round_report:{round_.id}")
            continue
        if weekly and enqueue_now(
            ctx.session,
            f"round_status:{round_.id}:{ctx.today.isoformat()}",
            "round_status",
            now=ctx.now,
            audience="admins",
            payload=period,
        ):
            written.append(f"round_status:{round_.id}")
        if ctx.today >= warn_on[round_.id]:
            for status in statuses(round_, ctx.today, ctx.timezone):
                if status.status == "decided":
                    continue
                item_review = ctx.session.get(Review, status.review_id)
                assert item_review is not None
                document = item_review.document
                for person_id in {acting_owner_id(document), *approver_ids(document, item_review)}:
                    key = f"round_warning:{round_.id}:{status.review_id}:{person_id}"
                    if enqueue_now(
                        ctx.session,
                        key,
                        "round_warning",
                        now=ctx.now,
                        person_id=person_id,
                        review_id=status.review_id,
                        payload=period,
                    ):
                        written.append(key)
    return written
