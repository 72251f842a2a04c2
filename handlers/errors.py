"""When a listener fails: log it (and report it, where error reports are set up), and tell the
person in plain words instead of leaving them Slack's generic error or nothing at all."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import App, BoltContext, BoltResponse

from bot.metrics import LISTENER_ERRORS, request_kind

log = logging.getLogger(__name__)

SORRY = (
    "Sorry, something went wrong on my side and I could not finish that. It has been logged "
    "for the people who run signoff. Please try again in a few minutes; if it keeps "
    "happening, tell your policy officer."
)
SORRY_FIELD = "Something went wrong on my side. Please try again in a few minutes."


def register(app: App) -> None:
    app.error(on_error)


def on_error(
    error: Exception,
    body: dict[str, Any],
    context: BoltContext,
    response: BoltResponse | None,
) -> BoltResponse | None:
    kind = request_kind(body)
    LISTENER_ERRORS.labels(kind).inc()
    log.error("a %s listener failed: %s", kind, type(error).__name__, exc_info=error)
    if response is not None and response.status >= 400:
        # Not yet acknowledged: the answer to Slack can carry the apology itself.
        answer = _in_ack(kind, body)
        if answer is not None:
            return answer
    try:
        _tell(kind, body, context)
    except Exception:  # Slack itself may be what failed; the log has the error
        log.warning("could not tell the person that their request failed", exc_info=True)
    return BoltResponse(status=200, body="") if response is not None else None


def _in_ack(kind: str, body: dict[str, Any]) -> BoltResponse | None:
    if kind == "command":
        return _json({"response_type": "ephemeral", "text": SORRY})
    if kind == "view" and body.get("type") == "view_submission":
        blocks = (body.get("view") or {}).get("blocks", [])
        inputs = [b["block_id"] for b in blocks if b.get("type") == "input"]
        if inputs:  # what they typed stays in the form, with the apology under its first field
            return _json({"response_action": "errors", "errors": {inputs[0]: SORRY_FIELD}})
    return None


def _tell(kind: str, body: dict[str, Any], context: BoltContext) -> None:
    services = context.get("signoff")
    if services is None:
        return
    if kind == "event":
        event = body.get("event") or {}
        user, channel = event.get("user"), event.get("channel")
        thread = event.get("thread_ts")
    else:
        user = (body.get("user") or {}).get("id") or body.get("user_id")
        channel = (body.get("container") or {}).get("channel_id") or body.get("channel_id")
        thread = None
    if not user or user == getattr(context, "bot_user_id", None):
        return
    services.tell(user, SORRY, channel=channel, thread_ts=thread)


def _json(payload: dict[str, Any]) -> BoltResponse:
    return BoltResponse(
        status=200,
        body=json.dumps(payload),
        headers={"content-type": "application/json;charset=utf-8"},
    )
