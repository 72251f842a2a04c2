"""The periodic posts: the weekly digest, the SLT agenda and the monthly report. Pure functions
of plain data; `counts first`, grouped by service area, within Slack's 50 blocks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.blocks.kit import (
    Msg,
    context,
    day,
    divider,
    doc_link,
    escape,
    header,
    mention,
    message,
    quote,
    section,
    sections,
)
from bot.blocks.reviews import Render, status_line
from workflow.summaries import DocumentView, ReviewSummary

ELLIPSIS = "\u2026"
BUDGET = 40  # blocks for the overdue and due-soon lists; the rest of the 50 for the others
MORE = "See them all with `/signoff overdue`, `/signoff due`, or `signoff export`."


@dataclass(frozen=True)
class DigestData:
    overdue: Sequence[DocumentView]
    due_soon: Sequence[DocumentView]
    awaiting: Sequence[ReviewSummary]
    without_owner: Sequence[DocumentView]
    not_in_slack: Sequence[tuple[str, list[str]]]
    due_soon_days: int


def _by_area(views: Sequence[DocumentView]) -> dict[str, list[DocumentView]]:
    groups: dict[str, list[DocumentView]] = defaultdict(list)
    for view in views:
        groups[view.service_area or "No service area"].append(view)
    return dict(sorted(groups.items()))


def _doc_line(view: DocumentView, today: date) -> str:
    late = (today - view.next_review_due).days
    when = f"*{late} days overdue*" if late > 0 else f"due {day(view.next_review_due)}"
    target = f" \u00b7 target {day(view.target_date)}" if view.target_date else ""
    return (
        f"\u2022 {doc_link(view.reference, view.title, view.link)} \u2014 {when}, "
        f"{view.state.label}{target} \u00b7 {mention(view.owner)}"
    )


def _grouped(title: str, views: Sequence[DocumentView], today: date) -> list[list[Any]]:
    """Per service area, the blocks that list it: kept whole so that a cut is per area."""
    groups = []
    for n, (area, items) in enumerate(_by_area(views).items()):
        heading = (f"*{title}*\n" if n == 0 else "") + f"_{escape(area)}_"
        groups.append(sections([_doc_line(v, today) for v in items], heading=heading))
    return groups


def _within(groups: list[tuple[list[Any], int]], budget: int) -> tuple[list[Any], int]:
    """As many whole groups as fit in `budget` blocks, and how many documents were left out."""
    kept: list[Any] = []
    left_out = 0
    for blocks, documents in groups:
        if len(kept) + len(blocks) <= budget:
            kept.extend(blocks)
        else:
            left_out += documents
    return kept, left_out


def digest(data: DigestData, render: Render) -> Msg:
    today = render.today
    problems = len(data.without_owner) + len(data.not_in_slack)
    counts = (
        f"*{len(data.overdue)}* overdue \u00b7 *{len(data.due_soon)}* due in the next "
        f"{data.due_soon_days} days \u00b7 *{len(data.awaiting)}* awaiting a decision "
        f"\u00b7 *{problems}* register problems"
    )
    text = (
        f"signoff weekly: {len(data.overdue)} overdue, {len(data.due_soon)} due soon, "
        f"{len(data.awaiting)} awaiting a decision, {problems} register problems."
    )
    if not (data.overdue or data.due_soon or data.awaiting or problems):
        body = (
            ":white_check_mark: *All clear this week.* Nothing is overdue, nothing falls "
            f"due in the next {data.due_soon_days} days, and no decision is waiting."
        )
        return message("signoff weekly: all clear.", [section(body)])
    blocks: list = [header(f"Policies and procedures: week of {day(today)}"), section(counts)]
    groups = [
        (g, n)
        for title, views in (
            ("Overdue", data.overdue),
            (f"Due in the next {data.due_soon_days} days", data.due_soon),
        )
        for g, n in zip(
            _grouped(title, views, today), [len(v) for v in _by_area(views).values()], strict=True
        )
    ]
    listed, left_out = _within(groups, BUDGET)
    blocks += listed
    if data.awaiting:
        lines = [
            f"\u2022 {doc_link(s.reference, s.title, s.link)} \u2014 {status_line(s, render)}"
            for s in data.awaiting
        ]
        blocks.append(section("*Awaiting a decision*\n" + "\n".join(lines)))
    if problems:
        lines = [
            f"\u2022 {doc_link(v.reference, v.title, v.link)} has no owner: its approver "
            f"{mention(v.approver)} acts as owner"
            for v in data.without_owner
        ]
        lines += [
            f"\u2022 Slack does not know *{escape(email)}* (holds "
            f"{escape(', '.join(held[:8]))}{ELLIPSIS if len(held) > 8 else ''})"
            for email, held in data.not_in_slack
        ]
        blocks.append(section("*Register problems*\n" + "\n".join(lines)))
    more = f"\u2026and {left_out} more documents not listed here. " if left_out else ""
    blocks.append(context(f"{more}Counts first; each list grouped by service area. {MORE}"))
    return message(text, blocks, more=MORE)


def slt_agenda(meeting: date, items: Sequence[ReviewSummary], render: Render) -> Msg:
    if not items:
        body = (
            f"*SLT meeting {day(meeting)}*: nothing has been deferred to the SLT, so "
            "there are no policy items for the agenda."
        )
        return message(f"SLT meeting {day(meeting)}: no policy items.", [section(body)])
    blocks: list = [
        header(f"SLT agenda: {day(meeting)}"),
        section(
            f"{len(items)} documents deferred to the SLT for decision. Papers "
            "are linked below; decide in the request messages above."
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
        deferral = next(
            (d for d in reversed(summary.decisions) if d.outcome == "deferred_to_slt"), None
        )
        why = f"\n{quote(deferral.text)}" if deferral and deferral.text else ""
        blocks.append(
            section(
                f"*{number}.* {doc_link(summary.reference, summary.title, summary.link)}"
                f" \u2014 {paper} \u00b7 owner {mention(summary.owner)} \u00b7 "
                f"deferred by {mention(deferral.decided_by) if deferral else '?'}"
                f"{why}"
            )
        )
    return message(
        f"SLT agenda for {day(meeting)}: {len(items)} policy items.",
        blocks,
        more="The rest are in App Home under Awaiting the SLT.",
    )


def monthly_report(
    month: str, approved: Sequence[ReviewSummary], pending: Sequence[DocumentView], render: Render
) -> Msg:
    label = date.fromisoformat(f"{month}-01").strftime("%B %Y")
    blocks: list = [
        header(f"Policies and procedures: {label}"),
        section(
            f"*{len(approved)}* reviews completed in {label} \u00b7 "
            f"*{len(pending)}* approved versions waiting to be published"
        ),
    ]
    if approved:
        lines = [
            f"\u2022 {doc_link(s.reference, s.title, s.link)} \u2014 "
            + (
                "no changes"
                if s.outcome == "approved_no_changes"
                else f"version {escape(s.version or '')}"
            )
            for s in approved
        ]
        blocks.append(section("*Completed*\n" + "\n".join(lines)))
    if pending:
        blocks.append(divider())
        lines = [
            f"\u2022 {doc_link(v.reference, v.title, v.link)} \u2014 version "
            f"{escape(v.pending_publication_version or '')}"
            for v in pending
        ]
        blocks.append(section("*Pending publication*\n" + "\n".join(lines)))
    return message(
        f"{label}: {len(approved)} reviews completed, {len(pending)} pending publication.",
        blocks,
        more="`signoff export` lists every document.",
    )
