"""The messages about a review. Each is a pure function of the review as it is now, so that the
same function renders the first post and every later update in place: buttons that no longer
apply disappear, and the outcome, who and when take their place."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from bot.blocks.kit import (
    Msg,
    actions,
    button,
    context,
    day,
    doc_link,
    escape,
    header,
    mention,
    message,
    moment,
    quote,
    section,
)
from workflow.states import State
from workflow.summaries import DecisionView, ReviewSummary

HISTORY_STEPS = 8

START = "review.start"
NO_CHANGES = "review.no_changes"
SUBMIT_DRAFT = "review.submit_draft"
APPROVE = "decision.approve"
CONDITIONS = "decision.conditions"
DEFER = "decision.defer"
SLT_APPROVE = "slt.approve"
SLT_CONDITIONS = "slt.conditions"
MARK_PUBLISHED = "publication.mark"
AGREE_TARGET = "target.agree"
DECLINE_TARGET = "target.decline"


@dataclass(frozen=True)
class Render:
    """What a builder is given besides the review: the day, the zone, the outbox payload."""

    today: date
    zone: ZoneInfo
    payload: dict[str, Any]


def button_value(summary: ReviewSummary) -> str:
    """Which review, and which submission the person was looking at: a click on a message that
    is out of date can then be told apart from a fresh one."""
    return f"{summary.review_id}:{summary.latest.id if summary.latest else 0}"


_OUTCOME_WORDS = {
    "approved": "Approved",
    "approved_with_conditions": "Approved with conditions",
    "deferred_to_slt": "Deferred to the SLT",
}


def describe_decision(decision: DecisionView, zone: ZoneInfo) -> str:
    by = mention(decision.decided_by) if decision.decided_by else "an admin"
    level = (
        " by the SLT" if decision.level == "slt" and decision.outcome != "deferred_to_slt" else ""
    )
    words = _OUTCOME_WORDS.get(decision.outcome, decision.outcome)
    return f"{words}{level} ({by}, {moment(decision.decided_at, zone)})"


def status_line(summary: ReviewSummary, render: Render) -> str:
    """Where the review stands now, in one line."""
    state = summary.state
    if state is State.CURRENT:
        last = summary.last_decision
        what = (
            "Reviewed: no changes needed"
            if summary.outcome == "approved_no_changes"
            else f"Approved, now version {escape(summary.version or '')}"
        )
        by = f" \u00b7 {describe_decision(last, render.zone)}" if last else ""
        return f":white_check_mark: {what}{by}"
    overdue = summary.days_overdue(render.today)
    late = f" \u00b7 *{overdue} days overdue*" if overdue else ""
    target = f" \u00b7 target {day(summary.target_date)}" if summary.target_date else ""
    lines = {
        State.REVIEW_DUE: f":calendar: Review due {day(summary.due_date)}",
        State.IN_REVIEW: f":pencil2: In review with {mention(summary.owner)}",
        State.AWAITING_APPROVAL: f":hourglass: Awaiting approval by {mention(summary.approver)}",
        State.CHANGES_REQUESTED: f":leftwards_arrow_with_hook: Changes requested from "
        f"{mention(summary.owner)}",
        State.AWAITING_SLT: ":classical_building: Awaiting the Senior Leadership Team",
    }
    return lines[state] + target + late


def _history(summary: ReviewSummary, render: Render) -> str | None:
    steps = summary.history[-HISTORY_STEPS:]
    if not steps:
        return None
    lines = [
        f"\u2022 {moment(s.at, render.zone)} \u2014 {escape(s.who)}: "
        f"{_STEP_WORDS.get(s.action, s.action.split('.')[-1].replace('_', ' '))}"
        for s in steps
    ]
    return "*History*\n" + "\n".join(lines)


_STEP_WORDS = {
    "review.opened": "review opened",
    "review.started": "started the review",
    "review.submitted": "submitted a draft",
    "review.submitted_no_changes": "said no changes are needed",
    "review.approved": "approved",
    "review.approved_with_conditions": "approved with conditions",
    "review.deferred_to_slt": "deferred to the SLT",
    "review.slt_approved": "approved for the SLT",
    "review.slt_approved_with_conditions": "approved with conditions for the SLT",
    "review.target_date_set": "set a target date",
    "review.target_agreed": "agreed the target date",
    "review.target_declined": "declined the target date",
    "review.note": "added a note",
    "review.requested": "asked for an unscheduled review",
    "review.due_date_agreed": "agreed the due date",
    "review.approved_by_one": "approved (others still to decide)",
    "review.reminded": "reminded the owner",
    "review.escalated": "escalated",
    "round.item_added": "added it to an update round",
}


def _submission_facts(summary: ReviewSummary) -> str:
    latest = summary.latest
    if latest is None:
        return "Nothing submitted yet."
    if latest.kind == "no_changes":
        return f"*No-changes statement*\n{quote(latest.summary)}"
    link = f"*Draft:* <{latest.link}|open the draft>\n" if latest.link else ""
    return f"{link}*Summary of changes*\n{quote(latest.summary)}"


def _title_line(summary: ReviewSummary) -> str:
    version = f" \u00b7 v{escape(summary.version)}" if summary.version else ""
    area = f" \u00b7 {escape(summary.service_area)}" if summary.service_area else ""
    return (
        f"{doc_link(summary.reference, summary.title, summary.link)}\n"
        f"{summary.doc_type.replace('_', ' ').capitalize()}{version}{area}"
    )


# --- to the owner --------------------------------------------------------------------------


def reminder(summary: ReviewSummary, render: Render) -> Msg:
    stage = render.payload.get("stage")
    due = day(summary.due_date)
    overdue = summary.days_overdue(render.today)
    when = (
        f"was due on *{due}*: {overdue} days ago"
        if overdue
        else "is due *today*"
        if summary.due_date == render.today
        else f"is due on *{due}*, in {(summary.due_date - render.today).days} days"
    )
    buttons = []
    value = button_value(summary)
    if summary.state is State.REVIEW_DUE:
        buttons.append(button("Start review", START, value, style="primary"))
    if summary.state in (State.REVIEW_DUE, State.IN_REVIEW):
        buttons.append(button("No changes needed", NO_CHANGES, value))
        buttons.append(button("Submit draft", SUBMIT_DRAFT, value))
    still_yours = summary.state in (State.REVIEW_DUE, State.IN_REVIEW)
    blocks = [
        header(f"Review {_reminder_word(summary, overdue)}: {summary.reference}"),
        section(_title_line(summary)),
        section(
            f"Its review {when}. You are its owner.\n"
            "Review it; if nothing needs to change press *No changes needed*, otherwise "
            "amend the draft and press *Submit draft*. Reply here with the date you will "
            "finish, e.g. _by the end of next month_."
        )
        if still_yours
        else None,
        actions(f"reminder:{stage}", *buttons) if buttons else None,
        context(status_line(summary, render)),
    ]
    text = f"{summary.reference} {summary.title}: review {when.replace('*', '')}"
    return message(text, blocks)


def _reminder_word(summary: ReviewSummary, overdue: int) -> str:
    if summary.state is State.CURRENT:
        return "complete"
    return "overdue" if overdue else "due"


def reminder_note(summary: ReviewSummary, render: Render) -> Msg:
    """The approver's short note that a document they approve is coming up (or is late)."""
    overdue = summary.days_overdue(render.today)
    when = f"is {overdue} days overdue" if overdue else f"is due on {day(summary.due_date)}"
    text = (
        f"For your information: the review of {summary.reference} {summary.title} {when}. "
        f"Its owner, {mention(summary.owner)}, has been reminded."
    )
    return message(
        text,
        [
            section(
                f"For your information: the review of "
                f"{doc_link(summary.reference, summary.title, summary.link)} "
                f"{when}. Its owner, {mention(summary.owner)}, has been "
                "reminded; you will be asked to approve it when it is "
                "submitted."
            ),
            context(status_line(summary, render)),
        ],
    )


