"""What every platform's messages say about a review, written once: where it stands, who
decided what, its history, and what a decision request was for. Each platform hands in its own
`Markup` (how it writes bold, a person, a list, an icon), so Slack and Teams say the same thing
in their own syntax and cannot drift apart."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from workflow.states import State
from workflow.summaries import BodyRef, DecisionView, PersonRef, ReviewSummary
from workflow.words import day as say_day
from workflow.words import past

HISTORY_STEPS = 8


@dataclass(frozen=True)
class Markup:
    """One platform's way of writing: Slack's mrkdwn or Teams' markdown."""

    bold: Callable[[str], str]
    escape: Callable[[str], str]
    mention: Callable[[PersonRef | None], str]
    bullet: str  # how a list item starts
    gap: str  # what separates a list's heading from its items
    icons: Mapping[str, str]  # an icon's name to how the platform shows it


def day(value: date) -> str:
    return say_day(value)


def moment(value: datetime, zone: ZoneInfo) -> str:
    local = value.astimezone(zone)
    return f"{local.day} {local:%b %Y, %H:%M}"


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


OUTCOME_WORDS = {
    "approved": "Approved",
    "approved_with_conditions": "Approved with conditions",
    "interim_approved": "Approved in the interim",
}


def outcome_words(decision: DecisionView) -> str:
    if decision.outcome == "referred" and decision.referred_to is not None:
        return f"{past(decision.body.refer_word).capitalize()} to {decision.referred_to.the}"
    return OUTCOME_WORDS.get(decision.outcome, decision.outcome.replace("_", " ").capitalize())


def describe_decision(decision: DecisionView, zone: ZoneInfo, m: Markup) -> str:
    by = m.mention(decision.decided_by) if decision.decided_by else "an admin"
    body = (
        f" by {decision.body.the}"
        if not decision.body.is_approver and decision.outcome != "referred"
        else ""
    )
    return f"{outcome_words(decision)}{body} ({by}, {moment(decision.decided_at, zone)})"


def status_line(
    summary: ReviewSummary, today: date, zone: ZoneInfo, m: Markup, *, as_of: bool = True
) -> str:
    """Where the review stands now, in one line. A message is read for days after it was
    rendered, so a count of days names the day it was counted on (`as_of`); a list that is
    dated as a whole leaves that out."""
    state = summary.state
    if state is State.CURRENT:
        last = summary.last_decision
        what = (
            "Reviewed: no changes needed"
            if summary.outcome == "approved_no_changes"
            else f"Approved, now version {m.escape(summary.version or '')}"
        )
        by = f" \u00b7 {describe_decision(last, zone, m)}" if last else ""
        return f"{m.icons['done']} {what}{by}"
    overdue = summary.days_overdue(today)
    late = f" \u00b7 {m.bold(f'{overdue} days overdue')}" if overdue else ""
    if late and as_of:
        late += f" as of {day(today)}"
    target = f" \u00b7 target {day(summary.target_date)}" if summary.target_date else ""
    owner = m.mention(summary.owner)
    lines = {
        State.REVIEW_DUE: f"{m.icons['due']} Review due {day(summary.due_date)}",
        State.IN_REVIEW: f"{m.icons['writing']} In review with {owner}",
        State.CHANGES_REQUESTED: f"{m.icons['back']} Changes requested from {owner}",
    }
    return (lines.get(state) or with_a_body(summary, m)) + target + late


def with_a_body(summary: ReviewSummary, m: Markup) -> str:
    """Where a review that waits on a decision stands: the approver, a body, a consultation."""
    stage = summary.stage
    if stage is None or stage.body.is_approver:
        waiting = f"{m.icons['waiting']} Awaiting approval by {m.mention(summary.approver)}"
    else:
        waiting = f"{m.icons['body']} Awaiting the {m.escape(stage.body.name)}"
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
            f"the approval of {m.mention(summary.approver)}"
            if stage is None or stage.body.is_approver
            else f"the {m.escape(stage.body.name)}"
        )
        return f"{m.icons['consultation']} Out for consultation ({when}), then to {then}"
    return waiting


