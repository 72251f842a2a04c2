"""Button clicks: parse the button's value, call one use case (or check one, before opening a
form), and let delivery post and update the messages. See `handlers.common.click`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App

from bot.app import Services
from bot.blocks import modals
from bot.blocks import reviews as msgs
from bot.blocks.routes import AGREE_DUE
from db.models import Document
from handlers.common import Target, click
from workflow.context import Actor
from workflow.reviews import answer_target, check_may, decide, mark_published, start_review
from workflow.states import Action
from workflow.summaries import review_summary

# Buttons that open a form first: the action the form will take, and the form.
FORMS: dict[str, tuple[Action, Callable[..., dict[str, Any]]]] = {
    msgs.SUBMIT_DRAFT: (Action.SUBMIT_DRAFT, modals.submit_draft),
    msgs.NO_CHANGES: (Action.SUBMIT_NO_CHANGES, modals.no_changes),
    msgs.CONDITIONS: (
        Action.APPROVE_WITH_CONDITIONS,
        lambda s, m: modals.approve_with_conditions(s, m, slt=False),
    ),
    msgs.SLT_CONDITIONS: (
        Action.SLT_APPROVE_WITH_CONDITIONS,
        lambda s, m: modals.approve_with_conditions(s, m, slt=True),
    ),
    msgs.DEFER: (Action.DEFER_TO_SLT, modals.defer_to_slt),
}

# Buttons that decide at once.
DECISIONS = {msgs.APPROVE: Action.APPROVE, msgs.SLT_APPROVE: Action.SLT_APPROVE}


def register(app: App) -> None:
    for action_id in FORMS:
        app.action(action_id)(open_form)
    for action_id in DECISIONS:
        app.action(action_id)(decide_now)
    app.action(msgs.START)(start)
    app.action(msgs.MARK_PUBLISHED)(publish)
    app.action(msgs.AGREE_TARGET)(agree_target)
    app.action(msgs.DECLINE_TARGET)(open_decline_form)
    app.action(AGREE_DUE)(open_agree_due_form)


@click
def open_form(svc: Services, actor: Actor, body: dict[str, Any], target: Target) -> bool:
    action, form = FORMS[body["actions"][0]["action_id"]]
    # Refuse before the form, not after someone has typed their conditions into it.
    check_may(svc.ctx(actor), target.review_id, action, seen_submission_id=target.second)
    _open(svc, body, target, form)
    return False


@click
def decide_now(svc: Services, actor: Actor, body: dict[str, Any], target: Target) -> bool:
    decide(
        svc.ctx(actor),
        target.review_id,
        DECISIONS[body["actions"][0]["action_id"]],
        seen_submission_id=target.second,
    )
    return True


@click
def start(svc: Services, actor: Actor, body: dict[str, Any], target: Target) -> bool:
    start_review(svc.ctx(actor), target.review_id)
    return True


@click
def publish(svc: Services, actor: Actor, body: dict[str, Any], target: Target) -> bool:
    with svc.runtime.sessions() as session:
        document = session.get(Document, target.second)
        reference = document.reference if document else str(target.second)
    mark_published(svc.ctx(actor), reference)
    return True


@click
def agree_target(svc: Services, actor: Actor, body: dict[str, Any], target: Target) -> bool:
    answer_target(svc.ctx(actor), target.review_id, asked_event_id=target.second or 0, agree=True)
    return True


@click
def open_decline_form(svc: Services, actor: Actor, body: dict[str, Any], target: Target) -> bool:
    _open(svc, body, target, modals.decline_target)
    return False


@click
def open_agree_due_form(svc: Services, actor: Actor, body: dict[str, Any], target: Target) -> bool:
    _open(svc, body, target, modals.agree_due)
    return False


def _open(
    svc: Services, body: dict[str, Any], target: Target, form: Callable[..., dict[str, Any]]
) -> None:
    with svc.runtime.sessions() as session:
        summary = review_summary(session, target.review_id)
    svc.client.views_open(trigger_id=body["trigger_id"], view=form(summary, target.metadata()))
