"""The periodic posts: the weekly digest, the SLT agenda and the monthly report. Pure functions
of plain data; `counts first`, grouped by service area, within Slack's 50 blocks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.platforms.slack.blocks.kit import (
    Msg,
    context,
    day,
    divider,
    doc_link,
    escape,
    header,
    mention,
    message,
    section,
    sections,
)
from bot.platforms.slack.blocks.reviews import Render, status_line
from workflow.figures import KINDS, STAGES, Figures
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
    late = view.days_overdue(today)
    when = f"*{late} days overdue*" if late else f"due {day(view.next_review_due)}"
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
            f"\u2022 {doc_link(s.reference, s.title, s.link)} \u2014 "
            f"{status_line(s, render, as_of=False)}"
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


def _figures_lines(f: Figures) -> list[str]:
    """The month's figures in words: completions, what is overdue, decisions, stage times."""
    end = f"{f.period.last:%-d %b}"
    kinds = f.decisions_by_kind()
    decisions = ", ".join(f"{kinds[k]} {KIND_WORDS[k]}" for k in KINDS if kinds[k]) or "none"
    lines = [
        f"*{f.completed}* reviews completed (*{f.on_time}* on time, *{f.late}* late) \u00b7 "
        f"*{f.overdue}* overdue on {end}, *{100 * f.rate:.1f}%* of {f.documents} \u00b7 "
        f"*{f.published}* new versions published",
        f"Decisions: {decisions}.",
    ]
    medians = [
        f"{label.lower()} {s.median:g}" for key, label in STAGES if (s := f.stages[key]).count
    ]
    if medians:
        lines.append("Median days: " + ", ".join(medians) + ".")
    made = sum(r.made for r in f.rounds)
    if f.rounds:
        lines.append(
            f"Update rounds: {made} items made their deadline, "
            f"{sum(r.items for r in f.rounds) - made} missed."
        )
    if f.no_owner:
        lines.append(f"{len(f.no_owner)} documents have no owner.")
    return lines


KIND_WORDS = {
    "approved": "approved",
    "approved_with_conditions": "with conditions",
    "referred": "referred",
    "interim_approved": "interim",
}


def monthly_report(
    month: str,
    approved: Sequence[ReviewSummary],
    pending: Sequence[DocumentView],
    render: Render,
    figures: Figures | None = None,
) -> Msg:
    label = date.fromisoformat(f"{month}-01").strftime("%B %Y")
    counts = (
        "\n".join(_figures_lines(figures))
        if figures is not None
        else f"*{len(approved)}* reviews completed in {label}"
    )
    blocks: list = [
        header(f"Policies and procedures: {label}"),
        section(f"{counts}\n*{len(pending)}* approved versions waiting to be published"),
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
    text = f"{label}: {len(approved)} reviews completed, {len(pending)} pending publication."
    if figures is not None:
        text = (
            f"{label}: {figures.completed} reviews completed ({figures.on_time} on time, "
            f"{figures.late} late), {figures.overdue} overdue ({100 * figures.rate:.1f}%), "
            f"{len(pending)} pending publication."
        )
    return message(
        text,
        blocks,
        more="`signoff report month " + month + "` writes the full report.",
    )
