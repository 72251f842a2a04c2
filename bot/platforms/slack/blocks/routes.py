"""Messages of the other routes: update rounds, unscheduled reviews, new documents."""

from __future__ import annotations

from datetime import date

from bot.platforms.slack.blocks.kit import (
    Msg,
    actions,
    button,
    context,
    day,
    doc_link,
    header,
    mention,
    message,
    quote,
    section,
)
from bot.platforms.slack.blocks.reviews import (
    NO_CHANGES,
    SUBMIT_DRAFT,
    Render,
    button_value,
    describe_decision,
    status_line,
)
from workflow.rounds import AT_STAKE
from workflow.states import State
from workflow.summaries import ReviewSummary

AGREE_DUE = "review.agree_due"


def _owner_buttons(summary: ReviewSummary) -> list:
    value = button_value(summary)
    if summary.state in (State.REVIEW_DUE, State.IN_REVIEW):
        return [
            button("Submit draft", SUBMIT_DRAFT, value, style="primary"),
            button("No changes needed", NO_CHANGES, value),
        ]
    if summary.state is State.CHANGES_REQUESTED:
        return [button("Submit draft", SUBMIT_DRAFT, value, style="primary")]
    return []


def _deadline(render: Render) -> date:
    return date.fromisoformat(render.payload["deadline"])


def update_request(summary: ReviewSummary, render: Render) -> Msg:
    deadline = _deadline(render)
    buttons = _owner_buttons(summary)
    blocks = [
        header(f"Update round {render.payload['round']}: {summary.reference}"),
        section(
            f"{doc_link(summary.reference, summary.title, summary.link)}\nThe provider "
            "recommends this amendment. Decide whether to agree it, amend the draft, and "
            f"submit it for approval by *{day(deadline)}*, the round's deadline.\n"
            f"*Recommended amendment*\n{quote(render.payload['amendment'])}"
        ),
        section(f"_{AT_STAKE}_"),
        actions(f"round:{summary.review_id}", *buttons) if buttons else None,
        context(status_line(summary, render)),
    ]
    return message(
        f"Update round {render.payload['round']}: amend {summary.reference} "
        f"{summary.title} by {day(deadline)}.",
        blocks,
    )


def round_note(summary: ReviewSummary, render: Render) -> Msg:
    deadline = _deadline(render)
    others = [mention(a) for a in summary.approvers] if len(summary.approvers) > 1 else []
    together = (
        f" It needs all of {', '.join(others)}; the policy officer coordinates." if others else ""
    )
    text = (
        f"Update round {render.payload['round']}: {summary.reference} {summary.title} "
        f"will come to you for approval before {day(deadline)}."
    )
    return message(
        text,
        [
            section(
                f"{doc_link(summary.reference, summary.title, summary.link)} is in update round "
                f"*{render.payload['round']}*; its owner {mention(summary.owner)} will submit it "
                f"for your approval before *{day(deadline)}*.{together}\n*Recommended amendment*\n"
                f"{quote(render.payload['amendment'])}"
            ),
            context(status_line(summary, render)),
        ],
    )


def round_warning(summary: ReviewSummary, render: Render) -> Msg:
    deadline = _deadline(render)
    left = (deadline - render.today).days
    text = (
        f"{summary.reference} is not yet approved and update round "
        f"{render.payload['round']} closes on {day(deadline)}."
    )
    blocks = [
        section(
            f":warning: {doc_link(summary.reference, summary.title, summary.link)} is not "
            f"yet approved, and update round *{render.payload['round']}* closes on "
            f"*{day(deadline)}* ({left} days). {AT_STAKE}"
        ),
        actions(f"warning:{summary.review_id}", *_owner_buttons(summary))
        if _owner_buttons(summary)
        else None,
        context(status_line(summary, render)),
    ]
    return message(text, blocks)


def review_requested(summary: ReviewSummary, render: Render) -> Msg:
    who = mention(summary.requested_by) if summary.requested_by else "someone"
    live = summary.is_open
    blocks = [
        header(f"Unscheduled review: {summary.reference}"),
        section(
            f"{who} asked for {doc_link(summary.reference, summary.title, summary.link)} "
            f"to be reviewed out of cycle.\n*Why*\n{quote(summary.reason or '')}\n"
            f"Provisionally due {day(summary.due_date)}: the owner and an admin agree the "
            "date."
        ),
        actions(
            f"requested:{summary.review_id}",
            button("Agree due date", AGREE_DUE, button_value(summary)),
            *_owner_buttons(summary),
        )
        if live
        else None,
        context(status_line(summary, render)),
    ]
    return message(f"Unscheduled review of {summary.reference} {summary.title} requested.", blocks)


def no_changes_explained(summary: ReviewSummary, render: Render) -> Msg:
    decision = summary.last_decision
    statement = summary.latest.summary if summary.latest else ""
    copy = " (copy for the approver)" if render.payload.get("copy") else ""
    text = f"The review of {summary.reference} you asked for found no changes were needed{copy}."
    return message(
        text,
        [
            section(
                f"The review of {doc_link(summary.reference, summary.title, summary.link)} that "
                f"{mention(summary.requested_by) if summary.requested_by else 'you'} asked for is "
                f"complete: no changes were needed{copy}.\n*Why it was asked for*\n"
                f"{quote(summary.reason or '')}\n*The owner's statement*\n{quote(statement)}"
            ),
            context(describe_decision(decision, render.zone) if decision else ""),
        ],
    )


def new_document(summary: ReviewSummary, render: Render) -> Msg:
    buttons = _owner_buttons(summary)
    blocks = [
        header(f"New document: {summary.reference}"),
        section(
            f"*{summary.reference} {summary.title}* has been added to the register for a "
            f"confirmed gap. Owner {mention(summary.owner)}, approver "
            f"{mention(summary.approver)}. Its first draft is due *{day(summary.due_date)}*."
        ),
        actions(f"new:{summary.review_id}", *buttons) if buttons else None,
        context(status_line(summary, render)),
    ]
    return message(
        f"New document {summary.reference} {summary.title}: first draft due "
        f"{day(summary.due_date)}.",
        blocks,
    )


BUILDERS = {
    "update_request": update_request,
    "round_note": round_note,
    "round_warning": round_warning,
    "review_requested": review_requested,
    "no_changes_explained": no_changes_explained,
    "new_document": new_document,
}