def conditions(summary: ReviewSummary, render: Render) -> Msg:
    decision = next(
        (d for d in summary.decisions if d.id == render.payload.get("decision_id")),
        summary.last_decision,
    )
    assert decision is not None
    by = "the Senior Leadership Team" if decision.level == "slt" else mention(decision.decided_by)
    back = (
        " It will go back to the SLT for approval."
        if decision.back_to_slt
        else " It will go back to the approver."
    )
    buttons = (
        [button("Submit draft", SUBMIT_DRAFT, button_value(summary), style="primary")]
        if summary.state is State.CHANGES_REQUESTED
        else []
    )
    blocks = [
        header(f"Changes requested: {summary.reference}"),
        section(_title_line(summary)),
        section(
            f"{by} approved it with conditions. Make these amendments, then submit the "
            f"redraft.{back}\n*Conditions*\n{quote(decision.text or '')}"
        ),
        actions("conditions", *buttons) if buttons else None,
        context(status_line(summary, render)),
    ]
    return message(f"{summary.reference} approved with conditions: {decision.text}", blocks)


def outcome(summary: ReviewSummary, render: Render) -> Msg:
    decision = next(
        (d for d in summary.decisions if d.id == render.payload.get("decision_id")),
        summary.last_decision,
    )
    what = (
        "approved: no changes needed"
        if summary.outcome == "approved_no_changes"
        else f"approved as version {summary.version}"
    )
    by = describe_decision(decision, render.zone) if decision else ""
    due = day(summary.next_review_due) if summary.next_review_due else None
    text = f"{summary.reference} {summary.title} was {what}."
    blocks = [
        section(
            f":white_check_mark: {doc_link(summary.reference, summary.title, summary.link)}"
            f" was {escape(what)}.\n{by}"
        ),
        context(f"Next review due {due}" if due else status_line(summary, render)),
    ]
    return message(text, blocks)


