"""How long the annual report takes, and how much memory, over a large register with years of
history: N documents (100,000 by default) reviewed on their cycles for five financial years.

    python bench/report.py [DOCUMENTS] [--pdf]

The history is written straight into a SQLite file with bulk inserts (people, documents,
reviews, submissions, decisions and the audit events the figures read), as the use cases would
have left it; then `signoff report annual` and `signoff report month` run as their own
processes. Prints figures; asserts nothing.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from measure import timed_signoff
from sqlalchemy import insert

from db.engine import make_engine
from db.migrate import upgrade
from db.models import AuditEvent, Decision, Document, Person, Review, Submission
from workflow.dates import add_months

LONDON = ZoneInfo("Europe/London")
FIRST = date(2022, 4, 1)  # five financial years: 2022/23 to 2026/27
LAST = date(2027, 3, 31)
AREAS = [f"Area {n}" for n in range(12)]
TYPES = ("policy", "procedure", "practice_guidance", "protocol", "guideline", "form")
OWNERS, APPROVERS = 800, 60
BATCH = 5000


def moment(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=LONDON).astimezone(UTC)


class Writer:
    """Rows for each table, flushed in batches."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.rows: dict[Any, list[dict[str, Any]]] = {
            t: [] for t in (Document, Review, Submission, Decision, AuditEvent)
        }
        self.ids = {t: 0 for t in self.rows}
        self.written = 0

    # Every row of a table names the same columns, as one executemany needs.
    DEFAULTS: ClassVar[dict[Any, dict[str, Any]]] = {
        Review: {"closed_at": None, "outcome": None},
        Decision: {"text": None, "decided_by_id": None},
    }

    def add(self, table: Any, **values: Any) -> int:
        self.ids[table] += 1
        values = {**self.DEFAULTS.get(table, {}), **values, "id": self.ids[table]}
        self.rows[table].append(values)
        return values["id"]

    def flush(self) -> None:
        with self.engine.begin() as connection:
            for table, rows in self.rows.items():
                if rows:
                    connection.execute(insert(table), rows)
                    self.written += len(rows)
                    rows.clear()


def event(w: Writer, at: datetime, action: str, doc: int, review: int | None, **after: Any) -> None:
    w.add(
        AuditEvent,
        at=at,
        actor_id=None,
        actor_label="bench",
        document_id=doc,
        review_id=review,
        action=action,
        refused=False,
        after={k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in after.items()}
        or None,
    )


