"""A listener that fails (here Slack refusing to open a form) is logged, counted, reported to
Sentry where SENTRY_DSN is set, and answered to the person in plain words: in the command's own
answer when it had not yet been given, else to them alone where they clicked."""

from __future__ import annotations

import gzip
import json
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from handlers.errors import SORRY
from tests.e2e.conftest import SECRET, Signoff
from tests.e2e.test_observability import scrape, value
from tests.e2e.test_review_path import lac_014, register, tick, wait_for_dm


@dataclass
class SentryStandin:
    """Sentry's ingestion endpoint on loopback: keeps every envelope it is sent."""

    envelopes: list[bytes] = field(default_factory=list)

    def start(self) -> str:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "deflate":
                    body = zlib.decompress(body)
                assert encoding in ("", "gzip", "deflate"), encoding
                if self.path.endswith("/envelope/"):
                    standin.envelopes.append(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        host, port = self.server.server_address[:2]
        return f"http://publickey@{host}:{port}/42"

    def events(self) -> list[dict]:
        """The error events among the envelopes (each envelope: header, then item pairs)."""
        found = []
        for envelope in self.envelopes:
            lines = envelope.split(b"\n")
            for header, payload in zip(lines[1::2], lines[2::2], strict=False):
                if json.loads(header).get("type") == "event":
                    found.append(json.loads(payload))
        return found


@pytest.fixture
def sentry() -> Iterator[SentryStandin]:
    standin = SentryStandin()
    yield standin
    standin.server.shutdown()


def fail_forms(signoff: Signoff) -> None:
    signoff.slack.fail("views.open", status=200, error="internal_error", times=100)


def test_a_failing_listener_is_answered_politely_and_counted(signoff: Signoff):
    slack, sim = signoff.slack, signoff.sim
    register(signoff, [lac_014(signoff.today + timedelta(days=42))])
    tick(signoff)
    reminder = wait_for_dm(signoff, "owner", "LAC-014")
    fail_forms(signoff)

    # A click is acknowledged at once; the failure after it is told to the person alone.
    assert sim.click(signoff.user("owner"), reminder, "Submit draft").status == 200
    sorry = slack.wait_for(lambda: slack.ephemerals_to(signoff.user("owner")))[-1]
    assert sorry.text == SORRY and sorry.channel == reminder.channel

    # A command that fails before its answer: the answer is the apology, not Slack's error.
    answer = sim.command(signoff.user("owner"), "request LAC-014")
    assert answer.status == 200
    assert answer.json() == {"response_type": "ephemeral", "text": SORRY}

    samples = scrape(signoff.url)
    assert value(samples, "signoff_listener_errors_total", kind="action") == 1
    assert value(samples, "signoff_listener_errors_total", kind="command") == 1
    assert "SlackApiError" in signoff.server.log_path.read_text()  # type: ignore[union-attr]


def test_failures_are_reported_to_sentry_without_what_anyone_wrote(
    start_signoff: Callable[..., Signoff], sentry: SentryStandin
):
    signoff = start_signoff(SENTRY_DSN=sentry.start())
    slack, sim = signoff.slack, signoff.sim
    register(signoff, [lac_014(signoff.today + timedelta(days=42))])
    tick(signoff)
    reminder = wait_for_dm(signoff, "owner", "LAC-014")
    fail_forms(signoff)

    sim.click(signoff.user("owner"), reminder, "Submit draft")
    event = slack.wait_for(sentry.events, timeout=20)[-1]
    exception = event["exception"]["values"][-1]
    assert exception["type"] == "SlackApiError"
    assert event["tags"]["slack_action"] == "review.submit_draft"
    assert event["tags"]["review"] == "1"
    assert event["level"] == "error"

    sent = b"\n".join(sentry.envelopes).decode()
    assert SECRET not in sent and "xoxb-test-token" not in sent
    assert reminder.text not in sent and "Looked After Children Reviews" not in sent
    assert '"vars"' not in sent  # no local variables, where payloads would be
