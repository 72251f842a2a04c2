"""Button clicks: parse the button's value, call one use case (or check one, before opening a
form), and let delivery post and update the messages. See `handlers.common.click`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.platforms.slack.app import Services
from bot.platforms.slack.blocks import modals
from bot.platforms.slack.blocks import register as register_msgs
from bot.platforms.slack.blocks import reviews as msgs
from bot.platforms.slack.blocks.meetings import CLOSE_MEETING, NOTE_ITEM
from bot.platforms.slack.blocks.routes import AGREE_DUE
from db.models import Document
from handlers.common import (
    Target,
    _named,
    after_change,
    answer_refusal,
    claim_now,
    click,
    refused_before_use_case,
    render_for,
    seen_before,
)
from workflow import links, uptake
from workflow.consultations import respond
from workflow.context import Actor, Ctx
from workflow.errors import Refused
from workflow.meetings import close_meeting, note_item
from workflow.reviews import (
    answer_target,
    approve_for_information,
    ask_approval,
    check_may,
    decide,
    interim_approve,
    mark_published,
    start_review,
)
from workflow.states import Action
from workflow.summaries import review_summary

# Buttons that open a form first: the action the form will take, and the form.
FORMS: dict[str, tuple[Action, Callable[..., dict[str, Any]]]] = {
    msgs.SUBMIT_DRAFT: (Action.SUBMIT_DRAFT, modals.submit_draft),
    msgs.NO_CHANGES: (Action.SUBMIT_NO_CHANGES, modals.no_changes),
    msgs.CONDITIONS: (Action.APPROVE_WITH_CONDITIONS, modals.approve_with_conditions),
    msgs.REFER: (Action.REFER, modals.refer),
    msgs.COMMENT: (Action.COMMENT, modals.comment),
}


def register(app: App) -> None:
    for action_id in FORMS:
        app.action(action_id)(open_form)
    app.action(msgs.APPROVE)(approve)
    app.action(msgs.INTERIM)(approve_in_the_interim)
    app.action(msgs.INFORMATION)(approve_outright)
    app.action(msgs.ASK_INTERIM)(ask_for_approval)
    app.action(msgs.NO_COMMENTS)(no_comments)
    app.action(msgs.START)(start)
    app.action(msgs.MARK_PUBLISHED)(publish)
    app.action(msgs.AGREE_TARGET)(agree_target)
    app.action(msgs.DECLINE_TARGET)(open_decline_form)
    app.action(AGREE_DUE)(open_agree_due_form)
    for action_id in register_msgs.ANSWER_ACTIONS:
        app.action(action_id)(answer_impact)
    app.action(register_msgs.READ_IT)(read_it)
    app.action(NOTE_ITEM)(meeting_click(lambda svc, actor, item: note_item(svc.ctx(actor), item)))
    app.action(CLOSE_MEETING)(
        meeting_click(lambda svc, actor, meeting: close_meeting(svc.ctx(actor), meeting))
    )


@click
def open_form(svc: Services, ctx: Ctx, body: dict[str, Any], target: Target) -> bool:
    action, form = FORMS[body["actions"][0]["action_id"]]
    # Refuse before the form, not after someone has typed their conditions into it.
    check_may(
        ctx,
        target.review_id,
        action,
        seen_submission_id=target.second,
        seen_stage=target.stage,
    )
    _open(svc, body, target, form)
    return False


@click
def approve(svc: Services, ctx: Ctx, body: dict[str, Any], target: Target) -> bool:
    decide(
        ctx,
        target.review_id,
        Action.APPROVE,
        seen_submission_id=target.second,
        seen_stage=target.stage,
    )
    return True


@click
def approve_in_the_interim(svc: Services, ctx: Ctx, body: dict[str, Any], target: Target) -> bool:
    interim_approve(ctx, target.review_id, seen_submission_id=target.second)
    return True


@click
def approve_outright(svc: Services, ctx: Ctx, body: dict[str, Any], target: Target) -> bool:
    approve_for_information(ctx, target.review_id, seen_submission_id=target.second)
    return True


@click
def ask_for_approval(svc: Services, ctx: Ctx, body: dict[str, Any], target: Target) -> bool:
    ask_approval(ctx, target.review_id, how=target.option or "interim")
    return True


@click
def no_comments(svc: Services, ctx: Ctx, body: dict[str, Any], target: Target) -> bool:
    respond(ctx, target.review_id, comment=None)
    return True


@click
def start(svc: Services, ctx: Ctx, body: dict[str, Any], target: Target) -> bool:
    start_review(ctx, target.review_id)
    return True


@click
def publish(svc: Services, ctx: Ctx, body: dict[str, Any], target: Target) -> bool:
    with svc.runtime.sessions() as session:
        document = session.get(Document, target.second)
        reference = document.reference if document else str(target.second)
    mark_published(ctx, reference)
    return True


@click
def answer_impact(svc: Services, ctx: Ctx, body: dict[str, Any], target: Target) -> bool:
    """A linked document's owner answers whether it needs to change too."""
    choice = register_msgs.ANSWER_ACTIONS[body["actions"][0]["action_id"]]
    links.answer(ctx, target.second or 0, choice)
    return True


