"""The Slack client, and what every listener, job and delivery is handed: apart from the Bolt
app, so that a command that only delivers (`signoff tick`) does not load Bolt."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.delivery import Delivery
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
