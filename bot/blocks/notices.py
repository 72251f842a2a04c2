"""Messages that are not about one review: people Slack does not know, reassignments."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.blocks.kit import Msg, escape, message, section
from db.models import AuditEvent, Document, Person


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


_BUILDERS: dict[str, Callable[[Session, dict[str, Any]], Msg]] = {
    "unknown_person": unknown_person,
    "reassigned": reassigned,
}


def build(
    kind: str, session: Session, payload: dict[str, Any], *, today: date, zone: ZoneInfo
) -> Msg:
    if kind not in _BUILDERS:
        raise LookupError(f"no message builder for {kind!r}")
    return _BUILDERS[kind](session, payload)
