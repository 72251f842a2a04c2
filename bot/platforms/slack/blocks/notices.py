"""Messages that are not about one review: people Slack does not know, reassignments, and the
periodic posts (their data gathered here, their blocks built in periodic.py beside this)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.platforms.slack.blocks import meetings, periodic, register
from bot.platforms.slack.blocks.kit import (
    Msg,
    context,
    day,
    escape,
    header,
    message,
    section,
    sections,
)
from bot.platforms.slack.blocks.reviews import Render
from db.models import AuditEvent, Deputy, Document, Meeting, Person, UpdateRound
from workflow import figures as F
from workflow import queries
from workflow.governance import Governance
from workflow.queries import references_held_by
from workflow.rounds import ItemStatus, statuses
from workflow.summaries import body_ref, document_views, review_summary


def unknown_person(session: Session, payload: dict[str, Any]) -> Msg:
    person = session.get(Person, payload["person_id"])
    email = person.email if person else payload.get("email", "?")
    held = references_held_by(session, payload["person_id"])
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


def digest(session: Session, payload: dict[str, Any], render: Render, rules: Governance) -> Msg:
    days = int(payload.get("due_soon_days", 14))
    awaiting = queries.all_awaiting_approval(session)
    data = periodic.DigestData(
        overdue=document_views(session, queries.overdue(session, render.today)),
        due_soon=document_views(session, queries.due_within(session, render.today, days)),
        awaiting=[review_summary(session, rid, rules) for rid in awaiting],
        without_owner=document_views(session, queries.documents_without_owner(session)),
        not_in_slack=queries.people_not_in_slack(session),
        due_soon_days=days,
    )
    return periodic.digest(data, render)


def agenda(session: Session, payload: dict[str, Any], render: Render, rules: Governance) -> Msg:
    body = payload["body"]
    items = [review_summary(session, rid, rules) for rid in queries.reviews_with(session, body)]
    return meetings.agenda(
        body_ref(rules, body), date.fromisoformat(payload["meeting"]), items, render
    )


def meeting_view(session: Session, rules: Governance, meeting_id: int) -> meetings.MeetingView:
    meeting = session.get(Meeting, meeting_id)
    assert meeting is not None
    people = {p.id: p for p in session.scalars(select(Person))}
    body = rules.body(meeting.body) if meeting.body in rules.bodies else None
    chair = next((p for p in people.values() if body and p.email == body.chair), None)
    items = [
        meetings.Item(
            id=item.id,
            kind=item.kind,
            outcome=item.outcome,
            note=item.note,
            summary=review_summary(session, item.review_id, rules),
            recorded_by=people[item.recorded_by_id].display
            if item.recorded_by_id in people
            else None,
        )
        for item in meeting.items
    ]
    return meetings.MeetingView(
        id=meeting.id,
        body=body_ref(rules, meeting.body),
        held_on=meeting.held_on,
        chair=chair.display if chair else (body.chair if body else None),
        closed=meeting.closed_at is not None,
        items=items,
        reports_to=body_ref(rules, body.reports_to) if body and body.reports_to else None,
    )


def papers(session: Session, payload: dict[str, Any], render: Render, rules: Governance) -> Msg:
    view = meeting_view(session, rules, payload["meeting_id"])
    # Members' own copies are to read; the chair records from the channel's (or their own).
    for_chair = payload.get("copy_for") is None or payload.get("copy_for") == "chair"
    return meetings.papers(view, render, for_chair=for_chair)


def minutes(session: Session, payload: dict[str, Any], render: Render, rules: Governance) -> Msg:
    return meetings.minutes(meeting_view(session, rules, payload["meeting_id"]), render)


def meeting_report(
    session: Session, payload: dict[str, Any], render: Render, rules: Governance
) -> Msg:
    return meetings.meeting_report(meeting_view(session, rules, payload["meeting_id"]), render)


def monthly_report(
    session: Session, payload: dict[str, Any], render: Render, rules: Governance
) -> Msg:
    month = payload["month"]
    first = date.fromisoformat(f"{month}-01")
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    approved = [
        review_summary(session, rid, rules)
        for rid in queries.approved_in(session, first, last, render.zone)
    ]
    pending = document_views(session, queries.pending_publication(session))
    figures = F.figures(session, F.month(month), render.zone)
    return periodic.monthly_report(month, approved, pending, render, figures)


def _round_lines(
    session: Session, payload: dict[str, Any], render: Render
) -> tuple[UpdateRound, list[ItemStatus]]:
    round_ = session.get(UpdateRound, payload["round_id"])
    assert round_ is not None
    return round_, statuses(round_, render.today, render.zone)


def round_status(session: Session, payload: dict[str, Any], render: Render) -> Msg:
    round_, items = _round_lines(session, payload, render)
    counts = Counter(item.status for item in items)
    order = ("decided", "waiting on owner", "waiting on approver", "with a body", "missed")
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


def impact_question(session: Session, payload: dict[str, Any], render: Render) -> Msg:
    from workflow.links import question_views

    return register.impact_question(
        question_views(session, ids=[payload["question_id"]])[0], render
    )


def uptake_note(session: Session, payload: dict[str, Any], render: Render) -> Msg:
    from workflow.uptake import note_view

    view = note_view(session, payload["uptake_id"], reminder=bool(payload.get("reminder")))
    return register.uptake_note(view, render)


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
    "impact_question": impact_question,
    "uptake_note": uptake_note,
    "uptake_reminder": uptake_note,
}
# The ones that name the governance's bodies, or show reviews where they stand on their route.
_GOVERNED: dict[str, Callable[[Session, dict[str, Any], Render, Governance], Msg]] = {
    "digest": digest,
    "agenda": agenda,
    "papers": papers,
    "minutes": minutes,
    "meeting_report": meeting_report,
    "monthly_report": monthly_report,
}
KINDS = frozenset(_BUILDERS) | frozenset(_GOVERNED)


def build(
    kind: str,
    session: Session,
    payload: dict[str, Any],
    *,
    today: date,
    zone: ZoneInfo,
    rules: Governance,
) -> Msg:
    render = Render(today, zone, payload)
    if kind in _GOVERNED:
        return _GOVERNED[kind](session, payload, render, rules)
    if kind not in _BUILDERS:
        raise LookupError(f"no message builder for {kind!r}")
    return _BUILDERS[kind](session, payload, render)
