"""Two `signoff serve` replicas against one PostgreSQL database, both with their schedulers on:
one leads and runs the jobs; killed (SIGKILL) in the middle of delivering, the other takes the
lead within a beat and finishes, and every message is posted once.

Both run on clocks that start at the tests' moment and run on (`--clock-runs`), with a beat of
one second and outbox claims of four, so that the claim of the post the leader never saw
answered lapses while the test watches."""

from __future__ import annotations

import signal
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

import pytest

from tests.conftest import POSTGRES_URL
from tests.e2e.conftest import Signoff
from tests.e2e.test_observability import scrape, value
from tests.e2e.test_review_path import register

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL,
    reason="replicas share one PostgreSQL database: set SIGNOFF_TEST_DATABASE_URL to run this",
)

FAST = {"SIGNOFF_SCHEDULER_EVERY_SECONDS": "1", "SIGNOFF_OUTBOX_CLAIM_SECONDS": "4"}


def documents(signoff: Signoff, count: int) -> list[str]:
    rows = [
        f"DOC-{n},Procedure {n},procedure,Children in Care,owner@example.org,"
        f"approver@example.org,12,,{signoff.today + timedelta(days=15 + n):%d/%m/%Y},1.0,"
        for n in range(count)
    ]
    register(signoff, rows)
    return [f"DOC-{n}" for n in range(count)]


def leads(signoff: Signoff) -> float:
    return value(scrape(signoff.url), "signoff_scheduler_leader")


def test_the_leader_killed_mid_delivery_is_replaced_and_nothing_is_lost_or_doubled(
    start_signoff: Callable[..., Signoff],
):
    first = start_signoff(scheduler=True, started=False, clock_runs=True, **FAST)
    slack = first.slack
    documents(first, 8)
    slack.delay("chat.postMessage", 0.4)  # each post is made, then answered 0.4 s later
    assert first.server is not None
    first.server.start(first.clock.now())
    slack.wait_for(lambda: slack.calls_of("chat.postMessage"), timeout=30)
    assert leads(first) == 1

    second = start_signoff(scheduler=True, clock_runs=True, **FAST)
    assert second.server is not None and second.server.process is not None
    slack.wait_for(lambda: leads(second) == 0 or None, timeout=10)  # a follower, for now

    # Kill the leader while Slack has taken a post and not yet answered it.
    posts = len(slack.calls_of("chat.postMessage"))
    slack.wait_for(lambda: len(slack.calls_of("chat.postMessage")) > posts, timeout=30)
    leader = first.server.process
    assert leader is not None
    leader.send_signal(signal.SIGKILL)
    assert leader.wait(timeout=10) == -signal.SIGKILL
    made = len(slack.posted_keys())

    # The follower takes the lead within a beat or two and finishes the morning.
    slack.wait_for(lambda: leads(second) == 1, timeout=10)
    slack.delay("chat.postMessage", 0)

    def every_reminder() -> list[str] | None:
        keys = slack.posted_keys()
        reminded = {k.split(":")[1] for k in keys if k.startswith("reminder:")}
        return keys if len(reminded) == 8 and any(k.startswith("digest:") for k in keys) else None

    keys = slack.wait_for(every_reminder, timeout=30)
    # The post whose answer the dead leader never read is found by reading Slack back.
    slack.wait_for(lambda: slack.calls_of("conversations.history"), timeout=20)
    slack.wait_for(lambda: value(scrape(second.url), "signoff_outbox_depth") == 0, timeout=20)
    keys = slack.posted_keys()
    assert made < len(keys)  # the second replica did part of the work
    assert max(Counter(keys).values()) == 1, Counter(keys).most_common(3)
    assert len([k for k in keys if k.startswith("reminder:")]) == 8
    assert len([k for k in keys if k.startswith("digest:")]) == 1
    samples = scrape(second.url)
    assert value(samples, "signoff_outbox_failing") == 0
    log = second.server.log_path.read_text()
    assert "leading: this process runs the periodic jobs" in log