# --- to the approver and the SLT -----------------------------------------------------------


def _decision_request(summary: ReviewSummary, render: Render, *, slt: bool) -> Msg:
    submission_id = render.payload.get("submission_id")
    latest = summary.latest
    waiting = State.AWAITING_SLT if slt else State.AWAITING_APPROVAL
    live = summary.state is waiting and latest is not None and latest.id == submission_id
    value = button_value(summary)
    if slt:
        buttons = [
            button("Approve", SLT_APPROVE, value, style="primary"),
            button("Approve with conditions", SLT_CONDITIONS, value),
        ]
    else:
        buttons = [
            button("Approve", APPROVE, value, style="primary"),
            button("Approve with conditions", CONDITIONS, value),
            button("Defer to SLT", DEFER, value),
        ]
    deferral = next(
        (d for d in reversed(summary.decisions) if d.outcome == "deferred_to_slt"), None
    )
    submitted = ""
    if latest is not None:
        submitted = (
            f"Submitted by {mention(latest.submitted_by or summary.owner)} on "
            f"{moment(latest.submitted_at, render.zone)}"
        )
    mine = [
        d
        for d in summary.decisions
        if d.submission_id == submission_id and (d.level == "slt") == slt
    ]
    settled = (
        describe_decision(mine[-1], render.zone)
        if mine
        else "A later draft replaced this one."
        if latest and latest.id != submission_id
        else None
    )
    blocks = [
        header(f"{'SLT decision' if slt else 'Approval'} needed: {summary.reference}"),
        section(_who_has_decided(summary, submission_id))
        if not slt and len(summary.approvers) > 1
        else None,
        section(
            _title_line(summary) + f"\nOwner {mention(summary.owner)} \u00b7 "
            f"approver {mention(summary.approver)}"
        ),
        section(_submission_facts(summary)),
        section(
            f"*Why it comes to the SLT* ({mention(deferral.decided_by)})\n"
            f"{quote(deferral.text or '')}"
        )
        if slt and deferral
        else None,
        section(_history(summary, render)) if _history(summary, render) else None,
        actions(f"decide:{submission_id}", *buttons) if live else None,
        context(
            submitted, f"*{settled}*" if settled and not live else status_line(summary, render)
        ),
    ]
    who = "the SLT's" if slt else "your"
    return message(f"{summary.reference} {summary.title} needs {who} decision.", blocks)


def _who_has_decided(summary: ReviewSummary, submission_id: int | None) -> str:
    """For a draft several approvers must approve: who has, and who has not yet."""
    decided = {
        d.decided_by.id: d
        for d in summary.decisions
        if d.submission_id == submission_id and d.level == "rsm" and d.decided_by
    }
    lines = [
        f"\u2022 {mention(a)}: "
        + (
            _OUTCOME_WORDS.get(decided[a.id].outcome, "decided")
            if a.id in decided
            else "not yet decided"
        )
        for a in summary.approvers
    ]
    return "*Needs every approver*\n" + "\n".join(lines)


def approval_request(summary: ReviewSummary, render: Render) -> Msg:
    return _decision_request(summary, render, slt=False)


def slt_request(summary: ReviewSummary, render: Render) -> Msg:
    return _decision_request(summary, render, slt=True)


def target_agreement(summary: ReviewSummary, render: Render) -> Msg:
    target = date.fromisoformat(render.payload["target_date"])
    asked = render.payload.get("event_id")
    answered = next(
        (
            s
            for s in summary.history
            if s.action in ("review.target_agreed", "review.target_declined")
            and asked is not None
            and s.text == str(asked)
        ),
        None,
    )
    live = answered is None and summary.is_open and summary.target_date == target
    value = f"{summary.review_id}:{asked}"
    buttons = [
        button("Agree", AGREE_TARGET, value, style="primary"),
        button("Decline", DECLINE_TARGET, value),
    ]
    late = (target - summary.due_date).days
    settled = (
        "Agreed"
        if answered and answered.action == "review.target_agreed"
        else "Declined"
        if answered
        else "No longer the target date"
    )
    blocks = [
        section(
            f"{mention(summary.owner)} will finish the review of "
            f"{doc_link(summary.reference, summary.title, summary.link)} by "
            f"*{day(target)}*, {late} days after its due date ({day(summary.due_date)}). "
            "Do you agree?"
        ),
        actions("target", *buttons) if live else context(f"*{settled}*"),
    ]
    return message(
        f"{summary.reference}: the owner's target date {day(target)} is after the "
        f"due date. Do you agree?",
        blocks,
    )


