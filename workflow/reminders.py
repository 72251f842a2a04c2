"""What time asks for: reminders before and after a due date, escalation, nudges to deciders,
and the periodic posts (digest, SLT agenda, monthly report).

Each function writes outbox rows whose keys name the review and the stage or period, so running
it twice, or in two processes, sends nothing twice. After downtime only the latest stage that
applies is written, never a burst of the ones that were missed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select

from db.models import Document, OutboxMessage, Review
from workflow import audit
from workflow.context import Ctx, use_case
from workflow.dates import working_days_between
from workflow.outbox import enqueue
from workflow.reviews import acting_owner_id, open_review
from workflow.states import State

OWNER_STATES = {State.REVIEW_DUE, State.IN_REVIEW, State.CHANGES_REQUESTED}


@dataclass(frozen=True)
class Policy:
    stages: tuple[int, ...] = (42, 14, 7, 0)
    overdue_every_days: int = 7
    escalate_after_days: int = 61
    approval_nudge_working_days: int = 5
    slt_nudge_working_days: int = 10
    nation: str = "ENG"


def reminder_stage(due: date, today: date, policy: Policy) -> str | None:
    """The latest reminder stage that applies today, or None before the first.

    42, 14, 7 and 0 days before the due date; then overdue-1, overdue-2 ... every 7 days."""
    days = (due - today).days
    if days > max(policy.stages):
        return None
    if days >= 0:
        return str(min(s for s in policy.stages if s >= days))
    weeks = -days // policy.overdue_every_days
    return f"overdue-{weeks}" if weeks >= 1 else str(min(policy.stages))


def _due(document: Document, review: Review | None) -> date:
    return review.due_date if review is not None else document.next_review_due


def documents_in_window(ctx: Ctx, policy: Policy) -> list[int]:
    """Documents with something new to send today: a review to open, a stage not yet sent, an
    overdue note or an escalation not yet written. One pass, so a year of daily runs over a
    few hundred documents stays cheap."""
    session = ctx.session
    reviews = {
        r.document_id: r for r in session.scalars(select(Review).where(Review.closed_at.is_(None)))
    }
    sent = set(
        session.scalars(
            select(OutboxMessage.key).where(
                or_(
                    OutboxMessage.key.like("reminder:%"),
                    OutboxMessage.key.like("reminder_note:%"),
                    OutboxMessage.key.like("escalation:%"),
                )
            )
        )
    )
    wanted = []
    for document in session.scalars(select(Document).order_by(Document.id)):
        review = reviews.get(document.id)
        stage = reminder_stage(_due(document, review), ctx.today, policy)
        if stage is None:
            continue
        if review is None:
            wanted.append(document.id)
            continue
        late = (ctx.today - review.due_date).days
        owner_turn = State(review.state) in OWNER_STATES
        if (
            (owner_turn and f"reminder:{review.id}:{stage}" not in sent)
            or (owner_turn and late > 0 and f"reminder_note:{review.id}:overdue" not in sent)
            or (late >= policy.escalate_after_days and f"escalation:{review.id}" not in sent)
        ):
            wanted.append(document.id)
    return wanted


@use_case
def remind(ctx: Ctx, document_id: int, policy: Policy) -> list[str]:
    """Reminders, approver notes and escalation for one document today; the keys written."""
    session = ctx.session
    document = session.get(Document, document_id)
    assert document is not None
    review = session.scalar(
        select(Review).where(Review.document_id == document.id, Review.closed_at.is_(None))
    )
    stage = reminder_stage(_due(document, review), ctx.today, policy)
    if stage is None:
        return []
    written: list[str] = []
    opened = False
    if review is None:
        # The first stage opens the review. open_review is a use case of its own, but it must
        # share this transaction, so its body is reached through __wrapped__.
        review = open_review.__wrapped__(ctx, document.reference)  # type: ignore[attr-defined]
        opened = True
    days_overdue = (ctx.today - review.due_date).days

    def write(key: str, kind: str, **to: object) -> None:
        if enqueue(
            session,
            key,
            kind,
            now=ctx.now,
            review_id=review.id,
            payload={"stage": stage, "days_overdue": max(0, days_overdue)},
            **to,
        ):  # type: ignore[arg-type]
            written.append(key)

    # An update round's own request to the owner is its first stage: no reminder on top of it.
    round_first = review.route == "scheduled_update" and stage == str(max(policy.stages))
    if State(review.state) in OWNER_STATES and not round_first:
        write(f"reminder:{review.id}:{stage}", "reminder", person_id=acting_owner_id(document))
        if opened and days_overdue <= 0:  # already late: the overdue note says it all
            write(
                f"reminder_note:{review.id}:opened", "reminder_note", person_id=document.approver_id
            )
        if days_overdue > 0:
            write(
                f"reminder_note:{review.id}:overdue",
                "reminder_note",
                person_id=document.approver_id,
            )
    if days_overdue >= policy.escalate_after_days:
        write(f"escalation:{review.id}", "escalation", audience="escalation")
        write(f"escalation:{review.id}:approver", "escalation", person_id=document.approver_id)
    if any(key.startswith("reminder:") for key in written):
        audit.record(ctx, "review.reminded", review=review, detail=f"stage {stage}")
    if any(key.startswith("escalation:") for key in written):
        audit.record(ctx, "review.escalated", review=review, detail=f"{days_overdue} days overdue")
    return written


@use_case
def nudge_deciders(ctx: Ctx, policy: Policy) -> list[str]:
    """Approval requests waiting more than N working days nudge the approver; SLT requests,
    the SLT channel. Once per N working days of waiting."""
    written = []
    for review in ctx.session.scalars(
        select(Review).where(
            Review.closed_at.is_(None),
            Review.state.in_([State.AWAITING_APPROVAL.value, State.AWAITING_SLT.value]),
        )
    ):
        since = review.state_changed_at.astimezone(ctx.timezone).date()
        waited = working_days_between(since, ctx.today, policy.nation)
        slt = review.state == State.AWAITING_SLT.value
        limit = policy.slt_nudge_working_days if slt else policy.approval_nudge_working_days
        if waited <= limit:
            continue
        round_ = (waited - 1) // limit
        submission = review.submissions[-1].id if review.submissions else 0
        key = f"{'slt_nudge' if slt else 'nudge'}:{review.id}:{submission}:{round_}"
        target = {"audience": "slt"} if slt else {"person_id": review.document.approver_id}
        if enqueue(
            ctx.session,
            key,
            "nudge",
            now=ctx.now,
            review_id=review.id,
            payload={"working_days": waited, "slt": slt},
            **target,
        ):  # type: ignore[arg-type]
            written.append(key)
    return written


@use_case
def post_periodic(
    ctx: Ctx,
    kind: str,
    period: str,
    *,
    audiences: tuple[str, ...],
    payload: dict[str, object] | None = None,
) -> list[str]:
    """A digest, agenda or report for one period, to each audience once."""
    written = []
    for audience in audiences:
        key = f"{kind}:{period}:{audience}"
        if enqueue(
            ctx.session,
            key,
            kind,
            now=ctx.now,
            audience=audience,
            payload={"period": period, **(payload or {})},
        ):
            written.append(key)
    return written
