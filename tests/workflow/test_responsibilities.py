"""Deputies end by themselves; a person who leaves hands their owner's part to the approver."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.factories import APPROVER, NOW, OWNER, STRANGER, Register, row
from workflow.context import SYSTEM
from workflow.errors import Refused
from workflow.responsibilities import deputy_on, person_left, set_deputy
from workflow.reviews import open_review, submit_no_changes


def test_a_deputy_stands_in_for_the_period_and_not_a_day_longer(runtime):
    register = Register(runtime)
    register.add(row())
    start, end = NOW.date(), NOW.date() + timedelta(days=7)
    set_deputy(register.ctx(APPROVER), deputy_email=STRANGER, starts_on=start, ends_on=end)
    approver_id = register.document().approver_id
    with runtime.sessions() as session:
        assert deputy_on(session, approver_id, start) is not None
        assert deputy_on(session, approver_id, end) is not None
        assert deputy_on(session, approver_id, end + timedelta(days=1)) is None
    stranger = register.actor(STRANGER)
    assert stranger.stands_in_for == frozenset({approver_id})
    later = runtime.actor_for_email(STRANGER, now=NOW + timedelta(days=8))
    assert later.stands_in_for == frozenset()


@pytest.mark.parametrize(
    ("start", "end", "problem"),
    [
        (date(2026, 12, 8), date(2026, 12, 1), "ends"),
        (date(2026, 1, 1), date(2026, 1, 8), "has passed"),
    ],
)
def test_a_deputy_period_that_cannot_be_is_refused(runtime, start, end, problem):
    register = Register(runtime)
    register.add(row())
    with pytest.raises(Refused, match=problem):
        set_deputy(register.ctx(APPROVER), deputy_email=STRANGER, starts_on=start, ends_on=end)


def test_when_the_owner_leaves_the_approver_acts_as_owner(runtime):
    register = Register(runtime)
    register.add(row())
    review = open_review(register.ctx(SYSTEM), "LAC-014")
    with pytest.raises(Refused):
        submit_no_changes(register.ctx(APPROVER), review.id)
    owner_id = register.document().owner_id
    held = person_left(register.ctx(SYSTEM), owner_id)
    assert held == ["LAC-014"]
    submit_no_changes(register.ctx(APPROVER), review.id)
    with pytest.raises(Refused):
        submit_no_changes(register.ctx(OWNER), review.id)
