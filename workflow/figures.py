"""Assurance figures: what happened to the register over a period, read from its history.

Pure reads of the audit events, reviews, submissions, decisions and update rounds. Every figure
is reproducible for any past period: only what had happened by the end of the period is read,
and nothing here asks the clock. The period says when.

How each figure is made is said once, in `DEFINITIONS`, which the reports print.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from sqlalchemy import and_, case, null, select, type_coerce
from sqlalchemy.orm import Session

from db.models import (
    AuditEvent,
    Decision,
    Document,
    Person,
    Review,
    RoundItem,
    Submission,
    UpdateRound,
)

DEFINITIONS = (
    ("Dates are the organisation's (SIGNOFF_TIMEZONE). 'By D' means by the end of day D."),
    (
        "A document is overdue at D when its due date, as it stood at the end of D, was before D: "
        "the due date had passed and its review was not complete by D. Its due date is that of "
        "its open review where one was open, else its next review due, each as the history last "
        "set it (imports, openings, update rounds, agreed dates, approvals)."
    ),
    ("The overdue rate at D is the overdue documents over the documents in the register at D."),
    (
        "A review is completed when it is approved; on time when that was on or before its due "
        "date, late after it."
    ),
    (
        "Stage times are whole days between the two dates, counted in the period in which the "
        "stage ended, and only where the history records both its ends: reminder to start (the "
        "review opens with its first reminder or request, to the owner's Start), start to "
        "submission (to the first submission), submission to decision (each submission to the "
        "first decision on it), conditions to redraft (approval with conditions to the next "
        "submission), referral to committee decision (a referral to the next decision on the same "
        "submission), approval to publication (approval of an amended draft to the date it was "
        "marked published). Median and 90th percentile, the percentile interpolated between ranks "
        "(as a spreadsheet's PERCENTILE.INC)."
    ),
    ("Decisions are counted by the body that took them and their kind, on the day taken."),
    (
        "Figures by service area, type, owner and approver group each document by what the "
        "register said at the end of the period."
    ),
    (
        "An update round's item made it when its review was approved by the round's deadline, and "
        "missed it otherwise; rounds are counted in the period of their deadline."
    ),
    (
        "A document has no owner when none is named, or the one named had left, at the end of the "
        "period; its approver acts as owner meanwhile."
    ),
)

# --- who decided what: the one place that reads a decision's kind and body ---------------------

# Today a decision has a level (rsm: the document's approver; slt) and an outcome; a referral to
# the SLT is the outcome deferred_to_slt. The general chain gives a decision its body, and names
# the body a referral goes to. These three functions are all that read either shape.
_KINDS = {
    "approved": "approved",
    "approved_with_conditions": "approved_with_conditions",
    "deferred_to_slt": "referred",
    "referred": "referred",
    "interim_approved": "interim_approved",
}
_LEVEL_BODIES = {"rsm": "approver", "slt": "slt"}
REFERRAL_OUTCOMES = ("deferred_to_slt", "referred")
KINDS = ("approved", "approved_with_conditions", "referred", "interim_approved")
KIND_LABELS = {
    "approved": "Approved",
    "approved_with_conditions": "Approved with conditions",
    "referred": "Referred to a higher body",
    "interim_approved": "Interim approval",
}


def decision_kind(decision: Any) -> str:
    """approved, approved_with_conditions, referred or interim_approved."""
    return _KINDS.get(decision.outcome, decision.outcome)


def decided_by_body(decision: Any) -> str:
    """The body that took the decision: 'approver' (the document's), 'slt', a committee..."""
    body = getattr(decision, "body", None)
    if body:
        return str(body)
    return _LEVEL_BODIES.get(str(decision.level), str(decision.level))


def referred_to(decision: Any) -> str | None:
    """The body a referral sends the draft to; None for any other decision."""
    if decision_kind(decision) != "referred":
        return None
    return getattr(decision, "referred_to", None) or "slt"


def body_label(body: str) -> str:
    return {"approver": "Approver", "slt": "SLT"}.get(
        body, body.upper() if len(body) <= 4 else body
    )


# --- periods --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    first: date
    last: date
    label: str

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first <= day <= self.last

    def until(self, last: date) -> Period:
        """The same period cut short at `last` (a period not yet over)."""
        if last >= self.last:
            return self
        return Period(self.first, last, f"{self.label} (to {last:%-d %B %Y})")


_YEAR = re.compile(r"^(\d{4})\s*[/-]\s*(\d{2}|\d{4})$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def financial_year(text: str) -> Period:
    """A UK financial year, 1 April to 31 March: '2026/27' (or 2026/2027, 2026-27)."""
    found = _YEAR.match(text.strip())
    if not found:
        raise ValueError(f"'{text}' is not a financial year; write it as 2026/27")
    start = int(found.group(1))
    end = found.group(2)
    if int(end) % 100 != (start + 1) % 100 or (len(end) == 4 and int(end) != start + 1):
        raise ValueError(f"'{text}' is not a financial year: the years must follow, as 2026/27")
    return Period(date(start, 4, 1), date(start + 1, 3, 31), f"{start}/{(start + 1) % 100:02d}")


def month(text: str) -> Period:
    """A calendar month: '2026-11'."""
    found = _MONTH.match(text.strip())
    if not found or not 1 <= int(found.group(2)) <= 12:
        raise ValueError(f"'{text}' is not a month; write it as 2026-11")
    first = date(int(found.group(1)), int(found.group(2)), 1)
    return Period(first, month_end(first), f"{first:%B %Y}")


def month_end(day: date) -> date:
    return day.replace(day=1) + relativedelta(months=1) - timedelta(days=1)


def end_of(day: date, zone: ZoneInfo) -> datetime:
    """The first moment after `day` in the organisation's zone, in UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)


# --- figures --------------------------------------------------------------------------------

STAGES = (
    ("reminder_to_start", "Reminder to start"),
    ("start_to_submission", "Start to submission"),
    ("submission_to_decision", "Submission to decision"),
    ("conditions_to_redraft", "Conditions to redraft"),
    ("referral_to_decision", "Referral to committee decision"),
    ("approval_to_publication", "Approval to publication"),
)
STAGE_LABELS = dict(STAGES)
NO_AREA = "No service area"
NO_OWNER = "No owner"


@dataclass(frozen=True)
class Stat:
    """Days a stage took: how many times it was measured, the median and the 90th percentile."""

    count: int
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, days: Sequence[int]) -> Stat:
        if not days:
            return cls(0, None, None)
        ordered = sorted(days)
        if len(ordered) == 1:
            return cls(1, float(ordered[0]), float(ordered[0]))
        p90 = statistics.quantiles(ordered, n=10, method="inclusive")[8]
        return cls(len(ordered), float(statistics.median(ordered)), round(p90, 6))


@dataclass(frozen=True)
class MonthEnd:
    day: date
    documents: int
    overdue: int

    @property
    def rate(self) -> float:
        return self.overdue / self.documents if self.documents else 0.0


@dataclass(frozen=True)
class GroupRow:
    name: str
    documents: int
    on_time: int
    late: int
    overdue: int

    @property
    def completed(self) -> int:
        return self.on_time + self.late

    @property
    def rate(self) -> float:
        return self.overdue / self.documents if self.documents else 0.0


@dataclass(frozen=True)
class RoundRow:
    name: str
    deadline: date
    items: int
    made: int

    @property
    def missed(self) -> int:
        return self.items - self.made


@dataclass(frozen=True)
class DocRef:
    reference: str
    title: str
    link: str | None
    approver: str


@dataclass
class Figures:
    period: Period
    documents: int  # in the register at the end of the period
    on_time: int
    late: int
    no_changes: int  # of the completed, those approved with no changes
    published: int
    overdue: int  # at the end of the period
    trend: list[MonthEnd]  # the overdue rate at each month's end, the last at the period's end
    stages: dict[str, Stat]
    stages_by_area: dict[str, dict[str, Stat]]
    decisions: Counter[tuple[str, str]]  # (body, kind) -> count
    groups: dict[str, list[GroupRow]]  # service_area, doc_type, owner, approver
    rounds: list[RoundRow]
    no_owner: list[DocRef]
    due_ahead: Counter[date]  # due dates in the year after the period, as they then stood
    overdue_documents: list[DocRef] = field(default_factory=list)

    @property
    def completed(self) -> int:
        return self.on_time + self.late

    @property
    def rate(self) -> float:
        return self.overdue / self.documents if self.documents else 0.0

    def decisions_by_kind(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for (_body, kind), n in self.decisions.items():
            counts[kind] += n
        return counts


GROUPS = (
    ("service_area", "Service area"),
    ("doc_type", "Document type"),
    ("owner", "Owner"),
    ("approver", "Approver"),
)


def figures(session: Session, period: Period, zone: ZoneInfo, *, trend_months: int = 12) -> Figures:
    """Every figure of `period`, from the history as it stood at its end."""
    history = History.load(session, end_of(period.last, zone), zone)
    checkpoints = [
        month_end(period.last - relativedelta(months=n)) for n in range(trend_months - 1, 0, -1)
    ] + [period.last]
    sweep = history.sweep(checkpoints)
    ld = history.local_date
    attrs = sweep.attributes
    at_end = sweep.snapshots[-1]

    completed = [
        r for r in history.reviews.values() if r.closed_at is not None and ld(r.closed_at) in period
    ]
    on_time = {r.id for r in completed if ld(r.closed_at) <= sweep.due_at_close[r.id]}
    docs_at_end = [d for d in history.documents.values() if d.created_at < history.until]
    overdue_ids = {doc for doc, due in at_end.dues.items() if due is not None and due < period.last}

    def group_rows(key: str) -> list[GroupRow]:
        rows: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for document in docs_at_end:
            row = rows[attrs.label(document.id, key)]
            row[0] += 1
            row[3] += document.id in overdue_ids
        for review in completed:
            row = rows[attrs.label(review.document_id, key)]
            row[1 if review.id in on_time else 2] += 1
        return [GroupRow(name, *values) for name, values in sorted(rows.items())]

    intervals = history.stage_intervals()
    stages = {
        key: Stat.of([days for days, end, _doc in intervals[key] if end in period])
        for key, _ in STAGES
    }
    by_area: dict[str, dict[str, list[int]]] = defaultdict(lambda: {k: [] for k, _ in STAGES})
    for key, _ in STAGES:
        for days, end, doc in intervals[key]:
            if end in period:
                by_area[attrs.label(doc, "service_area")][key].append(days)
    decisions: Counter[tuple[str, str]] = Counter(
        (decided_by_body(d), decision_kind(d))
        for d in history.decisions
        if ld(d.decided_at) in period
    )
    no_owner = [
        history.doc_ref(d.id, attrs)
        for d in sorted(docs_at_end, key=lambda d: d.reference)
        if attrs.owner_missing(d.id, history.until)
    ]
    ahead = Counter(
        due
        for doc, due in at_end.dues.items()
        if due is not None and period.last < due <= period.last + timedelta(days=365)
    )
    return Figures(
        period=period,
        documents=len(docs_at_end),
        on_time=len(on_time),
        late=len(completed) - len(on_time),
        no_changes=sum(1 for r in completed if r.outcome == "approved_no_changes"),
        published=sum(1 for _doc, on, _v in history.publications if on in period),
        overdue=len(overdue_ids),
        trend=[MonthEnd(s.day, s.documents, s.overdue) for s in sweep.snapshots],
        stages=stages,
        stages_by_area={
            area: {key: Stat.of(days) for key, days in found.items()}
            for area, found in sorted(by_area.items())
        },
        decisions=decisions,
        groups={key: group_rows(key) for key, _ in GROUPS},
        rounds=_rounds(session, period, zone),
        no_owner=no_owner,
        due_ahead=ahead,
        overdue_documents=[
            history.doc_ref(doc, attrs)
            for doc in sorted(overdue_ids, key=lambda i: history.documents[i].reference)
        ],
    )


def _rounds(session: Session, period: Period, zone: ZoneInfo) -> list[RoundRow]:
    rows = session.execute(
        select(UpdateRound.id, UpdateRound.name, UpdateRound.deadline, Review.closed_at)
        .join(RoundItem, RoundItem.round_id == UpdateRound.id)
        .join(Review, Review.id == RoundItem.review_id)
        .where(UpdateRound.deadline >= period.first, UpdateRound.deadline <= period.last)
        .order_by(UpdateRound.deadline, UpdateRound.id)
    ).all()
    found: dict[int, list[Any]] = {}
    for round_id, name, deadline, closed_at in rows:
        entry = found.setdefault(round_id, [name, deadline, 0, 0])
        entry[2] += 1
        if closed_at is not None and _utc(closed_at).astimezone(zone).date() <= deadline:
            entry[3] += 1
    return [RoundRow(*entry) for entry in found.values()]


# --- the history ------------------------------------------------------------------------------


def _all(connection: Any, query: Any) -> list[Any]:
    """Every row at once: fetching them together is several times cheaper than one by one."""
    return connection.execute(query).all()


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _day(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


_ATTRIBUTE_EVENTS = (
    "document.created",
    "document.updated",
    "document.owner_changed",
    "document.approver_changed",
    "document.reassigned",
    "person.left",
)
_DUE_EVENTS = ("review.opened", "round.item_added", "review.due_date_agreed")


@dataclass
class Snapshot:
    day: date
    documents: int
    overdue: int
    dues: dict[int, date | None]


@dataclass
class Attributes:
    """What the register said of each document, as the history last set it."""

    values: dict[int, dict[str, Any]]
    names: dict[str, str]  # e-mail -> how to show the person
    left: dict[str, datetime]  # e-mail -> when they left

    def get(self, document_id: int, key: str) -> Any:
        return self.values[document_id].get(key)

    def label(self, document_id: int, key: str) -> str:
        value = self.get(document_id, key)
        if key == "service_area":
            return value or NO_AREA
        if key in ("owner", "approver"):
            return self.names.get(value, value) if value else NO_OWNER
        return value or "(none)"

    def owner_missing(self, document_id: int, until: datetime) -> bool:
        owner = self.get(document_id, "owner")
        return owner is None or (owner in self.left and self.left[owner] < until)


@dataclass
class Sweep:
    snapshots: list[Snapshot]
    due_at_close: dict[int, date]
    attributes: Attributes


class History:
    """The rows that say what happened, up to a moment (exclusive)."""

    def __init__(self, zone: ZoneInfo, until: datetime) -> None:
        self.zone = zone
        self.until = until
        self._dates: dict[datetime, date] = {}

    def local_date(self, moment: datetime) -> date:
        found = self._dates.get(moment)
        if found is None:
            found = self._dates[moment] = _utc(moment).astimezone(self.zone).date()
        return found

    @classmethod
    def load(cls, session: Session, until: datetime, zone: ZoneInfo) -> History:
        self = cls(zone, until)
        # Plain rows through the connection: no ORM objects, thousands of times cheaper each.
        connection = session.connection()
        self.people = {
            row.id: row
            for row in _all(connection, select(Person.id, Person.email, Person.name, Person.active))
        }
        self.documents = {
            row.id: row
            for row in _all(
                connection,
                select(
                    Document.id,
                    Document.reference,
                    Document.title,
                    Document.doc_type,
                    Document.service_area,
                    Document.owner_id,
                    Document.approver_id,
                    Document.link,
                    Document.created_at,
                ).where(Document.created_at < until),
            )
        }
        self.reviews = {
            row.id: _ReviewRow(
                row.id,
                row.document_id,
                row.route,
                _utc(row.opened_at),
                _utc(row.closed_at) if row.closed_at and _utc(row.closed_at) < until else None,
                row.outcome if row.closed_at and _utc(row.closed_at) < until else None,
                row.due_date,
            )
            for row in _all(
                connection,
                select(
                    Review.id,
                    Review.document_id,
                    Review.route,
                    Review.opened_at,
                    Review.closed_at,
                    Review.outcome,
                    Review.due_date,
                ).where(Review.opened_at < until),
            )
        }
        self.submissions: dict[int, list[Any]] = defaultdict(list)
        self.submission_by_id: dict[int, Any] = {}
        for row in _all(
            connection,
            select(Submission.id, Submission.review_id, Submission.seq, Submission.submitted_at)
            .where(Submission.submitted_at < until)
            .order_by(Submission.review_id, Submission.seq),
        ):
            self.submissions[row.review_id].append(row)
            self.submission_by_id[row.id] = row
        # Every column, so that a decision read here has whatever the model gives it.
        self.decisions = list(
            _all(
                connection,
                select(*Decision.__table__.columns)
                .where(Decision.decided_at < until)
                .order_by(Decision.decided_at, Decision.id),
            )
        )
        # One pass over the audit log for the events read here; only those whose values are
        # used bring their JSON along.
        self.started: dict[int, datetime] = {}
        self.events = []
        published = []
        for event in _all(
            connection,
            select(
                AuditEvent.at,
                AuditEvent.action,
                AuditEvent.document_id,
                AuditEvent.review_id,
                AuditEvent.detail,
                type_coerce(
                    case((AuditEvent.action != "review.started", AuditEvent.after), else_=null()),
                    AuditEvent.after.type,
                ).label("after"),
            )
            .where(
                AuditEvent.action.in_(
                    (*_ATTRIBUTE_EVENTS, *_DUE_EVENTS, "review.started", "document.published")
                ),
                AuditEvent.refused.is_(False),
                AuditEvent.at < until,
            )
            .order_by(AuditEvent.at, AuditEvent.id),
        ):
            if event.action == "review.started":
                self.started.setdefault(event.review_id, _utc(event.at))
            elif event.action == "document.published":
                published.append(event)
            else:
                self.events.append(event)
        # The document's next review due as the approval that closed each review set it.
        self.closing_due = {
            review_id: _day(value)
            for review_id, value in _all(
                connection,
                select(AuditEvent.review_id, AuditEvent.after["next_review_due"].as_string())
                .join(
                    Review,
                    and_(AuditEvent.review_id == Review.id, AuditEvent.at == Review.closed_at),
                )
                .where(Review.closed_at < until, AuditEvent.refused.is_(False)),
            )
            if value
        }
        self.publications: list[tuple[int, date, str | None]] = []
        for at, _action, document_id, _review, _detail, after in published:
            after = after or {}
            on = _day(after.get("published_on")) or self.local_date(_utc(at))
            self.publications.append((document_id, on, after.get("published_version")))
        return self

    # --- replaying it ------------------------------------------------------------------------

    def sweep(self, checkpoints: Sequence[date]) -> Sweep:
        """Replay the changes to due dates and to the register in order, taking a snapshot at
        the end of each checkpoint day."""
        changes: list[tuple[datetime, int, str, Any]] = []
        for n, event in enumerate(self.events):
            changes.append((_utc(event.at), n, "event", event))
        base = len(changes)
        for review in self.reviews.values():
            if review.closed_at is not None:
                changes.append((review.closed_at, base + review.id, "close", review))
        changes.sort(key=lambda change: (change[0], change[1]))

        doc_due: dict[int, date | None] = {}
        open_due: dict[int, tuple[int, date]] = {}  # document -> (review, its due date)
        due_at_close: dict[int, date] = {}
        values: dict[int, dict[str, Any]] = {}
        left: dict[str, datetime] = {}
        emails = {p.id: p.email for p in self.people.values()}
        names = {p.email: p.name or p.email for p in self.people.values()}
        for document in self.documents.values():
            # What the register says now stands in for whatever the history does not record.
            values[document.id] = {
                "service_area": document.service_area,
                "doc_type": document.doc_type,
                "owner": emails.get(document.owner_id) if document.owner_id else None,
                "approver": emails.get(document.approver_id),
            }

        def effective(doc: int) -> date | None:
            found = open_due.get(doc)
            return found[1] if found is not None else doc_due.get(doc)

        snapshots: list[Snapshot] = []
        pending = sorted(checkpoints)
        position = 0

        def snapshot_until(moment: datetime | None) -> None:
            while pending and (moment is None or end_of(pending[0], self.zone) <= moment):
                day = pending.pop(0)
                cut = end_of(day, self.zone)
                present = [d for d in self.documents.values() if d.created_at < cut]
                dues = {d.id: effective(d.id) for d in present}
                late = sum(1 for due in dues.values() if due is not None and due < day)
                snapshots.append(Snapshot(day, len(present), late, dues))

        for at, _n, kind, item in changes:
            snapshot_until(at)
            position += 1
            if kind == "close":
                current = open_due.pop(item.document_id, None)
                due_at_close[item.id] = (
                    current[1] if current and current[0] == item.id else (item.due_date)
                )
                if item.id in self.closing_due:
                    doc_due[item.document_id] = self.closing_due[item.id]
                continue
            action, after = item.action, item.after or {}
            doc = item.document_id
            if action == "review.opened":
                due = _day(after.get("due_date"))
                if due is not None and item.review_id is not None:
                    open_due[doc] = (item.review_id, due)
            elif action == "round.item_added":
                deadline = _day(after.get("deadline"))
                current = open_due.get(doc)
                if deadline is not None and current is not None:
                    open_due[doc] = (current[0], min(current[1], deadline))
            elif action == "review.due_date_agreed":
                due = _day(after.get("due_date"))
                current = open_due.get(doc)
                if due is not None and current is not None:
                    open_due[doc] = (current[0], due)
            elif action in ("document.created", "document.updated"):
                if doc not in values:
                    continue
                if "next_review_due" in after:
                    doc_due[doc] = _day(after["next_review_due"])
                    current = open_due.get(doc)
                    review = self.reviews.get(current[0]) if current else None
                    if (
                        action == "document.updated"
                        and review is not None
                        and (review.route == "scheduled_review")
                    ):
                        open_due[doc] = (current[0], doc_due[doc])  # type: ignore[index]
                for key, names_ in (
                    ("service_area", ("service_area",)),
                    ("doc_type", ("doc_type", "type")),
                    ("owner", ("owner_email", "owner")),
                    ("approver", ("approver_email", "approver")),
                ):
                    for name in names_:
                        if name in after:
                            values[doc][key] = after[name]
            elif action in (
                "document.owner_changed",
                "document.approver_changed",
                "document.reassigned",
            ):
                if doc in values:
                    for key in ("owner", "approver"):
                        if key in after:
                            values[doc][key] = after[key]
            elif action == "person.left":
                email = after.get("email") or (item.detail or "").split(" left;")[0].strip()
                if email:
                    left.setdefault(email, _utc(at))
        snapshot_until(None)
        return Sweep(snapshots, due_at_close, Attributes(values, names, left))

    def doc_ref(self, document_id: int, attrs: Attributes) -> DocRef:
        document = self.documents[document_id]
        return DocRef(
            document.reference,
            document.title,
            document.link,
            attrs.label(document_id, "approver"),
        )

    def stage_intervals(self) -> dict[str, list[tuple[int, date, int]]]:
        """For each stage, every (days, the day it ended, document) the history records."""
        ld = self.local_date
        found: dict[str, list[tuple[int, date, int]]] = {key: [] for key, _ in STAGES}

        def add(key: str, start: datetime | date, end: datetime | date, doc: int) -> None:
            first = start if not isinstance(start, datetime) else ld(start)
            last = end if not isinstance(end, datetime) else ld(end)
            found[key].append(((last - first).days, last, doc))

        for review in self.reviews.values():
            started = self.started.get(review.id)
            submissions = self.submissions.get(review.id, [])
            if started is not None:
                add("reminder_to_start", review.opened_at, started, review.document_id)
                if submissions:
                    add(
                        "start_to_submission",
                        started,
                        _utc(submissions[0].submitted_at),
                        review.document_id,
                    )
        on_submission: dict[int, list[Any]] = defaultdict(list)
        for decision in self.decisions:
            on_submission[decision.submission_id].append(decision)
        for submission_id, decisions in on_submission.items():
            submission = self.submission_by_id.get(submission_id)
            if submission is None:
                continue
            review = self.reviews[submission.review_id]
            doc = review.document_id
            add(
                "submission_to_decision",
                _utc(submission.submitted_at),
                _utc(decisions[0].decided_at),
                doc,
            )
            for n, decision in enumerate(decisions):
                kind = decision_kind(decision)
                if kind == "approved_with_conditions":
                    later = [
                        s
                        for s in self.submissions.get(submission.review_id, [])
                        if s.seq == submission.seq + 1
                    ]
                    if later:
                        add(
                            "conditions_to_redraft",
                            _utc(decision.decided_at),
                            _utc(later[0].submitted_at),
                            doc,
                        )
                elif kind == "referred" and n + 1 < len(decisions):
                    add(
                        "referral_to_decision",
                        _utc(decision.decided_at),
                        _utc(decisions[n + 1].decided_at),
                        doc,
                    )
        approvals: dict[int, list[_ReviewRow]] = defaultdict(list)
        for review in self.reviews.values():
            if review.outcome == "approved" and review.closed_at is not None:
                approvals[review.document_id].append(review)
        for reviews in approvals.values():
            reviews.sort(key=lambda r: r.closed_at)  # type: ignore[arg-type, return-value]
        paired: set[int] = set()
        for document_id, on, _version in self.publications:
            candidates = [
                r
                for r in approvals.get(document_id, [])
                if ld(r.closed_at) <= on and r.id not in paired  # type: ignore[arg-type]
            ]
            if candidates:
                review = candidates[-1]
                paired.add(review.id)
                add("approval_to_publication", review.closed_at, on, document_id)  # type: ignore[arg-type]
        return found


@dataclass(frozen=True)
class _ReviewRow:
    id: int
    document_id: int
    route: str
    opened_at: datetime
    closed_at: datetime | None
    outcome: str | None
    due_date: date


# --- what changed: for a newsletter ------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    reference: str
    title: str
    version: str | None
    link: str | None
    on: date


@dataclass(frozen=True)
class Changes:
    period: Period
    published: list[Change]  # new versions published in the period
    approved: list[Change]  # amended and approved in the period, publication to follow
    no_changes: list[Change]  # reviewed and found to need no change


def changes(session: Session, period: Period, zone: ZoneInfo) -> Changes:
    """The documents published, approved (amended) and reviewed without change in `period`."""
    until = end_of(period.last, zone)
    start = end_of(period.first - timedelta(days=1), zone)
    documents = {
        d.id: d
        for d in session.execute(
            select(Document.id, Document.reference, Document.title, Document.link)
        )
    }
    published: dict[int, Change] = {}
    for at, document_id, after in session.execute(
        select(AuditEvent.at, AuditEvent.document_id, AuditEvent.after)
        .where(
            AuditEvent.action == "document.published",
            AuditEvent.refused.is_(False),
            AuditEvent.at < until,
        )
        .order_by(AuditEvent.at, AuditEvent.id)
    ):
        after = after or {}
        on = _day(after.get("published_on")) or _utc(at).astimezone(zone).date()
        if on in period and document_id in documents:
            d = documents[document_id]
            published[document_id] = Change(
                d.reference, d.title, after.get("published_version"), d.link, on
            )
    approved: list[Change] = []
    no_changes: list[Change] = []
    closing = (
        select(
            Review.document_id,
            Review.closed_at,
            Review.outcome,
            AuditEvent.after["version"].as_string(),
        )
        .join(
            AuditEvent,
            and_(AuditEvent.review_id == Review.id, AuditEvent.at == Review.closed_at),
            isouter=True,
        )
        .where(Review.closed_at >= start, Review.closed_at < until)
        .order_by(Review.closed_at, Review.id)
    )
    for document_id, closed_at, outcome, version in session.execute(closing):
        d = documents[document_id]
        change = Change(
            d.reference, d.title, version, d.link, _utc(closed_at).astimezone(zone).date()
        )
        if outcome == "approved_no_changes":
            no_changes.append(change)
        elif document_id not in published:
            approved.append(change)
    return Changes(
        period,
        sorted(published.values(), key=lambda c: (c.on, c.reference)),
        approved,
        no_changes,
    )


# --- a meeting --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingItem:
    reference: str
    title: str
    link: str | None
    kind: str  # a decision kind; "waiting" for an item carried forward
    text: str | None  # the conditions, or the reason for a referral
    decided_by: str | None
    paper: str | None  # the draft's link
    submitted: str  # draft | no_changes


@dataclass(frozen=True)
class Meeting:
    body: str
    day: date
    decided: list[MeetingItem]
    carried_forward: list[MeetingItem]  # referred to the body, not yet decided by it

    def of_kind(self, kind: str) -> list[MeetingItem]:
        return [item for item in self.decided if item.kind == kind]


def meeting_record(session: Session, body: str, day: date, zone: ZoneInfo) -> Meeting:
    """What `body` decided at its meeting on `day`, and what was referred to it and still waits.

    A body that decides at meetings has its agenda recorded: the meeting is its items. For one
    that decides at any time, a meeting is the decisions it took that day, and what waits for
    it."""
    held = _agenda_record(session, body, day)
    if held is not None:
        return held
    until = end_of(day, zone)
    start = end_of(day - timedelta(days=1), zone)
    rows = list(
        session.execute(
            select(*Decision.__table__.columns)
            .where(Decision.decided_at < until)
            .order_by(Decision.decided_at, Decision.id)
        )
    )
    by_submission: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        by_submission[row.submission_id].append(row)
    wanted = {row.submission_id for row in rows if _utc(row.decided_at) >= start} | {
        row.submission_id for row in rows if referred_to(row) == body
    }
    if not wanted:
        return Meeting(body, day, [], [])
    submissions = {
        s.id: s
        for s in session.execute(
            select(
                Submission.id,
                Submission.kind,
                Submission.link,
                Document.reference,
                Document.title,
                Document.link.label("document_link"),
            )
            .join(Review, Review.id == Submission.review_id)
            .join(Document, Document.id == Review.document_id)
            .where(Submission.id.in_(wanted))
        )
    }
    people = {
        p.id: p.name or p.email
        for p in session.execute(select(Person.id, Person.email, Person.name))
    }

    def item(row: Any, kind: str) -> MeetingItem:
        s = submissions[row.submission_id]
        return MeetingItem(
            s.reference,
            s.title,
            s.document_link,
            kind,
            row.text,
            people.get(row.decided_by_id) if kind != "waiting" else None,
            s.link,
            s.kind,
        )

    decided = [
        item(row, decision_kind(row))
        for row in rows
        if _utc(row.decided_at) >= start and decided_by_body(row) == body
    ]
    waiting = []
    for _submission_id, decisions in by_submission.items():
        for n, row in enumerate(decisions):
            if referred_to(row) == body and not any(
                decided_by_body(later) == body for later in decisions[n + 1 :]
            ):
                waiting.append(item(row, "waiting"))
                break
    decided.sort(key=lambda i: (KINDS.index(i.kind) if i.kind in KINDS else 9, i.reference))
    waiting.sort(key=lambda i: i.reference)
    return Meeting(body, day, decided, waiting)


def _agenda_record(session: Session, body: str, day: date) -> Meeting | None:
    from db.models import AgendaItem
    from db.models import Meeting as MeetingRow

    meeting = session.scalar(
        select(MeetingRow).where(MeetingRow.body == body, MeetingRow.held_on == day)
    )
    if meeting is None:
        return None
    people = {
        p.id: p.name or p.email
        for p in session.execute(select(Person.id, Person.email, Person.name))
    }
    decided, waiting = [], []
    for item in session.scalars(
        select(AgendaItem).where(AgendaItem.meeting_id == meeting.id).order_by(AgendaItem.id)
    ):
        document = item.review.document
        submission = item.review.submissions[-1] if item.review.submissions else None
        decision = session.get(Decision, item.decision_id) if item.decision_id else None
        kind = (
            decision_kind(decision)
            if decision is not None and item.outcome not in (None, "rolled", "noted")
            else "approved"
            if item.outcome == "noted"
            else "waiting"
        )
        entry = MeetingItem(
            document.reference,
            document.title,
            document.link,
            kind,
            decision.text if decision else None,
            people.get(item.recorded_by_id) if item.recorded_by_id else None,
            submission.link if submission else None,
            submission.kind if submission else "draft",
        )
        (waiting if kind == "waiting" else decided).append(entry)
    decided.sort(key=lambda i: (KINDS.index(i.kind) if i.kind in KINDS else 9, i.reference))
    return Meeting(body, day, decided, waiting)
