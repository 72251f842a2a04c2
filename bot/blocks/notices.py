"""Messages that are not about one review: people Slack does not know, reassignments, and the
periodic posts (their data gathered here, their blocks built in bot.blocks.periodic)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.blocks import periodic
from bot.blocks.kit import Msg, context, day, escape, header, message, section, sections
from bot.blocks.reviews import Render
from db.models import AuditEvent, Deputy, Document, Person, UpdateRound
from workflow import queries
from workflow.rounds import ItemStatus, statuses
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


def _round_lines(
    session: Session, payload: dict[str, Any], render: Render
) -> tuple[UpdateRound, list[ItemStatus]]:
    round_ = session.get(UpdateRound, payload["round_id"])
    assert round_ is not None
    return round_, statuses(round_, render.today, render.zone)


def round_status(session: Session, payload: dict[str, Any], render: Render) -> Msg:
    round_, items = _round_lines(session, payload, render)
    counts = Counter(item.status for item in items)
    order = ("decided", "waiting on owner", "waiting on approver", "at SLT", "missed")
    summary = " \u00b7 ".join(f"{name}: *{counts[name]}*" for name in order if counts[name])
    lines = [f"\u2022 *{escape(i.reference)}* {escape(i.title)} \u2014 {i.status}" for i in items]
    left = (round_.deadline - render.today).days
    text = f"Update round {round_.name}: {summary.replace('*', '')}; {left} days to go."
    return message(
        text,
        [
            header(f"Update round {round_.name}: {left} days to the deadline"),
            section(f"Deadline *{day(round_.deadline)}*. {summary}"),
            *sections(lines),
        ],
    )


def round_report(session: Session, payload: dict[str, Any], render: Render) -> Msg:
    round_, items = _round_lines(session, payload, render)
    made = [i for i in items if i.status == "decided"]
    missed = [i for i in items if i.status != "decided"]
    text = (
        f"Update round {round_.name} closed on {day(round_.deadline)}: {len(made)} made it, "
        f"{len(missed)} missed."
    )
    blocks = [
        header(f"Update round {round_.name}: the deadline has passed"),
        section(
            f"*{len(made)}* made it by {day(round_.deadline)}; *{len(missed)}* "
            "missed and stay open for the next edition. Send the approved ones to "
            f'the provider: `signoff round export "{round_.name}" FILE`.'
        ),
    ]
    if made:
        blocks += sections(
            [
                f"\u2022 *{escape(i.reference)}* {escape(i.title)} \u2014 version "
                f"{escape(i.version or '')}, approved {day(i.approved_on)}"
                for i in made
            ],
            heading="*Made it*",
        )
    if missed:
        blocks += sections(
            [f"\u2022 *{escape(i.reference)}* {escape(i.title)}" for i in missed],
            heading="*Missed*",
        )
    return message(text, blocks)


def person_left(session: Session, payload: dict[str, Any], render: Render) -> Msg:
    held = payload.get("documents", [])
    text = (
        f"{payload['email']} has left Slack and holds {len(held)} documents: reassign them "
        "(signoff reassign --from ... --to ...). Until then each approver acts as owner."
    )
    return message(
        text,
        [
            section(
                f":warning: *{escape(payload['email'])}* has been deactivated in Slack and "
                f"holds {len(held)} documents: {escape(', '.join(held))}.\nUntil they are "
                "reassigned, each document's approver acts as its owner. Move them with "
                "`signoff reassign --from "
                f"{escape(payload['email'])} --to NEW` or `/signoff reassign`."
            )
        ],
    )


def handover(session: Session, payload: dict[str, Any], render: Render) -> Msg:
    role = f" as {payload['role']}" if payload.get("role") else ""
    documents = ", ".join(payload["documents"])
    text = f"{payload['from']}'s documents{role} are now {payload['to']}'s: {documents}."
    return message(text, [section(f":arrows_counterclockwise: {escape(text)}")])


def deputy_named(session: Session, payload: dict[str, Any], render: Render) -> Msg:
    row = session.get(Deputy, payload["deputy_row"])
    assert row is not None
    person = session.get(Person, row.person_id)
    who = person.display if person else "a colleague"
    text = (
        f"You are {who}'s deputy from {day(row.starts_on)} to {day(row.ends_on)}: their "
        "signoff requests will come to you, and they will be copied."
    )
    return message(text, [section(escape(text))])


def with_deputy_note(session: Session, msg: Msg, payload: dict[str, Any]) -> Msg:
    """Say, on top of a message, that it came to a deputy or is a copy of one."""
    if "deputy_of" in payload:
        person = session.get(Person, payload["deputy_of"])
        note = f"You are standing in for {person.display if person else 'a colleague'}."
    elif "copy_to_deputy" in payload:
        deputy = session.get(Person, payload["copy_to_deputy"])
        note = f"A copy: this went to your deputy, {deputy.display if deputy else 'your deputy'}."
    else:
        return msg
    return Msg(f"({note}) {msg.text}", [context(f"_{escape(note)}_").to_dict(), *msg.blocks][:50])


_BUILDERS: dict[str, Callable[[Session, dict[str, Any], Render], Msg]] = {
    "round_status": round_status,
    "round_report": round_report,
    "person_left": person_left,
    "handover": handover,
    "deputy_named": deputy_named,
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
