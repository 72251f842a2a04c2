"""Delivery renders people as Slack mentions, looking up by e-mail those it has not yet met."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.e2e.conftest import DIGEST_CHANNEL
from tests.factories import row
from workflow.context import SYSTEM, Actor
from workflow.register_sync import import_register
from workflow.reminders import post_periodic


def test_the_digest_mentions_people_signoff_has_not_yet_written_to(services, slack, clock):
    runtime = services.runtime
    today = clock.now().astimezone(runtime.settings.timezone).date()
    import_register(
        runtime.ctx(Actor(None, "test", is_admin=True)),
        [
            row("LAC-014", next_review_due=today - timedelta(days=3)),
            row("LAC-015", owner_email="nobody@example.org", next_review_due=today),
        ],
    )
    # The digest alone, before anyone has been sent anything.
    post_periodic(runtime.ctx(SYSTEM), "digest", today.isoformat(), audiences=("digest",))
    services.delivery.run(clock.now())
    [posted] = slack.messages_in(DIGEST_CHANNEL)
    digest = json.dumps(posted.blocks)
    assert "<@UOWNER>" in digest and "owner@example.org" not in digest
    # Someone Slack does not know is named by e-mail, and listed as a register problem.
    assert "nobody@example.org" in digest and "Register problems" in digest
