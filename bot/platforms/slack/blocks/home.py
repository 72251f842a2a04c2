"""The App Home tab: for each person what they must review, what awaits their decision and
what was decided recently; for admins also the register's counts and what is overdue."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from slack_sdk.models.blocks import ImageBlock
from slack_sdk.models.views import View

from bot.platforms.slack.blocks.kit import (
    VIEW_BLOCK_LIMIT,
    actions,
    button,
    context,
    day,
    divider,
    doc_link,
    escape,
    header,
    mention,
    render,
    section,
)
from bot.platforms.slack.blocks.register import uptake_home
from bot.platforms.slack.blocks.reviews import (
    NO_CHANGES,
    START,
    SUBMIT_DRAFT,
    Render,
    button_value,
    decision_buttons,
    status_line,
)
from workflow.states import State
from workflow.summaries import DocumentView, ReviewSummary
from workflow.uptake import Rate

PER_SECTION = 10


@dataclass(frozen=True)
class Listed:
    """A list of reviews as the Home tab shows it: the first PER_SECTION summarised, and how
    many it holds in all. Only those shown are summarised: an approver may have hundreds
    waiting, and each summary costs queries."""

    first: Sequence[ReviewSummary] = ()
    total: int = 0

    @classmethod
    def of(cls, summaries: Sequence[ReviewSummary]) -> Listed:
        return cls(tuple(summaries[:PER_SECTION]), len(summaries))


@dataclass(frozen=True)
class HomeData:
    to_review: Listed = Listed()
    to_decide: Listed = Listed()
    # What waits for each body the person sits on (every body, for an admin): (name, reviews)
    with_bodies: Sequence[tuple[str, Listed]] = ()
    recent: Sequence[ReviewSummary] = ()
    is_admin: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    overdue: Sequence[DocumentView] = ()
    # (round name, deadline, {status: count}) for rounds whose deadline has not long passed
    rounds: Sequence[tuple[str, date, dict[str, int]]] = ()
    # The headline chart (the overdue rate at each month's end), where Slack can fetch it, or
    # why it cannot be shown.
    chart_url: str | None = None
    chart_title: str = ""
    chart_hint: str | None = None
    # Who has read what was published: by service area, and the latest of each document.
    uptake_by_area: Sequence[Rate] = ()
    uptake_by_document: Sequence[Rate] = ()


def _owner_buttons(summary: ReviewSummary) -> list[Any]:
    value = button_value(summary)
    buttons = []
    if summary.state is State.REVIEW_DUE:
        buttons.append(button("Start review", START, value, style="primary"))
    if summary.state in (State.REVIEW_DUE, State.IN_REVIEW):
        buttons.append(button("No changes needed", NO_CHANGES, value))
    if summary.state in (State.REVIEW_DUE, State.IN_REVIEW, State.CHANGES_REQUESTED):
        buttons.append(button("Submit draft", SUBMIT_DRAFT, value))
    return buttons


def _item(summary: ReviewSummary, render_: Render, buttons: list[Any]) -> list[Any]:
    blocks = [
        section(
            f"{doc_link(summary.reference, summary.title, summary.link)}\n"
            f"{status_line(summary, render_, as_of=False)}"
        )
    ]
    if buttons:
        blocks.append(actions(f"home:{summary.review_id}", *buttons))
    return blocks


def _list(title: str, items: Listed, render_: Render, buttons_for: Any, empty: str) -> list[Any]:
    blocks: list[Any] = [header(title)]
    if not items.total:
        blocks.append(context(empty))
    shown = items.first[:PER_SECTION]
    for summary in shown:
        blocks.extend(_item(summary, render_, buttons_for(summary)))
    if items.total > len(shown):
        blocks.append(
            context(f"\u2026and {items.total - len(shown)} more: `/signoff mine` lists them all.")
        )
    return blocks


def home_view(data: HomeData, render_: Render) -> dict[str, Any]:
    blocks: list[Any] = []
    blocks += _list(
        "To review", data.to_review, render_, _owner_buttons, "Nothing for you to review. :tada:"
    )
    blocks.append(divider())
    blocks += _list(
        "Awaiting your decision",
        data.to_decide,
        render_,
        decision_buttons,
        "Nothing awaits your approval.",
    )
    for name, waiting in data.with_bodies:
        blocks.append(divider())
        blocks += _list(
            f"Awaiting the {name}"[:150],
            waiting,
            render_,
            decision_buttons,
            f"Nothing waits for the {escape(name)}.",
        )
    blocks.append(divider())
    blocks.append(header("Recently decided"))
    if not data.recent:
        blocks.append(context("No decisions yet."))
    for summary in data.recent[:5]:
        blocks.append(
            section(
                f"{doc_link(summary.reference, summary.title, summary.link)}\n"
                f"{status_line(summary, render_, as_of=False)}"
            )
        )
    if data.is_admin:
        blocks.append(divider())
        blocks.append(header("The register"))
        counts = Counter(data.counts)
        order = [s.value for s in State]
        blocks.append(
            section(
                " \u00b7 ".join(f"{State(k).label}: *{counts[k]}*" for k in order if counts.get(k))
                or "The register is empty."
            )
        )
        overdue_lines = [
            f"\u2022 {doc_link(v.reference, v.title, v.link)} \u2014 due "
            f"{day(v.next_review_due)}, {v.days_overdue(render_.today)}"
            f" days overdue \u00b7 {mention(v.owner)}"
            for v in data.overdue[:20]
        ]
        more = f"\n_\u2026and {len(data.overdue) - 20} more._" if len(data.overdue) > 20 else ""
        if data.chart_url:
            blocks.append(
                ImageBlock(
                    image_url=data.chart_url,
                    alt_text=data.chart_title or "Overdue at each month's end",
                    title=data.chart_title[:2000] or None,
                )
            )
        elif data.chart_hint:
            blocks.append(context(escape(data.chart_hint)))
        blocks.append(
            section(
                f"*Overdue: {len(data.overdue)}*\n" + "\n".join(overdue_lines) + more
                if data.overdue
                else "*Overdue:* none"
            )
        )
    if data.is_admin and data.rounds:
        blocks.append(header("Update rounds"))
        for name, deadline, counts in data.rounds:
            left = (deadline - render_.today).days
            when = f"{left} days to go" if left >= 0 else "deadline passed"
            blocks.append(
                section(
                    f"*{escape(name)}* \u2014 deadline {day(deadline)} ({when})\n"
                    + " \u00b7 ".join(f"{k}: *{v}*" for k, v in counts.items())
                )
            )
    if data.is_admin:
        blocks += uptake_home(data.uptake_by_area, data.uptake_by_document)
    blocks.append(context(escape("Reply to me in Messages with a date, status or help.")))
    return View(
        type="home", blocks=render(blocks, limit=VIEW_BLOCK_LIMIT, more="See /signoff mine.")
    ).to_dict()
