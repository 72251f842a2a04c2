"""What time asks for: reminders before and after a due date, escalation, nudges to deciders,
and the periodic posts (digest, agendas, monthly report).

Each function writes outbox rows whose keys name the review and the stage or period, so running
it twice, or in two processes, sends nothing twice. After downtime only the latest stage that
applies is written, never a burst of the ones that were missed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import joinedload

from db.models import Document, OutboxMessage, Review
from workflow import audit
from workflow.chain import stage_of
from workflow.context import Ctx, use_case
from workflow.dates import working_days_between
from workflow.governance import APPROVER
from workflow.outbox import enqueue_now
from workflow.reviews import acting_owner_id, open_review
from workflow.states import OWNER_STATES, State


@dataclass(frozen=True)
class Policy:
    stages: tuple[int, ...] = (42, 14, 7, 0)
    overdue_every_days: int = 7
    escalate_after_days: int = 61
    approval_nudge_working_days: int = 5
    # For a body that decides at any time and names no interval of its own.
    body_nudge_working_days: int = 10
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
    overdue note or an escalation not yet written.

    Only what falls due within the first reminder's window is read, by the indexes on the due
    dates (migration 0007): a quiet morning costs what is due, not the size of the register."""
    session = ctx.session
    horizon = ctx.today + timedelta(days=max(policy.stages))
    open_review = (Review.document_id == Document.id) & Review.closed_at.is_(None)
    unopened = session.scalars(
        select(Document.id).where(Document.next_review_due <= horizon, ~exists().where(open_review))
    ).all()
    in_review = session.execute(
        select(Review, Document)
        .join(Document, Document.id == Review.document_id)
        .where(Review.closed_at.is_(None), Review.due_date <= horizon)
        # The owner decides who is reminded (an owner who left hands on to the approver).
        .options(joinedload(Document.owner))
    ).all()
    # The keys already written for those reviews alone, not every reminder ever sent.
    sent = set(
        session.scalars(
            select(OutboxMessage.key)
            .join(Review, Review.id == OutboxMessage.review_id)
            .where(
                Review.closed_at.is_(None),
                Review.due_date <= horizon,
                or_(
                    OutboxMessage.key.like("reminder:%"),
                    OutboxMessage.key.like("reminder_note:%"),
                    OutboxMessage.key.like("escalation:%"),
                ),
            )
        )
    )
    wanted = list(unopened)
    for review, document in in_review:
        stage = reminder_stage(review.due_date, ctx.today, policy)
        if stage is None:
            continue
        late = (ctx.today - review.due_date).days
        owner_turn = State(review.state) in OWNER_STATES
        noted = not _approver_is_owner(document) and late > 0
        if (
            (owner_turn and f"reminder:{review.id}:{stage}" not in sent)
            or (owner_turn and noted and f"reminder_note:{review.id}:overdue" not in sent)
            or (late >= policy.escalate_after_days and f"escalation:{review.id}" not in sent)
        ):
            wanted.append(document.id)
    return sorted(wanted)


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
        if enqueue_now(
            session,
            key,
            kind,
            now=ctx.now,
            review_id=review.id,
            payload={"stage": stage},
            **to,
        ):  # type: ignore[arg-type]
            written.append(key)

    # An update round's own request to the owner is its first stage: no reminder on top of it.
    round_first = review.route == "scheduled_update" and stage == str(max(policy.stages))
    if State(review.state) in OWNER_STATES and not round_first:
        write(f"reminder:{review.id}:{stage}", "reminder", person_id=acting_owner_id(document))
        # An approver who acts as owner has the reminder itself: a note to them that "its
        # owner has been reminded" would be about themselves.
        noted = not _approver_is_owner(document)
        if noted and opened and days_overdue <= 0:  # already late: the overdue note says it all
            write(
                f"reminder_note:{review.id}:opened", "reminder_note", person_id=document.approver_id
            )
        if noted and days_overdue > 0:
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


def _approver_is_owner(document: Document) -> bool:
    """The approver acts as owner (none named, or the owner has left), or is named as both."""
    return acting_owner_id(document) == document.approver_id


@use_case
def nudge_deciders(ctx: Ctx, policy: Policy) -> list[str]:
    """A decision waiting more than N working days nudges whoever decides: the approver, or
    the body (its channel, or its members). Once per N working days of waiting. A body that
    decides at meetings is not nudged: its meeting's papers are its reminder."""
    governance = ctx.governance
    written = []
    for review in ctx.session.scalars(
        select(Review).where(
            Review.closed_at.is_(None), Review.state == State.AWAITING_APPROVAL.value
        )
    ):
        stage = stage_of(governance, review)
        if governance.meets(stage.body):
            continue
        since = review.state_changed_at.astimezone(ctx.timezone).date()
        waited = working_days_between(since, ctx.today, policy.nation)
        own = governance.body(stage.body).nudge_after_working_days
        default = (
            policy.approval_nudge_working_days
            if stage.body == APPROVER
            else policy.body_nudge_working_days
        )
        limit = own or default
        if waited <= limit:
            continue
        round_ = (waited - 1) // limit
        submission = review.submissions[-1].id if review.submissions else 0
        if stage.body == APPROVER:
            key = f"nudge:{review.id}:{submission}:{round_}"
            target: dict[str, object] = {"person_id": review.document.approver_id}
        else:
            key = f"nudge:{review.id}:{submission}:{stage.key}:{round_}"
            target = {"audience": f"body:{stage.body}"}
        if enqueue_now(
            ctx.session,
            key,
            "nudge",
            now=ctx.now,
            review_id=review.id,
            payload={"working_days": waited, "body": stage.body, "level": stage.number},
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
        if enqueue_now(
            ctx.session,
            key,
            kind,
            now=ctx.now,
            audience=audience,
            payload={"period": period, **(payload or {})},
        ):
            written.append(key)
    return written