STEP_WORDS = {
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


def history(summary: ReviewSummary, zone: ZoneInfo, m: Markup) -> str | None:
    """The review's last few steps, who took them and when."""
    steps = summary.history[-HISTORY_STEPS:]
    if not steps:
        return None
    lines = [
        f"{m.bullet}{moment(s.at, zone)} \u2014 {m.escape(s.who)}: "
        + STEP_WORDS.get(s.action, s.action.split(".")[-1].replace("_", " "))
        + (f" (for the {m.escape(s.body)})" if s.body else "")
        for s in steps
    ]
    return m.bold("History") + m.gap + "\n".join(lines)


def who_has_decided(summary: ReviewSummary, submission_id: int | None, m: Markup) -> str:
    """For a draft several approvers must approve: who has, and who has not yet."""
    decided = {
        d.decided_by.id: d
        for d in summary.decisions
        if d.submission_id == submission_id and d.body.is_approver and d.decided_by
    }
    lines = [
        f"{m.bullet}{m.mention(a)}: "
        + (
            OUTCOME_WORDS.get(decided[a.id].outcome, "decided")
            if a.id in decided
            else "not yet decided"
        )
        for a in summary.approvers
    ]
    return m.bold("Needs every approver") + m.gap + "\n".join(lines)


@dataclass(frozen=True)
class Ask:
    """What one decision request was for, and whether it still stands: the same facts drive
    the buttons on every platform, so a stale request loses them everywhere at once."""

    submission_id: int | None
    body_key: str
    live: bool  # the request is still the one to answer: its buttons stay
    referral: DecisionView | None  # the referral that brought it to this body, if any
    body: BodyRef | None  # the body asked, when it is not the document's approver
    settled: DecisionView | None  # this body's decision on this submission, once made
    replaced: bool  # a later draft replaced the one this request was for

    @property
    def to_the_approver(self) -> bool:
        return self.body_key == "approver" or self.body is None

    def settled_words(self, zone: ZoneInfo, m: Markup) -> str | None:
        if self.settled is not None:
            return describe_decision(self.settled, zone, m)
        return "A later draft replaced this one." if self.replaced else None


def referral_to(summary: ReviewSummary, body_key: str) -> DecisionView | None:
    """The latest decision that referred the review to this body: why it comes before it."""
    return next(
        (
            d
            for d in reversed(summary.decisions)
            if d.outcome == "referred" and d.referred_to and d.referred_to.key == body_key
        ),
        None,
    )


def requested_stage(payload: Mapping[str, Any]) -> str | None:
    """The stage a decision request was for (requests queued before the governance existed
    were for the approver or the SLT at level 1, and say so in their `body`)."""
    body = payload.get("body")
    return f"{payload.get('level', 1)}.{body}" if body else None


def ask(summary: ReviewSummary, payload: Mapping[str, Any]) -> Ask:
    """Read a decision request's outbox payload against the review as it is now."""
    submission_id = payload.get("submission_id")
    latest, stage = summary.latest, summary.stage
    asked = requested_stage(payload)
    live = (
        summary.state is State.AWAITING_APPROVAL
        and stage is not None
        and latest is not None
        and latest.id == submission_id
        and asked in (None, stage.key)
    )
    body_key = (asked or "1.approver").split(".", 1)[1]
    referral = referral_to(summary, body_key)
    mine = [
        d for d in summary.decisions if d.submission_id == submission_id and d.body.key == body_key
    ]
    named = (
        referral.referred_to
        if referral and referral.referred_to
        else stage.body
        if stage and stage.body.key == body_key
        else None
    )
    return Ask(
        submission_id=submission_id,
        body_key=body_key,
        live=live,
        referral=referral,
        body=None if body_key == "approver" else named,
        settled=mine[-1] if mine else None,
        replaced=bool(latest and latest.id != submission_id),
    )
