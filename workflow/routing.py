"""Where a draft goes when it reaches a level of its route, and who is asked to decide.

A draft that reaches a body that meets goes on the agenda of its next meeting; one whose level
begins with a consultation goes out for comment first; otherwise whoever decides is asked at once.
Called by the use cases in workflow/reviews.py, inside their transaction.
"""

from __future__ import annotations

from db.models import Decision, Review, Submission
from workflow import meetings
from workflow.chain import Stage
from workflow.context import Ctx
from workflow.governance import APPROVER
from workflow.outbox import enqueue
from workflow.states import State


def arrive(
    ctx: Ctx, review: Review, submission: Submission, stage: Stage, *, consult: bool
) -> None:
    """The draft reaches `stage`. `consult` is False for a redraft after conditions and for a
    referral: the level's consultation came before the level's first decision, once."""
    review.level = stage.number
    review.body = stage.body
    meeting = None
    if ctx.governance.meets(stage.body):
        meeting = meetings.schedule(ctx, review, stage.body, kind="decision")
    if consult and not stage.referred and stage.level.consultation is not None:
        from workflow.consultations import start

        _move(ctx, review, State.IN_CONSULTATION)
        start(ctx, review, submission, stage, meeting)
        return
    _move(ctx, review, State.AWAITING_APPROVAL)
    if meeting is None:
        ask_decision(ctx, review, submission, stage)


def ask_decision(ctx: Ctx, review: Review, submission: Submission, stage: Stage) -> None:
    """Ask whoever decides at `stage` for their decision on `submission`: the document's
    approver (each of them, where several must approve) or the body (its channel, or else each
    member). A body that meets is asked by its meeting's papers instead."""
    if ctx.governance.meets(stage.body):
        return
    payload = {"submission_id": submission.id, "level": stage.number, "body": stage.body}
    if stage.body == APPROVER:
        key = f"approval_request:{submission.id}" + (
            "" if stage.number == 1 else f":{stage.number}"
        )
        approvers = [a.person_id for a in review.approvers]
        if not approvers:
            enqueue(
                ctx.session,
                key,
                "approval_request",
                now=ctx.now,
                person_id=review.document.approver_id,
                review_id=review.id,
                payload=payload,
            )
        for person_id in approvers:
            enqueue(
                ctx.session,
                f"{key}:{person_id}",
                "approval_request",
                now=ctx.now,
                person_id=person_id,
                review_id=review.id,
                payload=payload,
            )
        return
    enqueue(
        ctx.session,
        f"approval_request:{submission.id}:{stage.key}",
        "approval_request",
        now=ctx.now,
        audience=f"body:{stage.body}",
        review_id=review.id,
        payload=payload,
    )


def revised(ctx: Ctx, review: Review, submission: Submission) -> None:
    """A second draft, where a decision is awaited: whoever decides is asked about it instead
    (their request for the first draft now says a later one replaced it)."""
    if State(review.state) is State.AWAITING_APPROVAL:
        from workflow.chain import stage_of

        ask_decision(ctx, review, submission, stage_of(ctx.governance, review))


def decided_at_meeting(ctx: Ctx, review: Review, stage: Stage, decision: Decision) -> None:
    """A decision by a body that meets is its meeting's: the item on the agenda records it."""
    if ctx.governance.meets(stage.body):
        meetings.record(ctx, review, stage.body, decision)


def interim_approved(ctx: Ctx, review: Review, stage: Stage) -> None:
    meetings.change_item(ctx, review, stage.body, "ratification")


def for_information(ctx: Ctx, review: Review, stage: Stage, decision: Decision) -> None:
    meetings.change_item(ctx, review, stage.body, "information", decision=decision)


def refresh(ctx: Ctx, review: Review, event_id: int) -> None:
    """Ask delivery to bring every message about this review up to date."""
    enqueue(
        ctx.session,
        f"refresh:{review.id}:{event_id}",
        "refresh_review",
        now=ctx.now,
        audience="review_messages",
        review_id=review.id,
    )


def _move(ctx: Ctx, review: Review, state: State) -> None:
    review.state = state.value
    review.state_changed_at = ctx.now
