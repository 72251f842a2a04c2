"""The periodic jobs. Each writes outbox rows through the workflow's use cases and returns how
many new messages it asked for; delivery sends them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from workflow.context import SYSTEM
from workflow.reminders import documents_in_window, nudge_deciders, post_periodic, remind

if TYPE_CHECKING:
    from bot.platforms.slack.services import Services


def daily(services: Services, now: datetime, period: str) -> int:
    """Reminders, approver notes, escalations and nudges for the day; then the governance's
    day: consultations that open or close, meetings' papers, agendas of what waits for a body,
    and meetings nobody closed."""
    from scheduler.runner import policy_of

    policy = policy_of(services)
    ctx = services.runtime.ctx(SYSTEM, now=now)
    with ctx.session:
        with ctx.session.begin():
            document_ids = documents_in_window(ctx, policy)
        written = sum(len(remind(ctx, document_id, policy)) for document_id in document_ids)
        written += len(nudge_deciders(ctx, policy))
        written += _round_notices(services, ctx)
        written += _governance_day(ctx)
        written += _register_day(ctx)
    return written


def _register_day(ctx) -> int:  # type: ignore[no-untyped-def]
    """Questions about linked documents answered *Later* whose day has come are asked again;
    staff who have not said they read what was published are reminded."""
    from workflow import links, uptake

    return len(links.ask_again(ctx)) + uptake.remind_unread(ctx)


def _governance_day(ctx) -> int:  # type: ignore[no-untyped-def]
    from workflow import consultations, meetings

    consultations.open_due(ctx)
    with ctx.session.begin():
        closing = consultations.due_to_close(ctx)
    for consultation_id in closing:
        consultations.close(ctx, consultation_id)
    with ctx.session.begin():
        unclosed = meetings.meetings_to_close(ctx)
    for meeting_id in unclosed:
        meetings.close_meeting(ctx, meeting_id)
    written = len(meetings.send_papers(ctx))
    return written + len(agendas(ctx))


def agendas(ctx) -> list[str]:  # type: ignore[no-untyped-def]
    """For each body that decides at any time but meets, the agenda of what waits for it, on
    its papers day before each meeting (and, after downtime, up to the meeting itself)."""
    from workflow.dates import add_working_days

    written = []
    rules = ctx.governance
    for key in rules.deciding_bodies():
        body = rules.body(key)
        if rules.meets(key) or not body.meetings:
            continue
        ahead = add_working_days(ctx.today, body.papers_working_days, ctx.nation)
        for meeting in rules.meetings_of(key, ctx.today, ahead):
            if rules.papers_day(key, meeting, ctx.nation) <= ctx.today:
                written += post_periodic(
                    ctx,
                    "agenda",
                    f"{key}:{meeting.isoformat()}",
                    audiences=(f"body:{key}",),
                    payload={"meeting": meeting.isoformat(), "body": key},
                )
    return written


def _round_notices(services: Services, ctx) -> int:  # type: ignore[no-untyped-def]
    """Ten working days before a round's deadline, a warning; weekly, the countdown; after it,
    the report."""
    from sqlalchemy import select

    from db.models import UpdateRound
    from workflow.dates import add_working_days
    from workflow.rounds import round_notices

    settings = services.runtime.settings
    with ctx.session.begin():
        deadlines = dict(ctx.session.execute(select(UpdateRound.id, UpdateRound.deadline)).all())
    if not deadlines:
        return 0
    warn_on = {
        rid: add_working_days(deadline, -10, settings.bank_holidays)
        for rid, deadline in deadlines.items()
    }
    weekly = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"][ctx.today.weekday()] == settings.digest_day
    return len(round_notices(ctx, warn_on=warn_on, weekly=weekly))


def digest(services: Services, now: datetime, period: str) -> int:
    ctx = services.runtime.ctx(SYSTEM, now=now)
    with ctx.session:
        return len(
            post_periodic(
                ctx,
                "digest",
                period,
                audiences=("digest",),
                payload={"due_soon_days": services.runtime.settings.due_soon_days},
            )
        )


def monthly_report(services: Services, now: datetime, period: str) -> int:
    first = date.fromisoformat(f"{period}-01")
    last_month = (first - timedelta(days=1)).strftime("%Y-%m")
    ctx = services.runtime.ctx(SYSTEM, now=now)
    with ctx.session:
        return len(
            post_periodic(
                ctx,
                "monthly_report",
                period,
                audiences=("admins", "digest"),
                payload={"month": last_month},
            )
        )
