"""What a delivery run says it did, in words."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.delivery import DeliveryResult, Outcome

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def test_nothing_done_says_so():
    assert DeliveryResult().describe(LONDON, NOW) == "nothing to send"
    handed_on = DeliveryResult()
    handed_on.add(Outcome.HANDED_ON)  # a group split into people is not a message
    assert handed_on.describe(LONDON, NOW) == "nothing to send"


def test_every_outcome_is_counted_in_english_with_the_earliest_retry():
    result = DeliveryResult()
    result.add(Outcome.SENT)
    result.add(Outcome.FAILED, retry_at=NOW + timedelta(minutes=2))
    result.add(Outcome.FAILED, retry_at=NOW + timedelta(seconds=30))
    result.add(Outcome.PARKED, cause="signoff is not in #slt")
    result.add(Outcome.PARKED, cause="signoff is not in #slt")
    result.add(Outcome.SKIPPED)
    result.add(Outcome.UPDATED)
    assert result.describe(LONDON, NOW) == (
        "sent 1 message; updated the messages of 1 review; 1 not sent: nobody in Slack to send "
        "to; 2 failed and will be retried from 09:30:30; 2 parked until `signoff outbox retry` "
        "(signoff is not in #slt)"
    )


def test_one_failure_retried_tomorrow_names_the_day():
    result = DeliveryResult()
    result.add(Outcome.FAILED, retry_at=NOW + timedelta(days=1))
    assert result.describe(LONDON, NOW) == (
        "sent 0 messages; 1 failed and will be retried at 09:30:00 on 24 Nov 2026"
    )
