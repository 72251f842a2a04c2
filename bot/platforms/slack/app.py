"""Building the Slack client and the Bolt app, and what every listener is handed."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot import logs
from bot.delivery import Delivery
from bot.metrics import ACK_SECONDS, REQUESTS, request_kind
from bot.platforms.slack.identity import person_for_slack_user
from bot.runtime import Runtime
from db.inserts import insert_if_absent
from db.models import InboundDelivery, Person
from workflow.context import Actor, Ctx

log = logging.getLogger(__name__)


def build_client(runtime: Runtime) -> WebClient:
    settings = runtime.settings
    return WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=15,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=3),  # waits for Retry-After
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


@dataclass
class Services:
    """What a listener needs beyond the payload: the database, Slack, delivery and the clock."""

    runtime: Runtime
    client: WebClient | None
    # The Teams platform, where the deployment serves Teams (bot.platforms.teams).
    teams: Any = None

    def __post_init__(self) -> None:
        self.delivery = Delivery(
            self.runtime, self.client, platforms=[self.teams] if self.teams else []
        )

    def now(self) -> datetime:
        return self.runtime.now()

    def actor(self, user_id: str) -> Actor | None:
        """Who a Slack user is here: one read for someone met before; Slack is asked about
        someone new (None if it will not say their e-mail address)."""
        known = self.runtime.actor_where(Person.slack_user_id == user_id, now=self.now())
        if known is not None:
            return known
        person = person_for_slack_user(self.runtime.sessions, self.client, user_id, now=self.now())
        return self.runtime.actor_for(person, now=self.now()) if person is not None else None

    def ctx(self, actor: Actor, *, claim: str | None = None) -> Ctx:
        """A use case's context; `claim` the request's key, recorded with the change it makes."""
        context = self.runtime.ctx(actor, now=self.now())
        context.claim = claim
        return context

    def deliver(self) -> None:
        try:
            self.delivery.run(self.now())
        except Exception:  # the outbox keeps what was not sent; the retry job picks it up
            log.exception("delivery after a listener failed")

    def first_time(self, key: str) -> bool:
        """Record a delivery from Slack; False when it was seen before (a retry, a replay)."""
        with self.runtime.sessions.begin() as session:
            return insert_if_absent(
                session, InboundDelivery, {"key": key[:255], "received_at": self.now()}, ["key"]
            )

    def tell(
        self,
        user_id: str,
        text: str,
        *,
        channel: str | None = None,
        thread_ts: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
    ) -> None:
        """Answer one person only: an ephemeral message where they are, or else a DM."""
        try:
            if channel:
                self.client.chat_postEphemeral(
                    channel=channel, user=user_id, text=text, blocks=blocks, thread_ts=thread_ts
                )
                return
        except SlackApiError:
            log.info("ephemeral to %s in %s failed; sending a DM", user_id, channel)
        self.client.chat_postMessage(channel=user_id, text=text, blocks=blocks)


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
