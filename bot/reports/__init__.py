"""Assurance reports: the annual report, the month's report and the report after a meeting, each
written as a page that needs nothing else to open (charts inline), a workbook of its tables, and
a PDF of the page; and "what changed this month", for a newsletter.

The figures come from workflow.figures; this package only shows them."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.reports import charts
from bot.reports.content import Link, Percent, Report, Table, day
from workflow import figures as F

__all__ = [
    "ReportError",
    "annual",
    "changes_html",
    "changes_markdown",
    "meeting",
    "month",
    "write",
]


# A table longer than this is cut short on the page (and so in the PDF); the workbook has it all.
PAGE_ROWS = 250


class ReportError(Exception):
    """A report that cannot be made as asked; `str(exc)` is one line saying why and the fix."""


def _with_charts(report: Report) -> Report:
    f = report.figures
    report.chart_titles = {
        "overdue-trend": "Overdue documents as a share of the register at each month's end "
        "(the number overdue in brackets).",
        "stage-times": "Median days in each stage, by service area, for the stages that ended "
        "in the period.",
        "due-calendar": "Reviews falling due each day of the year ahead, as the due dates stood "
        "at the end of the period.",
    }
    try:
        report.charts = {
            "overdue-trend": charts.svg(charts.overdue_trend(f.trend), "overdue-trend"),
            "stage-times": charts.svg(charts.stage_times(f.stages_by_area), "stage-times"),
            "due-calendar": charts.svg(
                charts.due_calendar(f.due_ahead, f.period.last), "due-calendar"
            ),
        }
    except charts.ChartsUnavailable as error:
        raise ReportError(str(error)) from None
    return report


def annual(session: Session, period: F.Period, zone: ZoneInfo) -> Report:
    f = F.figures(session, period, zone)
    return _with_charts(
        Report(
            "annual",
            f"Policies and procedures: annual report {period.label}",
            f"The register's year from {day(period.first)} to {day(period.last)}: reviews "
            "completed and overdue, time in each stage, decisions, update rounds and what "
            "falls due next.",
            f,
        )
    )


def month(session: Session, period: F.Period, zone: ZoneInfo) -> Report:
    f = F.figures(session, period, zone)
    return _with_charts(
        Report(
            "month",
            f"Policies and procedures: {period.label}",
            f"From {day(period.first)} to {day(period.last)}, with the twelve months to "
            f"{day(period.last)} for the overdue rate.",
            f,
        )
    )


def meeting(
    session: Session, body: str, on: date, zone: ZoneInfo, *, name: str | None = None
) -> Report:
    record = F.meeting_record(session, body, on, zone)
    period = F.Period(on.replace(day=1), on, f"{on:%B %Y} to the meeting")
    f = F.figures(session, period, zone)
    who = name or F.body_label(body)
    return _with_charts(
        Report(
            "meeting",
            f"{who} meeting, {day(on)}: policies and procedures",
            f"{len(record.decided)} decisions taken by {who} on {day(on)}; "
            f"{len(record.carried_forward)} referred items still waiting. The register's "
            f"figures are as they stood at the end of {day(on)}.",
            f,
            meeting=record,
        )
    )


# --- writing --------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    from markupsafe import Markup

    if isinstance(value, Percent):
        return Markup('<td class="n">{:.1f}%</td>').format(100 * value)
    if isinstance(value, bool):
        return Markup("<td>{}</td>").format("yes" if value else "no")
    if isinstance(value, int | float):
        text = f"{value:g}" if isinstance(value, float) else str(value)
        return Markup('<td class="n">{}</td>').format(text)
    if isinstance(value, date):
        return Markup("<td>{}</td>").format(day(value))
    if isinstance(value, Link):
        if value.url:
            return Markup('<td><a href="{}">{}</a></td>').format(value.url, value.text)
        return Markup("<td>{}</td>").format(value.text)
    return Markup("<td>{}</td>").format(value)


def render_html(report: Report) -> str:
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("bot.reports", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )
    env.filters["cell"] = _cell
    return env.get_template("report.html.j2").render(
        report=report,
        tables=report.tables(),
        definitions=F.DEFINITIONS,
        as_of=day(report.figures.period.last),
        page_rows=PAGE_ROWS,
    )


def write_xlsx(report: Report, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    # Dated by the period, not by the machine's clock (openpyxl still stamps the save time
    # as the file's "modified").
    end = report.figures.period.last
    book.properties.created = datetime(end.year, end.month, end.day)
    book.remove(book.active)
    used: set[str] = set()
    for table in report.tables():
        sheet = book.create_sheet(_sheet_name(table, used))
        sheet.append([table.title])
        sheet["A1"].font = Font(bold=True, size=12)
        sheet.append(list(table.columns))
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for number, row in enumerate(table.rows, start=3):
            sheet.append([_xlsx_value(v) for v in row])
            for column, value in enumerate(row, start=1):
                if isinstance(value, Percent):
                    sheet.cell(number, column).number_format = "0.0%"
                elif isinstance(value, date):
                    sheet.cell(number, column).number_format = "dd/mm/yyyy"
                elif isinstance(value, Link) and value.url:
                    sheet.cell(number, column).hyperlink = value.url
        if not table.rows:
            sheet.append([table.empty])
        for n, column in enumerate(table.columns, start=1):
            width = max([len(column), *(len(str(_xlsx_value(r[n - 1]))) for r in table.rows)])
            sheet.column_dimensions[sheet.cell(2, n).column_letter].width = min(60, width + 2)
    notes = book.create_sheet("How it is made")
    for text in F.DEFINITIONS:
        notes.append([text])
    book.save(path)


def _sheet_name(table: Table, used: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", " ", table.title)[:31].strip()
    base, n = name, 2
    while name in used:
        name = f"{base[:28]} {n}"
        n += 1
    used.add(name)
    return name


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, Link):
        return value.text
    if isinstance(value, Percent):
        return float(value)
    return value


def write(
    report: Report,
    folder: Path,
    *,
    pdf: bool = True,
    to_pdf: Callable[[Path, Path], None] | None = None,
) -> list[Path]:
    """Write the page, the workbook and (unless told not to) the PDF into `folder`."""
    from bot.reports.pdf import html_to_pdf

    folder.mkdir(parents=True, exist_ok=True)
    page = folder / f"{report.stem}.html"
    page.write_text(render_html(report), encoding="utf-8")
    book = folder / f"{report.stem}.xlsx"
    write_xlsx(report, book)
    written = [page, book]
    if pdf:
        document = folder / f"{report.stem}.pdf"
        (to_pdf or html_to_pdf)(page, document)
        written.append(document)
    return written


# --- what changed: for a newsletter ------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|<>])")


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def _sections(changes: F.Changes) -> list[tuple[str, list[F.Change], Callable[[F.Change], str]]]:
    return [
        ("Published", changes.published, lambda c: f"version {c.version}, {day(c.on)}"),
        (
            "Approved, to be published",
            changes.approved,
            lambda c: (
                f"version {c.version}, approved {day(c.on)}"
                if c.version
                else f"approved {day(c.on)}"
            ),
        ),
        ("Reviewed, no change needed", changes.no_changes, lambda c: f"reviewed {day(c.on)}"),
    ]


def changes_markdown(changes: F.Changes) -> str:
    lines = [f"## What changed in {changes.period.label}", ""]
    empty = True
    for title, items, detail in _sections(changes):
        if not items:
            continue
        empty = False
        lines += [f"### {title}", ""]
        for c in items:
            name = f"{_md(c.reference)} {_md(c.title)}"
            shown = f"[{name}]({c.link})" if c.link else name
            lines.append(f"- {shown}: {detail(c)}")
        lines.append("")
    if empty:
        lines += ["Nothing was approved or published this month.", ""]
    return "\n".join(lines)


def changes_html(changes: F.Changes) -> str:
    out = [f"<h2>What changed in {html.escape(changes.period.label)}</h2>"]
    empty = True
    for title, items, detail in _sections(changes):
        if not items:
            continue
        empty = False
        out.append(f"<h3>{html.escape(title)}</h3>\n<ul>")
        for c in items:
            name = html.escape(f"{c.reference} {c.title}")
            shown = f'<a href="{html.escape(c.link)}">{name}</a>' if c.link else name
            out.append(f"  <li>{shown}: {html.escape(detail(c))}</li>")
        out.append("</ul>")
    if empty:
        out.append("<p>Nothing was approved or published this month.</p>")
    return "\n".join(out) + "\n"
