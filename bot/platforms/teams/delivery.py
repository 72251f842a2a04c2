"""Teams behind the platform interface: Adaptive Cards posted to a person's 1:1 conversation or a
team's channel, with the outbox key in the activity's channelData, and updated in place
(updateActivity) whenever the review moves.

A person is reached in Teams once the app is installed for them: Teams then tells signoff the
1:1 conversation, which is kept (bot/platforms/teams/activities.py). Until then, a message for
them is parked and the admins are told once, with the fix.

Finding a post after a crash: Teams gives a bot no way to read its conversations back (the Bot
Connector has no history for Teams; Graph would need Chat.Read.All). So a crash in the moment
between Teams' answer and the database's record of it can leave a card posted twice; the copy is
harmless (its buttons act on the review as it stands and a stale one says so) but it is not kept
up to date. Everything else is once and only once, as on Slack.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import select

from bot.parking import Cause
from bot.platforms import TEAMS, Address, NotDelivered, Posted, Rendered, Undeliverable
from bot.platforms.teams import render as draw
from bot.platforms.teams.client import BotConnector, ConnectorError, message_activity
from bot.runtime import Runtime
from db.models import Person, TeamsConversation

log = logging.getLogger(__name__)
RETRY_HINT = "then run `signoff outbox retry --all`"


def connector_for(runtime: Runtime) -> BotConnector:
    settings = runtime.settings
    settings.require("teams_app_id", "teams_app_password")
    return BotConnector(
        app_id=settings.teams_app_id or "",
        password=settings.teams_app_password or "",
        tenant_id=settings.teams_tenant_id,
        login_url=settings.teams_login_url,
        now=runtime.now,
    )


class TeamsPlatform:
    name = TEAMS

    def __init__(self, runtime: Runtime, connector: BotConnector | None = None) -> None:
        self.runtime = runtime
        self.connector = connector or connector_for(runtime)

    # --- where ----------------------------------------------------------------------------

    def reach(self, person_id: int, now: datetime) -> Address | None:
        with self.runtime.sessions() as session:
            person = session.get(Person, person_id)
            assert person is not None
            if person.teams_conversation_id and person.teams_service_url:
                return Address(
                    TEAMS, person.teams_conversation_id, person.teams_service_url, person_id
                )
            if not person.teams_user_id:
                return None
            user_id, tenant = person.teams_user_id, person.teams_tenant_id
            service_url = person.teams_service_url or self.runtime.settings.teams_service_url
        # Known from a team, not yet talked to: open the 1:1 conversation (allowed once the app
        # is installed for them).
        with self._errors(person_id=person_id):
            conversation = self.connector.create_conversation(service_url, user_id, tenant)
        with self.runtime.sessions.begin() as session:
            person = session.get(Person, person_id)
            assert person is not None
            person.teams_conversation_id = conversation
            person.teams_service_url = service_url
        return Address(TEAMS, conversation, service_url, person_id)

    def room_for(self, audience: str) -> Address | None:
        settings = self.runtime.settings
        if audience == "digest":
            channel = settings.teams_digest_channel
        elif audience.startswith("body:"):
            key = audience.split(":", 1)[1]
            rules = self.runtime.rules
            channel = rules.body(key).teams_channel if key in rules.bodies else None
        else:
            channel = None
        if not channel:
            return None
        with self.runtime.sessions() as session:
            known = session.scalar(
                select(TeamsConversation.service_url).where(
                    TeamsConversation.conversation_id == channel
                )
            )
        return Address(TEAMS, channel, known or settings.teams_service_url, audience=audience)

    def unreached(self, person_id: int) -> Cause:
        """Why a person cannot be written to in Teams yet, and the fix: told to the admins once
        per person."""
        with self.runtime.sessions() as session:
            person = session.get(Person, person_id)
            email = person.email if person else str(person_id)
        return Cause(
            f"teams:unreached:{email}",
            "not_installed",
            f"signoff is not installed in Teams for {email}, so it cannot write to them there",
            "install it for them: in the Teams admin centre, add signoff to an app setup policy "
            "that covers them (Teams apps > Setup policies > Installed apps), or install it with "
            "Microsoft Graph (POST /users/{their id}/teamwork/installedApps, a "
            "TeamsAppInstallation); signoff sends what waits for them as soon as it is installed",
        )

    # --- what -----------------------------------------------------------------------------

    def render(
        self, kind: str, review_id: int | None, payload: dict[str, Any], now: datetime
    ) -> Rendered:
        zone = self.runtime.settings.timezone
        with self.runtime.sessions() as session:
            drawn = draw.build(
                kind,
                review_id,
                payload,
                session,
                today=now.astimezone(zone).date(),
                zone=zone,
                rules=self.runtime.rules,
            )
        return Rendered(drawn.text, drawn.card, kind)

    # --- posting ----------------------------------------------------------------------------

    def post(self, address: Address, message: Rendered, key: str) -> Posted:
        assert address.service_url is not None
        with self._errors(address=address, kind=message.kind):
            activity_id = self.connector.send(
                address.service_url, address.room, message_activity(message.text, message.body, key)
            )
        return Posted(TEAMS, address.room, activity_id, address.service_url)

    def find(self, address: Address, key: str, since: datetime) -> Posted | None:
        return None  # Teams cannot be read back: see the module's note

    def update(self, posted: Posted, message: Rendered) -> bool:
        assert posted.service_url is not None
        try:
            with self._errors(kind=message.kind, gone=True):
                self.connector.update(
                    posted.service_url,
                    posted.room,
                    posted.message_id,
                    message_activity(message.text, message.body),
                )
        except _Gone:
            return False
        return True

    def tell(self, address: Address, text: str) -> None:
        assert address.service_url is not None
        self.connector.send(address.service_url, address.room, message_activity(text, None))

    def open_form(self, where: Any, form: Any) -> Any:
        # A Teams form is the answer to the `task/fetch` that its button sends: nothing to call.
        return {"task": {"type": "continue", "value": form}}

    # --- what Teams said ------------------------------------------------------------------

    def _errors(
        self,
        *,
        address: Address | None = None,
        person_id: int | None = None,
        kind: str = "",
        gone: bool = False,
    ) -> _Translate:
        return _Translate(self, address, person_id, kind, gone)


class _Gone(Exception):
    """A message someone deleted: it cannot be kept true; the others still can."""


class _Translate:
    """Teams' answers in delivery's terms: never as things stand (park), or not this time."""

    def __init__(
        self,
        platform: TeamsPlatform,
        address: Address | None,
        person_id: int | None,
        kind: str,
        gone: bool,
    ) -> None:
        self.platform = platform
        self.address = address
        self.person_id = person_id if person_id is not None else (address and address.person_id)
        self.kind = kind
        self.gone = gone

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, error: BaseException | None, tb: Any) -> bool:
        if error is None:
            return False
        if isinstance(error, httpx.HTTPError):
            raise NotDelivered(f"{type(error).__name__}: {error}") from error
        if not isinstance(error, ConnectorError):
            return False
        if self.gone and error.status == 404:
            raise _Gone() from error
        cause = self._cause(error)
        if cause is not None:
            raise Undeliverable(cause) from error
        raise NotDelivered(str(error)) from error

    def _cause(self, error: ConnectorError) -> Cause | None:
        status = error.status
        if status == 429 or status >= 500:
            return None
        if error.code in ("invalid_client", "unauthorized_client", "invalid_request") or (
            status == 401
        ):
            return Cause(
                "teams:auth",
                error.code,
                "Teams would not accept signoff's credentials",
                "check TEAMS_APP_ID, TEAMS_APP_PASSWORD and TEAMS_TENANT_ID against the bot's "
                f"app registration (a client secret expires), restart signoff, {RETRY_HINT}",
            )
        if status == 403 and self.person_id is not None:
            return self.platform.unreached(self.person_id)
        audience = self.address.audience if self.address else None
        if status in (403, 404) and audience is not None:
            setting = (
                "TEAMS_DIGEST_CHANNEL" if audience == "digest" else f"{audience} teams_channel"
            )
            return Cause(
                f"teams:channel:{self.address.room if self.address else ''}",
                error.code,
                f"signoff cannot post in the Teams channel {setting} names",
                "add signoff to that team (Apps > Manage apps, or the team's ... > Manage team > "
                f"Apps), check that {setting} is the channel's conversation ID, {RETRY_HINT}",
            )
        if status in (400, 413):
            return Cause(
                f"teams:message:{self.kind}",
                error.code,
                f"Teams refused signoff's {self.kind.replace('_', ' ')} card as it was built",
                f"report it with `signoff outbox` output; {RETRY_HINT} once signoff is updated",
            )
        return None