def read_it(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    """Someone in a staff group says they read what was published: recorded by the Slack user
    they are (the note was sent to them, whether or not the register knows them), and the
    note shows it in place."""
    ack()
    svc: Services = context["signoff"]
    user_id = body["user"]["id"]
    container = body.get("container") or {}
    value = str(body["actions"][0].get("value", ""))
    if seen_before(svc, body):
        return
    try:
        if not value.isdigit():
            raise Refused("That button does not belong to any note.", code="not_found")
        view = uptake.acknowledge(
            svc.ctx(Actor(person_id=None, label=user_id)), int(value), user_id
        )
    except Refused as refusal:
        svc.tell(user_id, refusal.message, channel=container.get("channel_id"))
        return
    msg = register_msgs.uptake_note(view, render_for(svc))
    svc.client.chat_update(
        channel=container["channel_id"], ts=container["message_ts"], **msg.as_kwargs()
    )


@click
def agree_target(svc: Services, ctx: Ctx, body: dict[str, Any], target: Target) -> bool:
    answer_target(ctx, target.review_id, asked_event_id=target.second or 0, agree=True)
    return True


@click
def open_decline_form(svc: Services, ctx: Ctx, body: dict[str, Any], target: Target) -> bool:
    claim_now(svc, ctx)
    _open(svc, body, target, modals.decline_target)
    return False


@click
def open_agree_due_form(svc: Services, ctx: Ctx, body: dict[str, Any], target: Target) -> bool:
    claim_now(svc, ctx)
    _open(svc, body, target, modals.agree_due)
    return False


def _open(
    svc: Services, body: dict[str, Any], target: Target, form: Callable[..., dict[str, Any]]
) -> None:
    with svc.runtime.sessions() as session:
        summary = review_summary(session, target.review_id, svc.runtime.rules)
    svc.client.views_open(
        trigger_id=body["trigger_id"], view=form(summary, target.metadata(), target.option)
    )


def meeting_click(fn: Callable[[Services, Actor, int], object]) -> Callable[..., None]:
    """A button on a meeting's papers, whose value is an agenda item's or the meeting's id:
    acted on once; a refusal is told to the person who clicked, alone."""

    def listener(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        ack()
        svc: Services = context["signoff"]
        user_id = body["user"]["id"]
        channel = (body.get("container") or {}).get("channel_id")
        value = str(body["actions"][0].get("value", ""))
        if seen_before(svc, body):
            return
        actor = svc.actor(user_id)
        try:
            if actor is None:
                raise Refused("Slack did not give me your e-mail address.")
            if not value.isdigit():
                raise Refused("That button does not belong to any meeting.", code="not_found")
            fn(svc, actor, int(value))
        except Refused as refusal:
            if actor is None or not value.isdigit():  # no use case ran to record it
                refused_before_use_case(svc, user_id, "meeting_click", refusal, None)
            answer_refusal(svc, user_id, refusal, refusal.review_id, channel=channel)
            return
        after_change(svc, user_id)

    return _named(listener, fn)
