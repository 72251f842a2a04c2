"""The data each outbox kind is drawn from, gathered from the database, then drawn as a Teams
card by the pure builders in cards.py."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.parking import NOTICE_KIND
from bot.platforms.teams import cards
from bot.platforms.teams.kit import Card
from db.models import AuditEvent, Deputy, Document, Person, UpdateRound
from workflow import queries
from workflow.governance import Governance
from workflow.queries import references_held_by
from workflow.rounds import statuses
from workflow.summaries import body_ref, document_views, review_summary


def build(
    kind: str,
    review_id: int | None,
    payload: dict[str, Any],
    session: Session,
    *,
    today: date,
    zone: ZoneInfo,
    rules: Governance,
) -> Card:
    render = cards.Render(today, zone, payload)
    if kind in cards.BUILDERS:
        assert review_id is not None
        message = cards.BUILDERS[kind](review_summary(session, review_id, rules), render)
    elif kind == NOTICE_KIND:
        message = cards.parked_notice(payload["problem"], payload["fix"])
    elif kind in _NOTICES:
        message = _NOTICES[kind](session, payload, render, rules)
    else:
        raise LookupError(f"no Teams card for {kind!r}")
    return cards.with_deputy_note(message, _deputy_note(session, payload))


def _deputy_note(session: Session, payload: dict[str, Any]) -> str | None:
    if "deputy_of" in payload:
        person = session.get(Person, payload["deputy_of"])
        return f"You are standing in for {person.display if person else 'a colleague'}."
    if "copy_to_deputy" in payload:
        deputy = session.get(Person, payload["copy_to_deputy"])
        return f"A copy: this went to your deputy, {deputy.display if deputy else 'your deputy'}."
    return None


def _digest(session: Session, payload: dict[str, Any], render: Any, rules: Governance) -> Card:
    from bot.platforms.slack.blocks.periodic import DigestData

    days = int(payload.get("due_soon_days", 14))
    data = DigestData(
        overdue=document_views(session, queries.overdue(session, render.today)),
        due_soon=document_views(session, queries.due_within(session, render.today, days)),
        awaiting=[
            review_summary(session, rid, rules) for rid in queries.all_awaiting_approval(session)
        ],
        without_owner=document_views(session, queries.documents_without_owner(session)),
        not_in_slack=queries.people_not_in_slack(session),
        due_soon_days=days,
    )
    return cards.digest(data, render)


def _agenda(session: Session, payload: dict[str, Any], render: Any, rules: Governance) -> Card:
    body = payload["body"]
    items = [review_summary(session, rid, rules) for rid in queries.reviews_with(session, body)]
    return cards.agenda(
        body_ref(rules, body), date.fromisoformat(payload["meeting"]), items, render
    )


def _meeting(session: Session, payload: dict[str, Any], rules: Governance) -> Any:
    from bot.platforms.slack.blocks.notices import meeting_view

    return meeting_view(session, rules, payload["meeting_id"])


def _monthly(session: Session, payload: dict[str, Any], render: Any, rules: Governance) -> Card:
    first = date.fromisoformat(f"{payload['month']}-01")
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    approved = [
        review_summary(session, rid, rules)
        for rid in queries.approved_in(session, first, last, render.zone)
    ]
    pending = document_views(session, queries.pending_publication(session))
    return cards.monthly_report(payload["month"], approved, pending, render)


def _round(session: Session, payload: dict[str, Any], render: Any, report: bool) -> Card:
    round_ = session.get(UpdateRound, payload["round_id"])
    assert round_ is not None
    items = statuses(round_, render.today, render.zone)
    build_ = cards.round_report if report else cards.round_status
    return build_(round_.name, round_.deadline, items, render)


def _unknown_person(session: Session, payload: dict[str, Any], *_: Any) -> Card:
    person = session.get(Person, payload["person_id"])
    email = person.email if person else payload.get("email", "?")
    held = references_held_by(session, payload["person_id"])
    return cards.said(
        f"{email} is named in the register but signoff cannot reach them.",
        warning=True,
        detail=f"They hold: {', '.join(held[:40]) or 'nothing yet'}. Correct the e-mail in the "
        "register and import it again, or reassign their documents.",
    )


def _reassigned(session: Session, payload: dict[str, Any], *_: Any) -> Card:
    event = session.get(AuditEvent, payload["event_id"])
    document = session.get(Document, payload["document_id"])
    assert event is not None and document is not None
    role = "owner" if event.action == "document.owner_changed" else "approver"
    before = (event.before or {}).get(role) or "nobody"
    after = (event.after or {}).get(role)
    return cards.said(
        f"{document.reference} {document.title}: the {role} is now {after} (was {before})."
    )


def _person_left(session: Session, payload: dict[str, Any], *_: Any) -> Card:
    held = payload.get("documents", [])
    return cards.said(
        f"{payload['email']} has left and holds {len(held)} documents: {', '.join(held)}.",
        warning=True,
        detail="Until they are reassigned, each document's approver acts as its owner. Move them "
        f"with `signoff reassign --from {payload['email']} --to NEW`.",
    )


def _handover(session: Session, payload: dict[str, Any], *_: Any) -> Card:
    role = f" as {payload['role']}" if payload.get("role") else ""
    return cards.said(
        f"{payload['from']}'s documents{role} are now {payload['to']}'s: "
        f"{', '.join(payload['documents'])}."
    )


def _deputy_named(session: Session, payload: dict[str, Any], *_: Any) -> Card:
    row = session.get(Deputy, payload["deputy_row"])
    assert row is not None
    person = session.get(Person, row.person_id)
    who = person.display if person else "a colleague"
    return cards.said(
        f"You are {who}'s deputy from {cards.day(row.starts_on)} to {cards.day(row.ends_on)}: "
        "their signoff requests will come to you, and they will be copied."
    )


def _impact_question(session: Session, payload: dict[str, Any], render: Any, *_: Any) -> Card:
    from workflow.links import question_views

    return cards.impact_question(question_views(session, ids=[payload["question_id"]])[0], render)


def _uptake_note(session: Session, payload: dict[str, Any], render: Any, *_: Any) -> Card:
    from workflow.uptake import note_view

    view = note_view(session, payload["uptake_id"], reminder=bool(payload.get("reminder")))
    return cards.uptake_note(view, render)


_NOTICES: dict[str, Any] = {
    "impact_question": _impact_question,
    "uptake_note": _uptake_note,
    "uptake_reminder": _uptake_note,
    "digest": _digest,
    "agenda": _agenda,
    "papers": lambda s, p, r, g: cards.papers(
        _meeting(s, p, g), r, for_chair=p.get("copy_for") in (None, "chair")
    ),
    "minutes": lambda s, p, r, g: cards.minutes(_meeting(s, p, g), r),
    "meeting_report": lambda s, p, r, g: cards.meeting_report(_meeting(s, p, g), r),
    "monthly_report": _monthly,
    "round_status": lambda s, p, r, g: _round(s, p, r, False),
    "round_report": lambda s, p, r, g: _round(s, p, r, True),
    "unknown_person": _unknown_person,
    "reassigned": _reassigned,
    "person_left": _person_left,
    "handover": _handover,
    "deputy_named": _deputy_named,
}
KINDS = frozenset(cards.BUILDERS) | frozenset(_NOTICES) | {NOTICE_KIND}
