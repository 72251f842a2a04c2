"""A year in the life of a register of over three hundred documents, lived through the real use
cases with the clock moved on day by day, and written down by the test as it goes.

The log kept here is the test's own account of what it did: every figure of the reports can be
counted again from it without reading the database. `build_year` runs the story once; the
fixtures that use it build it once per test session."""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.clock import FixedClock
from bot.runtime import Runtime
from db.models import Document, Person, Review
from workflow.context import SYSTEM, Actor
from workflow.dates import add_months
from workflow.people import person_for_email
from workflow.register import RegisterRow
from workflow.register_sync import import_register
from workflow.responsibilities import person_left
from workflow.reviews import (
    decide,
    mark_published,
    open_review,
    reassign,
    start_review,
    submit_draft,
    submit_no_changes,
)
from workflow.rounds import PlanItem, open_round
from workflow.routes import agree_due_date, request_review
from workflow.states import Action

LONDON = ZoneInfo("Europe/London")
START = date(2026, 3, 2)  # the register is imported
END = date(2027, 3, 31)  # the last day lived: the end of the financial year 2026/27
AREAS = (
    "Children in Care",
    "Safeguarding",
    "Fostering",
    "Adoption",
    "Early Help",
    "Youth Justice",
)
TYPES = (
    "policy",
    "procedure",
    "practice_standard",
    "practice_guidance",
    "protocol",
    "guideline",
    "strategy",
    "form",
)
OWNERS = tuple(f"owner{n:02d}@example.org" for n in range(14))
APPROVERS = tuple(f"approver{n}@example.org" for n in range(5))
SLT = "slt.one@example.org"
ADMIN = "ppo@example.org"
WINDOW = 42  # days before the due date a scheduled review opens, as the reminders do
ROUND = ("Summer 2026", date(2026, 6, 1), date(2026, 6, 30))


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON).astimezone(UTC)


