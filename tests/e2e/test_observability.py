"""What the people who run signoff see: JSON logs that say which Slack event, action, review and
outbox row each line is about (and never a secret or what anyone wrote), and the counts on
`/metrics` after a review's path through `signoff serve`."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Callable
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import SECRET, Signoff
from tests.e2e.test_review_path import lac_014, open_modal, register, wait_for_dm

BOT_TOKEN = "xoxb-test-token"


@pytest.fixture
def observed(start_signoff: Callable[..., Signoff]) -> Signoff:
    """`signoff serve` with JSON logs and its own scheduler, not yet started: the test imports
    its register first, so that the server's first beat has work to do."""
    return start_signoff(
        scheduler=True,
        started=False,
        SIGNOFF_LOG_FORMAT="json",
        SIGNOFF_SCHEDULER_EVERY_SECONDS="2",
    )


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(url: str) -> Samples:
    with urllib.request.urlopen(url + "/metrics", timeout=10) as reply:
        assert reply.status == 200
        body = reply.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_a_reviews_path(observed: Signoff):
    signoff, slack, sim = observed, observed.slack, observed.sim
    register(signoff, [lac_014(signoff.today + timedelta(days=42))])
    assert signoff.server is not None
    signoff.server.start(signoff.clock.now())

    # The server's own first beat runs the morning's jobs: the owner is reminded.
    reminder = wait_for_dm(signoff, "owner", "LAC-014")
    view = open_modal(signoff, "owner", reminder, "Submit draft")
    sim.submit(
        signoff.user("owner"),
        view,
        {"Link to draft": "https://drafts.example.org/v4", "Summary of changes": "Timescales."},
    )
    request = wait_for_dm(signoff, "approver", "Approval needed")
    sim.click(signoff.user("stranger"), request, "Approve")
    slack.wait_for(lambda: slack.ephemerals_to(signoff.user("stranger")))
    sim.click(signoff.user("approver"), request, "Approve")
    wait_for_dm(signoff, "owner", "approved as version")

    def settled() -> Samples | None:
        samples = scrape(signoff.url)
        return samples if value(samples, "signoff_outbox_depth") == 0 else None

    samples = slack.wait_for(settled)
    # Three clicks and one form, each counted and timed to its ack.
    assert value(samples, "signoff_slack_requests_total", kind="action") == 3
    assert value(samples, "signoff_slack_requests_total", kind="view") == 1
    assert value(samples, "signoff_slack_ack_seconds_count", kind="action") == 3
    assert value(samples, "signoff_slack_ack_seconds_count", kind="view") == 1
    assert 0 < value(samples, "signoff_slack_ack_seconds_sum", kind="action") < 3 * 3
    # How each use case ended: the stranger's approval refused, the approver's done.
    assert value(samples, "signoff_use_cases_total", use_case="check_may", outcome="done") == 1
    assert value(samples, "signoff_use_cases_total", use_case="submit_draft", outcome="done") == 1
    assert value(samples, "signoff_use_cases_total", use_case="decide", outcome="refused") == 1
    assert value(samples, "signoff_use_cases_total", use_case="decide", outcome="done") == 1
    assert value(samples, "signoff_use_cases_total", use_case="remind", outcome="done") == 1
    # The morning's run, once, however many beats since; the outbox empty and nothing failing.
    assert value(samples, "signoff_job_runs_total", job="daily", outcome="done") == 1
    assert value(samples, "signoff_job_seconds_count", job="daily") == 1
    assert value(samples, "signoff_outbox_oldest_unsent_seconds") == 0
    assert value(samples, "signoff_outbox_failing") == 0
    assert value(samples, "signoff_listener_errors_total", kind="action") == 0
    assert value(samples, "signoff_scheduler_leader") == 1
    posted = len(slack.posted_keys())
    assert value(samples, "signoff_outbox_settled_total", outcome="sent") >= posted
    assert value(samples, "signoff_outbox_settled_total", outcome="failed") == 0


def test_json_logs_say_what_each_line_is_about_and_never_secrets_or_texts(observed: Signoff):
    signoff, slack, sim = observed, observed.slack, observed.sim
    register(signoff, [lac_014(signoff.today + timedelta(days=42))])
    assert signoff.server is not None
    signoff.server.start(signoff.clock.now())
    reminder = wait_for_dm(signoff, "owner", "LAC-014")

    sim.click(signoff.user("owner"), reminder, "Start review")
    slack.wait_for(lambda: "In review" in json.dumps(slack.dms_to(signoff.user("owner"))[0].blocks))
    written = "I'll finish LAC-014 in 2 weeks, after the panel on the Thursday"
    sim.message(signoff.user("owner"), written, event_id="Ev0OBSERVED1")
    wait_for_dm(signoff, "owner", "Noted")
    log_path = signoff.server.log_path

    def logged() -> list[dict]:
        return [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]

    # The reply's request is logged once it has been acknowledged.
    slack.wait_for(
        lambda: any(line.get("slack_event") == "Ev0OBSERVED1" for line in logged()), timeout=30
    )
    signoff.server.stop()
    text = log_path.read_text()
    lines = logged()
    assert lines and all({"time", "level", "logger", "message"} <= line.keys() for line in lines)

    # The morning's job, and each delivery with its outbox key and review.
    assert any(str(line.get("job", "")).startswith("daily:") for line in lines)
    reminded = [line for line in lines if str(line.get("outbox_key", "")).startswith("reminder:")]
    assert reminded and all(line["review"] == 1 for line in reminded)
    # The click: its action and review, on its own line. (What it queued is delivered by the
    # listener or by the next beat, whichever claims the row first, so those lines carry the
    # click's fields only sometimes, and the test does not count on it.)
    clicked = [line for line in lines if line.get("slack_action") == "review.start"]
    assert clicked and all(line["slack_kind"] == "action" for line in clicked)
    assert all(line.get("review") == 1 for line in clicked)
    assert any("acknowledged in" in line["message"] for line in clicked)
    # The message: its event id and type.
    replied = [line for line in lines if line.get("slack_event") == "Ev0OBSERVED1"]
    assert replied and all(line["slack_action"] == "message" for line in replied)

    # No token, no secret, and nothing anyone wrote or was sent.
    assert BOT_TOKEN not in text and SECRET not in text
    assert written not in text and "panel on the Thursday" not in text
    for message in slack.messages:
        assert message.text not in text, message.text
    assert "Looked After Children Reviews" not in text


def test_the_images_health_check_answers_for_a_running_signoff(signoff: Signoff):
    probe = [sys.executable, "-m", "bot.probe"]
    port = signoff.url.rsplit(":", 1)[1]
    env = {**signoff.env, "SIGNOFF_HEALTH_PORT": port}
    assert subprocess.run(probe, env=env, timeout=30).returncode == 0
    closed = subprocess.run(
        probe, env={**env, "SIGNOFF_HEALTH_PORT": "1"}, capture_output=True, text=True, timeout=30
    )
    assert closed.returncode == 1
    assert closed.stderr.startswith("signoff: http://127.0.0.1:1/healthz:")
