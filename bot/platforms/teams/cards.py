"""Every message signoff sends, as an Adaptive Card for Teams: pure functions of the same plain
data the Slack builders take (workflow.summaries), so that the first post and every update in
place are drawn by one function from the review as it is now. Buttons that no longer apply go;
the outcome, who and when take their place.

The buttons carry the same verbs and values as Slack's (bot.platforms.slack.blocks.reviews names
them), so that a click means the same on either platform."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from bot.platforms import words
from bot.platforms.teams.kit import (
    MARKUP,
    Card,
    act,
    bold,
    buttons,
    card,
    clip,
    day,
    doc_link,
    escape,
    facts,
    form,
    heading,
    mention,
    moment,
    note,
    para,
    quote,
)
from bot.platforms.words import button_value
from workflow.rounds import AT_STAKE
from workflow.states import State
from workflow.summaries import BodyRef, DecisionView, DocumentView, ReviewSummary
from workflow.words import past

# The verbs: the same names as Slack's action ids, so that one click means one thing.
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
AGREE_DUE = "review.agree_due"
NOTE_ITEM = "meeting.note"
CLOSE_MEETING = "meeting.close"
# Buttons that open a form (a task module) before anything is done.
FORM_VERBS = frozenset(
    {NO_CHANGES, SUBMIT_DRAFT, CONDITIONS, REFER, COMMENT, DECLINE_TARGET, AGREE_DUE}
)
AREA_LINES = 12  # documents listed per service area in the digest; the rest are counted


class Render:
    """What a builder is given besides the data: the day, the zone, the outbox payload."""

    def __init__(self, today: date, zone: Any, payload: dict[str, Any]) -> None:
        self.today = today
        self.zone = zone
        self.payload = payload


def button(label: str, verb: str, value: str, *, primary: bool = False) -> Any:
    return (form if verb in FORM_VERBS else act)(label, verb, value, primary=primary)


# --- words shared by the cards --------------------------------------------------------------


def status_line(summary: ReviewSummary, render: Render, *, as_of: bool = True) -> str:
    return words.status_line(summary, render.today, render.zone, MARKUP, as_of=as_of)


def describe_decision(decision: DecisionView, zone: Any) -> str:
    return words.describe_decision(decision, zone, MARKUP)


def _title(summary: ReviewSummary) -> str:
    version = f" \u00b7 v{escape(summary.version)}" if summary.version else ""
    area = f" \u00b7 {escape(summary.service_area)}" if summary.service_area else ""
    return (
        f"{doc_link(summary.reference, summary.title, summary.link)}\n\n"
        f"{summary.doc_type.replace('_', ' ').capitalize()}{version}{area}"
    )


def _submission(summary: ReviewSummary) -> str:
    latest = summary.latest
    if latest is None:
        return "Nothing submitted yet."
    if latest.kind == "no_changes":
        return f"{bold('No-changes statement')}\n\n{quote(latest.summary)}"
    link = f"{bold('Draft:')} [open the draft]({latest.link})\n\n" if latest.link else ""
    return f"{link}{bold('Summary of changes')}\n\n{quote(latest.summary)}"


def _history(summary: ReviewSummary, render: Render) -> str | None:
    return words.history(summary, render.zone, MARKUP)


def _consultation(summary: ReviewSummary) -> str | None:
    consultation = summary.consultation
    if consultation is None or not consultation.opened:
        return None
    state = "closed" if consultation.closed else f"comments by {day(consultation.closes_on)}"
    lines = [f"{bold('Consultation')} ({state}): {consultation.in_words()}"]
    lines += [f"- {bold(escape(c.person))}: {escape(c.text or '')}" for c in consultation.comments]
    return clip("\n".join(lines), 3000)


def _decision(summary: ReviewSummary, render: Render) -> DecisionView | None:
    return next(
        (d for d in summary.decisions if d.id == render.payload.get("decision_id")),
        summary.last_decision,
    )


def _status(summary: ReviewSummary, render: Render) -> Any:
    return note(status_line(summary, render))


def _owner_buttons(summary: ReviewSummary) -> list[Any]:
    value = button_value(summary)
    if summary.state in (State.REVIEW_DUE, State.IN_REVIEW):
        return [
            button("Submit draft", SUBMIT_DRAFT, value, primary=True),
            button("No changes needed", NO_CHANGES, value),
        ]
    if summary.state is State.CHANGES_REQUESTED:
        return [button("Submit draft", SUBMIT_DRAFT, value, primary=True)]
    return []


# --- to the owner ---------------------------------------------------------------------------


def reminder(summary: ReviewSummary, render: Render) -> Card:
    due = day(summary.due_date)
    overdue = summary.days_overdue(render.today)
    when = (
        f"was due on {bold(due)}: {overdue} days ago"
        if overdue
        else "is due **today**"
        if summary.due_date == render.today
        else f"is due on {bold(due)}, in {(summary.due_date - render.today).days} days"
    )
    value = button_value(summary)
    actions = []
    if summary.state is State.REVIEW_DUE:
        actions.append(button("Start review", START, value, primary=True))
    if summary.state in (State.REVIEW_DUE, State.IN_REVIEW):
        actions.append(button("No changes needed", NO_CHANGES, value))
        actions.append(button("Submit draft", SUBMIT_DRAFT, value))
    still_yours = summary.state in (State.REVIEW_DUE, State.IN_REVIEW)
    word = "complete" if summary.state is State.CURRENT else "overdue" if overdue else "due"
    return card(
        f"{summary.reference} {summary.title}: review {when.replace('*', '')}",
        [
            heading(f"Review {word}: {summary.reference}"),
            para(_title(summary)),
            para(
                f"Its review {when}. You are its owner.\n\nReview it; if nothing needs to change "
                "press **No changes needed**, otherwise amend the draft and press **Submit "
                "draft**. Reply here with the date you will finish, e.g. _by the end of next "
                "month_."
            )
            if still_yours
            else None,
            buttons(*actions),
            _status(summary, render),
        ],
    )


def reminder_note(summary: ReviewSummary, render: Render) -> Card:
    overdue = summary.days_overdue(render.today)
    when = f"is {overdue} days overdue" if overdue else f"is due on {day(summary.due_date)}"
    return card(
        f"For your information: the review of {summary.reference} {summary.title} {when}.",
        [
            para(
                f"For your information: the review of "
                f"{doc_link(summary.reference, summary.title, summary.link)} {when}. Its owner, "
                f"{mention(summary.owner)}, has been reminded; you will be asked to approve it "
                "when it is submitted."
            ),
            _status(summary, render),
        ],
    )


def conditions(summary: ReviewSummary, render: Render) -> Card:
    decision = _decision(summary, render)
    if decision is None:  # nothing decided (yet): where it stands
        return card(
            f"{summary.reference}: {status_line(summary, render)}",
            [para(_title(summary)), _status(summary, render)],
        )
    by = mention(decision.decided_by) if decision.body.is_approver else f"The {decision.body.name}"
    back_to = summary.back_to
    back = (
        " It will go back to the approver."
        if back_to is None or back_to.is_approver
        else f" It will go back to {back_to.the} for approval."
    )
    live = summary.state is State.CHANGES_REQUESTED
    return card(
        f"{summary.reference} approved with conditions: {decision.text}",
        [
            heading(f"Changes requested: {summary.reference}"),
            para(_title(summary)),
            para(
                f"{by} approved it with conditions. Make these amendments, then submit the "
                f"redraft.{back}\n\n{bold('Conditions')}\n\n{quote(decision.text or '')}"
            ),
            buttons(button("Submit draft", SUBMIT_DRAFT, button_value(summary), primary=True))
            if live
            else None,
            _status(summary, render),
        ],
    )


def outcome(summary: ReviewSummary, render: Render) -> Card:
    decision = _decision(summary, render)
    what = (
        "approved: no changes needed"
        if summary.outcome == "approved_no_changes"
        else f"approved as version {summary.version}"
    )
    by = describe_decision(decision, render.zone) if decision else ""
    due = day(summary.next_review_due) if summary.next_review_due else None
    return card(
        f"{summary.reference} {summary.title} was {what}.",
        [
            para(
                f"\u2705 {doc_link(summary.reference, summary.title, summary.link)} was "
                f"{escape(what)}.\n\n{by}"
            ),
            note(f"Next review due {due}" if due else status_line(summary, render)),
        ],
    )


def target_declined(summary: ReviewSummary, render: Render) -> Card:
    target = date.fromisoformat(render.payload["target_date"])
    reason = render.payload.get("reason") or ""
    return card(
        f"{summary.approver.display} declined your target date of {day(target)} for "
        f"{summary.reference}: {reason}",
        [
            para(
                f"{mention(summary.approver)} declined your target date of {bold(day(target))} "
                f"for {doc_link(summary.reference, summary.title, summary.link)}. Its due date "
                f"stays {day(summary.due_date)}.\n\n{bold('Why')}\n\n{quote(reason)}\n\nReply "
                "with a new date when you can."
            ),
            _status(summary, render),
        ],
    )


# --- to whoever decides ---------------------------------------------------------------------


def decision_buttons(summary: ReviewSummary) -> list[Any]:
    stage = summary.stage
    if stage is None:
        return []
    value = button_value(summary)
    found = []
    if "approve" in stage.decisions:
        found.append(button("Approve", APPROVE, value, primary=True))
    if "approve_with_conditions" in stage.decisions:
        found.append(button("Approve with conditions", CONDITIONS, value))
    if "refer" in stage.decisions:
        found += [
            button(f"{stage.refer_word} to {t.short}", REFER, button_value(summary, t.key))
            for t in stage.refer_to
        ]
    return found


def approval_request(summary: ReviewSummary, render: Render) -> Card:
    asked = words.ask(summary, render.payload)
    submission_id, live, referral = asked.submission_id, asked.live, asked.referral
    approver = asked.body_key == "approver"
    latest = summary.latest
    submitted = (
        f"Submitted by {mention(latest.submitted_by or summary.owner)} on "
        f"{moment(latest.submitted_at, render.zone)}"
        if latest
        else ""
    )
    settled = asked.settled_words(render.zone, MARKUP)
    named = asked.body
    title = "Approval" if asked.to_the_approver else f"{named.short} decision"
    who = "your" if asked.to_the_approver else f"{named.the}'s"
    decided = words.who_has_decided(summary, submission_id, MARKUP)
    return card(
        f"{summary.reference} {summary.title} needs {who} decision.",
        [
            heading(f"{title} needed: {summary.reference}"),
            para(decided) if approver and len(summary.approvers) > 1 else None,
            para(_title(summary)),
            facts([("Owner", mention(summary.owner)), ("Approver", mention(summary.approver))]),
            para(_submission(summary), separator=True),
            para(
                f"{bold('Why it comes to ' + referral.referred_to.the)} "
                f"({mention(referral.decided_by)})\n\n{quote(referral.text or '')}"
            )
            if referral and referral.referred_to
            else None,
            para(_consultation(summary) or "") if _consultation(summary) else None,
            para(_history(summary, render) or "") if _history(summary, render) else None,
            buttons(*decision_buttons(summary)) if live else None,
            note(submitted),
            note(bold(settled) if settled and not live else status_line(summary, render)),
        ],
    )


def nudge(summary: ReviewSummary, render: Render) -> Card:
    days = render.payload.get("working_days")
    asked = words.requested_stage(render.payload)
    stage = summary.stage
    live = (
        summary.state is State.AWAITING_APPROVAL
        and stage is not None
        and asked in (None, stage.key)
    )
    who = "your" if stage is None or stage.body.is_approver else f"{stage.body.the}'s"
    return card(
        f"{summary.reference} {summary.title} has waited {days} working days for {who} decision.",
        [
            para(
                f"\U0001f514 {doc_link(summary.reference, summary.title, summary.link)} has waited "
                f"{bold(f'{days} working days')} for {who} decision.\n\n{_submission(summary)}"
            ),
            buttons(*decision_buttons(summary)) if live else None,
            _status(summary, render),
        ],
    )


def escalation(summary: ReviewSummary, render: Render) -> Card:
    overdue = summary.days_overdue(render.today)
    return card(
        f"Escalation: {summary.reference} {summary.title} is {overdue} days overdue (owner "
        f"{summary.owner.display if summary.owner else 'none'}).",
        [
            heading(f"Escalation: {summary.reference} is {overdue} days overdue"),
            para(_title(summary)),
            facts(
                [
                    ("Owner", mention(summary.owner)),
                    ("Approver", mention(summary.approver)),
                    ("Due", f"{day(summary.due_date)}: {overdue} days overdue"),
                ]
            ),
            para(_history(summary, render) or "No activity on this review yet."),
            _status(summary, render),
        ],
    )


def target_agreement(summary: ReviewSummary, render: Render) -> Card:
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
    settled = (
        "Agreed"
        if answered and answered.action == "review.target_agreed"
        else "Declined"
        if answered
        else "No longer the target date"
    )
    late = (target - summary.due_date).days
    return card(
        f"{summary.reference}: the owner's target date {day(target)} is after the due date. "
        "Do you agree?",
        [
            para(
                f"{mention(summary.owner)} will finish the review of "
                f"{doc_link(summary.reference, summary.title, summary.link)} by "
                f"{bold(day(target))}, {late} days after its due date "
                f"({day(summary.due_date)}). Do you agree?"
            ),
            buttons(
                button("Agree", AGREE_TARGET, value, primary=True),
                button("Decline", DECLINE_TARGET, value),
            )
            if live
            else note(bold(settled)),
        ],
    )


# --- to the admins --------------------------------------------------------------------------


def publication_request(summary: ReviewSummary, render: Render) -> Card:
    version = render.payload.get("version") or summary.version
    pending = summary.pending_publication_version == version
    decision = summary.last_decision
    published = summary.published_version == version
    return card(
        f"{summary.reference} version {version} is approved and waiting to be published.",
        [
            para(
                f"\U0001f4c4 {doc_link(summary.reference, summary.title, summary.link)} version "
                f"{bold(escape(str(version)))} was approved"
                + (f": {describe_decision(decision, render.zone)}" if decision else ".")
                + "\n\nSend it for publication, then mark it published."
            ),
            para(_submission(summary)),
            buttons(
                button(
                    "Mark published",
                    MARK_PUBLISHED,
                    f"{summary.review_id}:{summary.document_id}",
                    primary=True,
                )
            )
            if pending
            else note(
                bold(f"Published (version {escape(summary.published_version or '')})")
                if published
                else bold("No longer pending")
            ),
        ],
    )


# --- the other routes -----------------------------------------------------------------------


def update_request(summary: ReviewSummary, render: Render) -> Card:
    deadline = date.fromisoformat(render.payload["deadline"])
    return card(
        f"Update round {render.payload['round']}: amend {summary.reference} {summary.title} by "
        f"{day(deadline)}.",
        [
            heading(f"Update round {render.payload['round']}: {summary.reference}"),
            para(
                f"{doc_link(summary.reference, summary.title, summary.link)}\n\nThe provider "
                "recommends this amendment. Decide whether to agree it, amend the draft, and "
                f"submit it for approval by {bold(day(deadline))}, the round's deadline.\n\n"
                f"{bold('Recommended amendment')}\n\n{quote(render.payload['amendment'])}"
            ),
            para(f"_{AT_STAKE}_"),
            buttons(*_owner_buttons(summary)),
            _status(summary, render),
        ],
    )


def round_note(summary: ReviewSummary, render: Render) -> Card:
    deadline = date.fromisoformat(render.payload["deadline"])
    others = [mention(a) for a in summary.approvers] if len(summary.approvers) > 1 else []
    together = (
        f" It needs all of {', '.join(others)}; the policy officer coordinates." if others else ""
    )
    return card(
        f"Update round {render.payload['round']}: {summary.reference} {summary.title} will come "
        f"to you for approval before {day(deadline)}.",
        [
            para(
                f"{doc_link(summary.reference, summary.title, summary.link)} is in update round "
                f"{bold(escape(render.payload['round']))}; its owner {mention(summary.owner)} "
                f"will submit it for your approval before {bold(day(deadline))}.{together}\n\n"
                f"{bold('Recommended amendment')}\n\n{quote(render.payload['amendment'])}"
            ),
            _status(summary, render),
        ],
    )


def round_warning(summary: ReviewSummary, render: Render) -> Card:
    deadline = date.fromisoformat(render.payload["deadline"])
    left = (deadline - render.today).days
    return card(
        f"{summary.reference} is not yet approved and update round {render.payload['round']} "
        f"closes on {day(deadline)}.",
        [
            para(
                f"\u26a0\ufe0f {doc_link(summary.reference, summary.title, summary.link)} is not "
                f"yet approved, and update round {bold(escape(render.payload['round']))} closes "
                f"on {bold(day(deadline))} ({left} days). {AT_STAKE}"
            ),
            buttons(*_owner_buttons(summary)),
            _status(summary, render),
        ],
    )


def review_requested(summary: ReviewSummary, render: Render) -> Card:
    who = mention(summary.requested_by) if summary.requested_by else "someone"
    return card(
        f"Unscheduled review of {summary.reference} {summary.title} requested.",
        [
            heading(f"Unscheduled review: {summary.reference}"),
            para(
                f"{who} asked for {doc_link(summary.reference, summary.title, summary.link)} to "
                f"be reviewed out of cycle.\n\n{bold('Why')}\n\n{quote(summary.reason or '')}\n\n"
                f"Provisionally due {day(summary.due_date)}: the owner and an admin agree the "
                "date."
            ),
            buttons(
                button("Agree due date", AGREE_DUE, button_value(summary)),
                *_owner_buttons(summary),
            )
            if summary.is_open
            else None,
            _status(summary, render),
        ],
    )


def no_changes_explained(summary: ReviewSummary, render: Render) -> Card:
    decision = summary.last_decision
    statement = summary.latest.summary if summary.latest else ""
    copy = " (copy for the approver)" if render.payload.get("copy") else ""
    asker = mention(summary.requested_by) if summary.requested_by else "you"
    return card(
        f"The review of {summary.reference} you asked for found no changes were needed{copy}.",
        [
            para(
                f"The review of {doc_link(summary.reference, summary.title, summary.link)} that "
                f"{asker} asked for is complete: no changes were needed{copy}.\n\n"
                f"{bold('Why it was asked for')}\n\n{quote(summary.reason or '')}\n\n"
                f"{bold('The owner’s statement')}\n\n{quote(statement)}"
            ),
            note(describe_decision(decision, render.zone)) if decision else None,
        ],
    )


def new_document(summary: ReviewSummary, render: Render) -> Card:
    return card(
        f"New document {summary.reference} {summary.title}: first draft due "
        f"{day(summary.due_date)}.",
        [
            heading(f"New document: {summary.reference}"),
            para(
                f"{bold(escape(summary.reference + ' ' + summary.title))} has been added to the "
                f"register for a confirmed gap. Owner {mention(summary.owner)}, approver "
                f"{mention(summary.approver)}. Its first draft is due "
                f"{bold(day(summary.due_date))}."
            ),
            buttons(*_owner_buttons(summary)),
            _status(summary, render),
        ],
    )


# --- the governance beyond one decider ------------------------------------------------------


def scheduled(summary: ReviewSummary, render: Render) -> Card:
    stage = summary.stage
    if stage is None or stage.meeting is None:
        return card(
            f"{summary.reference}: {status_line(summary, render)}",
            [para(_title(summary)), _status(summary, render)],
        )
    value = button_value(summary)
    found = []
    if summary.state in (State.AWAITING_APPROVAL, State.IN_CONSULTATION):
        if stage.interim_by is not None and stage.agenda_kind == "decision":
            found.append(
                button(
                    f"Ask {stage.interim_by.short} for interim approval",
                    ASK_INTERIM,
                    f"{value}:interim",
                )
            )
        if stage.information_by is not None and stage.agenda_kind == "decision":
            found.append(
                button(
                    f"Ask {stage.information_by.short} to approve",
                    ASK_INTERIM,
                    f"{value}:information",
                )
            )
    why = f"\n\n{escape(stage.meeting_note)}" if stage.meeting_note else ""
    return card(
        f"{summary.reference} goes to the {stage.body.name}'s meeting on {day(stage.meeting)}.",
        [
            para(
                f"\U0001f4c5 {doc_link(summary.reference, summary.title, summary.link)} goes to "
                "the "
                f"{bold(escape(stage.body.name))}'s meeting on {bold(day(stage.meeting))}.{why}"
            ),
            buttons(*found),
            _status(summary, render),
        ],
    )


def moved_on(summary: ReviewSummary, render: Render) -> Card:
    decision = _decision(summary, render)
    by = describe_decision(decision, render.zone) if decision else "Approved"
    return card(
        f"{summary.reference}: {by.split(' (')[0]}; it goes on.",
        [
            para(
                f"\u27a1\ufe0f {doc_link(summary.reference, summary.title, summary.link)}: {by}. "
                "It goes on to the next level of its sign-off."
            ),
            _status(summary, render),
        ],
    )


def interim_approved(summary: ReviewSummary, render: Render) -> Card:
    decision = _decision(summary, render)
    by = describe_decision(decision, render.zone) if decision else "Approved in the interim"
    stage = summary.stage
    where = (
        f"the {stage.body.name}'s meeting on {day(stage.meeting)}"
        if stage and stage.meeting
        else "the next meeting"
    )
    return card(
        f"{summary.reference} is approved in the interim; it goes to {where} for ratification.",
        [
            para(
                f"\u23f3 {doc_link(summary.reference, summary.title, summary.link)}: {by}. It can "
                f"be used now, and goes to {escape(where)} for full approval."
            ),
            _status(summary, render),
        ],
    )


def interim_request(summary: ReviewSummary, render: Render) -> Card:
    stage = summary.stage
    outright = render.payload.get("how") == "information"
    live = (
        stage is not None
        and summary.state in (State.AWAITING_APPROVAL, State.IN_CONSULTATION)
        and stage.agenda_kind == "decision"
        and (stage.information_by if outright else stage.interim_by) is not None
    )
    meeting = (
        f"the {stage.body.name}'s meeting on {day(stage.meeting)}"
        if stage and stage.meeting
        else "the next meeting"
    )
    if outright:
        ask = (
            f"may approve it outright: the review is then complete, and {meeting} notes it as "
            "an information item."
        )
        label, verb = "Approve (for information)", INFORMATION
    else:
        ask = (
            f"may approve it in the interim: it can be used at once, and goes to {meeting} for "
            "full approval."
        )
        label, verb = "Approve in the interim", INTERIM
    return card(
        f"{summary.reference}: approval asked before {meeting}.",
        [
            heading(f"Approval asked: {summary.reference}"),
            para(
                f"{mention(summary.owner)} asks for "
                f"{doc_link(summary.reference, summary.title, summary.link)} not to wait for "
                f"{escape(meeting)}. You {ask}"
            ),
            para(_submission(summary)),
            buttons(button(label, verb, button_value(summary), primary=True)) if live else None,
            _status(summary, render),
        ],
    )


def consultation_request(summary: ReviewSummary, render: Render) -> Card:
    consultation = summary.consultation
    live = (
        summary.state is State.IN_CONSULTATION
        and consultation is not None
        and consultation.id == render.payload.get("consultation_id")
        and not consultation.closed
    )
    closes = day(consultation.closes_on) if consultation else "the deadline"
    silence = (
        " No answer by then counts as agreement."
        if consultation is not None and consultation.silence_is_agreement
        else ""
    )
    value = button_value(summary)
    return card(
        f"{summary.reference} {summary.title}: your comments by {closes}.",
        [
            heading(f"For comment: {summary.reference}"),
            para(_title(summary)),
            para(
                "You are consulted on this draft before it goes for decision. Comment by "
                f"{bold(closes)}, or say you have none.{silence}"
            ),
            para(_submission(summary)),
            buttons(
                button("Comment", COMMENT, value, primary=True),
                button("No comments", NO_COMMENTS, value),
            )
            if live
            else None,
            note(status_line(summary, render) if live else bold("The consultation has closed.")),
        ],
    )


def consultation_comment(summary: ReviewSummary, render: Render) -> Card:
    consultation = summary.consultation
    comments = consultation.comments if consultation else []
    lines = [f"- {bold(escape(c.person))}: {escape(c.text or '')}" for c in comments]
    return card(
        f"A comment on {summary.reference} {summary.title}.",
        [
            para(
                f"\U0001f4ac Comments on {doc_link(summary.reference, summary.title, summary.link)}"
                " so far:\n\n" + clip("\n".join(lines) or "none", 3000)
            ),
            _status(summary, render),
        ],
    )


def consultation_closed(summary: ReviewSummary, render: Render) -> Card:
    consultation = summary.consultation
    may_revise = (
        summary.state is State.AWAITING_APPROVAL
        and summary.stage is not None
        and not any(
            d.submission_id == (summary.latest.id if summary.latest else None)
            and d.body.key == summary.stage.body.key
            for d in summary.decisions
        )
    )
    counts = consultation.in_words() if consultation else ""
    return card(
        f"The consultation on {summary.reference} closed: {counts}.",
        [
            heading(f"Consultation closed: {summary.reference}"),
            para(_consultation(summary) or bold("Consultation") + " closed."),
            para(
                "Take the comments into a second draft and submit it before the decision, or "
                "leave the draft as it is."
            )
            if may_revise
            else None,
            buttons(
                button("Submit a second draft", SUBMIT_DRAFT, button_value(summary), primary=True)
            )
            if may_revise
            else None,
            _status(summary, render),
        ],
    )


Builder = Callable[[ReviewSummary, Render], Card]

BUILDERS: dict[str, Builder] = {
    "reminder": reminder,
    "reminder_note": reminder_note,
    "approval_request": approval_request,
    "conditions": conditions,
    "outcome": outcome,
    "target_agreement": target_agreement,
    "publication_request": publication_request,
    "escalation": escalation,
    "nudge": nudge,
    "target_declined": target_declined,
    "update_request": update_request,
    "round_note": round_note,
    "round_warning": round_warning,
    "review_requested": review_requested,
    "no_changes_explained": no_changes_explained,
    "new_document": new_document,
    "scheduled": scheduled,
    "moved_on": moved_on,
    "interim_approved": interim_approved,
    "interim_request": interim_request,
    "consultation_request": consultation_request,
    "consultation_comment": consultation_comment,
    "consultation_closed": consultation_closed,
}


# --- meetings -------------------------------------------------------------------------------

_KIND_WORDS = {
    "decision": "for decision",
    "ratification": "for ratification (approved in the interim)",
    "information": "for information (approved outright)",
}
_ITEM_OUTCOMES = {
    "approved": "Approved",
    "approved_with_conditions": "Approved with conditions",
    "referred": "Referred on",
    "noted": "Noted",
    "rolled": "Not reached: rolled to the next meeting",
}
ITEMS_PER_MESSAGE = 20


def _item_text(number: int, item: Any, render: Render) -> str:
    s = item.summary
    latest = s.latest
    paper = (
        f"[the draft]({latest.link})"
        if latest and latest.link
        else "no-changes statement"
        if latest and latest.kind == "no_changes"
        else "no paper linked"
    )
    lines = [
        f"{bold(str(number) + '.')} {doc_link(s.reference, s.title, s.link)} \u2014 "
        f"{_KIND_WORDS[item.kind]} \u00b7 {paper} \u00b7 owner {mention(s.owner)}"
    ]
    if latest is not None and latest.kind == "draft":
        lines.append(f"_Changes:_ {escape(clip(latest.summary, 300))}")
    consultation = _consultation(s)
    if consultation:
        lines.append(clip(consultation, 1200))
    if item.note:
        lines.append(f"_{escape(item.note)}_")
    return "\n\n".join(lines)


def _item_settled(item: Any, render: Render) -> str | None:
    if item.outcome is None:
        return None
    words = _ITEM_OUTCOMES.get(item.outcome, item.outcome)
    decision = next(
        (d for d in reversed(item.summary.decisions) if d.outcome == item.outcome), None
    )
    if decision is not None and item.outcome != "rolled":
        words = describe_decision(decision, render.zone)
        if decision.text:
            words += f": {escape(clip(decision.text, 300))}"
    elif item.recorded_by:
        words += f" ({escape(item.recorded_by)})"
    return bold(words)


def _item_live(item: Any) -> bool:
    s = item.summary
    if item.kind == "information":
        return True
    return s.state is State.AWAITING_APPROVAL and s.stage is not None and s.stage.meets


def papers(view: Any, render: Render, *, for_chair: bool = True) -> Card:
    when = day(view.held_on)
    open_items = [i for i in view.items if i.outcome is None]
    body: list[Any] = [
        heading(f"{view.body.short}: papers for {when}"),
        para(
            f"{bold(str(len(view.items)))} items for the {escape(view.body.name)}'s meeting on "
            f"{bold(when)}"
            + (f", chaired by {escape(view.chair)}" if view.chair else "")
            + ". "
            + (
                "The chair records each decision with the buttons under it, during or after the "
                "meeting; what is not decided rolls to the next meeting when it is closed."
                if for_chair and not view.closed
                else "Read the drafts before the meeting."
            )
        ),
    ]
    shown = list(view.items)[:ITEMS_PER_MESSAGE]
    for number, item in enumerate(shown, start=1):
        live = for_chair and not view.closed and item.outcome is None and _item_live(item)
        body.append(para(_item_text(number, item, render), separator=True))
        if live:
            if item.kind == "information":
                body.append(buttons(act("Noted", NOTE_ITEM, str(item.id), primary=True)))
            else:
                body.append(buttons(*decision_buttons(item.summary)))
        settled = _item_settled(item, render)
        if settled:
            body.append(note(settled))
    left = len(view.items) - len(shown)
    if left:
        body.append(note(f"\u2026and {left} more items."))
    if view.closed:
        body.append(note(bold("Closed") + ": the minutes follow."))
    elif for_chair:
        body.append(
            buttons(act("Close the meeting and post the minutes", CLOSE_MEETING, str(view.id)))
        )
    return card(
        f"{view.body.short} meeting {when}: {len(view.items)} items, {len(open_items)} to decide.",
        body,
    )


def minutes(view: Any, render: Render) -> Card:
    when = day(view.held_on)
    body: list[Any] = [
        heading(f"Minutes: {view.body.short}, {when}"),
        para(
            f"The {escape(view.body.name)} met on {bold(when)}"
            + (f" (chair: {escape(view.chair)})" if view.chair else "")
            + f". {len(view.items)} items."
        ),
    ]
    for number, item in enumerate(list(view.items)[:40], start=1):
        s = item.summary
        settled = _item_settled(item, render) or bold("Not decided")
        body.append(
            para(
                f"{bold(str(number) + '.')} {doc_link(s.reference, s.title, s.link)} \u2014 "
                + settled
            )
        )
    return card(f"Minutes of the {view.body.name} meeting on {when}.", body)


def meeting_report(view: Any, render: Render) -> Card:
    when = day(view.held_on)
    approved = [i for i in view.items if i.outcome in ("approved", "noted")]
    exceptions = [i for i in view.items if i not in approved]

    def listed(items: Sequence[Any], title: str, how: Callable[[Any], str]) -> Any:
        lines = [
            f"- {doc_link(i.summary.reference, i.summary.title, i.summary.link)}{how(i)}"
            for i in items
        ]
        return para(clip(bold(title) + "\n\n" + "\n".join(lines), 3500)) if items else None

    return card(
        f"{view.body.name} {when}: {len(approved)} approved, {len(exceptions)} exceptions.",
        [
            heading(f"{view.body.short} {when}: report"),
            para(
                f"The {escape(view.body.name)} met on {bold(when)}: {bold(str(len(approved)))} new "
                f"and revised documents approved, {bold(str(len(exceptions)))} exceptions."
            ),
            listed(
                approved,
                "Approved",
                lambda i: (
                    f" \u2014 version {escape(i.summary.version)}" if i.summary.version else ""
                ),
            ),
            listed(
                exceptions,
                "Exceptions",
                lambda i: " \u2014 " + _ITEM_OUTCOMES.get(i.outcome or "", "not decided").lower(),
            ),
        ],
    )


def agenda(body: BodyRef, meeting: date, items: Sequence[ReviewSummary], render: Render) -> Card:
    if not items:
        return card(
            f"{body.short} meeting {day(meeting)}: no policy items.",
            [
                para(
                    f"{bold(f'{body.short} meeting {day(meeting)}')}: nothing waits for the "
                    f"{escape(body.name)}, so there are no policy items for the agenda."
                )
            ],
        )
    elements: list[Any] = [
        heading(f"{body.short} agenda: {day(meeting)}"),
        para(
            f"{len(items)} documents wait for the {escape(body.name)}'s decision. Papers are "
            "linked below; decide in the request messages."
        ),
    ]
    for number, summary in enumerate(items, start=1):
        latest = summary.latest
        paper = (
            f"[paper]({latest.link})"
            if latest and latest.link
            else "no-changes statement"
            if latest and latest.kind == "no_changes"
            else "no paper linked"
        )
        referral = words.referral_to(summary, body.key)
        why = f"\n\n{quote(referral.text)}" if referral and referral.text else ""
        by = (
            f" \u00b7 {past(referral.body.refer_word)} by {mention(referral.decided_by)}"
            if referral
            else ""
        )
        elements.append(
            para(
                f"{bold(str(number) + '.')} "
                f"{doc_link(summary.reference, summary.title, summary.link)} \u2014 {paper} "
                f"\u00b7 owner {mention(summary.owner)}{by}{why}",
                separator=True,
            )
        )
    return card(f"{body.short} agenda for {day(meeting)}: {len(items)} policy items.", elements)


# --- the periodic posts and notices ---------------------------------------------------------


def _doc_line(view: DocumentView, today: date) -> str:
    late = (today - view.next_review_due).days
    when = bold(f"{late} days overdue") if late > 0 else f"due {day(view.next_review_due)}"
    target = f" \u00b7 target {day(view.target_date)}" if view.target_date else ""
    return (
        f"- {doc_link(view.reference, view.title, view.link)} \u2014 {when}, "
        f"{view.state.label}{target} \u00b7 {mention(view.owner)}"
    )


def _grouped(title: str, views: Sequence[DocumentView], today: date) -> list[Any]:
    groups: dict[str, list[DocumentView]] = {}
    for view in views:
        groups.setdefault(view.service_area or "No service area", []).append(view)
    found: list[Any] = []
    for n, (area, items) in enumerate(sorted(groups.items())):
        head = (bold(title) + "\n\n" if n == 0 else "") + f"_{escape(area)}_"
        lines: list[str] = []
        size = len(head)
        for view in items[:AREA_LINES]:
            line = clip(_doc_line(view, today), 400)
            if size + len(line) > 3500:
                break
            lines.append(line)
            size += len(line) + 1
        if len(lines) < len(items):
            lines.append(f"- \u2026and {len(items) - len(lines)} more: `signoff export` lists them")
        found.append(para(head + "\n\n" + "\n".join(lines)))
    return found


def digest(data: Any, render: Render) -> Card:
    today = render.today
    problems = len(data.without_owner) + len(data.not_in_slack)
    text = (
        f"signoff weekly: {len(data.overdue)} overdue, {len(data.due_soon)} due soon, "
        f"{len(data.awaiting)} awaiting a decision, {problems} register problems."
    )
    if not (data.overdue or data.due_soon or data.awaiting or problems):
        return card(
            "signoff weekly: all clear.",
            [
                para(
                    "\u2705 **All clear this week.** Nothing is overdue, nothing falls due in the "
                    f"next {data.due_soon_days} days, and no decision is waiting."
                )
            ],
        )
    body: list[Any] = [
        heading(f"Policies and procedures: week of {day(today)}"),
        facts(
            [
                ("Overdue", str(len(data.overdue))),
                (f"Due in the next {data.due_soon_days} days", str(len(data.due_soon))),
                ("Awaiting a decision", str(len(data.awaiting))),
                ("Register problems", str(problems)),
            ]
        ),
        *_grouped("Overdue", data.overdue, today),
        *_grouped(f"Due in the next {data.due_soon_days} days", data.due_soon, today),
    ]
    if data.awaiting:
        lines = [
            f"- {doc_link(s.reference, s.title, s.link)} \u2014 {status_line(s, render)}"
            for s in data.awaiting
        ]
        body.append(para(bold("Awaiting a decision") + "\n\n" + "\n".join(lines)))
    if problems:
        lines = [
            f"- {doc_link(v.reference, v.title, v.link)} has no owner: its approver "
            f"{mention(v.approver)} acts as owner"
            for v in data.without_owner
        ]
        lines += [
            f"- signoff cannot reach {bold(escape(email))} (holds {escape(', '.join(held[:8]))})"
            for email, held in data.not_in_slack
        ]
        body.append(para(bold("Register problems") + "\n\n" + "\n".join(lines)))
    body.append(note("Counts first; each list grouped by service area."))
    return card(text, body, more="`signoff export` lists every document.")


def monthly_report(
    month: str, approved: Sequence[ReviewSummary], pending: Sequence[DocumentView], render: Render
) -> Card:
    label = date.fromisoformat(f"{month}-01").strftime("%B %Y")
    body: list[Any] = [
        heading(f"Policies and procedures: {label}"),
        para(
            f"{bold(str(len(approved)))} reviews completed in {label} \u00b7 "
            f"{bold(str(len(pending)))} approved versions waiting to be published"
        ),
    ]
    if approved:
        lines = [
            f"- {doc_link(s.reference, s.title, s.link)} \u2014 "
            + (
                "no changes"
                if s.outcome == "approved_no_changes"
                else f"version {escape(s.version or '')}"
            )
            for s in approved
        ]
        body.append(para(bold("Completed") + "\n\n" + "\n".join(lines)))
    if pending:
        lines = [
            f"- {doc_link(v.reference, v.title, v.link)} \u2014 version "
            f"{escape(v.pending_publication_version or '')}"
            for v in pending
        ]
        body.append(para(bold("Pending publication") + "\n\n" + "\n".join(lines), separator=True))
    return card(
        f"{label}: {len(approved)} reviews completed, {len(pending)} pending publication.",
        body,
        more="`signoff export` lists every document.",
    )


def round_status(name: str, deadline: date, items: Sequence[Any], render: Render) -> Card:
    counts = Counter(item.status for item in items)
    order = ("decided", "waiting on owner", "waiting on approver", "with a body", "missed")
    summary = " \u00b7 ".join(f"{n}: {bold(str(counts[n]))}" for n in order if counts[n])
    left = (deadline - render.today).days
    lines = [f"- {bold(escape(i.reference))} {escape(i.title)} \u2014 {i.status}" for i in items]
    return card(
        f"Update round {name}: {summary.replace('*', '')}; {left} days to go.",
        [
            heading(f"Update round {name}: {left} days to the deadline"),
            para(f"Deadline {bold(day(deadline))}. {summary}"),
            para("\n".join(lines)) if lines else None,
        ],
    )


def round_report(name: str, deadline: date, items: Sequence[Any], render: Render) -> Card:
    made = [i for i in items if i.status == "decided"]
    missed = [i for i in items if i.status != "decided"]
    return card(
        f"Update round {name} closed on {day(deadline)}: {len(made)} made it, {len(missed)} "
        "missed.",
        [
            heading(f"Update round {name}: the deadline has passed"),
            para(
                f"{bold(str(len(made)))} made it by {day(deadline)}; {bold(str(len(missed)))} "
                "missed and stay open for the next edition. Send the approved ones to the "
                f'provider: `signoff round export "{escape(name)}" FILE`.'
            ),
            para(
                bold("Made it")
                + "\n\n"
                + "\n".join(
                    f"- {bold(escape(i.reference))} {escape(i.title)} \u2014 version "
                    f"{escape(i.version or '')}, approved {day(i.approved_on)}"
                    for i in made
                )
            )
            if made
            else None,
            para(
                bold("Missed")
                + "\n\n"
                + "\n".join(f"- {bold(escape(i.reference))} {escape(i.title)}" for i in missed)
            )
            if missed
            else None,
        ],
    )


def said(text: str, *, warning: bool = False, detail: str = "") -> Card:
    """A notice of a sentence or two (a reassignment, a handover, a deputy named ...)."""
    mark = "\u26a0\ufe0f " if warning else ""
    return card(text, [para(mark + escape(text)), note(detail) if detail else None])


def parked_notice(problem: str, fix: str) -> Card:
    then = "Then run `signoff outbox retry --all` to send what is waiting."
    return card(
        f"signoff cannot deliver some messages: {problem}. To fix it: {fix}. {then}",
        [
            para(f"\u26a0\ufe0f {bold(escape(problem))}, so signoff is holding back messages."),
            para(f"{bold('To fix it:')} {escape(fix)}.\n\n{then}"),
            note(
                "Nothing is lost: what could not be sent waits in the outbox (`signoff outbox` "
                "lists it). You are told once about this, however many messages it stops."
            ),
        ],
    )


def reply(text: str, *, summary: ReviewSummary | None = None, render: Render | None = None) -> Card:
    """An answer to one person: a refusal, a chat reply, with where the review stands."""
    return card(
        text,
        [
            para(escape(text)),
            note(status_line(summary, render)) if summary is not None and render else None,
        ],
    )


def with_deputy_note(message: Card, note_text: str | None) -> Card:
    if not note_text:
        return message
    body = [
        {"type": "TextBlock", "text": f"_{escape(note_text)}_", "wrap": True, "isSubtle": True},
        *message.card["body"],
    ]
    return Card(clip(f"({note_text}) {message.text}", 1000), {**message.card, "body": body})


# --- the register as a whole ----------------------------------------------------------------

# The same verbs as Slack's action ids (bot/platforms/slack/blocks/register.py).
NO_IMPACT = "impact.no_impact"
REVIEW_NOW = "impact.review_now"
LATER = "impact.later"
ANSWERS = {NO_IMPACT: "no_impact", REVIEW_NOW: "review_now", LATER: "later"}
READ_IT = "uptake.read"


def impact_question(view: Any, render: Render) -> Card:
    """ "LAC-014 has changed (summary). Does CP-012 need to change too?" with its three
    answers; once answered, the answer in their place (a *Later* keeps them)."""
    summary = view.summary or "no summary given"
    text = (
        f"{view.changed_reference} has changed ({summary}). Does {view.linked_reference} need "
        "to change too?"
    )
    changed = doc_link(view.changed_reference, view.changed_title, view.changed_link)
    linked = doc_link(view.linked_reference, view.linked_title, view.linked_link)
    how = (
        f"{linked} follows it."
        if view.relation == "follows"
        else f"It follows {linked}, which it must still agree with."
    )
    value = f"{view.review_id}:{view.id}"
    said = None
    if view.answer is not None:
        said = f"Answered: {bold(escape(view.answer_words))}"
        if view.answered_by:
            said += f" \u2014 {escape(view.answered_by)}"
        if view.answered_at:
            said += f", {moment(view.answered_at, render.zone)}"
        if view.answer == "later" and view.ask_again_on:
            said += f". I will ask again on {day(view.ask_again_on)}."
    again = " (asked again)" if view.times_asked > 1 else ""
    return card(
        text,
        [
            heading(f"Does {view.linked_reference} need to change too?{again}"),
            para(
                f"{changed} has changed (version {escape(view.version or '?')}).\n\n"
                f"{bold('What changed')}: {escape(summary)}\n\n{how}"
            ),
            buttons(
                act("No impact", NO_IMPACT, value),
                act("Review now", REVIEW_NOW, value, primary=True),
                act("Later", LATER, value),
            )
            if view.answer in (None, "later")
            else None,
            note(said)
            if said
            else note(
                "Review now opens an unscheduled review with this as "
                "the reason; Later asks again in 14 days."
            ),
        ],
    )


def uptake_note(view: Any, render: Render) -> Card:
    """A published version, to staff: what changed, and *I have read this*."""
    version = f"version {escape(view.version)}" if view.version else "a new version"
    document = doc_link(view.reference, view.title, view.link)
    lead = (
        f"A reminder: you have not yet said you read the latest {document}."
        if view.reminder
        else f"{document} has changed."
    )
    read = view.acknowledged_at is not None
    return card(
        f"{'Reminder: ' if view.reminder else ''}{view.reference} {view.title} has changed "
        f"({version}): please read it and say so.",
        [
            heading(f"{'Reminder: ' if view.reminder else ''}{view.reference} has changed"),
            para(
                f"{lead} {version.capitalize()} was published on {day(view.published_on)}.\n\n"
                f"{bold('What changed')}: {escape(view.summary or 'See the document.')}"
            ),
            None
            if read
            else buttons(act("I have read this", READ_IT, str(view.uptake_id), primary=True)),
            note(
                f"You said you read it on {moment(view.acknowledged_at, render.zone)}. Thank you."
                if read
                else "Read it, then say so: your service keeps a record of who has."
            ),
        ],
    )
