"""HTTP: one Request URL for events, interactivity and commands, a health check and the metrics,
served by waitress (a production WSGI server). In Socket Mode the same health check and metrics
are served on a port of their own."""

from __future__ import annotations

import gc
import io
import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import parse_qs

from prometheus_client import make_wsgi_app
from slack_bolt import App
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import text

from bot import logs
from bot.runtime import Runtime

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
CHARTS = "/charts/"
TEAMS_PATH = "/api/messages"
# A listener released once the ack is on the wire waits this much more before it runs, so that
# the first of its work does not share a core with the last of the ack's.
HEAD_START = 0.002
# Slack's own payloads are a few kilobytes; a body beyond this is refused unread, so that nobody
# can make signoff hold megabytes in memory (or hash them) for each request.
MAX_BODY = 4 * 1024 * 1024

# Something else the health check asks: None when well, else what is wrong.
Check = Callable[[], str | None]


def wsgi_app(
    runtime: Runtime, bolt: App | None, *, checks: Iterable[Check] = (), teams: Any = None
) -> Callable[..., Iterable[bytes]]:
    slack = None
    verifier = None
    if bolt is not None:
        from slack_bolt.adapter.wsgi import SlackRequestHandler

        slack = SlackRequestHandler(bolt, path=EVENTS_PATH)
        verifier = SignatureVerifier(runtime.settings.slack_signing_secret or "")
    metrics = make_wsgi_app()
    checks = tuple(checks)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            if path == "/healthz":
                return _health(runtime, checks, start_response)
            if path == "/metrics":
                return metrics(environ, start_response)
            if path.startswith(CHARTS):
                return _chart(runtime, path, start_response)
        if teams is not None and path == TEAMS_PATH:
            return _teams(teams, environ, start_response)
        if slack is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found: this port serves /healthz and /metrics\n"]
        if path == EVENTS_PATH and verifier is not None:
            return _slack(slack, verifier, environ, start_response)
        return slack(environ, start_response)

    return application


def _plain(start_response: Callable[..., Any], status: str, message: str) -> Iterable[bytes]:
    data = message.encode() + b"\n"
    start_response(
        status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))]
    )
    return [data]


