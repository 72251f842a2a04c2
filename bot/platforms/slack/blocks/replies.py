"""Answers to one person: help, lists of documents, refusals, and what a chat reply was taken as."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.platforms.slack.blocks.kit import (
    Msg,
    context,
    day,
    doc_link,
    escape,
    header,
    mention,
    message,
    section,
    sections,
)
from bot.platforms.slack.blocks.reviews import Render, status_line
from workflow.chat import DATE_EXAMPLES
from workflow.summaries import DocumentView, ReviewSummary

LIST_LIMIT = 40

HELP_TEXT = (
    "*signoff* runs the review of your policies and procedures.\n"
    "\u2022 *Write to me* a date for a review: " + DATE_EXAMPLES + ". Name the document "
    "(e.g. LAC-014), or reply in the thread of my message about it.\n"
    "\u2022 *status* or *what's due*: your open reviews.\n"
    "\u2022 Anything else you write about a review is kept on its history.\n"
    "\u2022 */signoff* `mine` \u00b7 `due` \u00b7 `overdue` \u00b7 `find TEXT` \u00b7 "
    "`show REFERENCE` \u00b7 `help`\n"
    "\u2022 `/signoff request REFERENCE`: ask for an unscheduled review \u00b7 "
    "`/signoff away FROM TO @deputy`: someone to stand in while you are away\n"
    "\u2022 For the policy officer: `/signoff round` (an update round), `new` (a new "
    "document), `reassign`, `link LAC-014 CP-012` (CP-012 follows LAC-014), `unlink`"
)


def help_message(unknown: str | None = None) -> Msg:
    """How to use signoff; after `unknown`, a /signoff word it does not know, saying so first."""
    if unknown:
        said = f"Unknown command `/signoff {escape(unknown)}`. These are the ones there are:"
        return message(
            f"Unknown command /signoff {unknown}: /signoff help lists them.",
            [section(said), section(HELP_TEXT)],
        )
    return message(
        "How to use signoff: write a date, status, or a note; or /signoff help.",
        [section(HELP_TEXT)],
    )


def refusal(text: str, summary: ReviewSummary | None, render: Render) -> Msg:
    """Why nothing happened, and where the review stands now."""
    blocks = [section(f":no_entry_sign: {escape(text)}")]
    if summary is not None:
        blocks.append(
            context(f"{escape(summary.reference)} now: {status_line(summary, render, as_of=False)}")
        )
    now = f" Now: {summary.reference} {summary.state.label}." if summary else ""
    return message(f"{text}{now}", blocks)


def document_lines(views: Sequence[DocumentView], today: date) -> list[str]:
    lines = []
    for view in views[:LIST_LIMIT]:
        late = view.days_overdue(today)
        due = f"*{late} days overdue*" if late else f"due {day(view.next_review_due)}"
        target = f", target {day(view.target_date)}" if view.target_date else ""
        lines.append(
            f"\u2022 {doc_link(view.reference, view.title, view.link)} \u2014 "
            f"{view.state.label}, {due}{target} \u00b7 owner {mention(view.owner)}"
        )
    if len(views) > LIST_LIMIT:
        lines.append(
            f"_\u2026and {len(views) - LIST_LIMIT} more: `signoff export` lists them all._"
        )
    return lines


def document_list(title: str, views: Sequence[DocumentView], today: date, *, empty: str) -> Msg:
    if not views:
        return message(f"{title}: {empty}", [section(f"*{escape(title)}*\n{escape(empty)}")])
    blocks = [header(title), *sections(document_lines(views, today))]
    return message(f"{title}: {len(views)} documents", blocks)


def document_card(view: DocumentView, summary: ReviewSummary | None, render: Render) -> Msg:
    facts = (
        f"{view.doc_type.replace('_', ' ').capitalize()}"
        f"{' · v' + escape(view.version) if view.version else ''}"
        f"{' · ' + escape(view.service_area) if view.service_area else ''}\n"
        f"Owner {mention(view.owner)} \u00b7 approver {mention(view.approver)}\n"
        f"Last approved {day(view.last_approved) if view.last_approved else 'never'} "
        f"\u00b7 next review {day(view.next_review_due)}"
    )
    blocks = [section(doc_link(view.reference, view.title, view.link) + "\n" + facts)]
    if summary is not None:
        blocks.append(context(status_line(summary, render, as_of=False)))
    elif view.pending_publication_version:
        blocks.append(
            context(
                f"Version {escape(view.pending_publication_version)} approved, pending publication"
            )
        )
    return message(f"{view.reference} {view.title}: {view.state.label}", blocks)


def target_set(reference: str, when: date, due: date, phrase: str | None) -> Msg:
    late = (when - due).days
    after = (
        f" That is {late} days after its due date ({day(due)}), so I have asked the "
        "approver to agree."
        if late > 0
        else ""
    )
    said = f" (from \u201c{escape(phrase)}\u201d)" if phrase else ""
    text = f"Noted: you will finish {reference} by {day(when)}{said}.{after}"
    return message(text, [section(f":spiral_calendar_pad: {text}")])


def cannot_place(text: str, choices: Sequence[str]) -> Msg:
    which = (
        f" You have open reviews of {', '.join(choices[:10])}: name one, e.g. "
        f"\u201c{choices[0]} by the end of next month\u201d."
        if choices
        else " You have no open reviews at the moment."
    )
    body = (
        f"I could not tell which review \u201c{escape(text)}\u201d is about.{which} Or "
        "reply in the thread of my message about it."
    )
    return message(body, [section(body)])


def no_such_document(written: str, did_you_mean: str | None, choices: Sequence[str]) -> Msg:
    """A reply naming a reference the register does not hold: nothing was changed."""
    hint = (
        f" Did you mean {did_you_mean}?"
        if did_you_mean
        else f" Your open reviews are of {', '.join(choices[:10])}."
        if choices
        else " `/signoff find TEXT` finds a document by its title."
    )
    body = (
        f"There is no document {escape(written)} in the register, so I have changed nothing.{hint}"
    )
    return message(body, [section(body)])


def bad_date(phrase: str, reference: str | None) -> Msg:
    about = f" for {reference}" if reference else ""
    body = (
        f"I understood that you meant a date{about}, but I could not read "
        f"\u201c{escape(phrase)}\u201d as a date. Try {DATE_EXAMPLES}."
    )
    return message(body, [section(body)])


def note_kept(reference: str) -> Msg:
    body = f"Thanks: I have kept that on the history of the {reference} review."
    return message(body, [section(body)])


def status(summaries: Sequence[ReviewSummary], render: Render) -> Msg:
    if not summaries:
        body = "You have no open reviews. :tada:"
        return message(body, [section(body)])
    lines = [
        f"\u2022 {doc_link(s.reference, s.title, s.link)} \u2014 "
        f"{status_line(s, render, as_of=False)}"
        for s in summaries[:LIST_LIMIT]
    ]
    blocks = [header(f"Your open reviews ({len(summaries)})"), section("\n".join(lines))]
    return message(f"You have {len(summaries)} open reviews.", blocks)
