"""The Bolt app: its middleware and listeners, over the client and services of services.py."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse

from bot import logs
from bot.metrics import ACK_SECONDS, REQUESTS, request_kind
from bot.platforms.slack.services import Services, build_client

log = logging.getLogger(__name__)

__all__ = ["Services", "SignoffApp", "build_app", "build_client", "log_fields"]


class SignoffApp(App):
    """Bolt's App, timing each request to its ack and keeping what its middleware puts in the
    log context to that request (and the listener it runs)."""

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        return logs.in_own_context(self._timed_dispatch, req)

    def _timed_dispatch(self, req: BoltRequest) -> BoltResponse:
        kind = request_kind(req.body)
        started = time.perf_counter()
        try:
            return super().dispatch(req)
        finally:
            took = time.perf_counter() - started
            REQUESTS.labels(kind).inc()
            ACK_SECONDS.labels(kind).observe(took)
            # One line per request, whoever later delivers what it queued: the middleware has
            # put the request's event, action and review in this context.
            log.info("slack %s acknowledged in %.0f ms", kind, took * 1000)


def log_fields(body: dict[str, Any]) -> dict[str, Any]:
    """What a request is about, for its log lines: ids and names, never what anyone wrote."""
    kind = request_kind(body)
    found: dict[str, Any] = {"slack_kind": kind}
    if kind == "event":
        found["slack_event"] = body.get("event_id")
        found["slack_action"] = (body.get("event") or {}).get("type")
    elif kind == "action":
        action = (body.get("actions") or [{}])[0]
        found["slack_action"] = action.get("action_id")
        first = str(action.get("value", "")).partition(":")[0]
        found["review"] = int(first) if first.isdigit() else None
    elif kind == "view":
        view = body.get("view") or {}
        found["slack_action"] = view.get("callback_id")
        with contextlib.suppress(ValueError, TypeError, AttributeError):
            found["review"] = int(json.loads(view.get("private_metadata") or "{}").get("r"))
    elif kind == "command":
        found["slack_action"] = body.get("command")
    return found


def build_app(
    services: Services, *, socket_mode: bool = False, process_before_response: bool = False
) -> App:
    settings = services.runtime.settings
    if not socket_mode:
        settings.require("slack_signing_secret")
    app = SignoffApp(
        client=services.client,
        signing_secret=settings.slack_signing_secret or "unused-in-socket-mode",
        request_verification_enabled=not socket_mode,
        token_verification_enabled=False,
        ignoring_self_events_enabled=True,
        # True only for the demo, which wants each step's effects before it shows them.
        process_before_response=process_before_response,
        # Listeners run on this pool and see the request's log context.
        listener_executor=logs.ContextExecutor(max_workers=8),
    )

    @app.middleware
    def _ack_clicks_at_once(body: dict[str, Any], ack: Any, next: Callable[[], None]) -> None:
        # A button's ack carries nothing, yet Bolt sends it only once the listener, on its
        # pool, has called ack(), looking every 10 ms: acking here answers Slack at once, and
        # the listener's own ack() changes nothing. Forms and commands answer in their ack,
        # so they keep acking themselves; with process_before_response the answer waits for
        # the listener whatever is done here.
        if body.get("type") == "block_actions" and not process_before_response:
            ack()
            logs.acked_first()
        elif body.get("type") == "event_callback":
            logs.acked_first()  # Bolt acks every event before its listener runs
        next()

    @app.middleware
    def _services(body: dict[str, Any], context: BoltContext, next: Callable[[], None]) -> None:
        logs.set_fields(**log_fields(body))
        context["signoff"] = services
        next()

    from handlers import actions, commands, errors, events, home, views

    # Bolt tries each listener's matchers in order until one matches, at some 10 µs each:
    # events (the most frequent requests, a DM or a thread reply) are tried first.
    for module in (events, home, actions, views, commands, errors):
        module.register(app)
    return app