def _body(environ: dict[str, Any], start_response: Callable[..., Any]) -> bytes | Iterable[bytes]:
    """The request's body, or the answer refusing it: too large (without reading it) or of a
    length that is not given."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _plain(start_response, "400 Bad Request", "Content-Length is not a number")
    if length > MAX_BODY:
        return _plain(start_response, "413 Payload Too Large", f"the limit is {MAX_BODY} bytes")
    return environ["wsgi.input"].read(length) if length > 0 else b""


def _slack(
    slack: Any,
    verifier: SignatureVerifier,
    environ: dict[str, Any],
    start_response: Callable[..., Any],
) -> Iterable[bytes]:
    """A request from Slack: its size checked and its signature verified over the raw bytes
    before anything parses them, and a body that Slack would never send refused with 400, so
    that no forgery or garbage reaches Bolt, the database or a 5xx."""
    if environ.get("REQUEST_METHOD") != "POST":
        return _plain(start_response, "405 Method Not Allowed", "POST Slack's requests here")
    body = _body(environ, start_response)
    if not isinstance(body, bytes):
        return body
    if not _signed(verifier, body, environ):
        return _plain(start_response, "401 Unauthorized", "invalid request")
    if not _well_formed(body, environ.get("CONTENT_TYPE") or ""):
        return _plain(start_response, "400 Bad Request", "not a request Slack sends")
    # Bolt reads the body again, and verifies it again (cheaply), from here.
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    # The listeners Bolt starts wait until the ack has gone (_ThenRelease).
    held, token = logs.hold_listeners()
    writers: list[Callable[[bytes], Any]] = []

    def starting(*args: Any) -> Callable[[bytes], Any]:
        writers.append(start_response(*args))
        return writers[-1]

    try:
        answer = slack(environ, starting)
    finally:
        logs.stop_holding(token)
    return _ThenRelease(answer, held, writers)


def _signed(verifier: SignatureVerifier, body: bytes, environ: dict[str, Any]) -> bool:
    stamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP") or ""
    # slack_sdk's verifier raises on a timestamp that is not a number and on a body that is not
    # UTF-8 (each was a 500 before); neither comes from Slack.
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) < 16):
        return False
    try:
        return verifier.is_valid(
            body=body, timestamp=stamp, signature=environ.get("HTTP_X_SLACK_SIGNATURE") or ""
        )
    except UnicodeDecodeError:
        return False


def _well_formed(body: bytes, content_type: str) -> bool:
    """The shapes Slack sends: a JSON object (events), a form whose `payload` is a JSON object
    (interactivity), or a form without one (commands)."""
    try:
        text_ = body.decode("utf-8")
        if content_type.startswith("application/json"):
            return isinstance(json.loads(text_), dict)
        fields = parse_qs(text_, strict_parsing=bool(text_))
        if "payload" in fields:
            return isinstance(json.loads(fields["payload"][0]), dict)
        return bool(fields)
    except ValueError:  # UnicodeDecodeError and JSONDecodeError included
        return False


class _ThenRelease:
    """A response that starts the listeners it held once the server has sent it: a WSGI server
    closes the response after writing its body (PEP 3333). An ack's body is empty, and waitress
    writes the headers of an empty body only after closing it, so the headers are pushed out
    first through start_response's `write`: otherwise a listener released at close takes the
    interpreter from the thread that still has the whole answer to send."""

    def __init__(
        self, answer: Iterable[bytes], held: list[Any], writers: list[Callable[[bytes], Any]]
    ) -> None:
        self._answer = answer
        self._held = held
        self._writers = writers

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._answer)

    def close(self) -> None:
        try:
            close = getattr(self._answer, "close", None)
            if close is not None:
                close()
            if self._writers:  # the headers now, if the body did not send them
                self._writers[-1](b"")
        finally:
            logs.release(self._held, pause=HEAD_START)


def _teams(
    teams: Any, environ: dict[str, Any], start_response: Callable[..., Any]
) -> Iterable[bytes]:
    """A Teams activity (bot.platforms.teams.activities.TeamsBot): its token checked, then
    acted on; an invoke's answer is the response's body."""
    if environ.get("REQUEST_METHOD") != "POST":
        start_response("405 Method Not Allowed", [("Content-Type", "text/plain")])
        return [b"POST Teams activities here\n"]
    raw = _body(environ, start_response)
    if not isinstance(raw, bytes):
        return raw
    answer = teams.handle(environ.get("HTTP_AUTHORIZATION"), raw)
    reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized"}.get(answer.status, "OK")
    if answer.body is None:
        start_response(f"{answer.status} {reason}", [("Content-Length", "0")])
        return [b""]
    data = json.dumps(answer.body).encode()
    start_response(
        f"{answer.status} {reason}",
        [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(data)))],
    )
    return [data]


def _health(
    runtime: Runtime, checks: tuple[Check, ...], start_response: Callable[..., Any]
) -> Iterable[bytes]:
    try:
        with runtime.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # any failure to reach the database is "not healthy"
        log.warning("health check: database unreachable: %s", error)
        start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
        return [b"database unreachable\n"]
    for check in checks:
        problem = check()
        if problem:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [problem.encode() + b"\n"]
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok\n"]


def _chart(runtime: Runtime, path: str, start_response: Callable[..., Any]) -> Iterable[bytes]:
    """The App Home's chart, for Slack to fetch: only those signoff signed, for a month over."""
    from bot.reports import charts, headline

    settings = runtime.settings
    month = headline.month_of(settings, path)
    today = runtime.now().astimezone(settings.timezone).date()
    if month is None or month >= today.strftime("%Y-%m"):
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"no such chart\n"]
    try:
        data = headline.cached_png(
            settings.database_url, month, settings.timezone_name, runtime.sessions
        )
    except charts.ChartsUnavailable as error:
        start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
        return [str(error).encode() + b"\n"]
    start_response(
        "200 OK",
        [
            ("Content-Type", "image/png"),
            ("Content-Length", str(len(data))),
            ("Cache-Control", "public, max-age=86400"),
        ],
    )
    return [data]


def serve(
    runtime: Runtime,
    bolt: App | None,
    *,
    host: str,
    port: int,
    threads: int = 8,
    teams: Any = None,
) -> None:
    from waitress import serve as waitress_serve

    for path, served in ((EVENTS_PATH, bolt), (TEAMS_PATH, teams)):
        if served is not None:
            log.info("signoff listening on http://%s:%s%s", host, port, path)
    application = wsgi_app(runtime, bolt, teams=teams)
    settle_for_serving()
    waitress_serve(
        application,
        host=host,
        port=port,
        threads=threads,
        ident="signoff",
        # Refused by waitress itself as it reads: a chunked body announces no length.
        max_request_body_size=MAX_BODY,
    )


def settle_for_serving() -> None:
    """Once everything is imported and built: keep what start-up made out of the garbage
    collector's full passes (gc.freeze), so that no request waits while the collector walks
    every module and class again."""
    gc.collect()
    gc.freeze()


def serve_health_in_background(
    runtime: Runtime, *, host: str, port: int, checks: Iterable[Check] = ()
) -> None:
    """/healthz and /metrics on their own port, on a daemon thread."""
    from waitress.server import create_server

    server = create_server(
        wsgi_app(runtime, None, checks=checks), host=host, port=port, threads=2, ident="signoff"
    )
    log.info("health check and metrics on http://%s:%s/healthz", host, port)
    threading.Thread(target=server.run, name="health", daemon=True).start()
