"""Modal submissions. The use case runs before the ack, so that input it cannot accept is
answered on the field itself (`response_action: errors`) and nothing is recorded."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.app import Services
from bot.blocks import modals
from handlers.common import Target, _named, after_change, answer_refusal, services
from workflow.context import Actor
from workflow.errors import Refused
from workflow.reviews import answer_target, decide, submit_draft, submit_no_changes
from workflow.states import Action

Values = dict[str, Any]


def register(app: App) -> None:
    app.view(modals.SUBMIT_DRAFT)(on_submit_draft)
    app.view(modals.NO_CHANGES)(on_no_changes)
    app.view(modals.CONDITIONS)(on_conditions)
    app.view(modals.SLT_CONDITIONS)(on_slt_conditions)
    app.view(modals.DEFER)(on_defer)
    app.view(modals.DECLINE_TARGET)(on_decline_target)


def field(values: Values, name: str) -> str:
    """The text of one field, whatever its input type, or ''."""
    state = (values.get(name) or {}).get(name) or {}
    return (state.get("value") or "").strip()


def ticked(values: Values, name: str) -> bool:
    state = (values.get(name) or {}).get(name) or {}
    return bool(state.get("selected_options"))


def submission(fn: Callable[[Services, Actor, Values, Target], None]) -> Callable[..., None]:
    """A modal listener: run the use case, then ack with the field errors or close the modal."""

    def listener(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
    ) -> None:
        svc = services(context)
        user_id = body["user"]["id"]
        target = Target.from_metadata(view["private_metadata"])
        actor = svc.actor(user_id)
        if actor is None:
            ack(
                response_action="errors",
                errors={_first_input(view): "Slack did not give me your e-mail address."},
            )
            return
        try:
            fn(svc, actor, view["state"]["values"], target)
        except Refused as refusal:
            if refusal.code == "invalid" and refusal.field:
                ack(response_action="errors", errors={refusal.field: refusal.message})
                return
            ack()
            answer_refusal(svc, user_id, refusal, target.review_id, channel=target.channel)
            return
        ack()
        after_change(svc, user_id)

    return _named(listener, fn)


def _first_input(view: dict[str, Any]) -> str:
    return next((b["block_id"] for b in view.get("blocks", []) if b.get("type") == "input"), "")


@submission
def on_submit_draft(svc: Services, actor: Actor, values: Values, target: Target) -> None:
    submit_draft(
        svc.ctx(actor),
        target.review_id,
        link=field(values, modals.LINK) or None,
        summary=field(values, modals.SUMMARY),
    )


@submission
def on_no_changes(svc: Services, actor: Actor, values: Values, target: Target) -> None:
    statement = field(values, modals.STATEMENT)
    if not statement:
        raise Refused(
            "Write the statement, e.g. \u201cThe \u2026 has been reviewed and no "
            "changes are required.\u201d",
            code="invalid",
            field=modals.STATEMENT,
        )
    submit_no_changes(svc.ctx(actor), target.review_id, statement=statement)


@submission
def on_conditions(svc: Services, actor: Actor, values: Values, target: Target) -> None:
    decide(
        svc.ctx(actor),
        target.review_id,
        Action.APPROVE_WITH_CONDITIONS,
        text=field(values, modals.TEXT),
        seen_submission_id=target.second,
    )


@submission
def on_slt_conditions(svc: Services, actor: Actor, values: Values, target: Target) -> None:
    decide(
        svc.ctx(actor),
        target.review_id,
        Action.SLT_APPROVE_WITH_CONDITIONS,
        text=field(values, modals.TEXT),
        back_to_slt=ticked(values, modals.BACK_TO_SLT),
        seen_submission_id=target.second,
    )


@submission
def on_defer(svc: Services, actor: Actor, values: Values, target: Target) -> None:
    decide(
        svc.ctx(actor),
        target.review_id,
        Action.DEFER_TO_SLT,
        text=field(values, modals.TEXT),
        seen_submission_id=target.second,
    )


@submission
def on_decline_target(svc: Services, actor: Actor, values: Values, target: Target) -> None:
    answer_target(
        svc.ctx(actor),
        target.review_id,
        asked_event_id=target.second or 0,
        agree=False,
        reason=field(values, modals.TEXT),
    )
