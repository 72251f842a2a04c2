"""HTTP mode: one Request URL for events, interactivity and commands, and a health check,
served by waitress (a production WSGI server)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import text

from bot.runtime import Runtime

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


def wsgi_app(runtime: Runtime, bolt: App) -> Callable[..., Iterable[bytes]]:
    slack = SlackRequestHandler(bolt, path=EVENTS_PATH)

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            return _health(runtime, start_response)
        return slack(environ, start_response)

    return application


def _health(runtime: Runtime, start_response: Callable[..., Any]) -> Iterable[bytes]:
    try:
        with runtime.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # any failure to reach the database is "not healthy"
        log.warning("health check: database unreachable: %s", error)
        start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
        return [b"database unreachable\n"]
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok\n"]


def serve(runtime: Runtime, bolt: App, *, host: str, port: int, threads: int = 8) -> None:
    from waitress import serve as waitress_serve

    log.info("signoff listening on http://%s:%s%s", host, port, EVENTS_PATH)
    waitress_serve(wsgi_app(runtime, bolt), host=host, port=port, threads=threads, ident="signoff")
