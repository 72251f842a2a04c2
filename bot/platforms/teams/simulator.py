"""Acting as Teams towards a running signoff: the activities Teams sends when the app is
installed, someone writes to it, presses a card's button or fills a form, each with a Bot
Framework token signed by the stand-in's key (bot/platforms/teams/standin.py), made for the
moment the server's clock stands at. Buttons and form fields are found by their labels, as a
person finds them. Shared by the end-to-end tests and `signoff demo --platform teams`."""

from __future__ import annotations

import itertools
import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.platforms.teams.standin import Activity, BotConnectorStandin, TeamsUser


@dataclass
class Response:
    status: int
    body: str

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Form:
    """A task module signoff answered a button with: its card, to fill and send back."""

    card: dict[str, Any]
    title: str
    where: Activity


class TeamsSimulator:
    def __init__(self, url: str, standin: BotConnectorStandin, now: Callable[[], datetime]) -> None:
        self.url = url
        self.standin = standin
        self.now = now
        self._ids = itertools.count(1)
        self._last: dict[str, Any] | None = None

    # --- the wire -----------------------------------------------------------------------

    def send(self, activity: dict[str, Any], *, token: str | None = None) -> Response:
        self._last = activity
        token = token if token is not None else self.standin.token_for(self.now())
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(
            self.url, data=json.dumps(activity).encode(), headers=headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                return Response(reply.status, reply.read().decode())
        except urllib.error.HTTPError as error:
            return Response(error.code, error.read().decode())

    def resend_last(self, **kwargs: Any) -> Response:
        """Deliver the last activity again, the same id: as Teams does when it retries."""
        assert self._last is not None, "nothing sent yet"
        return self.send(self._last, **kwargs)

    def activity(self, user: TeamsUser, kind: str, **fields: Any) -> dict[str, Any]:
        return {
            "type": kind,
            "id": f"f:{uuid.uuid4().hex}",
            "timestamp": self.now().isoformat(),
            "serviceUrl": self.standin.service_url,
            "channelId": "msteams",
            "from": {"id": user.id, "name": user.name, "aadObjectId": user.aad_id},
            "recipient": {"id": f"28:{self.standin.app_id}", "name": "signoff"},
            "conversation": {
                "id": user.conversation,
                "conversationType": "personal",
                "tenantId": self.standin.tenant_id,
            },
            "channelData": {"tenant": {"id": self.standin.tenant_id}},
            **fields,
        }

    # --- a person's gestures ------------------------------------------------------------

    def install(self, who: str) -> Response:
        """The app installed for someone (personal scope): Teams tells the bot, once."""
        user = self.standin.user(who)
        user.installed = True
        return self.send(self.activity(user, "installationUpdate", action="add"))

    def install_in_team(self, who: str, channel: str, team: str = "19:team") -> Response:
        """The app added to a team: the bot joins its channels' conversation."""
        user = self.standin.user(who)
        self.standin.channels[channel] = team
        activity = self.activity(
            user,
            "conversationUpdate",
            membersAdded=[{"id": f"28:{self.standin.app_id}"}],
        )
        activity["conversation"] = {
            "id": channel,
            "conversationType": "channel",
            "tenantId": self.standin.tenant_id,
        }
        activity["channelData"] = {
            "tenant": {"id": self.standin.tenant_id},
            "team": {"id": team},
            "channel": {"id": channel},
            "eventType": "teamMemberAdded",
        }
        return self.send(activity)

    def message(self, who: str, text: str, *, reply_to: str | None = None) -> Response:
        user = self.standin.user(who)
        fields: dict[str, Any] = {"text": text}
        if reply_to:
            fields["replyToId"] = reply_to
        return self.send(self.activity(user, "message", **fields))

    def click(self, who: str, where: Activity, label: str, *, nth: int = 0) -> Response | Form:
        """Press a card's button: an `Action.Execute` sends `adaptiveCard/action`; a button
        that opens a form sends `task/fetch`, and the form signoff answers with is returned."""
        action = find_action(where.card or {}, label, nth=nth)
        user = self.standin.user(who)
        conversation = {"id": where.conversation, "conversationType": _kind(where.conversation)}
        if action["type"] == "Action.Execute":
            activity = self.activity(
                user,
                "invoke",
                name="adaptiveCard/action",
                replyToId=where.id,
                value={
                    "action": {
                        "type": "Action.Execute",
                        "verb": action.get("verb"),
                        "data": action.get("data") or {},
                    },
                    "trigger": "manual",
                },
            )
            activity["conversation"].update(conversation)
            return self.send(activity)
        activity = self.activity(
            user,
            "invoke",
            name="task/fetch",
            replyToId=where.id,
            value={"type": "task/fetch", "data": action.get("data") or {}},
        )
        activity["conversation"].update(conversation)
        reply = self.send(activity)
        task = (reply.json() or {}).get("task") or {} if reply.status == 200 else {}
        if task.get("type") != "continue":
            return reply
        value = task["value"]
        return Form(value["card"]["content"], value.get("title", ""), where)

    def submit(self, who: str, form: Form, fields: dict[str, str]) -> Response:
        """Fill a form's fields by their labels and send it (`task/submit`)."""
        user = self.standin.user(who)
        inputs = {
            element.get("label") or element.get("title"): element["id"]
            for element in form.card.get("body", [])
            if str(element.get("type", "")).startswith("Input.")
        }
        data: dict[str, Any] = dict((form.card.get("actions") or [{}])[0].get("data") or {})
        for element in form.card.get("body", []):
            if str(element.get("type", "")).startswith("Input.") and "value" in element:
                data[element["id"]] = element["value"]
        for label, value in fields.items():
            assert label in inputs, f"no field {label!r} in the form (has {sorted(inputs)})"
            data[inputs[label]] = value
        activity = self.activity(
            user,
            "invoke",
            name="task/submit",
            replyToId=form.where.id,
            value={"type": "task/submit", "data": data},
        )
        activity["conversation"].update(
            {"id": form.where.conversation, "conversationType": _kind(form.where.conversation)}
        )
        return self.send(activity)


def _kind(conversation: str) -> str:
    return "personal" if conversation.startswith("a:") else "channel"


def actions_of(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Every button on a card, in order: those in its body's action sets, then its own."""
    found: list[dict[str, Any]] = []
    for element in card.get("body", []):
        if element.get("type") == "ActionSet":
            found += element.get("actions", [])
    return found + list(card.get("actions", []))


def find_action(card: dict[str, Any], label: str, *, nth: int = 0) -> dict[str, Any]:
    matches = [a for a in actions_of(card) if a.get("title") == label]
    if len(matches) <= nth:
        labels = [a.get("title") for a in actions_of(card)]
        raise AssertionError(f"no button {label!r} on the card (it has {labels})")
    return matches[nth]
