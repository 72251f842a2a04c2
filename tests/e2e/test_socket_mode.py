"""`signoff run`, the real process, over Socket Mode: the stand-in hands out a loopback WebSocket
and sends a slash command, a DM and a button click as envelopes, as Slack does; each is acted on
once. A connection dropped mid-run is replaced, and what was not acknowledged is sent again and
still acted on once."""

from __future__ import annotations

import csv
import io
import json
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import FixedClock
from bot.platforms.slack.simulator import SocketModeSimulator
from bot.platforms.slack.standin import SlackStandin
from tests.e2e.conftest import Server, Signoff, base_env
from tests.e2e.test_observability import scrape, value
from tests.e2e.test_review_path import lac_014, register, texts, tick, wait_for_dm
from tests.launcher import Launcher


@pytest.fixture
def socket_signoff(
    database_url: str,
    slack: SlackStandin,
    tmp_path: Path,
    clock: FixedClock,
    launcher: Launcher,
) -> Iterator[Signoff]:
    env = {
        **base_env(database_url, slack.base_url),
        "SLACK_APP_TOKEN": "xapp-1-A0SIGNOFF-test",
        "SIGNOFF_SOCKET_PING_SECONDS": "0.5",
    }
    del env["SLACK_SIGNING_SECRET"]  # Socket Mode needs none
    run = Server(env, tmp_path, launcher, command="run", log_name="run.log")
    try:
        yield Signoff(
            run.url, env, slack, SocketModeSimulator(slack), tmp_path, clock, run, launcher
        )
    finally:
        run.stop()


def started(signoff: Signoff) -> None:
    """A register with one document due in six weeks, its reminder sent, then `signoff run`."""
    register(signoff, [lac_014(signoff.today + timedelta(days=42))])
    tick(signoff)
    assert signoff.server is not None
    signoff.server.start(signoff.clock.now())  # healthy only once connected to Slack


def history(signoff: Signoff) -> str:
    return signoff.cli("history", "LAC-014").stdout


def target_date(signoff: Signoff) -> str:
    rows = csv.DictReader(io.StringIO(signoff.cli("export", "-").stdout))
    return next(row for row in rows if row["reference"] == "LAC-014")["target_date"]


def test_a_command_a_dm_and_a_click_over_socket_mode_each_acted_on_once(socket_signoff: Signoff):
    signoff, slack, sim = socket_signoff, socket_signoff.slack, socket_signoff.sim
    started(signoff)
    socket = slack.socket_mode
    assert slack.calls_of("apps.connections.open") and socket.connections == 1

    # The command's answer is the ack's payload, to the person alone.
    answer = sim.command(signoff.user("owner"), "show LAC-014").json()
    assert answer["response_type"] == "ephemeral" and "LAC-014" in json.dumps(answer)

    reminder = wait_for_dm(signoff, "owner", "LAC-014")
    assert sim.click(signoff.user("owner"), reminder, "Start review").status == 200
    slack.wait_for(lambda: "In review" in texts(slack.dms_to(signoff.user("owner"))[0]))

    sim.message(signoff.user("owner"), "I'll finish LAC-014 in 2 weeks")
    wait_for_dm(signoff, "owner", "Noted")
    assert target_date(signoff) == (signoff.today + timedelta(days=14)).isoformat()

    assert history(signoff).count("review.started") == 1
    assert len([m for m in slack.dms_to(signoff.user("owner")) if "Noted" in texts(m)]) == 1
    assert socket.unacknowledged() == [] and len(socket.acks) == 3
    assert socket.connections == 1

    # Its own port answers the health check and the metrics.
    with urllib.request.urlopen(signoff.url + "/healthz", timeout=5) as reply:
        assert reply.status == 200
    samples = scrape(signoff.url)
    for kind in ("command", "action", "event"):
        assert value(samples, "signoff_slack_requests_total", kind=kind) == 1


def test_a_dropped_connection_is_replaced_and_loses_nothing(socket_signoff: Signoff):
    signoff, slack, sim = socket_signoff, socket_signoff.slack, socket_signoff.sim
    started(signoff)
    socket = slack.socket_mode
    reminder = wait_for_dm(signoff, "owner", "LAC-014")

    # The connection goes as soon as the click is out: signoff acts on it, its ack is lost.
    socket.drop_after_next()
    with sim.not_waiting():
        sim.click(signoff.user("owner"), reminder, "Start review")
        click = sim.last_envelope
        assert not socket.connected
        # Meanwhile the owner writes: Slack keeps it until signoff is back.
        sim.message(signoff.user("owner"), "status")
        message = sim.last_envelope
    assert click is not None and message is not None

    # Back within a few pings; what was not acknowledged comes again and is acked this time.
    socket.wait_for_ack(click, timeout=20)
    socket.wait_for_ack(message, timeout=20)
    assert socket.connections == 2 and socket.unacknowledged() == []
    assert socket.deliveries(click) == 2  # sent again after the drop
    slack.wait_for(lambda: "In review" in texts(slack.dms_to(signoff.user("owner"))[0]))
    assert history(signoff).count("review.started") == 1
    # The second delivery of the click is answered with where things stand, nothing redone.
    again = slack.wait_for(lambda: slack.ephemerals_to(signoff.user("owner")))[-1]
    assert "already dealt with" in again.text
    # The message written while the connection was down is answered, once.
    statuses = slack.wait_for(
        lambda: [m for m in slack.dms_to(signoff.user("owner")) if "open review" in m.text]
    )
    assert len(statuses) == 1 and "LAC-014" in texts(statuses[0])

    # And the connection works as before.
    sim.message(signoff.user("owner"), "I'll finish LAC-014 in 2 weeks")
    wait_for_dm(signoff, "owner", "Noted")
    assert socket.connections == 2


def test_a_token_slack_refuses_stops_run_with_one_line(socket_signoff: Signoff):
    socket_signoff.slack.fail("apps.connections.open", status=200, error="invalid_auth")
    result = socket_signoff.cli("run", "--no-scheduler", check=False)
    assert result.returncode == 1
    # The log lines before it are the server's; the command's own answer is its last line.
    assert result.stderr.strip().splitlines()[-1] == (
        "signoff: SLACK_APP_TOKEN: Slack would not open a Socket Mode connection "
        "(invalid_auth); it needs the app-level token (xapp-...) with connections:write"
    )
