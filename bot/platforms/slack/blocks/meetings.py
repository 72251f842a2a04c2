"""Messages of the governance beyond one decider: meetings (papers the chair records from,
minutes, the report after each), agendas of what waits for a body, consultation, interim
approval, and the owner told where the draft has gone. Pure functions of plain data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from bot.platforms import words
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
    quote,
    section,
)
from bot.platforms.slack.blocks.reviews import (
    ASK_INTERIM,
    COMMENT,
    INFORMATION,
    INTERIM,
    NO_COMMENTS,
    SUBMIT_DRAFT,
    Render,
    _consultation_facts,
    _submission_facts,
    _title_line,
    button_value,
    decision_buttons,
    describe_decision,
    status_line,
)
from workflow.states import State
from workflow.summaries import BodyRef, ReviewSummary
from workflow.words import past

NOTE_ITEM = "meeting.note"
CLOSE_MEETING = "meeting.close"
ITEMS_PER_MESSAGE = 20  # two blocks an item, within Slack's fifty


# --- meetings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    id: int
    kind: str  # decision | ratification | information
    outcome: str | None
    note: str | None
    summary: ReviewSummary
    recorded_by: str | None = None


@dataclass(frozen=True)
class MeetingView:
    id: int
    body: BodyRef
    held_on: date
    chair: str | None
    closed: bool
    items: Sequence[Item]
    reports_to: BodyRef | None = None


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


def _item_lines(number: int, item: Item, render: Render) -> str:
    s = item.summary
    latest = s.latest
    paper = (
        f"<{latest.link}|the draft>"
        if latest and latest.link
        else "no-changes statement"
        if latest and latest.kind == "no_changes"
        else "no paper linked"
    )
    lines = [
        f"*{number}.* {doc_link(s.reference, s.title, s.link)} \u2014 {_KIND_WORDS[item.kind]}"
        f" \u00b7 {paper} \u00b7 owner {mention(s.owner)}"
    ]
    if latest is not None and latest.kind == "draft":
        lines.append(f"_Changes:_ {escape(clip(latest.summary, 300))}")
    consultation = _consultation_facts(s)
    if consultation:
        lines.append(clip(consultation, 1200))
    if item.note:
        lines.append(f"_{escape(item.note)}_")
    return "\n".join(lines)


def _item_actions(item: Item, live: bool) -> list:
    if not live:
        return []
    if item.kind == "information":
        return [button("Noted", NOTE_ITEM, str(item.id), style="primary")]
    return decision_buttons(item.summary)


def _settled(item: Item, render: Render) -> str | None:
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
    return f"*{words}*"


def papers(view: MeetingView, render: Render, *, for_chair: bool = True) -> Msg:
    """The agenda with its papers. The chair's copy (and the channel's) carries a decision's
    buttons under each item, and updates in place as each is recorded."""
    when = day(view.held_on)
    open_items = [i for i in view.items if i.outcome is None]
    blocks: list = [
        header(f"{view.body.short}: papers for {when}"),
        section(
            f"*{len(view.items)}* items for the {escape(view.body.name)}'s meeting on *{when}*"
            + (f", chaired by {escape(view.chair)}" if view.chair else "")
            + ". "
            + (
                "The chair records each decision with the buttons under it, during or after "
                "the meeting; what is not decided rolls to the next meeting when it is closed."
                if for_chair and not view.closed
                else "Read the drafts before the meeting."
            )
        ),
    ]
    shown = list(view.items)[:ITEMS_PER_MESSAGE]
    for number, item in enumerate(shown, start=1):
        live = for_chair and not view.closed and item.outcome is None and _item_is_live(item)
        blocks.append(section(_item_lines(number, item, render)))
        buttons = _item_actions(item, live)
        if buttons:
            blocks.append(actions(f"item:{item.id}", *buttons))
        settled = _settled(item, render)
        if settled:
            blocks.append(context(settled))
    left = len(view.items) - len(shown)
    if left:
        blocks.append(context(f"\u2026and {left} more items: see App Home."))
    if view.closed:
        blocks.append(context("*Closed*: the minutes follow."))
    elif for_chair:
        blocks.append(
            actions(
                f"meeting:{view.id}",
                button("Close the meeting and post the minutes", CLOSE_MEETING, str(view.id)),
            )
        )
    return message(
        f"{view.body.short} meeting {when}: {len(view.items)} items, {len(open_items)} to decide.",
        blocks,
    )


def _item_is_live(item: Item) -> bool:
    s = item.summary
    if item.kind == "information":
        return True
    return s.state is State.AWAITING_APPROVAL and s.stage is not None and s.stage.meets


def minutes(view: MeetingView, render: Render) -> Msg:
    """What the meeting decided, item by item: conditions, referrals, what follows and for whom,
    and who recorded each."""
    when = day(view.held_on)
    blocks: list = [
        header(f"Minutes: {view.body.short}, {when}"),
        section(
            f"The {escape(view.body.name)} met on *{when}*"
            + (f" (chair: {escape(view.chair)})" if view.chair else "")
            + f". {len(view.items)} items."
        ),
    ]
    for number, item in enumerate(list(view.items)[:40], start=1):
        s = item.summary
        outcome = _settled(item, render) or "*Not decided*"
        blocks.append(
            section(f"*{number}.* {doc_link(s.reference, s.title, s.link)} \u2014 {outcome}")
        )
    return message(f"Minutes of the {view.body.name} meeting on {when}.", blocks)


def meeting_report(view: MeetingView, render: Render) -> Msg:
    """To whom the body reports, after each meeting: what was approved, and the exceptions."""
    when = day(view.held_on)
    approved = [i for i in view.items if i.outcome in ("approved", "noted")]
    exceptions = [i for i in view.items if i not in approved]
    blocks: list = [
        header(f"{view.body.short} {when}: report"),
        section(
            f"The {escape(view.body.name)} met on *{when}*: *{len(approved)}* new and revised "
            f"documents approved, *{len(exceptions)}* exceptions."
        ),
    ]
    if approved:
        lines = [
            f"\u2022 {doc_link(i.summary.reference, i.summary.title, i.summary.link)}"
            + (f" \u2014 version {escape(i.summary.version)}" if i.summary.version else "")
            for i in approved
        ]
        blocks.append(section(clip("*Approved*\n" + "\n".join(lines), 2900)))
    if exceptions:
        lines = [
            f"\u2022 {doc_link(i.summary.reference, i.summary.title, i.summary.link)} \u2014 "
            + _ITEM_OUTCOMES.get(i.outcome or "", "not decided").lower()
            for i in exceptions
        ]
        blocks.append(section(clip("*Exceptions*\n" + "\n".join(lines), 2900)))
    return message(
        f"{view.body.name} {when}: {len(approved)} approved, {len(exceptions)} exceptions.",
        blocks,
    )


def agenda(body: BodyRef, meeting: date, items: Sequence[ReviewSummary], render: Render) -> Msg:
    """For a body that decides at any time but meets too: what waits for it, before a meeting."""
    if not items:
        text = (
            f"*{body.short} meeting {day(meeting)}*: nothing waits for the "
            f"{escape(body.name)}, so there are no policy items for the agenda."
        )
        return message(f"{body.short} meeting {day(meeting)}: no policy items.", [section(text)])
    blocks: list = [
        header(f"{body.short} agenda: {day(meeting)}"),
        section(
            f"{len(items)} documents wait for the {escape(body.name)}'s decision. Papers are "
            "linked below; decide in the request messages."
        ),
    ]
    for number, summary in enumerate(items, start=1):
        latest = summary.latest
        paper = (
            f"<{latest.link}|paper>"
            if latest and latest.link
            else "no-changes statement"
            if latest and latest.kind == "no_changes"
            else "no paper linked"
        )
        referral = words.referral_to(summary, body.key)
        why = f"\n{quote(referral.text)}" if referral and referral.text else ""
        by = (
            f" \u00b7 {past(referral.body.refer_word)} by {mention(referral.decided_by)}"
            if referral
            else ""
        )
        blocks.append(
            section(
                f"*{number}.* {doc_link(summary.reference, summary.title, summary.link)}"
                f" \u2014 {paper} \u00b7 owner {mention(summary.owner)}{by}{why}"
            )
        )
    return message(
        f"{body.short} agenda for {day(meeting)}: {len(items)} policy items.",
        blocks,
        more=f"The rest are in App Home, under what waits for the {body.short}.",
    )


# --- about one review ----------------------------------------------------------------------


def _link(summary: ReviewSummary) -> str:
    return doc_link(summary.reference, summary.title, summary.link)


def scheduled(summary: ReviewSummary, render: Render) -> Msg:
    """The owner, told which meeting their draft goes to, and why that one."""
    stage = summary.stage
    if stage is None or stage.meeting is None:
        return message(
            f"{summary.reference}: {status_line(summary, render)}",
            [section(_title_line(summary)), context(status_line(summary, render))],
        )
    value = button_value(summary)
    buttons = []
    if summary.state in (State.AWAITING_APPROVAL, State.IN_CONSULTATION):
        if stage.interim_by is not None and stage.agenda_kind == "decision":
            buttons.append(
                button(
                    f"Ask {stage.interim_by.short} for interim approval",
                    ASK_INTERIM,
                    f"{value}:interim",
                )
            )
        if stage.information_by is not None and stage.agenda_kind == "decision":
            buttons.append(
                button(
                    f"Ask {stage.information_by.short} to approve",
                    ASK_INTERIM,
                    f"{value}:information",
                )
            )
    note = f"\n{escape(stage.meeting_note)}" if stage.meeting_note else ""
    text = f"{summary.reference} goes to the {stage.body.name}'s meeting on {day(stage.meeting)}."
    blocks = [
        section(
            f":calendar: {doc_link(summary.reference, summary.title, summary.link)} goes to the "
            f"*{escape(stage.body.name)}*'s meeting on *{day(stage.meeting)}*.{note}"
        ),
        actions(f"scheduled:{summary.review_id}", *buttons) if buttons else None,
        context(status_line(summary, render)),
    ]
    return message(text, blocks)


def moved_on(summary: ReviewSummary, render: Render) -> Msg:
    """The owner, told a level approved the draft and where it has gone next."""
    decision = next(
        (d for d in summary.decisions if d.id == render.payload.get("decision_id")),
        summary.last_decision,
    )
    by = describe_decision(decision, render.zone) if decision else "Approved"
    text = f"{summary.reference}: {by.split(' (')[0]}; it goes on. {status_line(summary, render)}"
    return message(
        text,
        [
            section(
                f":arrow_right: {doc_link(summary.reference, summary.title, summary.link)}: "
                f"{by}. It goes on to the next level of its sign-off."
            ),
            context(status_line(summary, render)),
        ],
    )


def interim_approved(summary: ReviewSummary, render: Render) -> Msg:
    decision = next(
        (d for d in summary.decisions if d.id == render.payload.get("decision_id")),
        summary.last_decision,
    )
    by = describe_decision(decision, render.zone) if decision else "Approved in the interim"
    stage = summary.stage
    where = (
        f"the {stage.body.name}'s meeting on {day(stage.meeting)}"
        if stage and stage.meeting
        else "the next meeting"
    )
    text = f"{summary.reference} is approved in the interim; it goes to {where} for ratification."
    return message(
        text,
        [
            section(
                f":hourglass_flowing_sand: {_link(summary)}: {by}. It can be used now"
                + (
                    f" (version {escape(summary.version)})"
                    if summary.version and summary.latest and summary.latest.kind == "draft"
                    else ""
                )
                + f", and goes to {escape(where)} for full approval."
            ),
            context(status_line(summary, render)),
        ],
    )


def interim_request(summary: ReviewSummary, render: Render) -> Msg:
    """Someone who may approve in the interim (or outright, for information) is asked to."""
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
        label, action_id = "Approve (for information)", INFORMATION
    else:
        ask = (
            f"may approve it in the interim: it can be used at once, and goes to {meeting} for "
            "full approval."
        )
        label, action_id = "Approve in the interim", INTERIM
    blocks = [
        header(f"Approval asked: {summary.reference}"),
        section(
            f"{mention(summary.owner)} asks for {_link(summary)} not to wait for "
            f"{escape(meeting)}. You {ask}"
        ),
        section(_submission_facts(summary)),
        actions(
            f"interim:{summary.review_id}",
            button(label, action_id, button_value(summary), style="primary"),
        )
        if live
        else None,
        context(status_line(summary, render)),
    ]
    return message(f"{summary.reference}: approval asked before {meeting}.", blocks)


def consultation_request(summary: ReviewSummary, render: Render) -> Msg:
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
    blocks = [
        header(f"For comment: {summary.reference}"),
        section(_title_line(summary)),
        section(
            f"You are consulted on this draft before it goes for decision. Comment by *{closes}*, "
            f"or say you have none.{silence}"
        ),
        section(_submission_facts(summary)),
        actions(
            f"consult:{summary.review_id}",
            button("Comment", COMMENT, value, style="primary"),
            button("No comments", NO_COMMENTS, value),
        )
        if live
        else None,
        context(status_line(summary, render) if live else "*The consultation has closed.*"),
    ]
    return message(f"{summary.reference} {summary.title}: your comments by {closes}.", blocks)


def consultation_comment(summary: ReviewSummary, render: Render) -> Msg:
    """The owner sees each comment as it comes."""
    consultation = summary.consultation
    comments = consultation.comments if consultation else []
    lines = [f"\u2022 *{escape(c.person)}*: {escape(c.text or '')}" for c in comments]
    text = f"A comment on {summary.reference} {summary.title}."
    return message(
        text,
        [
            section(
                f":speech_balloon: Comments on {_link(summary)} so far:\n"
                + clip("\n".join(lines) or "none", 2800)
            ),
            context(status_line(summary, render)),
        ],
    )


def consultation_closed(summary: ReviewSummary, render: Render) -> Msg:
    consultation = summary.consultation
    facts = _consultation_facts(summary) or "*Consultation* closed."
    may_revise = (
        summary.state is State.AWAITING_APPROVAL
        and summary.stage is not None
        and not any(
            d.submission_id == (summary.latest.id if summary.latest else None)
            and d.body.key == summary.stage.body.key
            for d in summary.decisions
        )
    )
    buttons = (
        [button("Submit a second draft", SUBMIT_DRAFT, button_value(summary), style="primary")]
        if may_revise
        else []
    )
    blocks = [
        header(f"Consultation closed: {summary.reference}"),
        section(facts),
        section(
            "Take the comments into a second draft and submit it before the decision, or "
            "leave the draft as it is."
        )
        if may_revise
        else None,
        actions(f"second:{summary.review_id}", *buttons) if buttons else None,
        context(status_line(summary, render)),
    ]
    counts = consultation.in_words() if consultation else ""
    return message(f"The consultation on {summary.reference} closed: {counts}.", blocks)


BUILDERS = {
    "scheduled": scheduled,
    "moved_on": moved_on,
    "interim_approved": interim_approved,
    "interim_request": interim_request,
    "consultation_request": consultation_request,
    "consultation_comment": consultation_comment,
    "consultation_closed": consultation_closed,
}
