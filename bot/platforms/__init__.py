"""The chat platforms signoff speaks on (Slack, Microsoft Teams), behind one small interface.

Delivery (bot/delivery.py) keeps what does not depend on the platform: claiming outbox rows,
settling them, backoff, parking, handing on to deputies and members. What does depend on it is
asked of a `Platform`: where a person or an audience is reached, how a message is drawn, how it
is posted (with its outbox key, so that a post is never made twice), found again after a crash,
updated in place, and how one person is told something or shown a form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.parking import Cause

SLACK = "slack"
TEAMS = "teams"
PLATFORMS = (SLACK, TEAMS)


@dataclass(frozen=True)
class Address:
    """Where a message goes on one platform: a Slack channel or user ID; a Teams conversation,
    with the service URL Teams gave for it."""

    platform: str
    room: str
    service_url: str | None = None
    person_id: int | None = None  # when it is one person's 1:1 conversation
    audience: str | None = None  # when it is an audience's channel (digest, body:<key>)


@dataclass(frozen=True)
class Posted:
    """A message as posted: enough to update it in place later."""

    platform: str
    room: str
    message_id: str
    service_url: str | None = None


@dataclass(frozen=True)
class Rendered:
    """A message drawn for one platform: the fallback text, and the platform's own body (Slack's
    blocks, or a Teams Adaptive Card)."""

    text: str
    body: Any = field(default=None)
    kind: str = ""  # the outbox kind it was drawn for


class Undeliverable(Exception):
    """The platform will never take this message as things stand: park it, with the cause."""

    def __init__(self, cause: Cause) -> None:
        super().__init__(cause.reason)
        self.cause = cause


class NotDelivered(Exception):
    """The platform did not take it this time (busy, unreachable): try again after a backoff."""


class Platform(Protocol):
    """What delivery asks of a chat platform."""

    name: str

    def reach(self, person_id: int, now: datetime) -> Address | None:
        """Where to write to one person, or None when they are not known on this platform
        (raise `Undeliverable` when they are known but cannot be written to yet)."""
        ...

    def room_for(self, audience: str) -> Address | None:
        """The channel an audience (`digest`, `body:<key>`) is posted in here, if any."""
        ...

    def render(
        self, kind: str, review_id: int | None, payload: dict[str, Any], now: datetime
    ) -> Rendered:
        """The message of outbox `kind`, as things stand now."""
        ...

    def post(self, address: Address, message: Rendered, key: str) -> Posted:
        """Post `message`, carrying the outbox `key` so that it can be found again."""
        ...

    def find(self, address: Address, key: str, since: datetime) -> Posted | None:
        """A message already posted with `key` (a post made before a crash), or None."""
        ...

    def update(self, posted: Posted, message: Rendered) -> bool:
        """Bring a posted message up to date in place; False when it is gone (deleted)."""
        ...

    def tell(self, address: Address, text: str) -> None:
        """Tell one person something, privately."""
        ...

    def open_form(self, where: Any, form: Any) -> Any:
        """Show one person a form (a Slack modal, a Teams task module)."""
        ...
