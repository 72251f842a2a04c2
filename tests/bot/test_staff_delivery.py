"""Delivery of a note to a staff group, against the Slack stand-in: a channel's members read
page by page, a minute's allowance at a time, someone Slack will not write to skipped without
troubling the admins, and a user group Slack does not know parked with the fix."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.clock import FixedClock
from bot.delivery import Outcome
from bot.platforms.slack.app import Services, build_client
from bot.platforms.slack.standin import SlackChannel, SlackStandin
from bot.runtime import Runtime
from bot.settings import Settings
from db.models import OutboxMessage, UptakeRecipient
from tests.e2e.conftest import USERS
from tests.factories import ADMIN, APPROVER, NOW, OWNER, Register, row
from workflow.context import SYSTEM
from workflow.reviews import decide, mark_published, open_review, submit_draft
from workflow.states import Action

CHANNEL = "CSTAFF01"
MEMBERS = [f"UM{n:05d}" for n in range(1200)]


@pytest.fixture
def slack() -> Iterator[SlackStandin]:
    standin = SlackStandin(users=list(USERS.values()), channels=[SlackChannel(CHANNEL, "staff")])
    standin.channel_members[CHANNEL] = [*MEMBERS[:700], standin.bot_user_id, *MEMBERS[700:]]
    standin.start()
    yield standin
    standin.stop()


def services_for(settings: Settings, slack: SlackStandin, groups: str) -> Services:
    configured = Settings(
        _env_file=None,
        DATABASE_URL=settings.database_url,
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_API_URL=slack.base_url,
        SIGNOFF_ADMIN_EMAILS="ppo@example.org",
        SIGNOFF_UPTAKE_GROUPS=f"Children in Care={groups}",
        SIGNOFF_UPTAKE_PER_MINUTE="100",
    )
    runtime = Runtime.start(configured, clock=FixedClock(NOW))
    return Services(runtime, build_client(runtime))


def approved(services: Services) -> Register:
    """LAC-014 approved with changes, and everyone told: it waits to be published."""
    register = Register(services.runtime)
    register.add(row())
    review = open_review(register.ctx(SYSTEM), "LAC-014")
    submit_draft(register.ctx(OWNER), review.id, link=None, summary="Second reviews.")
    decide(register.ctx(APPROVER), review.id, Action.APPROVE)
    services.delivery.run(NOW)
    return register


def staff_sent(services: Services) -> int:
    with services.runtime.sessions() as session:
        return session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.audience.like("user:%"), OutboxMessage.sent_at.is_not(None))
        )


def test_a_channels_members_are_read_page_by_page_and_sent_a_minutes_allowance_at_a_time(
    settings, slack
):
    services = services_for(settings, slack, CHANNEL)
    register = approved(services)
    slack.fail("chat.postMessage", error="user_disabled")  # the first member has left
    mark_published(register.ctx(ADMIN), "LAC-014")
    done = services.delivery.run(NOW)
    assert [c.args.get("cursor") for c in slack.calls_of("conversations.members")] == [
        None,
        "o1000",
    ]
    with services.runtime.sessions() as session:
        recipients = session.scalar(select(func.count()).select_from(UptakeRecipient))
    assert recipients == 1200  # signoff itself, a member of the channel, is not one
    assert done[Outcome.SKIPPED] == 1 and done[Outcome.PARKED] == 0
    assert staff_sent(services) == 100
    # Nobody told the admins about the one who left.
    assert not [k for k in slack.posted_keys() if k.startswith("delivery_parked")]

    # The same minute again: the allowance is spent. The next minute: the next hundred.
    assert services.delivery.run(NOW)[Outcome.SENT] == 0
    assert services.delivery.run(NOW + timedelta(minutes=1))[Outcome.SENT] == 100
    assert staff_sent(services) == 200
    keys = [k for k in slack.posted_keys() if k.startswith("uptake:")]
    assert len(keys) == len(set(keys)) == 199


def test_a_user_group_slack_does_not_know_is_parked_and_the_admins_told_how_to_fix_it(
    settings, slack
):
    services = services_for(settings, slack, "SNOSUCH")
    mark_published(approved(services).ctx(ADMIN), "LAC-014")
    done = services.delivery.run(NOW)
    assert done[Outcome.PARKED] == 1
    notice = next(m for m in slack.dms_to(USERS["admin"].id) if "no user group SNOSUCH" in m.text)
    assert "correct SIGNOFF_UPTAKE_GROUPS" in notice.text
    with services.runtime.sessions() as session:
        parked = session.scalar(
            select(OutboxMessage).where(OutboxMessage.audience == "group:SNOSUCH")
        )
    assert parked.parked_cause == "no_such_subteam:SNOSUCH"
