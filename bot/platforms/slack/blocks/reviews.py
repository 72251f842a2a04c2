"""The messages about a review. Each is a pure function of the review as it is now, so that the
same function renders the first post and every later update in place: buttons that no longer
apply disappear, and the outcome, who and when take their place."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from bot.platforms.slack.blocks.kit import (
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
from workflow.states import State
from workflow.summaries import DecisionView, ReviewSummary
from workflow.words import past

HISTORY_STEPS = 8

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


def button_value(summary: ReviewSummary, option: str | None = None) -> str:
    """Which review, which submission and which stage of its route the person was looking at
    (a click on a message that is out of date can then be told apart from a fresh one), and
    for some buttons what they chose (the body a Refer button refers to)."""
    value = f"{summary.review_id}:{summary.latest.id if summary.latest else 0}"
    if summary.stage is not None:
        value += f":{summary.stage.key}"
        if option:
            value += f":{option}"
    return value


_OUTCOME_WORDS = {
    "approved": "Approved",
    "approved_with_conditions": "Approved with conditions",
    "interim_approved": "Approved in the interim",
}


def outcome_words(decision: DecisionView) -> str:
    if decision.outcome == "referred" and decision.referred_to is not None:
        return f"{past(decision.body.refer_word).capitalize()} to {decision.referred_to.the}"
    return _OUTCOME_WORDS.get(decision.outcome, decision.outcome.replace("_", " ").capitalize())


def describe_decision(decision: DecisionView, zone: ZoneInfo) -> str:
    by = mention(decision.decided_by) if decision.decided_by else "an admin"
    body = (
        f" by {decision.body.the}"
        if not decision.body.is_approver and decision.outcome != "referred"
        else ""
    )
    return f"{outcome_words(decision)}{body} ({by}, {moment(decision.decided_at, zone)})"


def status_line(summary: ReviewSummary, render: Render, *, as_of: bool = True) -> str:
    """Where the review stands now, in one line. A message is read for days after it was
    rendered, so a count of days names the day it was counted on (`as_of`); a list that is
    dated as a whole leaves that out."""
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
    if late and as_of:
        late += f" as of {day(render.today)}"
    target = f" \u00b7 target {day(summary.target_date)}" if summary.target_date else ""
    lines = {
        State.REVIEW_DUE: f":calendar: Review due {day(summary.due_date)}",
        State.IN_REVIEW: f":pencil2: In review with {mention(summary.owner)}",
        State.CHANGES_REQUESTED: f":leftwards_arrow_with_hook: Changes requested from "
        f"{mention(summary.owner)}",
    }
    line = lines.get(state) or _with_a_body(summary)
    return line + target + late


def _with_a_body(summary: ReviewSummary) -> str:
    stage = summary.stage
    if stage is None or stage.body.is_approver:
        waiting = f":hourglass: Awaiting approval by {mention(summary.approver)}"
    else:
        waiting = f":classical_building: Awaiting the {escape(stage.body.name)}"
        if stage.meeting is not None:
            waiting += f" at its meeting on {day(stage.meeting)}"
            if stage.agenda_kind == "ratification":
                waiting += " (approved in the interim; for ratification)"
    consultation = summary.consultation
    if summary.state is State.IN_CONSULTATION and consultation is not None:
        when = f"comments by {day(consultation.closes_on)}"
        if not consultation.opened:
            when = f"opens {day(consultation.opens_on)}, {when}"
        then = (
            f"the approval of {mention(summary.approver)}"
            if stage is None or stage.body.is_approver
            else f"the {escape(stage.body.name)}"
        )
        return f":speech_balloon: Out for consultation ({when}), then to {then}"
    return waiting


def _history(summary: ReviewSummary, render: Render) -> str | None:
    steps = summary.history[-HISTORY_STEPS:]
    if not steps:
        return None
    lines = [
        f"\u2022 {moment(s.at, render.zone)} \u2014 {escape(s.who)}: "
        f"{_STEP_WORDS.get(s.action, s.action.split('.')[-1].replace('_', ' '))}"
        + (f" (for the {escape(s.body)})" if s.body else "")
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
    "review.referred": "referred it on",
    "review.revised": "submitted a second draft",
    "review.interim_approved": "approved in the interim",
    "review.scheduled": "put on a meeting's agenda",
    "review.rolled": "rolled to the next meeting",
    "review.noted": "noted at the meeting",
    "review.consultation_opened": "consultation opened",
    "review.consultation_closed": "consultation closed",
    "review.commented": "commented",
    "review.no_comments": "had no comments",
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


def _requested_stage(render: Render) -> str | None:
    """The stage a decision request was for (requests queued before the governance existed
    were for the approver or the SLT at level 1, and say so in their `body`)."""
    body = render.payload.get("body")
    return f"{render.payload.get('level', 1)}.{body}" if body else None


def approval_request(summary: ReviewSummary, render: Render) -> Msg:
    """A decision asked of the approver, or of a body that decides at any time."""
    submission_id = render.payload.get("submission_id")
    latest = summary.latest
    stage = summary.stage
    asked = _requested_stage(render)
    live = (
        summary.state is State.AWAITING_APPROVAL
        and stage is not None
        and latest is not None
        and latest.id == submission_id
        and asked in (None, stage.key)
    )
    body_key = (asked or "1.approver").split(".", 1)[1]
    approver = body_key == "approver"
    referral = next(
        (
            d
            for d in reversed(summary.decisions)
            if d.outcome == "referred" and d.referred_to and d.referred_to.key == body_key
        ),
        None,
    )
    submitted = ""
    if latest is not None:
        submitted = (
            f"Submitted by {mention(latest.submitted_by or summary.owner)} on "
            f"{moment(latest.submitted_at, render.zone)}"
        )
    mine = [
        d for d in summary.decisions if d.submission_id == submission_id and d.body.key == body_key
    ]
    settled = (
        describe_decision(mine[-1], render.zone)
        if mine
        else "A later draft replaced this one."
        if latest and latest.id != submission_id
        else None
    )
    body_name = (
        referral.referred_to
        if referral and referral.referred_to
        else stage.body
        if stage and stage.body.key == body_key
        else None
    )
    heading = "Approval" if approver or body_name is None else f"{body_name.short} decision"
    blocks = [
        header(f"{heading} needed: {summary.reference}"),
        section(_who_has_decided(summary, submission_id))
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
    who = "your" if approver or body_name is None else f"{body_name.the}'s"
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


def _who_has_decided(summary: ReviewSummary, submission_id: int | None) -> str:
    """For a draft several approvers must approve: who has, and who has not yet."""
    decided = {
        d.decided_by.id: d
        for d in summary.decisions
        if d.submission_id == submission_id and d.body.is_approver and d.decided_by
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
    asked = _requested_stage(render)
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