# --- to the admins -------------------------------------------------------------------------


def publication_request(summary: ReviewSummary, render: Render) -> Msg:
    version = render.payload.get("version") or summary.version
    pending = summary.pending_publication_version == version
    decision = summary.last_decision
    blocks = [
        section(
            f":page_facing_up: {doc_link(summary.reference, summary.title, summary.link)} "
            f"version *{escape(str(version))}* was approved"
            + (f": {describe_decision(decision, render.zone)}" if decision else ".")
            + "\nSend it for publication, then mark it published."
        ),
        section(_submission_facts(summary)),
        actions(
            "publish",
            button(
                "Mark published",
                MARK_PUBLISHED,
                f"{summary.review_id}:{summary.document_id}",
                style="primary",
            ),
        )
        if pending
        else context(
            f"*Published* (version {escape(summary.published_version or '')})"
            if summary.published_version == version
            else "*No longer pending*"
        ),
    ]
    return message(
        f"{summary.reference} version {version} is approved and waiting to be published.", blocks
    )


Builder = Callable[[ReviewSummary, Render], Msg]

BUILDERS: dict[str, Builder] = {
    "reminder": reminder,
    "reminder_note": reminder_note,
    "approval_request": approval_request,
    "slt_request": slt_request,
    "conditions": conditions,
    "outcome": outcome,
    "target_agreement": target_agreement,
    "publication_request": publication_request,
}


def escalation(summary: ReviewSummary, render: Render) -> Msg:
    overdue = summary.days_overdue(render.today)
    blocks = [
        header(f"Escalation: {summary.reference} is {overdue} days overdue"),
        section(
            _title_line(summary) + f"\nOwner {mention(summary.owner)} \u00b7 approver "
            f"{mention(summary.approver)}\nDue {day(summary.due_date)}: *{overdue} days "
            "overdue*, past the two months the group allows."
        ),
        section(_history(summary, render) or "No activity on this review yet."),
        context(status_line(summary, render)),
    ]
    return message(
        f"Escalation: {summary.reference} {summary.title} is {overdue} days "
        f"overdue (owner {summary.owner.display if summary.owner else 'none'}).",
        blocks,
    )


def nudge(summary: ReviewSummary, render: Render) -> Msg:
    slt = bool(render.payload.get("slt"))
    days = render.payload.get("working_days")
    live = summary.state is (State.AWAITING_SLT if slt else State.AWAITING_APPROVAL)
    value = button_value(summary)
    buttons = (
        [
            button("Approve", SLT_APPROVE, value, style="primary"),
            button("Approve with conditions", SLT_CONDITIONS, value),
        ]
        if slt
        else [
            button("Approve", APPROVE, value, style="primary"),
            button("Approve with conditions", CONDITIONS, value),
            button("Defer to SLT", DEFER, value),
        ]
    )
    who = "the SLT's" if slt else "your"
    text = f"{summary.reference} {summary.title} has waited {days} working days for {who} decision."
    blocks = [
        section(
            f":bell: {doc_link(summary.reference, summary.title, summary.link)} has waited "
            f"*{days} working days* for {who} decision.\n{_submission_facts(summary)}"
        ),
        actions(f"nudge:{summary.review_id}", *buttons) if live else None,
        context(status_line(summary, render)),
    ]
    return message(text, blocks)


def target_declined(summary: ReviewSummary, render: Render) -> Msg:
    target = date.fromisoformat(render.payload["target_date"])
    reason = render.payload.get("reason") or ""
    text = (
        f"{summary.approver.display} declined your target date of {day(target)} for "
        f"{summary.reference}: {reason}"
    )
    return message(
        text,
        [
            section(
                f"{mention(summary.approver)} declined your target date of *{day(target)}* for "
                f"{doc_link(summary.reference, summary.title, summary.link)}. Its due date "
                f"stays {day(summary.due_date)}.\n*Why*\n{quote(reason)}\nReply with a new "
                "date when you can."
            ),
            context(status_line(summary, render)),
        ],
    )


BUILDERS.update(
    {
        "escalation": escalation,
        "nudge": nudge,
        "target_declined": target_declined,
    }
)
