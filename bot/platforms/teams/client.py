"""Calls to the Bot Connector: create a 1:1 conversation, send an activity, update one, name a
member; and the bot's own token, from the token endpoint (client credentials), kept until it is
about to expire by signoff's clock.

These are plain HTTPS calls made with httpx, synchronously: signoff's delivery runs in request
threads, the scheduler and short commands, and needs each call's status and Retry-After to
decide between a retry and parking. The Teams SDK's API client is asynchronous over a shared
httpx.AsyncClient bound to one event loop; driving it from those threads would mean a loop of
its own per call or a loop thread, for four REST calls. The activities sent are built with the
SDK's models (microsoft_teams.api), so their shape is the SDK's.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx

BOT_SCOPE = "https://api.botframework.com/.default"
# httpx logs every request's URL at INFO: one line per event is signoff's own to write.
logging.getLogger("httpx").setLevel(logging.WARNING)


class ConnectorError(Exception):
    """The Bot Connector answered with an error: its status, code and Retry-After."""

    def __init__(self, status: int, code: str, message: str, retry_after: float | None = None):
        super().__init__(f"Teams said {status} {code}: {message}")
        self.status = status
        self.code = code
        self.retry_after = retry_after


@dataclass
class BotConnector:
    app_id: str
    password: str
    tenant_id: str | None
    login_url: str
    now: Callable[[], datetime]
    timeout: float = 15.0
    _token: tuple[str, datetime] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(timeout=self.timeout)

    # --- the bot's token ----------------------------------------------------------------

    def token(self) -> str:
        with self._lock:
            if self._token is not None and self._token[1] > self.now():
                return self._token[0]
            tenant = self.tenant_id or "botframework.com"
            reply = self.http.post(
                f"{self.login_url.rstrip('/')}/{tenant}/oauth2/v2.0/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": self.app_id,
                    "client_secret": self.password,
                    "scope": BOT_SCOPE,
                },
            )
            answer = reply.json() if reply.content else {}
            if reply.status_code != 200 or "access_token" not in answer:
                raise ConnectorError(
                    reply.status_code,
                    str(answer.get("error") or "no_token"),
                    str(answer.get("error_description") or "the token endpoint gave no token"),
                )
            lasts = timedelta(seconds=int(answer.get("expires_in", 3600)) - 300)
            self._token = (answer["access_token"], self.now() + lasts)
            return self._token[0]

    # --- the Bot Connector --------------------------------------------------------------

    def _call(self, method: str, url: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        reply = self.http.request(
            method, url, json=body, headers={"Authorization": f"Bearer {self.token()}"}
        )
        if reply.status_code == 401 and self._token is not None:
            self._token = None  # revoked or rotated: one more try with a fresh token
            reply = self.http.request(
                method, url, json=body, headers={"Authorization": f"Bearer {self.token()}"}
            )
        answer: dict[str, Any] = {}
        if reply.content:
            try:
                answer = reply.json()
            except ValueError:
                answer = {}
        if reply.status_code >= 400:
            error = answer.get("error") or {}
            retry = reply.headers.get("Retry-After")
            raise ConnectorError(
                reply.status_code,
                str(error.get("code") or reply.reason_phrase),
                str(error.get("message") or ""),
                float(retry) if retry and retry.replace(".", "", 1).isdigit() else None,
            )
        return answer

    def create_conversation(self, service_url: str, user_id: str, tenant_id: str | None) -> str:
        body = {
            "bot": {"id": f"28:{self.app_id}"},
            "members": [{"id": user_id}],
            "isGroup": False,
            "tenantId": tenant_id or self.tenant_id,
            "channelData": {"tenant": {"id": tenant_id or self.tenant_id}},
        }
        return str(self._call("POST", _root(service_url) + "v3/conversations", body)["id"])

    def send(
        self,
        service_url: str,
        conversation: str,
        activity: dict[str, Any],
        reply_to: str | None = None,
    ) -> str:
        url = f"{_root(service_url)}v3/conversations/{quote(conversation, safe='')}/activities"
        if reply_to:
            url += f"/{quote(reply_to, safe='')}"
        return str(self._call("POST", url, activity).get("id", ""))

    def update(
        self, service_url: str, conversation: str, activity_id: str, activity: dict[str, Any]
    ) -> None:
        url = (
            f"{_root(service_url)}v3/conversations/{quote(conversation, safe='')}/activities/"
            f"{quote(activity_id, safe='')}"
        )
        self._call("PUT", url, {**activity, "id": activity_id})

    def member(self, service_url: str, conversation: str, user_id: str) -> dict[str, Any]:
        url = (
            f"{_root(service_url)}v3/conversations/{quote(conversation, safe='')}/members/"
            f"{quote(user_id, safe='')}"
        )
        return self._call("GET", url)


def _root(service_url: str) -> str:
    return service_url if service_url.endswith("/") else service_url + "/"


def message_activity(
    text: str, card: dict[str, Any] | None, key: str | None = None
) -> dict[str, Any]:
    """A message activity as the SDK builds it: the fallback text, the card as an attachment,
    and the outbox key in channelData (Teams keeps it with the message)."""
    from microsoft_teams.api import MessageActivityInput
    from microsoft_teams.api.models import Attachment

    activity = MessageActivityInput(
        text=text, channel_data={"signoff": {"outbox_key": key}} if key else None
    )
    if card is not None:
        activity = activity.add_attachments(
            Attachment(content_type="application/vnd.microsoft.card.adaptive", content=card)
        )
    return activity.model_dump(by_alias=True, exclude_none=True)
