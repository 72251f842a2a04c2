"""What listeners share: reading a button's value, answering a refusal with the review's current
state, and keeping the Home tab of whoever acted up to date."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, BoltContext

from bot.platforms.slack.app import Services
from bot.platforms.slack.blocks import replies
from bot.platforms.slack.blocks.reviews import Render
from workflow.audit import record_refusal_alone
from workflow.context import Actor, Ctx
from workflow.errors import Duplicate, Refused
from workflow.summaries import review_summary

log = logging.getLogger(__name__)


def services(context: BoltContext) -> Services:
    return context["signoff"]


@dataclass(frozen=True)
class Target:
    """The review a button or modal is about, and the second part of the button's value: the
    submission the person was shown, the document, or the question being answered."""

    review_id: int
    second: int | None
    channel: str | None = None
    stage: str | None = None  # the stage of the route the message was about ("1.slt")
    option: str | None = None  # what the button chose (the body a Refer button refers to)

    def metadata(self) -> str:
        return json.dumps(
            {
                "r": self.review_id,
                "s": self.second,
                "c": self.channel,
                "g": self.stage,
                "o": self.option,
            }
        )

    @classmethod
    def from_metadata(cls, text: str) -> Target:
        data = json.loads(text)
        return cls(int(data["r"]), data.get("s"), data.get("c"), data.get("g"), data.get("o"))


def target_of(body: dict[str, Any]) -> Target:
    """A button's value: `review:submission[:stage[:option]]`. Anything else (a value someone
    made up) is refused as a click on nothing."""
    parts = str(body["actions"][0].get("value", "")).split(":")
    if not parts[0].isdigit():
        raise Refused("That button does not belong to any review.", code="not_found")
    second = parts[1] if len(parts) > 1 else ""
    return Target(
        review_id=int(parts[0]),
        second=int(second) if second.isdigit() and second != "0" else None,
        channel=(body.get("container") or {}).get("channel_id"),
        stage=parts[2] if len(parts) > 2 and parts[2] else None,
        option=parts[3] if len(parts) > 3 and parts[3] else None,
    )


def render_for(svc: Services) -> Render:
    zone = svc.runtime.settings.timezone
    return Render(svc.now().astimezone(zone).date(), zone, {})


def answer_refusal(
    svc: Services,
    user_id: str,
    refusal: Refused,
    review_id: int | None,
    *,
    channel: str | None = None,
    thread_ts: str | None = None,
) -> None:
    """Tell only this person why nothing happened, and where the review stands now."""
    summary = None
    if review_id is not None:
        with svc.runtime.sessions() as session:
            try:
                summary = review_summary(session, review_id, svc.runtime.rules)
            except LookupError:
                summary = None
    msg = replies.refusal(refusal.message, summary, render_for(svc))
    svc.tell(user_id, msg.text, channel=channel, thread_ts=thread_ts, blocks=msg.blocks)


def after_change(svc: Services, user_id: str) -> None:
    """Send what the change put in the outbox, then refresh the actor's Home tab."""
    svc.deliver()
    from handlers.home import publish_home

    try:
        publish_home(svc, user_id)
    except Exception:  # the Home tab is a convenience; the change itself is done
        log.exception("refreshing the Home tab of %s failed", user_id)


def click(fn: Callable[[Services, Ctx, dict[str, Any], Target], bool]) -> Callable[..., None]:
    """A button listener: ack at once; a repeated delivery, a person Slack will not name, or a
    refusal is answered to that person alone with the review's current state; a change is
    delivered and the person's Home tab refreshed.

    `fn` is handed a context whose first use case records the click's delivery with the
    change (see Ctx.claim); one that runs none calls `claim_now` before it does anything."""

    def listener(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        ack()
        svc = services(context)
        user_id = body["user"]["id"]
        try:
            target = target_of(body)
        except Refused as refusal:
            channel = (body.get("container") or {}).get("channel_id")
            refused_before_use_case(svc, user_id, fn.__name__, refusal, None)
            answer_refusal(svc, user_id, refusal, None, channel=channel)
            return
        actor = svc.actor(user_id)
        if actor is None:
            if seen_before(svc, body):
                return
            refusal = Refused(
                "Slack did not give me your e-mail address, so I cannot tell what you may do here."
            )
            refused_before_use_case(svc, user_id, fn.__name__, refusal, target.review_id)
            answer_refusal(svc, user_id, refusal, target.review_id, channel=target.channel)
            return
        try:
            changed = fn(svc, svc.ctx(actor, claim=delivery_key(body)), body, target)
        except Duplicate:
            answer_refusal(
                svc,
                user_id,
                Refused("That click was already dealt with.", code="wrong_state"),
                target.review_id,
                channel=target.channel,
            )
            return
        except Refused as refusal:
            answer_refusal(svc, user_id, refusal, target.review_id, channel=target.channel)
            return
        if changed:
            after_change(svc, user_id)

    return _named(listener, fn)


def claim_now(svc: Services, ctx: Ctx) -> None:
    """For a click that changes nothing (it opens a form): record its delivery now, or raise
    Duplicate if it was acted on before."""
    if ctx.claim is not None and not svc.first_time(ctx.claim):
        raise Duplicate()
    ctx.claim = None


def refused_before_use_case(
    svc: Services, user_id: str, action: str, refusal: Refused, review_id: int | None
) -> None:
    """Every refusal is on the audit log, these too: no use case ran to record them. Known
    only by their Slack user, the actor is labelled with it."""
    record_refusal_alone(svc.ctx(Actor(person_id=None, label=user_id)), action, refusal, review_id)


def seen_before(svc: Services, body: dict[str, Any]) -> bool:
    """A click Slack delivered twice (same action, same moment) is acted on once."""
    return not svc.first_time(delivery_key(body))


def delivery_key(body: dict[str, Any]) -> str:
    """What makes a click this click: the same action on the same message by the same person
    at the same moment, however often Slack delivers it."""
    action = body["actions"][0]
    container = body.get("container") or {}
    return ":".join(
        str(part)
        for part in (
            "action",
            container.get("message_ts") or container.get("view_id"),
            action.get("action_id"),
            action.get("value"),
            body["user"]["id"],
            action.get("action_ts"),
        )
    )


def _named(listener: Callable[..., None], fn: Callable[..., object]) -> Callable[..., None]:
    # Not functools.wraps: Bolt reads a listener's parameters to decide what to pass it, and
    # would follow __wrapped__ to the inner function's.
    listener.__name__ = listener.__qualname__ = fn.__name__
    listener.__doc__ = fn.__doc__
    return listener
