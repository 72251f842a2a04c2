"""Delivery renders people as Slack mentions, looking up by e-mail those it has not yet met."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.e2e.conftest import DIGEST_CHANNEL, USERS
from tests.factories import OWNER, row
from workflow.context import SYSTEM, Actor
from workflow.outbox import enqueue
from workflow.people import person_for_email
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


def test_someone_is_looked_up_once_however_many_of_their_messages_go_together(
    services, slack, clock
):
    runtime = services.runtime
    import_register(runtime.ctx(Actor(None, "test", is_admin=True)), [row("LAC-014")])
    payload = {"from": "A", "to": "B", "documents": ["LAC-014"]}

    def handover(key: str) -> None:
        with runtime.sessions.begin() as session:
            owner = person_for_email(session, OWNER, now=clock.now())
            enqueue(session, key, "handover", now=clock.now(), person_id=owner.id, payload=payload)

    # Two messages in one claim to someone not yet met in Slack; then a third, later.
    handover("handover:1")
    handover("handover:2")
    services.delivery.run(clock.now())
    handover("handover:3")
    services.delivery.run(clock.now())
    lookups = [c for c in slack.calls_of("users.lookupByEmail") if c.args["email"] == OWNER]
    assert len(lookups) == 1
    assert len([m for m in slack.dms_to(USERS["owner"].id) if "LAC-014" in m.text]) == 3
