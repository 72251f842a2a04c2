"""Messages about the register as a whole: the question to a linked document's owner after a
change, the note that asks staff to read what was published, and the uptake in App Home.
Pure functions of plain data (workflow.links.QuestionView, workflow.uptake.NoteView, Rate)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from bot.platforms.slack.blocks.kit import (
    Msg,
    actions,
    button,
    context,
    day,
    doc_link,
    escape,
    header,
    message,
    moment,
    quote,
    section,
)
from bot.platforms.slack.blocks.reviews import Render
from workflow.links import QuestionView
from workflow.uptake import NoteView, Rate

NO_IMPACT = "impact.no_impact"
REVIEW_NOW = "impact.review_now"
LATER = "impact.later"
ANSWER_ACTIONS = {NO_IMPACT: "no_impact", REVIEW_NOW: "review_now", LATER: "later"}
READ_IT = "uptake.read"


def impact_question(view: QuestionView, render: Render) -> Msg:
    """ "LAC-014 has changed (summary). Does CP-012 need to change too?" with its three
    answers; once answered, the answer in their place (a *Later* keeps them, to answer
    sooner)."""
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
    again = " (asked again)" if view.times_asked > 1 else ""
    blocks: list[Any] = [
        header(f"Does {view.linked_reference} need to change too?{again}"),
        section(
            f":link: {changed} has changed (version {escape(view.version or '?')}).\n"
            f"*What changed*\n{quote(summary)}\n{how} Does "
            f"*{escape(view.linked_reference)}* need to change too?"
        ),
    ]
    value = f"{view.review_id}:{view.id}"
    buttons = [
        button("No impact", NO_IMPACT, value),
        button("Review now", REVIEW_NOW, value, style="primary"),
        button("Later", LATER, value),
    ]
    if view.answer in (None, "later"):
        blocks.append(actions(f"impact:{view.id}", *buttons))
    if view.answer is not None:
        said = f"*{view.answer_words}*"
        if view.answered_by:
            said += f" \u2014 {escape(view.answered_by)}"
        if view.answered_at:
            said += f", {moment(view.answered_at, render.zone)}"
        if view.answer == "later" and view.ask_again_on:
            said += f". I will ask again on {day(view.ask_again_on)}."
        if view.answer == "review_now":
            said += f". A review of {escape(view.linked_reference)} is open, the reason given."
        blocks.append(context(f"Answered: {said}"))
    else:
        blocks.append(
            context(
                "*Review now* opens an unscheduled review with this as the reason; *Later* "
                "asks again in 14 days."
            )
        )
    return message(text, blocks)


def uptake_note(view: NoteView, render: Render) -> Msg:
    """A published version, to staff: what changed, and *I have read this*."""
    version = f"version {escape(view.version)}" if view.version else "a new version"
    document = doc_link(view.reference, view.title, view.link)
    lead = (
        f":bell: A reminder: you have not yet said you read the latest {document}."
        if view.reminder
        else f":page_facing_up: {document} has changed."
    )
    blocks: list[Any] = [
        header(f"{'Reminder: ' if view.reminder else ''}{view.reference} has changed"),
        section(
            f"{lead} {version.capitalize()} was published on {day(view.published_on)}.\n"
            f"*What changed*\n{quote(view.summary or 'See the document.')}"
        ),
    ]
    if view.acknowledged_at is None:
        blocks.append(
            actions(
                f"uptake:{view.uptake_id}",
                button("I have read this", READ_IT, str(view.uptake_id), style="primary"),
            )
        )
        blocks.append(context("Read it, then say so: your service keeps a record of who has."))
    else:
        blocks.append(
            context(
                f":white_check_mark: You said you read it on "
                f"{moment(view.acknowledged_at, render.zone)}. Thank you."
            )
        )
    text = (
        f"{'Reminder: ' if view.reminder else ''}{view.reference} {view.title} has changed "
        f"({version}): please read it and say so."
    )
    return message(text, blocks)


def uptake_home(by_area: Sequence[Rate], by_document: Sequence[Rate], limit: int = 10) -> list[Any]:
    """App Home's section for admins: who has read what was published, by service area and
    for the latest documents."""
    if not by_area:
        return []
    areas = [
        f"\u2022 *{escape(rate.title)}*: *{rate.percent}* ({rate.read} of {rate.sent} read)"
        for rate in by_area
    ]
    latest = sorted(by_document, key=lambda r: r.published_on or date.min, reverse=True)[:limit]
    documents = [
        f"\u2022 {escape(rate.reference)} v{escape(rate.version or '?')}: *{rate.percent}* "
        f"({rate.read} of {rate.sent}; {rate.reminded} reminded)"
        for rate in latest
    ]
    return [
        header("Read by staff"),
        section("*By service area*\n" + "\n".join(areas)),
        section("*Latest published*\n" + "\n".join(documents)),
        context("`signoff uptake REFERENCE` for every version of one document."),
    ]
