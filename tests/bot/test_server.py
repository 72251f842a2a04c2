"""The Request URL's own checks before Bolt: a body past the limit is refused unread, an
unsigned request before anything parses it, and the listener of an acknowledged request starts
only once its response has been sent."""

from __future__ import annotations

import io
import json
import threading
from typing import Any

from slack_bolt import App
from slack_bolt.authorization import AuthorizeResult

from bot import server
from bot.platforms.slack.simulator import signed_headers

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


class Body(io.BytesIO):
    """A request body that says whether anyone read it."""

    read_at_all = False

    def read(self, *args: Any) -> bytes:
        self.read_at_all = True
        return super().read(*args)


def call(application, body: bytes, headers: dict[str, str], length: int | None = None):  # type: ignore[no-untyped-def]
    stream = Body(body)
    environ = {
        "REQUEST_METHOD": "POST",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "PATH_INFO": server.EVENTS_PATH,
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body) if length is None else length),
        "wsgi.input": stream,
        **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()},
    }
    status: list[str] = []
    written: list[bytes] = []

    def start_response(line: str, headers: list, exc_info=None):  # type: ignore[no-untyped-def]
        status.append(line)
        return written.append  # PEP 3333's `write`: what a server sends at once

    answer = application(environ, start_response)
    data = b"".join(answer)
    if hasattr(answer, "close"):  # a response that waits for its close (server._ThenRelease)
        answer.written = written
    return status[0], data, answer, stream


def bolt_app(runtime, ran: threading.Event) -> App:  # type: ignore[no-untyped-def]
    from bot import logs

    app = App(
        signing_secret=SECRET,
        # Who the bot is, without asking Slack.
        authorize=lambda **_: AuthorizeResult(
            enterprise_id=None, team_id="T1", bot_token="xoxb-test", bot_user_id="UBOT"
        ),
        listener_executor=logs.ContextExecutor(max_workers=2),
    )

    @app.middleware
    def acked(next):  # type: ignore[no-untyped-def]
        logs.acked_first()
        next()

    @app.event("message")
    def listener() -> None:
        ran.set()

    return app


def event() -> bytes:
    return json.dumps(
        {
            "type": "event_callback",
            "team_id": "T1",
            "event_id": "Ev1",
            "event": {"type": "message", "user": "U1", "text": "hi", "channel": "D1"},
            "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}],
        }
    ).encode()


def test_an_oversized_body_is_refused_unread_and_a_forged_one_before_bolt(runtime):  # type: ignore[no-untyped-def]
    settings = runtime.settings.model_copy(update={"slack_signing_secret": SECRET})
    runtime.settings = settings
    ran = threading.Event()
    application = server.wsgi_app(runtime, bolt_app(runtime, ran))

    status, _, _, stream = call(application, b"{}", {}, length=server.MAX_BODY + 1)
    assert status.startswith("413") and not stream.read_at_all

    body = event()
    status, data, _, _ = call(application, body, signed_headers("not-the-secret", body))
    assert status.startswith("401") and data == b"invalid request\n"
    assert not ran.wait(0.2)


def test_an_acknowledged_listener_starts_after_the_response_is_closed(runtime):  # type: ignore[no-untyped-def]
    runtime.settings = runtime.settings.model_copy(update={"slack_signing_secret": SECRET})
    ran = threading.Event()
    application = server.wsgi_app(runtime, bolt_app(runtime, ran))
    body = event()
    status, data, answer, _ = call(application, body, signed_headers(SECRET, body))
    assert status.startswith("200"), data
    assert not ran.wait(0.2), "the listener started before the response was sent"
    assert answer.written == []
    answer.close()  # what the WSGI server does once the response's body is written
    # An empty body leaves the headers unsent until after close: they are pushed out first.
    assert answer.written == [b""]
    assert ran.wait(5)
