"""What a report holds: its figures, its charts and its tables, once, for the page, the workbook
and the PDF alike."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from workflow import figures as F


class Percent(float):
    """A share of 1, shown as a percentage."""


@dataclass(frozen=True)
class Link:
    text: str
    url: str | None


@dataclass(frozen=True)
class Table:
    id: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    note: str | None = None
    empty: str = "None."


@dataclass
class Report:
    kind: str  # annual | month | meeting
    title: str
    subtitle: str
    figures: F.Figures
    meeting: F.Meeting | None = None
    charts: dict[str, str] = field(default_factory=dict)  # id -> inline SVG
    chart_titles: dict[str, str] = field(default_factory=dict)

    @property
    def stem(self) -> str:
        if self.meeting is not None:
            return f"signoff-meeting-{_safe(self.meeting.body)}-{self.meeting.day.isoformat()}"
        period = self.figures.period
        if self.kind == "annual":
            return f"signoff-annual-{period.first.year}-{(period.first.year + 1) % 100:02d}"
        return f"signoff-month-{period.first:%Y-%m}"

    def tables(self) -> list[Table]:
        return tables(self)


def _safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in text.lower())


def day(value: date) -> str:
    return f"{value:%-d %B %Y}"


def headline(f: F.Figures) -> list[tuple[str, Any]]:
    end = day(f.period.last)
    made = sum(r.made for r in f.rounds)
    missed = sum(r.missed for r in f.rounds)
    return [
        (f"Documents in the register on {end}", f.documents),
        ("Reviews completed", f.completed),
        ("Reviews completed on time", f.on_time),
        ("Reviews completed late", f.late),
        ("Reviews completed with no changes needed", f.no_changes),
        (f"Overdue on {end}", f.overdue),
        (f"Overdue rate on {end}", Percent(f.rate)),
        ("New versions published", f.published),
        ("Decisions taken", sum(f.decisions.values())),
        ("Update round items that made their deadline", made),
        ("Update round items that missed their deadline", missed),
        (f"Documents with no owner on {end}", len(f.no_owner)),
    ]


def _days(value: float | None) -> Any:
    return "" if value is None else value


def tables(report: Report) -> list[Table]:
    f = report.figures
    found: list[Table] = []
    if report.meeting is not None:
        m = report.meeting
        found.append(
            Table(
                "meeting-decisions",
                f"Decided by {F.body_label(m.body)} on {day(m.day)}",
                ("Reference", "Title", "Decision", "Conditions or reason", "Decided by", "Paper"),
                [
                    (
                        Link(i.reference, i.link),
                        i.title,
                        F.KIND_LABELS.get(i.kind, i.kind),
                        i.text or "",
                        i.decided_by or "",
                        Link("draft", i.paper)
                        if i.paper
                        else "no-changes statement"
                        if i.submitted == "no_changes"
                        else "",
                    )
                    for i in m.decided
                ],
                empty=f"{F.body_label(m.body)} recorded no decisions that day.",
            )
        )
        found.append(
            Table(
                "carried-forward",
                "Referred and still waiting (exceptions)",
                ("Reference", "Title", "Referral reason", "Paper"),
                [
                    (
                        Link(i.reference, i.link),
                        i.title,
                        i.text or "",
                        Link("draft", i.paper) if i.paper else "",
                    )
                    for i in m.carried_forward
                ],
                empty="Nothing referred is still waiting.",
            )
        )
    found.append(Table("headline", "The figures", ("Figure", "Value"), headline(f)))
    found.append(
        Table(
            "overdue-by-month",
            "Overdue at each month's end",
            ("Month end", "Documents", "Overdue", "Overdue rate"),
            [(m.day, m.documents, m.overdue, Percent(m.rate)) for m in f.trend],
        )
    )
    found.append(
        Table(
            "stage-times",
            "Time in each stage (days)",
            ("Stage", "Times measured", "Median", "90th percentile"),
            [
                (label, s.count, _days(s.median), _days(s.p90))
                for key, label in F.STAGES
                for s in [f.stages[key]]
            ],
        )
    )
    found.append(
        Table(
            "stage-times-by-area",
            "Time in each stage by service area (days)",
            ("Service area", "Stage", "Times measured", "Median", "90th percentile"),
            [
                (area, label, s.count, _days(s.median), _days(s.p90))
                for area, stages in f.stages_by_area.items()
                for key, label in F.STAGES
                for s in [stages[key]]
                if s.count
            ],
            empty="No stage ended in this period.",
        )
    )
    kinds = f.decisions_by_kind()
    found.append(
        Table(
            "decisions",
            "Decisions by kind",
            ("Decided by", "Decision", "Count"),
            [
                (F.body_label(body), F.KIND_LABELS.get(kind, kind), n)
                for (body, kind), n in sorted(
                    f.decisions.items(),
                    key=lambda item: (
                        item[0][0] != "approver",
                        item[0][0],
                        _kind_order(item[0][1]),
                    ),
                )
            ]
            + [("All", F.KIND_LABELS.get(k, k), kinds[k]) for k in F.KINDS if kinds[k]],
            empty="No decisions in this period.",
        )
    )
    for key, title in F.GROUPS:
        found.append(
            Table(
                f"by-{key.replace('_', '-')}",
                f"By {title.lower()}",
                (title, "Documents", "Completed", "On time", "Late", "Overdue", "Overdue rate"),
                [
                    (
                        r.name,
                        r.documents,
                        r.completed,
                        r.on_time,
                        r.late,
                        r.overdue,
                        Percent(r.rate),
                    )
                    for r in f.groups[key]
                ],
            )
        )
    found.append(
        Table(
            "rounds",
            "Update rounds whose deadline fell in the period",
            ("Round", "Deadline", "Items", "Made", "Missed"),
            [(r.name, r.deadline, r.items, r.made, r.missed) for r in f.rounds],
            empty="No update round's deadline fell in this period.",
        )
    )
    found.append(
        Table(
            "no-owner",
            "Documents with no owner",
            ("Reference", "Title", "Approver (acts as owner)"),
            [(Link(d.reference, d.link), d.title, d.approver) for d in f.no_owner],
            empty="Every document has an owner.",
        )
    )
    found.append(
        Table(
            "overdue-documents",
            f"Overdue on {day(f.period.last)}",
            ("Reference", "Title", "Approver"),
            [(Link(d.reference, d.link), d.title, d.approver) for d in f.overdue_documents],
            empty="Nothing is overdue.",
        )
    )
    by_month: Counter[str] = Counter()
    order: dict[str, date] = {}
    for due, n in f.due_ahead.items():
        label = f"{due:%B %Y}"
        by_month[label] += n
        order.setdefault(label, due.replace(day=1))
    found.append(
        Table(
            "due-ahead",
            "Reviews falling due in the year ahead",
            ("Month", "Reviews due"),
            [(label, by_month[label]) for label in sorted(by_month, key=order.__getitem__)],
            empty="Nothing falls due in the year ahead.",
        )
    )
    return found


def _kind_order(kind: str) -> int:
    return F.KINDS.index(kind) if kind in F.KINDS else len(F.KINDS)
