"""Delivery in this process, against the Slack stand-in: no server, no subprocess."""

from __future__ import annotations

import pytest

from bot.platforms.slack.app import Services, build_client
from bot.platforms.slack.standin import SlackStandin
from tests.conftest import started
from tests.e2e.conftest import DIGEST_CHANNEL, SLT_CHANNEL, USERS


@pytest.fixture
def slack():  # type: ignore[no-untyped-def]
    standin = SlackStandin(users=list(USERS.values()))
    standin.start()
    yield standin
    standin.stop()


@pytest.fixture
def services(settings, clock, slack, _test_database):  # type: ignore[no-untyped-def]
    settings = settings.model_copy(
        update={
            "slack_bot_token": "xoxb-test",
            "slack_api_url": slack.base_url,
            "digest_channel": DIGEST_CHANNEL,
            "slt_channel": SLT_CHANNEL,
        }
    )
    runtime = started(settings, clock, _test_database)
    yield Services(runtime, build_client(runtime))
    runtime.engine.dispose()
