"""Events: what people write to signoff in its DM (or in a thread of its messages).

Slack retries an event it thinks went unanswered; the event_id makes the second delivery a
no-op. Every reply is answered, in the same place it was written."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext
from sqlalchemy import select

from bot.platforms.slack.app import Services
from bot.platforms.slack.blocks import replies
from db.models import Document, Person, PostedMessage
from handlers.common import answer_refusal, render_for, services
from workflow.chat import Understood, understand
from workflow.context import SYSTEM, Actor, Ctx
from workflow.errors import Duplicate, Refused
from workflow.queries import references_mentioned, reviews_owned
from workflow.responsibilities import person_left
from workflow.reviews import add_note, commit_to_date, set_target_date
from workflow.summaries import open_reviews_summaries, review_summary

log = logging.getLogger(__name__)

_IGNORED_SUBTYPES = {
    "message_changed",
    "message_deleted",
    "bot_message",
    "channel_join",
    "channel_leave",
    "message_replied",
}


def register(app: App) -> None:
    app.event("message")(on_message)
    app.event("app_mention")(on_mention)
    app.event("user_change")(on_user_change)


def on_user_change(event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
    """Someone deactivated in Slack: flag it to the admins with what they hold."""
    user = event.get("user") or {}
    svc = services(context)
    if not user.get("deleted") or not svc.first_time(f"event:{body.get('event_id')}"):
        return
    with svc.runtime.sessions() as session:
        person_id = session.scalar(select(Person.id).where(Person.slack_user_id == user["id"]))
        if person_id is None:
            email = ((user.get("profile") or {}).get("email") or "").lower()
            person_id = session.scalar(select(Person.id).where(Person.email == email))
    if person_id is not None:
        person_left(svc.ctx(SYSTEM), person_id)
        svc.deliver()


def on_mention(event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
    """Mentioned in a channel: answer in the thread with what signoff can do."""
    svc = services(context)
    if not svc.first_time(f"event:{body.get('event_id') or event.get('ts')}"):
        return
    _say(
        svc,
        {"channel": event["channel"], "thread_ts": event.get("thread_ts") or event["ts"]},
        replies.help_message(),
    )


def on_message(event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
    if event.get("subtype") in _IGNORED_SUBTYPES or event.get("bot_id") or not event.get("user"):
        return
    if event.get("channel_type") != "im" and not event.get("thread_ts"):
        return  # in channels, signoff listens only in the threads of its own messages
    svc = services(context)
    # Recorded with the change the reply makes (Ctx.claim), or else before signoff answers.
    key = f"event:{body.get('event_id') or event.get('ts')}"
    user_id = event["user"]
    where = {"channel": event["channel"], "thread_ts": event.get("thread_ts")}
    actor = svc.actor(user_id)
    if actor is None:
        if svc.first_time(key):
            _say(svc, where, replies.help_message())
        return
    zone = svc.runtime.settings.timezone
    today = svc.now().astimezone(zone).date()
    text = event.get("text", "")
    with svc.runtime.reads() as session:
        known = references_mentioned(session, text)
    meant = understand(text, today=today, zone=zone, known=known)
    reply(svc, actor, user_id, meant, event, where, key)


def reply(
    svc: Services,
    actor: Actor,
    user_id: str,
    meant: Understood,
    event: dict[str, Any],
    where: dict[str, Any],
    key: str,
) -> None:
    render = render_for(svc)
    review_id = _placed(svc, meant, event) if meant.kind in ("date", "note") else None
    # A date commits to it, for the review placed or the document named (where none is open
    # yet); a note is kept on the review placed. Anything else is only answered.
    changes = (meant.kind == "note" and review_id is not None) or (
        meant.kind == "date" and (review_id is not None or meant.reference is not None)
    )
    if not changes and not svc.first_time(key):
        return
    if meant.kind == "help":
        _say(svc, where, replies.help_message())
        return
    if meant.kind == "status":
        with svc.runtime.sessions() as session:
            summaries = [
                review_summary(session, rid, svc.runtime.rules)
                for rid in reviews_owned(session, actor.person_id or 0)
            ]
        _say(svc, where, replies.status(summaries, render))
        return
    if meant.kind == "no_such_document":
        _say(
            svc,
            where,
            replies.no_such_document(meant.phrase or "", meant.did_you_mean, _choices(svc, actor)),
        )
        return
    if meant.kind == "bad_date":
        _say(svc, where, replies.bad_date(meant.phrase or "", meant.reference))
        return
    if not changes:
        _say(svc, where, replies.cannot_place(event.get("text", ""), _choices(svc, actor)))
        return
    ctx = svc.ctx(actor, claim=key)
    try:
        if meant.kind == "date":
            _commit(svc, ctx, meant, where, review_id)
        else:
            assert review_id is not None
            review = add_note(ctx, review_id, event.get("text", ""))
            _say(svc, where, replies.note_kept(review.document.reference))
    except Duplicate:
        return  # Slack sent the message again: it was answered the first time
    except Refused as refusal:
        answer_refusal(svc, user_id, refusal, review_id, channel=None)
        return
    svc.deliver()


def _commit(
    svc: Services, ctx: Ctx, meant: Understood, where: dict[str, Any], review_id: int | None
) -> None:
    assert meant.when is not None
    if review_id is not None:
        review = set_target_date(ctx, review_id, meant.when)
    else:
        assert meant.reference is not None
        review = commit_to_date(ctx, meant.reference, meant.when)
    # The review as the use case left it, its document loaded with it.
    _say(
        svc,
        where,
        replies.target_set(review.document.reference, meant.when, review.due_date, meant.phrase),
    )


def _placed(svc: Services, meant: Understood, event: dict[str, Any]) -> int | None:
    """The review a reply is about: the reference named, or else the thread's review."""
    with svc.runtime.reads() as session:
        if meant.reference:
            document = session.scalar(select(Document).where(Document.reference == meant.reference))
            summaries = (
                open_reviews_summaries(session, svc.runtime.rules, [document.id])
                if document
                else []
            )
            return summaries[0].review_id if summaries else None
        if event.get("thread_ts"):
            return session.scalar(
                select(PostedMessage.review_id).where(
                    PostedMessage.channel == event["channel"],
                    PostedMessage.ts == event["thread_ts"],
                )
            )
    return None


def _choices(svc: Services, actor: Actor) -> list[str]:
    with svc.runtime.sessions() as session:
        return [
            review_summary(session, rid, svc.runtime.rules).reference
            for rid in reviews_owned(session, actor.person_id or 0)
        ]


def _say(svc: Services, where: dict[str, Any], msg: replies.Msg) -> None:
    svc.client.chat_postMessage(
        channel=where["channel"], thread_ts=where.get("thread_ts"), text=msg.text, blocks=msg.blocks
    )
