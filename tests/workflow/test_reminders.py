"""Reminders written by the daily run: who is told what, once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tests.factories import APPROVER, Register, row
from workflow.context import SYSTEM
from workflow.reminders import Policy, documents_in_window, remind

MORNING = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def run_day(register: Register, at: datetime) -> list[str]:
    ctx = register.ctx(SYSTEM, now=at)
    with ctx.session:
        with ctx.session.begin():
            wanted = documents_in_window(ctx, Policy())
        return [key for document_id in wanted for key in remind(ctx, document_id, Policy())]


def test_an_approver_who_acts_as_owner_gets_the_reminder_and_no_note_about_it(runtime):
    register = Register(runtime)
    register.add(
        row("CP-012", owner_email=None, next_review_due=date(2026, 11, 23) + timedelta(days=14)),
        row("CP-013", owner_email=APPROVER, next_review_due=date(2026, 11, 23) - timedelta(days=8)),
        row("CP-014", next_review_due=date(2026, 11, 23) - timedelta(days=8)),
    )
    written = run_day(register, MORNING)
    kinds = {
        key.split(":")[0] + ":" + ref
        for ref in ("CP-012", "CP-013", "CP-014")
        for key in written
        if key.split(":")[1] == str(register.review(ref).id)
    }
    assert "reminder:CP-012" in kinds and "reminder:CP-013" in kinds
    assert "reminder_note:CP-012" not in kinds and "reminder_note:CP-013" not in kinds
    # Someone else's document still sends its approver the note.
    assert "reminder_note:CP-014" in kinds
    # Nothing is left for the next run to find and not write.
    assert run_day(register, MORNING + timedelta(hours=1)) == []
    ctx = register.ctx(SYSTEM, now=MORNING + timedelta(hours=1))
    with ctx.session, ctx.session.begin():
        assert documents_in_window(ctx, Policy()) == []
