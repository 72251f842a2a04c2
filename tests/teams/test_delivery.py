"""Delivery to Teams, in-process against the Bot Connector stand-in: what Teams will never take
as things stand is parked with its fix, what it refuses for now is retried, and each message is
posted once however often delivery runs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.clock import FixedClock
from bot.delivery import Delivery, Outcome
from bot.platforms.teams.delivery import TeamsPlatform
from bot.platforms.teams.standin import BotConnectorStandin, TeamsUser
from bot.runtime import Runtime
from bot.settings import Settings
from db.models import OutboxMessage, Person
from tests.factories import OWNER, Register, row
from workflow.outbox import enqueue

CHANNEL = "19:digest@thread.tacv2"


@pytest.fixture
def standin() -> Iterator[BotConnectorStandin]:
    with BotConnectorStandin(
        users=[TeamsUser("0a0e0001-0000-4000-8000-000000000001", OWNER, "Olive", True)]
    ) as running:
        yield running


@pytest.fixture
def teams_runtime(
    database_url: str, clock: FixedClock, standin: BotConnectorStandin
) -> Iterator[Runtime]:
    settings = Settings(
        _env_file=None,
        DATABASE_URL=database_url,
        SIGNOFF_PLATFORMS="teams",
        SIGNOFF_ADMIN_EMAILS="ppo@example.org",
        TEAMS_DIGEST_CHANNEL=CHANNEL,
        **standin.settings(),
    )
    runtime = Runtime.start(settings, clock=clock)
    yield runtime
    runtime.engine.dispose()


def delivery(runtime: Runtime) -> Delivery:
    return Delivery(runtime, None, platforms=[TeamsPlatform(runtime)])


def test_a_channel_signoff_is_not_in_is_parked_then_sent_once_it_is(
    teams_runtime: Runtime, standin: BotConnectorStandin
):
    runtime = teams_runtime
    with runtime.sessions.begin() as session:
        enqueue(session, "digest:1", "digest", now=runtime.now(), audience="digest")
    done = delivery(runtime).run()
    # Parked, and the admins told (whom the app is not installed for either: parked too).
    assert done[Outcome.PARKED] == 2
    assert "signoff cannot post in the Teams channel TEAMS_DIGEST_CHANNEL names" in done.causes
    with runtime.sessions() as session:
        row_ = session.scalar(select(OutboxMessage).where(OutboxMessage.key == "digest:1"))
        assert row_ is not None and row_.parked_at is not None
        assert "add signoff to that team" in (row_.last_error or "") or row_.parked_cause
    standin.channels[CHANNEL] = "19:team"
    from workflow.outbox import retry

    retry(runtime.ctx(runtime.command_line_actor()), None)
    assert delivery(runtime).run()[Outcome.SENT] == 1
    assert delivery(runtime).run()[Outcome.SENT] == 0
    assert [a.outbox_key for a in standin.in_conversation(CHANNEL)] == ["digest:1"]


def test_teams_busy_is_retried_after_a_backoff_and_posts_once(
    teams_runtime: Runtime, standin: BotConnectorStandin, clock: FixedClock
):
    runtime = teams_runtime
    Register(runtime).add(row())
    user = standin.users[0]
    with runtime.sessions.begin() as session:
        person = session.scalar(select(Person).where(Person.email == OWNER))
        assert person is not None
        person.teams_conversation_id = user.conversation
        person.teams_service_url = standin.service_url
        enqueue(
            session,
            "deputy_named:x",
            "handover",
            now=runtime.now(),
            person_id=person.id,
            payload={"from": "a@example.org", "to": OWNER, "documents": ["LAC-014"]},
        )
    standin.fail("send", status=429, retry_after=2)
    first = delivery(runtime).run()
    assert first[Outcome.FAILED] == 1 and first.retry_at is not None
    clock.advance(timedelta(minutes=1))
    assert delivery(runtime).run()[Outcome.SENT] == 1
    assert delivery(runtime).run()[Outcome.SENT] == 0
    assert [a.outbox_key for a in standin.to(OWNER)] == ["deputy_named:x"]
