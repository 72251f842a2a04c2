"""Messages that are not about one review: people Slack does not know, reassignments, and the
periodic posts (their data gathered here, their blocks built in bot.blocks.periodic)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.blocks import periodic
from bot.blocks.kit import Msg, escape, message, section
from bot.blocks.reviews import Render
from db.models import AuditEvent, Document, Person
from workflow import queries
from workflow.summaries import document_views, review_summary


def unknown_person(session: Session, payload: dict[str, Any]) -> Msg:
    person = session.get(Person, payload["person_id"])
    email = person.email if person else payload.get("email", "?")
    held = session.scalars(
        select(Document.reference)
        .where(
            or_(
                Document.owner_id == payload["person_id"],
                Document.approver_id == payload["person_id"],
            )
        )
        .order_by(Document.reference)
    ).all()
    listing = ", ".join(held[:40]) + (f" and {len(held) - 40} more" if len(held) > 40 else "")
    cannot = (
        "is named in the register but Slack does not know that address, so signoff "
        "cannot reach them."
    )
    fix = "Correct the e-mail in the register and import it again, or reassign their documents."
    body = (
        f":warning: *{escape(email)}* {cannot}\n"
        f"They hold: {escape(listing) or 'nothing yet'}.\n{fix}"
    )
    return message(f"{email} {cannot}", [section(body)])


def reassigned(session: Session, payload: dict[str, Any]) -> Msg:
    event = session.get(AuditEvent, payload["event_id"])
    document = session.get(Document, payload["document_id"])
    assert event is not None and document is not None
    role = "owner" if event.action == "document.owner_changed" else "approver"
    before = (event.before or {}).get(role) or "nobody"
    after = (event.after or {}).get(role)
    text = f"{document.reference} {document.title}: the {role} is now {after} (was {before})."
    return message(
        text,
        [
            section(
                f":arrows_counterclockwise: *{escape(document.reference)} "
                f"{escape(document.title)}*: the {role} is now "
                f"{escape(str(after))} (was {escape(before)})."
            )
        ],
    )


def digest(session: Session, payload: dict[str, Any], render: Render) -> Msg:
    days = int(payload.get("due_soon_days", 14))
    awaiting = queries.all_awaiting_approval(session) + queries.reviews_at_slt(session)
    data = periodic.DigestData(
        overdue=document_views(session, queries.overdue(session, render.today)),
        due_soon=document_views(session, queries.due_within(session, render.today, days)),
        awaiting=[review_summary(session, rid) for rid in awaiting],
        without_owner=document_views(session, queries.documents_without_owner(session)),
        not_in_slack=queries.people_not_in_slack(session),
        due_soon_days=days,
    )
    return periodic.digest(data, render)


def slt_agenda(session: Session, payload: dict[str, Any], render: Render) -> Msg:
    items = [review_summary(session, rid) for rid in queries.reviews_at_slt(session)]
    return periodic.slt_agenda(date.fromisoformat(payload["meeting"]), items, render)


def monthly_report(session: Session, payload: dict[str, Any], render: Render) -> Msg:
    month = payload["month"]
    first = date.fromisoformat(f"{month}-01")
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    approved = [
        review_summary(session, rid)
        for rid in queries.approved_in(session, first, last, render.zone)
    ]
    pending = document_views(session, queries.pending_publication(session))
    return periodic.monthly_report(month, approved, pending, render)


_BUILDERS: dict[str, Callable[[Session, dict[str, Any], Render], Msg]] = {
    "unknown_person": lambda session, payload, _render: unknown_person(session, payload),
    "reassigned": lambda session, payload, _render: reassigned(session, payload),
    "digest": digest,
    "slt_agenda": slt_agenda,
    "monthly_report": monthly_report,
}


def build(
    kind: str, session: Session, payload: dict[str, Any], *, today: date, zone: ZoneInfo
) -> Msg:
    if kind not in _BUILDERS:
        raise LookupError(f"no message builder for {kind!r}")
    return _BUILDERS[kind](session, payload, Render(today, zone, payload))