def history(w: Writer, documents: int, rng: random.Random) -> None:
    created = moment(FIRST - timedelta(days=30), 9)
    for n in range(documents):
        cycle = 36 if n % 5 == 0 else 12
        due = FIRST + timedelta(days=rng.randint(0, 365 if cycle == 12 else 3 * 365))
        owner = None if n % 50 == 7 else 1 + n % OWNERS
        approver = 1 + OWNERS + n % APPROVERS
        doc = w.add(
            Document,
            reference=f"DOC-{n:06d}",
            title=f"Document {n}",
            doc_type=TYPES[n % len(TYPES)],
            service_area=AREAS[n % len(AREAS)],
            owner_id=owner,
            approver_id=approver,
            review_cycle_months=cycle,
            next_review_due=due,
            version="1.0",
            link=f"https://manual.example.org/doc-{n:06d}",
            created_at=created,
            updated_at=created,
        )
        event(
            w,
            created,
            "document.created",
            doc,
            None,
            next_review_due=due,
            service_area=AREAS[n % len(AREAS)],
            doc_type=TYPES[n % len(TYPES)],
            owner_email=f"owner{owner}@example.org" if owner else None,
            approver_email=f"approver{approver}@example.org",
        )
        version = 0
        while due - timedelta(days=42) <= LAST:
            opened = moment(max(due - timedelta(days=42), FIRST - timedelta(days=29)), 8)
            if opened.date() > LAST:
                break
            review = w.add(
                Review,
                document_id=doc,
                route="scheduled_review",
                state="review_due",
                due_date=due,
                back_to_slt=False,
                opened_at=opened,
                state_changed_at=opened,
            )
            event(w, opened, "review.opened", doc, review, due_date=due, route="scheduled_review")
            if rng.random() < 0.05:
                break  # never touched: overdue from its due date on
            started = opened + timedelta(days=rng.randint(0, 30), hours=rng.randint(1, 8))
            event(w, started, "review.started", doc, review)
            at = started + timedelta(days=rng.randint(1, 50), hours=1)
            draft = rng.random() < 0.6
            closed = None
            seq = 0
            while closed is None and at.date() <= LAST:
                seq += 1
                submission = w.add(
                    Submission,
                    review_id=review,
                    seq=seq,
                    kind="draft" if draft or seq > 1 else "no_changes",
                    summary="Updated",
                    submitted_at=at,
                )
                event(w, at, "review.submitted", doc, review)
                decided = at + timedelta(days=rng.randint(0, 20), hours=1)
                roll = rng.random()
                if roll < 0.15 and seq == 1:
                    w.add(
                        Decision,
                        submission_id=submission,
                        level="rsm",
                        outcome="deferred_to_slt",
                        text="Spans services",
                        back_to_slt=False,
                        slot=0,
                        decided_at=decided,
                    )
                    event(w, decided, "review.deferred_to_slt", doc, review)
                    decided += timedelta(days=rng.randint(3, 35))
                    level = "slt"
                else:
                    level = "rsm"
                if roll < 0.8 or seq > 1:
                    w.add(
                        Decision,
                        submission_id=submission,
                        level=level,
                        outcome="approved",
                        back_to_slt=False,
                        slot=0,
                        decided_at=decided,
                    )
                    closed = decided
                else:
                    w.add(
                        Decision,
                        submission_id=submission,
                        level=level,
                        outcome="approved_with_conditions",
                        text="Add the timescales",
                        back_to_slt=False,
                        slot=0,
                        decided_at=decided,
                    )
                    at = decided + timedelta(days=rng.randint(1, 25), hours=1)
            if closed is None or closed.date() > LAST:
                break
            day = closed.astimezone(LONDON).date()
            due = add_months(day, cycle)
            amended = draft or seq > 1
            if amended:
                version += 1
            event(
                w,
                closed,
                "review.approved" if level == "rsm" else "review.slt_approved",
                doc,
                review,
                state="current",
                next_review_due=due,
                version=f"1.{version}",
            )
            w.rows[Review][-1].update(
                state="current",
                closed_at=closed,
                state_changed_at=closed,
                outcome="approved" if amended else "approved_no_changes",
            )
            if amended and rng.random() < 0.85:
                published = day + timedelta(days=rng.randint(1, 40))
                if published <= LAST:
                    event(
                        w,
                        moment(published, 11),
                        "document.published",
                        doc,
                        None,
                        published_version=f"1.{version}",
                        published_on=published,
                    )
        if (n + 1) % BATCH == 0:
            w.flush()
    w.flush()


def main() -> None:
    documents = int(next((a for a in sys.argv[1:] if a.isdigit()), 100_000))
    pdf = "--pdf" in sys.argv
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        engine = make_engine(url)
        upgrade(engine)
        started = time.perf_counter()
        stamp = moment(FIRST - timedelta(days=60), 9)
        with engine.begin() as connection:
            connection.execute(
                insert(Person),
                [
                    {"id": 1 + n, "email": f"owner{1 + n}@example.org", "created_at": stamp}
                    for n in range(OWNERS)
                ]
                + [
                    {
                        "id": 1 + OWNERS + n,
                        "email": f"approver{1 + OWNERS + n}@example.org",
                        "created_at": stamp,
                    }
                    for n in range(APPROVERS)
                ],
            )
        writer = Writer(engine)
        history(writer, documents, random.Random(5))
        engine.dispose()
        counts = ", ".join(f"{t.__tablename__} {writer.ids[t]:,}" for t in writer.ids)
        print(
            f"history of {documents:,} documents over five years written in "
            f"{time.perf_counter() - started:.1f} s: {counts}"
        )
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("SIGNOFF_", "SLACK_"))},
            "DATABASE_URL": url,
        }
        out = Path(folder) / "out"
        for label, args in (
            ("annual report 2026/27", ["report", "annual", "--year", "2026/27"]),
            ("month report 2027-03", ["report", "month", "2027-03"]),
        ):
            seconds, peak = timed_signoff(
                env,
                "--now",
                "2027-04-02T09:00",
                *args,
                "--out",
                str(out),
                *([] if pdf else ["--no-pdf"]),
            )
            print(f"{label:<24} {seconds:7.2f} s  peak RSS {peak:7.1f} MiB")
        sizes = ", ".join(
            f"{p.name} {p.stat().st_size / 1e6:.1f} MB" for p in sorted(out.iterdir())
        )
        print(f"wrote {sizes}")


if __name__ == "__main__":
    main()
