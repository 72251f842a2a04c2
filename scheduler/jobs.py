"""The periodic jobs. Each writes outbox rows through the workflow's use cases and returns how
many new messages it asked for; delivery sends them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from workflow.context import SYSTEM
from workflow.reminders import documents_in_window, nudge_deciders, post_periodic, remind

if TYPE_CHECKING:
    from bot.app import Services


def daily(services: Services, now: datetime, period: str) -> int:
    """Reminders, approver notes, escalations and nudges for the day."""
    from scheduler.runner import policy_of

    policy = policy_of(services)
    ctx = services.runtime.ctx(SYSTEM, now=now)
    with ctx.session:
        with ctx.session.begin():
            document_ids = documents_in_window(ctx, policy)
        written = sum(len(remind(ctx, document_id, policy)) for document_id in document_ids)
        written += len(nudge_deciders(ctx, policy))
        written += _round_notices(services, ctx)
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


def slt_agenda(services: Services, now: datetime, period: str) -> int:
    ctx = services.runtime.ctx(SYSTEM, now=now)
    with ctx.session:
        return len(
            post_periodic(
                ctx, "slt_agenda", period, audiences=("slt",), payload={"meeting": period}
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
