"""The outbox as /metrics reports it, read from the database when scraped."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from bot.metrics import OutboxCollector, request_kind
from db.models import OutboxMessage
from workflow.outbox import enqueue


def gauges(runtime) -> dict[str, float]:  # type: ignore[no-untyped-def]
    registry = CollectorRegistry()
    registry.register(OutboxCollector(runtime))
    text = generate_latest(registry).decode()
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_depth_age_of_the_oldest_and_failing_and_parked_rows(runtime, clock):
    assert gauges(runtime) == {
        "signoff_outbox_depth": 0,
        "signoff_outbox_oldest_unsent_seconds": 0,
        "signoff_outbox_failing": 0,
        "signoff_outbox_parked": 0,
    }
    start = clock.now()
    with runtime.sessions.begin() as session:
        enqueue(session, "digest:a", "digest", now=start, audience="digest")
        enqueue(session, "digest:b", "digest", now=start + timedelta(minutes=3), audience="digest")
        enqueue(session, "digest:c", "digest", now=start, audience="digest")
        enqueue(session, "digest:d", "digest", now=start, audience="digest")
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.key == "digest:d")
            .values(last_error="Slack said not_in_channel", parked_at=start, attempts=1)
        )
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.key == "digest:a")
            .values(last_error="Slack said channel_not_found", attempts=2)
        )
        session.execute(
            update(OutboxMessage).where(OutboxMessage.key == "digest:c").values(sent_at=start)
        )
    clock.advance(timedelta(minutes=10))
    assert gauges(runtime) == {
        "signoff_outbox_depth": 3,
        "signoff_outbox_oldest_unsent_seconds": 600,
        "signoff_outbox_failing": 1,
        "signoff_outbox_parked": 1,
    }


def test_request_kinds():
    assert request_kind({"command": "/signoff", "text": "mine"}) == "command"
    assert request_kind({"type": "event_callback"}) == "event"
    assert request_kind({"type": "block_actions"}) == "action"
    assert request_kind({"type": "view_submission"}) == "view"
    assert request_kind({"type": "url_verification"}) == "other"
    assert request_kind(None) == "other"