def local(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


@dataclass
class DecisionLog:
    at: datetime
    body: str  # approver | slt
    kind: str  # approved | approved_with_conditions | referred
    submission: int  # index into the review's submissions


@dataclass
class ReviewLog:
    id: int
    ref: str
    route: str
    opened: datetime
    dues: list[tuple[datetime, date]]  # the review's due date, each time it was set
    started: datetime | None = None
    submissions: list[tuple[datetime, str]] = field(default_factory=list)  # (when, kind)
    decisions: list[DecisionLog] = field(default_factory=list)
    closed: datetime | None = None
    outcome: str | None = None
    back_to_slt: bool = False

    def due_at(self, moment: datetime) -> date:
        return [due for when, due in self.dues if when <= moment][-1]


@dataclass
class DocLog:
    ref: str
    title: str
    link: str
    created: datetime
    cycle: int
    doc_type: str
    area: list[tuple[datetime, str]]
    owner: list[tuple[datetime, str | None]]
    approver: list[tuple[datetime, str]]
    next_due: list[tuple[datetime, date]]
    version: str = "1.0"
    pending: str | None = None  # an approved version waiting to be published
    publications: list[tuple[date, str]] = field(default_factory=list)  # (on, version)

    @staticmethod
    def as_of(history: list[tuple[datetime, Any]], moment: datetime) -> Any:
        return [value for when, value in history if when < moment][-1]


@dataclass
class Year:
    """The story's log, and the running signoff it happened in."""

    runtime: Runtime
    docs: dict[str, DocLog]
    reviews: dict[int, ReviewLog]
    left: dict[str, datetime]  # e-mail -> when they left
    rounds: list[tuple[str, date, list[int]]]  # (name, deadline, review ids)
    names: dict[str, str]  # e-mail -> how the reports show the person
    early: Any = None  # June's figures, worked out in early July


class Story:
    def __init__(self, runtime: Runtime, clock: FixedClock, seed: int = 12) -> None:
        self.runtime = runtime
        self.clock = clock
        self.rng = random.Random(seed)
        self.queue: list[tuple[datetime, int, Callable[[], None]]] = []
        self.counter = itertools.count()
        self.docs: dict[str, DocLog] = {}
        self.reviews: dict[int, ReviewLog] = {}
        self.open: dict[str, int] = {}  # reference -> its open review
        self.left: dict[str, datetime] = {}
        self.rounds: list[tuple[str, date, list[int]]] = []
        self.people: dict[str, int] = {}
        self.early: Any = None

    # --- acting -----------------------------------------------------------------------------

    def actor(self, email: str) -> Actor:
        if email not in self.people:
            with self.runtime.sessions() as session:
                person = session.scalar(select(Person).where(Person.email == email))
                assert person is not None, email
                self.people[email] = person.id
        return self.runtime.actor_for_email(email, now=self.clock.now())

    def run(self, use_case: Callable[..., Any], actor: Actor | str, *args: Any, **kw: Any) -> Any:
        if isinstance(actor, str):
            actor = self.actor(actor)
        ctx = self.runtime.ctx(actor, now=self.clock.now())
        with ctx.session:
            result = use_case(ctx, *args, **kw)
            return getattr(result, "id", result)

    def owner_of(self, ref: str) -> str:
        """Who acts as owner now: the named owner, or the approver where none is (or has left)."""
        doc = self.docs[ref]
        owner = doc.owner[-1][1]
        return owner if owner and owner not in self.left else doc.approver[-1][1]

    def push(self, when: datetime, step: Callable[[], None]) -> None:
        heapq.heappush(self.queue, (when, next(self.counter), step))

    def later(self, after: datetime, lo: int, hi: int) -> datetime:
        """A working moment `lo` to `hi` days after `after`, always after it."""
        day = local(after) + timedelta(days=self.rng.randint(lo, hi))
        moment = at(day, self.rng.randint(8, 17), self.rng.choice((0, 15, 30, 45)))
        return moment if moment > after else after + timedelta(minutes=30)

    # --- the register -----------------------------------------------------------------------

    def register_rows(self, numbers: range, due_from: date, due_span: int) -> list[RegisterRow]:
        rows = []
        for n in numbers:
            area = AREAS[n % len(AREAS)]
            rows.append(
                RegisterRow(
                    line=n + 2,
                    reference=f"DOC-{n:03d}",
                    title=f"{area} document {n}",
                    doc_type=TYPES[n % len(TYPES)],
                    service_area=area,
                    owner_email=None if n % 23 == 5 else OWNERS[n % len(OWNERS)],
                    approver_email=APPROVERS[n % len(APPROVERS)],
                    review_cycle_months=12 if n % 7 else 36,
                    last_approved=None,
                    next_review_due=due_from + timedelta(days=(n * 37) % due_span),
                    version="1.0",
                    link=f"https://manual.example.org/doc-{n:03d}",
                )
            )
        return rows

    def import_rows(self, rows: list[RegisterRow]) -> None:
        now = self.clock.now()
        import_register(self.runtime.ctx(Actor(None, "test", is_admin=True), now=now), rows)
        for row in rows:
            if row.reference in self.docs:
                continue
            self.docs[row.reference] = DocLog(
                ref=row.reference,
                title=row.title,
                link=row.link or "",
                created=now,
                cycle=row.review_cycle_months,
                doc_type=row.doc_type,
                area=[(now, row.service_area or "")],
                owner=[(now, row.owner_email)],
                approver=[(now, row.approver_email)],
                next_due=[(now, row.next_review_due)],
            )

    # --- a review's course ------------------------------------------------------------------

    def open_scheduled(self, ref: str) -> None:
        doc = self.docs[ref]
        now = self.clock.now()
        review_id = self.run(open_review, SYSTEM, ref)
        due = doc.next_due[-1][1]
        self.reviews[review_id] = ReviewLog(review_id, ref, "scheduled_review", now, [(now, due)])
        self.open[ref] = review_id
        self.course(review_id, slow=False)

    def course(self, review_id: int, *, slow: bool) -> None:
        """What the owner does with a review: nothing at all, or start (or not) and submit."""
        review = self.reviews[review_id]
        if review.route == "scheduled_review" and self.rng.random() < 0.08:
            return  # never touched: it stays open, and falls overdue
        first = self.later(review.opened, 0, 45 if slow else 30)
        if self.rng.random() < 0.8:
            self.push(first, lambda: self.start(review_id))
        else:
            self.push(first, lambda: self.submit(review_id, redraft=False))

    def start(self, review_id: int) -> None:
        review = self.reviews[review_id]
        self.run(start_review, self.owner_of(review.ref), review_id)
        review.started = self.clock.now()
        self.push(self.later(review.started, 1, 60), lambda: self.submit(review_id, redraft=False))

    def submit(self, review_id: int, *, redraft: bool) -> None:
        review = self.reviews[review_id]
        owner = self.owner_of(review.ref)
        if redraft or self.rng.random() < 0.6:
            self.run(
                submit_draft,
                owner,
                review_id,
                link=f"https://drafts.example.org/{review_id}/{len(review.submissions) + 1}",
                summary="Updated to current practice",
            )
            kind = "draft"
        else:
            self.run(submit_no_changes, owner, review_id)
            kind = "no_changes"
        now = self.clock.now()
        review.submissions.append((now, kind))
        by_slt = redraft and review.back_to_slt
        self.push(
            self.later(now, 3 if by_slt else 0, 35 if by_slt else 20),
            lambda: self.slt_decides(review_id) if by_slt else self.approver_decides(review_id),
        )

    def approver_decides(self, review_id: int) -> None:
        review = self.reviews[review_id]
        roll = self.rng.random()
        redraft = len(review.submissions) > 1
        approver = self.docs[review.ref].approver[-1][1]
        if roll < (0.85 if redraft else 0.65):
            self.run(decide, approver, review_id, Action.APPROVE)
            self.decided(review, "approver", "approved")
            self.approved(review)
        elif roll < (1.0 if redraft else 0.85):
            self.run(
                decide, approver, review_id, Action.APPROVE_WITH_CONDITIONS, text="Add the IRO"
            )
            self.decided(review, "approver", "approved_with_conditions")
            review.back_to_slt = False
            self.push(
                self.later(self.clock.now(), 1, 25),
                lambda: self.submit(review_id, redraft=True),
            )
        else:
            self.run(decide, approver, review_id, Action.REFER, text="Spans services")
            self.decided(review, "approver", "referred")
            self.push(self.later(self.clock.now(), 3, 35), lambda: self.slt_decides(review_id))

    def slt_decides(self, review_id: int) -> None:
        review = self.reviews[review_id]
        if self.rng.random() < 0.7:
            self.run(decide, SLT, review_id, Action.APPROVE)
            self.decided(review, "slt", "approved")
            self.approved(review)
            return
        back = self.rng.random() < 0.5
        self.run(
            decide,
            SLT,
            review_id,
            Action.APPROVE_WITH_CONDITIONS,
            text="Add the timescales",
            comes_back=back,
        )
        self.decided(review, "slt", "approved_with_conditions")
        review.back_to_slt = back
        self.push(self.later(self.clock.now(), 1, 25), lambda: self.submit(review_id, redraft=True))

    def decided(self, review: ReviewLog, body: str, kind: str) -> None:
        review.decisions.append(
            DecisionLog(self.clock.now(), body, kind, len(review.submissions) - 1)
        )

    def approved(self, review: ReviewLog) -> None:
        now = self.clock.now()
        doc = self.docs[review.ref]
        review.closed = now
        amended = review.submissions[-1][1] == "draft"
        review.outcome = "approved" if amended else "approved_no_changes"
        doc.next_due.append((now, add_months(local(now), doc.cycle)))
        del self.open[review.ref]
        if amended:
            major, minor = doc.version.split(".")
            doc.version = doc.pending = f"{major}.{int(minor) + 1}"
            if self.rng.random() < 0.85:
                self.push(self.later(now, 1, 40), lambda: self.publish(review.ref))

    def publish(self, ref: str) -> None:
        doc = self.docs[ref]
        if doc.pending is None:
            return  # a later approval's publication came first and took it
        self.run(mark_published, ADMIN, ref)
        doc.publications.append((local(self.clock.now()), doc.pending))
        doc.pending = None

    # --- what the policy officer does once in a while ----------------------------------------

    def open_round(self) -> None:
        name, _opened, deadline = ROUND
        now = self.clock.now()
        fresh = [
            ref
            for ref, doc in sorted(self.docs.items())
            if ref not in self.open and doc.next_due[-1][1] > date(2026, 10, 15)
        ][:18]
        running = [
            ref
            for ref, review_id in sorted(self.open.items())
            if self.reviews[review_id].route == "scheduled_review"
            and self.reviews[review_id].dues[-1][1] > deadline
            and not self.reviews[review_id].submissions
        ][:3]
        items = [
            PlanItem(n, ref, "Amend for the new statutory guidance", ())
            for n, ref in enumerate(fresh + running, start=2)
        ]
        self.run(open_round, ADMIN, name, deadline, items)
        ids = []
        with self.runtime.sessions() as session:
            for ref in fresh:
                review_id = session.scalar(
                    select(Review.id)
                    .join(Document)
                    .where(Document.reference == ref, Review.closed_at.is_(None))
                )
                assert review_id is not None
                self.reviews[review_id] = ReviewLog(
                    review_id, ref, "scheduled_update", now, [(now, deadline)]
                )
                self.open[ref] = review_id
                ids.append(review_id)
                self.course(review_id, slow=self.rng.random() < 0.35)
        for ref in running:
            review = self.reviews[self.open[ref]]
            review.dues.append((now, min(review.dues[-1][1], deadline)))
            ids.append(review.id)
        self.rounds.append((name, deadline, ids))

    def request_unscheduled(self) -> None:
        ref = next(
            ref
            for ref, doc in sorted(self.docs.items(), reverse=True)
            if ref not in self.open and doc.next_due[-1][1] > date(2026, 10, 1)
        )
        doc = self.docs[ref]
        now = self.clock.now()
        requester = doc.approver[-1][1]
        review_id = self.run(
            request_review, requester, ref, reason="legislation", details="New regulations"
        )
        self.reviews[review_id] = ReviewLog(
            review_id, ref, "unscheduled_review", now, [(now, local(now) + timedelta(weeks=8))]
        )
        self.open[ref] = review_id
        agreed = self.later(now, 1, 3)

        def agree() -> None:
            due = local(self.clock.now()) + timedelta(days=40)
            self.run(agree_due_date, ADMIN, review_id, due)
            self.reviews[review_id].dues.append((self.clock.now(), due))
            self.course(review_id, slow=False)

        self.push(agreed, agree)

    def reimport(self) -> None:
        """The officer corrects some due dates and a service area in the register file."""
        now = self.clock.now()
        moved = [
            ref
            for ref, review_id in sorted(self.open.items())
            if self.reviews[review_id].route == "scheduled_review"
            and self.reviews[review_id].started is None
            and not self.reviews[review_id].submissions
        ][:3]
        idle = [ref for ref in sorted(self.docs) if ref not in self.open][:1]
        area_changed = [ref for ref in sorted(self.docs) if ref not in moved + idle][5]
        rows = []
        with self.runtime.sessions() as session:
            for ref in moved + idle + [area_changed]:
                d = session.scalars(select(Document).where(Document.reference == ref)).one()
                doc = self.docs[ref]
                due, area = d.next_review_due, d.service_area
                if ref in moved:
                    due = due + timedelta(days=21)
                    review = self.reviews[self.open[ref]]
                    review.dues.append((now, due))
                elif ref in idle:
                    due = due + timedelta(days=30)
                else:
                    area = "Family Support"
                    doc.area.append((now, area))
                if due != d.next_review_due:
                    doc.next_due.append((now, due))
                rows.append(
                    RegisterRow(
                        line=2,
                        reference=ref,
                        title=d.title,
                        doc_type=d.doc_type,
                        service_area=area,
                        owner_email=d.owner.email if d.owner else None,
                        approver_email=d.approver.email,
                        review_cycle_months=d.review_cycle_months,
                        last_approved=d.last_approved,
                        next_review_due=due,
                        version=d.version,
                        link=d.link,
                    )
                )
        import_register(self.runtime.ctx(Actor(None, "test", is_admin=True), now=now), rows)

    def handover(self) -> None:
        now = self.clock.now()
        chosen = [
            ref
            for ref, doc in sorted(self.docs.items())
            if doc.owner[-1][1] not in (None, OWNERS[13])
        ][3:8]
        for n, ref in enumerate(chosen):
            new = f"newowner{n % 2}@example.org"
            self.run(reassign, ADMIN, ref, role="owner", email=new)
            self.docs[ref].owner.append((now, new))

    def leaves(self, email: str) -> None:
        self.run(person_left, SYSTEM, self.actor(email).person_id)
        self.left[email] = self.clock.now()

    # --- the year ---------------------------------------------------------------------------

    def live(self) -> None:
        self.clock.set(at(START, 9))
        with self.runtime.sessions.begin() as session:
            for email in (ADMIN, SLT):
                person_for_email(session, email, now=self.clock.now())
        self.import_rows(self.register_rows(range(320), date(2026, 2, 10), 440))
        special: dict[date, list[tuple[int, Callable[[], None]]]] = {
            date(2026, 5, 12): [(14, self.request_unscheduled)],
            date(2026, 5, 13): [(11, self.request_unscheduled)],
            ROUND[1]: [(10, self.open_round)],
            date(2026, 7, 1): [
                (
                    9,
                    lambda: self.import_rows(
                        self.register_rows(range(320, 332), date(2026, 8, 20), 200)
                    ),
                )
            ],
            date(2026, 8, 3): [(10, self.reimport)],
            date(2026, 9, 15): [(11, self.handover)],
            date(2026, 10, 1): [(10, lambda: self.leaves(OWNERS[13]))],
            date(2026, 7, 5): [(12, self.figures_for_june)],
        }
        day = START
        while day <= END:
            self.push(at(day, 7, 30), lambda day=day: self.open_due(day))
            for hour, step in special.get(day, []):
                self.push(at(day, hour, 5), step)
            end = at(day + timedelta(days=1), 0)
            while self.queue and self.queue[0][0] < end:
                when, _n, step = heapq.heappop(self.queue)
                self.clock.set(when)
                step()
            day += timedelta(days=1)

    def figures_for_june(self) -> None:
        from workflow import figures

        with self.runtime.sessions() as session:
            self.early = figures.figures(session, figures.month("2026-06"), LONDON)

    def open_due(self, day: date) -> None:
        """The first reminder opens each scheduled review 42 days before it falls due."""
        for ref, doc in sorted(self.docs.items()):
            if ref not in self.open and doc.next_due[-1][1] - timedelta(days=WINDOW) <= day:
                self.open_scheduled(ref)

    def year(self) -> Year:
        with self.runtime.sessions() as session:
            names = {p.email: p.name or p.email for p in session.scalars(select(Person))}
        return Year(
            self.runtime, self.docs, self.reviews, self.left, self.rounds, names, self.early
        )


def build_year(runtime: Runtime) -> Year:
    clock = FixedClock(at(START, 9))
    runtime.clock = clock
    story = Story(runtime, clock)
    story.live()
    return story.year()
