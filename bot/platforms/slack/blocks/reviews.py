"""The messages about a review. Each is a pure function of the review as it is now, so that the
same function renders the first post and every later update in place: buttons that no longer
apply disappear, and the outcome, who and when take their place."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from bot.platforms import words
from bot.platforms.slack.blocks.kit import (
    MARKUP,
    Msg,
    actions,
    button,
    clip,
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
from bot.platforms.words import button_value
from workflow.states import State
from workflow.summaries import DecisionView, ReviewSummary

START = "review.start"
NO_CHANGES = "review.no_changes"
SUBMIT_DRAFT = "review.submit_draft"
APPROVE = "decision.approve"
CONDITIONS = "decision.conditions"
REFER = "decision.refer"
INTERIM = "decision.interim"
INFORMATION = "decision.information"
ASK_INTERIM = "decision.ask_interim"
COMMENT = "consultation.comment"
NO_COMMENTS = "consultation.no_comments"
MARK_PUBLISHED = "publication.mark"
AGREE_TARGET = "target.agree"
DECLINE_TARGET = "target.decline"


@dataclass(frozen=True)
class Render:
    """What a builder is given besides the review: the day, the zone, the outbox payload."""

    today: date
    zone: ZoneInfo
    payload: dict[str, Any]


def status_line(summary: ReviewSummary, render: Render, *, as_of: bool = True) -> str:
    return words.status_line(summary, render.today, render.zone, MARKUP, as_of=as_of)


def describe_decision(decision: DecisionView, zone: ZoneInfo) -> str:
    return words.describe_decision(decision, zone, MARKUP)


def _history(summary: ReviewSummary, render: Render) -> str | None:
    return words.history(summary, render.zone, MARKUP)


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
        f"was due on *{due}* and is *{overdue} days overdue* as of {day(render.today)}"
        if overdue
        else f"is due *today*, {due}"
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
    word = _reminder_word(summary, overdue)
    role = (
        "You are its approver and act as its owner too: once you submit it, you will be "
        "asked to approve it."
        if _approver_is_owner(summary)
        else "You are its owner."
    )
    blocks = [
        header(f"{word}: {summary.reference}"),
        section(_title_line(summary)),
        section(
            f"Its review {when}. {role}\n"
            "Review it; if nothing needs to change press *No changes needed*, otherwise "
            "amend the draft and press *Submit draft*. Reply here with the date you will "
            "finish, e.g. _by the end of next month_."
        )
        if still_yours
        else None,
        actions(f"reminder:{stage}", *buttons) if buttons else None,
        # While the body says how late it is, the status line need not say on which day.
        context(status_line(summary, render, as_of=not still_yours)),
    ]
    text = (
        f"{summary.reference} {summary.title}: review {when.replace('*', '')}"
        if still_yours
        else f"{summary.reference} {summary.title}: {word.lower()}"
    )
    return message(text, blocks)


def _reminder_word(summary: ReviewSummary, overdue: int) -> str:
    """The reminder's heading: where the review is now, since it is re-rendered in place
    each time the review moves on."""
    if summary.state is State.CURRENT:
        return "Review complete"
    if summary.state is State.CHANGES_REQUESTED:
        return "Changes requested"
    if summary.state not in (State.REVIEW_DUE, State.IN_REVIEW):
        return "Review submitted"
    return "Review overdue" if overdue else "Review due"


def superseded_reminder(reference: str, title: str, later: date) -> Msg:
    """An earlier reminder, once a later one about the same review has been posted to the same
    person: one line and no buttons, so that the latest is the one read and acted on."""
    line = f"{reference} {title}: superseded by the reminder of {day(later)}."
    return message(line, [context(f"_{escape(line)}_")])


def _approver_is_owner(summary: ReviewSummary) -> bool:
    return summary.owner is not None and summary.owner.id == summary.approver.id


def reminder_note(summary: ReviewSummary, render: Render) -> Msg:
    """The approver's short note that a document they approve is coming up (or is late)."""
    overdue = summary.days_overdue(render.today)
    when = (
        f"is {overdue} days overdue as of {day(render.today)}"
        if overdue
        else f"is due on {day(summary.due_date)}"
    )
    # Written while someone else owned it, re-rendered after they left: the note is now
    # about its reader.
    owner = (
        "With no other owner, you now act as its owner"
        if _approver_is_owner(summary)
        else f"Its owner, {mention(summary.owner)}, has been reminded"
    )
    text = (
        f"For your information: the review of {summary.reference} {summary.title} {when}. {owner}."
    )
    return message(
        text,
        [
            section(
                f"For your information: the review of "
                f"{doc_link(summary.reference, summary.title, summary.link)} "
                f"{when}. {owner}; you will be asked to approve it when it is "
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
    by = mention(decision.decided_by) if decision.body.is_approver else f"The {decision.body.name}"
    back_to = summary.back_to
    back = (
        " It will go back to the approver."
        if back_to is None or back_to.is_approver
        else f" It will go back to {back_to.the} for approval."
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


def decision_buttons(summary: ReviewSummary) -> list[Any]:
    """The buttons of whoever decides where the review stands: approve, with conditions, and
    one per body it may be referred to. None for a body that decides at meetings: its chair
    records each decision from the meeting's papers."""
    stage = summary.stage
    if stage is None:
        return []
    value = button_value(summary)
    buttons = []
    if "approve" in stage.decisions:
        buttons.append(button("Approve", APPROVE, value, style="primary"))
    if "approve_with_conditions" in stage.decisions:
        buttons.append(button("Approve with conditions", CONDITIONS, value))
    if "refer" in stage.decisions:
        buttons += [
            button(
                f"{stage.refer_word} to {target.short}", REFER, button_value(summary, target.key)
            )
            for target in stage.refer_to
        ]
    return buttons


def approval_request(summary: ReviewSummary, render: Render) -> Msg:
    """A decision asked of the approver, or of a body that decides at any time."""
    asked = words.ask(summary, render.payload)
    submission_id, live, referral = asked.submission_id, asked.live, asked.referral
    approver = asked.body_key == "approver"
    latest = summary.latest
    submitted = ""
    if latest is not None:
        submitted = (
            f"Submitted by {mention(latest.submitted_by or summary.owner)} on "
            f"{moment(latest.submitted_at, render.zone)}"
        )
    settled = asked.settled_words(render.zone, MARKUP)
    body_name = asked.body
    heading = "Approval" if asked.to_the_approver else f"{body_name.short} decision"
    blocks = [
        header(f"{heading} needed: {summary.reference}"),
        section(words.who_has_decided(summary, submission_id, MARKUP))
        if approver and len(summary.approvers) > 1
        else None,
        section(
            _title_line(summary) + f"\nOwner {mention(summary.owner)} \u00b7 "
            f"approver {mention(summary.approver)}"
        ),
        section(_submission_facts(summary)),
        section(
            f"*Why it comes to {referral.referred_to.the}* ({mention(referral.decided_by)})\n"
            f"{quote(referral.text or '')}"
        )
        if referral and referral.referred_to
        else None,
        section(_consultation_facts(summary)) if _consultation_facts(summary) else None,
        section(_history(summary, render)) if _history(summary, render) else None,
        actions(f"decide:{submission_id}", *decision_buttons(summary)) if live else None,
        context(
            submitted, f"*{settled}*" if settled and not live else status_line(summary, render)
        ),
    ]
    who = "your" if asked.to_the_approver else f"{body_name.the}'s"
    return message(f"{summary.reference} {summary.title} needs {who} decision.", blocks)


def _consultation_facts(summary: ReviewSummary) -> str | None:
    """What the consultation said, for whoever decides: the counts and every comment."""
    consultation = summary.consultation
    if consultation is None or not consultation.opened:
        return None
    state = "closed" if consultation.closed else f"comments by {day(consultation.closes_on)}"
    lines = [f"*Consultation* ({state}): {consultation.in_words()}"]
    for response in consultation.comments:
        lines.append(f"\u2022 *{escape(response.person)}*: {escape(response.text or '')}")
    return clip("\n".join(lines), 2900)


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
            f"overdue* as of {day(render.today)}, past the two months the group allows."
        ),
        section(_history(summary, render) or "No activity on this review yet."),
        context(status_line(summary, render)),
    ]
    return message(
        f"Escalation: {summary.reference} {summary.title} is {overdue} days overdue as of "
        f"{day(render.today)} (owner {summary.owner.display if summary.owner else 'none'}).",
        blocks,
    )


def nudge(summary: ReviewSummary, render: Render) -> Msg:
    days = render.payload.get("working_days")
    asked = words.requested_stage(render.payload)
    stage = summary.stage
    live = (
        summary.state is State.AWAITING_APPROVAL
        and stage is not None
        and asked in (None, stage.key)
    )
    approver = stage is None or stage.body.is_approver
    who = "your" if approver else f"{stage.body.the}'s"  # type: ignore[union-attr]
    text = f"{summary.reference} {summary.title} has waited {days} working days for {who} decision."
    blocks = [
        section(
            f":bell: {doc_link(summary.reference, summary.title, summary.link)} has waited "
            f"*{days} working days* for {who} decision.\n{_submission_facts(summary)}"
        ),
        actions(f"nudge:{summary.review_id}", *decision_buttons(summary)) if live else None,
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
