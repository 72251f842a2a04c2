"""Acting as Slack towards a running signoff: the signed requests Slack sends when a person
clicks a button, fills a modal, writes a message, opens the Home tab or types `/signoff`.

Buttons and modal fields are found by their labels, as a person finds them. Shared by the
end-to-end tests and `signoff demo`.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from bot.platforms.slack.socket_standin import COMMANDS, EVENTS, INTERACTIVE
from bot.platforms.slack.standin import Message, SlackStandin


@dataclass
class Response:
    status: int
    body: str

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def slack_timestamp(seconds_ago: int = 0) -> int:
    """Slack stamps each request with its own clock, which is the machine's, and the receiver
    checks it against the machine's: request freshness is the transport's, not signoff's time."""
    return int(time.time()) - seconds_ago


def signed_headers(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The two headers Slack signs every request with (v0, HMAC-SHA256 of v0:ts:body)."""
    stamp = str(slack_timestamp() if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}


class SlackSimulator:
    def __init__(self, events_url: str, signing_secret: str, standin: SlackStandin) -> None:
        self.events_url = events_url
        self.signing_secret = signing_secret
        self.standin = standin
        self._ids = itertools.count(1)
        self._last: tuple[bytes, str] | None = None

    # --- the wire -----------------------------------------------------------------------

    def send(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        secret: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        self._last = (body, content_type)
        all_headers = {
            "Content-Type": content_type,
            **signed_headers(secret or self.signing_secret, body, timestamp),
            **(headers or {}),
        }
        request = urllib.request.Request(
            self.events_url, data=body, headers=all_headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                return Response(reply.status, reply.read().decode())
        except urllib.error.HTTPError as error:
            return Response(error.code, error.read().decode())

    def resend_last(self, **kwargs: Any) -> Response:
        """Deliver the last request again, as Slack does when it retries."""
        assert self._last is not None, "nothing sent yet"
        body, content_type = self._last
        return self.send(body, content_type, **kwargs)

    def send_json(self, payload: dict[str, Any], **kwargs: Any) -> Response:
        return self.send(json.dumps(payload).encode(), "application/json", **kwargs)

    def send_form(self, fields: dict[str, str], **kwargs: Any) -> Response:
        return self.send(urlencode(fields).encode(), "application/x-www-form-urlencoded", **kwargs)

    def _user(self, user_id: str) -> dict[str, Any]:
        user = next((u for u in self.standin.users if u.id == user_id), None)
        name = user.name if user else user_id.lower()
        return {"id": user_id, "username": name, "name": name, "team_id": self.standin.team_id}

    def _trigger(self, user_id: str) -> str:
        # The stand-in reads whose modal it opens from the trigger's last part.
        return f"{next(self._ids)}.{self.standin.team_id}.{user_id}"

    # --- a person's gestures ------------------------------------------------------------

    def click(
        self,
        user_id: str,
        where: Message | dict[str, Any],
        label: str,
        *,
        block: str | None = None,
        **kwargs: Any,
    ) -> Response:
        """Press the button labelled `label` on a message, or on a Home tab or modal view
        (in the block `block`, where several carry a button of that label)."""
        blocks = where.blocks if isinstance(where, Message) else where.get("blocks", [])
        block_id, element = find_button(blocks, label, block=block)
        action = {
            "type": "button",
            "action_id": element["action_id"],
            "block_id": block_id,
            "text": element["text"],
            "value": element.get("value", ""),
            "action_ts": f"{time.time():.6f}",
        }
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user(user_id),
            "api_app_id": "ASIGNOFF",
            "token": "unused",
            "trigger_id": self._trigger(user_id),
            "team": {"id": self.standin.team_id, "domain": "signoff"},
            "enterprise": None,
            "is_enterprise_install": False,
            "actions": [action],
            "response_url": self.standin.base_url + "response_url",
        }
        if isinstance(where, Message):
            payload["container"] = {
                "type": "message",
                "message_ts": where.ts,
                "channel_id": where.channel,
                "is_ephemeral": False,
            }
            payload["channel"] = {"id": where.channel, "name": "signoff"}
            payload["message"] = {
                "type": "message",
                "ts": where.ts,
                "text": where.text,
                "blocks": where.blocks,
                "bot_id": "BSIGNOFF",
            }
        else:
            payload["container"] = {"type": "view", "view_id": where.get("id", "VHOME")}
            payload["view"] = where
        return self.send_form({"payload": json.dumps(payload)}, **kwargs)

    def submit(
        self, user_id: str, view: dict[str, Any], values: dict[str, Any], **kwargs: Any
    ) -> Response:
        """Fill the modal's fields, found by their labels, and press its submit button."""
        state: dict[str, dict[str, Any]] = {}
        wanted = dict(values)
        for block in view.get("blocks", []):
            if block.get("type") != "input":
                continue
            label = block["label"]["text"]
            element = block["element"]
            value = wanted.pop(label, None)
            state[block["block_id"]] = {element["action_id"]: _element_state(element, value)}
        if wanted:
            raise KeyError(
                f"no field labelled {sorted(wanted)} in the modal "
                f"{view.get('title', {}).get('text')!r}"
            )
        submitted = {key: value for key, value in view.items() if not key.startswith("_")}
        submitted["state"] = {"values": state}
        payload = {
            "type": "view_submission",
            "team": {"id": self.standin.team_id},
            "user": self._user(user_id),
            "api_app_id": "ASIGNOFF",
            "token": "unused",
            "trigger_id": self._trigger(user_id),
            "view": submitted,
        }
        response = self.send_form({"payload": json.dumps(payload)}, **kwargs)
        if response.status == 200 and not (response.json() or {}).get("response_action"):
            view["_open"] = False  # Slack closes a modal whose submission was accepted
        return response

    def message(
        self,
        user_id: str,
        text: str,
        *,
        thread_ts: str | None = None,
        event_id: str | None = None,
        retry: int | None = None,
        channel: str | None = None,
    ) -> Response:
        """Write to the bot in its DM (or in a thread there)."""
        ts = f"{time.time():.6f}"
        event = {
            "type": "message",
            "channel": channel or self.standin.dm_channel(user_id),
            "user": user_id,
            "text": text,
            "ts": ts,
            "event_ts": ts,
            "channel_type": "im" if channel is None else "channel",
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        return self.event(event, event_id=event_id, retry=retry)

    def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry: int | None = None
    ) -> Response:
        payload = {
            "token": "unused",
            "team_id": self.standin.team_id,
            "api_app_id": "ASIGNOFF",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(self._ids):010d}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "team_id": self.standin.team_id,
                    "user_id": self.standin.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
        }
        headers = (
            {}
            if retry is None
            else {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        )
        return self.send_json(payload, headers=headers)

    def home_opened(self, user_id: str) -> Response:
        return self.event(
            {
                "type": "app_home_opened",
                "user": user_id,
                "channel": self.standin.dm_channel(user_id),
                "tab": "home",
                "event_ts": f"{time.time():.6f}",
            }
        )

    def command(self, user_id: str, text: str, *, command: str = "/signoff") -> Response:
        return self.send_form(
            {
                "token": "unused",
                "team_id": self.standin.team_id,
                "team_domain": "signoff",
                "channel_id": self.standin.dm_channel(user_id),
                "channel_name": "directmessage",
                "user_id": user_id,
                "user_name": self._user(user_id)["name"],
                "command": command,
                "text": text,
                "api_app_id": "ASIGNOFF",
                "response_url": self.standin.base_url + "response_url",
                "trigger_id": self._trigger(user_id),
            }
        )


def find_button(
    blocks: list[dict[str, Any]], label: str, *, block: str | None = None
) -> tuple[str, dict[str, Any]]:
    """The first button labelled `label` (in the block `block`, when given)."""
    labels = []
    for candidate in blocks:
        if block is not None and candidate.get("block_id") != block:
            continue
        elements = candidate.get("elements", []) if candidate.get("type") == "actions" else []
        if candidate.get("type") == "section" and candidate.get("accessory"):
            elements = [candidate["accessory"]]
        for element in elements:
            if element.get("type") == "button":
                labels.append(element["text"]["text"])
                if element["text"]["text"] == label:
                    return candidate.get("block_id", ""), element
    where = f" in block {block!r}" if block else ""
    raise LookupError(f"no button labelled {label!r}{where}; the buttons are {labels}")


def _element_state(element: dict[str, Any], value: Any) -> dict[str, Any]:
    kind = element["type"]
    if kind in ("plain_text_input", "url_text_input", "email_text_input", "number_input"):
        if value is None:
            value = element.get("initial_value")
        return {"type": kind, "value": value}
    if kind == "datepicker":
        return {"type": kind, "selected_date": value or element.get("initial_date")}
    if kind == "checkboxes":
        chosen = value or []
        options = [
            o
            for o in element.get("options", [])
            if o["text"]["text"] in chosen or o["value"] in chosen
        ]
        return {"type": kind, "selected_options": options}
    if kind in ("static_select", "radio_buttons"):
        option = next(
            (o for o in element.get("options", []) if value in (o["value"], o["text"]["text"])),
            None,
        )
        return {"type": kind, "selected_option": option}
    if kind == "users_select":
        return {"type": kind, "selected_user": value}
    raise ValueError(f"the simulator cannot fill a {kind}")


class SocketModeSimulator(SlackSimulator):
    """The same gestures, sent as Slack sends them to an app in Socket Mode: as envelopes on the
    stand-in's WebSocket, each answered by an ack whose payload, if any, is the answer."""

    def __init__(self, standin: SlackStandin, *, ack_timeout: float = 15.0) -> None:
        super().__init__("", "", standin)
        self.socket = standin.socket_mode
        self.ack_timeout = ack_timeout
        self.last_envelope: str | None = None
        self.waiting = True

    @contextlib.contextmanager
    def not_waiting(self) -> Iterator[None]:
        """Send without waiting for the acks (see `last_envelope` for each one's id)."""
        self.waiting = False
        try:
            yield
        finally:
            self.waiting = True

    def send_form(self, fields: dict[str, str], **kwargs: Any) -> Response:
        if set(fields) == {"payload"}:
            return self._envelope(INTERACTIVE, json.loads(fields["payload"]))
        return self._envelope(COMMANDS, dict(fields))

    def send_json(self, payload: dict[str, Any], **kwargs: Any) -> Response:
        return self._envelope(EVENTS, payload)

    def resend_last(self, **kwargs: Any) -> Response:
        raise NotImplementedError(
            "in Socket Mode Slack sends again what was not acknowledged: drop the connection "
            "(standin.socket_mode.drop_after_next()) to see it"
        )

    def _envelope(self, kind: str, payload: dict[str, Any]) -> Response:
        self.last_envelope = self.socket.send(kind, payload)
        if not self.waiting:
            return Response(202, "")
        answer = self.socket.wait_for_ack(self.last_envelope, timeout=self.ack_timeout)
        return Response(200, json.dumps(answer) if answer else "")
