"""Uptake: staff told what changed in a published document, and asked to say they read it.

For the document types the settings name, publication sends each staff group named for the
document's service area a short note with *I have read this*. Delivery finds each group's
members (the rules never know what a group is in the chat platform) and hands the note on, one
outbox row per person, keyed, so that retries and replicas never send twice. Those who have not
answered after a number of working days are reminded, once. The uptake rate is read and sent
per document and per service area, for App Home, `signoff uptake` and reports.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from db.inserts import insert_if_absent, insert_many_if_absent
from db.models import Document, Uptake, UptakeRecipient
from workflow import archive, audit
from workflow.context import Ctx, use_case
from workflow.dates import add_working_days
from workflow.errors import Refused
from workflow.outbox import enqueue, enqueue_many

NOTE = "uptake_note"
REMINDER = "uptake_reminder"


def start(ctx: Ctx, document: Document) -> Uptake | None:
    """The version just published goes to the staff groups named for its area, if its type is
    one staff must read. None when nobody is to be asked."""
    groups = ctx.uptake.groups_for(document.doc_type, document.service_area)
    if not groups:
        return None
    version = document.published_version
    insert_if_absent(
        ctx.session,
        Uptake,
        {
            "document_id": document.id,
            "version": version,
            "published_on": document.published_on or ctx.today,
            "summary": archive.latest_summary(ctx.session, document.id, version),
            "created_at": ctx.now,
        },
        ["document_id", "version"],
    )
    uptake = ctx.session.scalars(
        select(Uptake).where(Uptake.document_id == document.id, Uptake.version == version)
    ).one()
    for group in groups:
        enqueue(
            ctx.session,
            f"uptake:{uptake.id}:group:{group}",
            NOTE,
            now=ctx.now,
            audience=f"group:{group}",
            payload={"uptake_id": uptake.id},
        )
    audit.record(
        ctx,
        "uptake.sent",
        document=document,
        detail=f"version {version} to the staff of {document.service_area or 'every area'} "
        f"({', '.join(groups)}), to read and say they have",
    )
    return uptake


def add_recipients(
    session: Session, uptake_id: int, group: str, addresses: Iterable[str], *, now: datetime
) -> int:
    """The members delivery found in `group`: each becomes a recipient with a note of their
    own to send, once, however many groups name them. How many were new."""
    rows = [
        {"uptake_id": uptake_id, "address": address, "group_id": group, "added_at": now}
        for address in dict.fromkeys(addresses)
    ]
    added = len(insert_many_if_absent(session, UptakeRecipient, rows, ["uptake_id", "address"]))
    enqueue_many(
        session,
        [(f"uptake:{uptake_id}:to:{row['address']}", f"user:{row['address']}") for row in rows],
        NOTE,
        now=now,
        payload={"uptake_id": uptake_id},
    )
    return added


@dataclass(frozen=True)
class NoteView:
    """What a member of staff is sent: what changed, and whether they said they read it."""

    uptake_id: int
    reference: str
    title: str
    version: str | None
    link: str | None
    summary: str | None
    published_on: date
    reminder: bool = False
    acknowledged_at: datetime | None = None


def note_view(
    session: Session, uptake_id: int, *, reminder: bool = False, address: str | None = None
) -> NoteView:
    uptake = session.get(Uptake, uptake_id)
    if uptake is None:
        raise LookupError(f"no uptake {uptake_id}")
    document = session.get(Document, uptake.document_id)
    assert document is not None
    acknowledged = (
        session.scalar(
            select(UptakeRecipient.acknowledged_at).where(
                UptakeRecipient.uptake_id == uptake_id, UptakeRecipient.address == address
            )
        )
        if address
        else None
    )
    return NoteView(
        uptake_id=uptake.id,
        reference=document.reference,
        title=document.title,
        version=uptake.version,
        link=document.link,
        summary=uptake.summary,
        published_on=uptake.published_on,
        reminder=reminder,
        acknowledged_at=acknowledged,
    )


@use_case
def acknowledge(ctx: Ctx, uptake_id: int, address: str) -> NoteView:
    """Someone says they read it. Only those it was sent to; a second click changes nothing."""
    recipient = ctx.session.scalar(
        select(UptakeRecipient)
        .where(UptakeRecipient.uptake_id == uptake_id, UptakeRecipient.address == address)
        .with_for_update()
    )
    if recipient is None:
        uptake = ctx.session.get(Uptake, uptake_id)
        raise Refused(
            "That note was not sent to you, so there is nothing for you to acknowledge.",
            code="not_allowed",
        ).about(uptake.document_id if uptake else None)
    if recipient.acknowledged_at is None:
        recipient.acknowledged_at = ctx.now
    return note_view(ctx.session, uptake_id, address=address)


@use_case
def remind_unread(ctx: Ctx) -> int:
    """Those who have not said they read the latest published version of a document, the set
    number of working days after it was sent to them, are reminded once. How many."""
    latest = select(func.max(Uptake.id).label("id")).group_by(Uptake.document_id).scalar_subquery()
    waiting = ctx.session.execute(
        select(
            UptakeRecipient.id,
            UptakeRecipient.uptake_id,
            UptakeRecipient.address,
            UptakeRecipient.added_at,
        )
        .where(
            UptakeRecipient.acknowledged_at.is_(None),
            UptakeRecipient.reminded_at.is_(None),
            UptakeRecipient.uptake_id.in_(latest),
        )
        .order_by(UptakeRecipient.id)
    ).all()
    after = ctx.uptake.remind_after_working_days
    due_on: dict[date, date] = {}
    due = []
    for row in waiting:
        sent_on = row.added_at.astimezone(ctx.timezone).date()
        if sent_on not in due_on:
            due_on[sent_on] = add_working_days(sent_on, after, ctx.nation)
        if due_on[sent_on] <= ctx.today:
            due.append(row)
    if not due:
        return 0
    for start in range(0, len(due), 500):
        chunk = due[start : start + 500]
        ctx.session.execute(
            update(UptakeRecipient)
            .where(UptakeRecipient.id.in_([row.id for row in chunk]))
            .values(reminded_at=ctx.now)
        )
    by_uptake: dict[int, list[str]] = {}
    for row in due:
        by_uptake.setdefault(row.uptake_id, []).append(row.address)
    for uptake_id, addresses in by_uptake.items():
        enqueue_many(
            ctx.session,
            [(f"uptake_reminder:{uptake_id}:{a}", f"user:{a}") for a in addresses],
            REMINDER,
            now=ctx.now,
            payload={"uptake_id": uptake_id, "reminder": True},
        )
        uptake = ctx.session.get(Uptake, uptake_id)
        assert uptake is not None
        audit.record(
            ctx,
            "uptake.reminded",
            document=ctx.session.get(Document, uptake.document_id),
            detail=f"{len(addresses)} who have not said they read version {uptake.version} "
            f"after {after} working days",
        )
    return len(due)


# --- the rates ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    """How many were sent a published version, and how many said they read it."""

    reference: str
    title: str
    service_area: str | None
    version: str | None
    published_on: date | None
    sent: int
    read: int
    reminded: int

    @property
    def rate(self) -> float | None:
        return self.read / self.sent if self.sent else None

    @property
    def percent(self) -> str:
        return f"{round(100 * self.read / self.sent)}%" if self.sent else "none sent yet"


def _counts(session: Session, uptake_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    rows = session.execute(
        select(
            UptakeRecipient.uptake_id,
            func.count(),
            func.count(UptakeRecipient.acknowledged_at),
            func.count(UptakeRecipient.reminded_at),
        )
        .where(UptakeRecipient.uptake_id.in_(uptake_ids))
        .group_by(UptakeRecipient.uptake_id)
    ).all()
    return {uptake_id: (sent, read, reminded) for uptake_id, sent, read, reminded in rows}


def rates_of(session: Session, document_id: int) -> list[Rate]:
    """Every published version of one document sent to staff, oldest first."""
    document = session.get(Document, document_id)
    assert document is not None
    uptakes = session.scalars(
        select(Uptake).where(Uptake.document_id == document_id).order_by(Uptake.id)
    ).all()
    counts = _counts(session, [u.id for u in uptakes])
    return [
        Rate(
            document.reference,
            document.title,
            document.service_area,
            u.version,
            u.published_on,
            *counts.get(u.id, (0, 0, 0)),
        )
        for u in uptakes
    ]


def rates_by_document(session: Session) -> list[Rate]:
    """The latest version of each document sent to staff, and its uptake, by reference."""
    latest = select(func.max(Uptake.id)).group_by(Uptake.document_id)
    uptakes = session.execute(
        select(Uptake, Document)
        .join(Document, Document.id == Uptake.document_id)
        .where(Uptake.id.in_(latest))
        .order_by(Document.reference)
    ).all()
    counts = _counts(session, [u.id for u, _ in uptakes])
    return [
        Rate(
            d.reference,
            d.title,
            d.service_area,
            u.version,
            u.published_on,
            *counts.get(u.id, (0, 0, 0)),
        )
        for u, d in uptakes
    ]


def rates_by_area(session: Session) -> list[Rate]:
    """The uptake of each service area: its documents' latest versions, together."""
    areas: dict[str | None, list[Rate]] = {}
    for rate in rates_by_document(session):
        areas.setdefault(rate.service_area, []).append(rate)
    return [
        Rate(
            reference="",
            title=area or "No service area",
            service_area=area,
            version=None,
            published_on=max((r.published_on for r in rates if r.published_on), default=None),
            sent=sum(r.sent for r in rates),
            read=sum(r.read for r in rates),
            reminded=sum(r.reminded for r in rates),
        )
        for area, rates in sorted(areas.items(), key=lambda item: item[0] or "")
    ]
