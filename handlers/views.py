"""Modal submissions. The use case runs before the ack, so that input it cannot accept is
answered on the field itself (`response_action: errors`) and nothing is recorded."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import date
from typing import Any

from slack_bolt import Ack, App, BoltContext
from sqlalchemy import select

from bot.platforms.slack.app import Services
from bot.platforms.slack.blocks import modals
from db.models import Document
from handlers.common import Target, _named, after_change, answer_refusal, services
from workflow.consultations import respond
from workflow.context import Actor
from workflow.errors import InputProblem, Refused
from workflow.responsibilities import reassign_all
from workflow.reviews import answer_target, decide, submit_draft, submit_no_changes
from workflow.rounds import open_round, validate_plan
from workflow.routes import agree_due_date, create_document, request_review
from workflow.states import Action

Values = dict[str, Any]


def register(app: App) -> None:
    app.view(modals.SUBMIT_DRAFT)(on_submit_draft)
    app.view(modals.NO_CHANGES)(on_no_changes)
    app.view(modals.CONDITIONS)(on_conditions)
    app.view(modals.REFER)(on_refer)
    app.view(modals.COMMENT)(on_comment)
    app.view(modals.DECLINE_TARGET)(on_decline_target)
    register_routes(app)


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
        comes_back=ticked(values, modals.COMES_BACK),
        seen_submission_id=target.second,
        seen_stage=target.stage,
    )


@submission
def on_refer(svc: Services, actor: Actor, values: Values, target: Target) -> None:
    decide(
        svc.ctx(actor),
        target.review_id,
        Action.REFER,
        text=field(values, modals.TEXT),
        refer_to=target.option or chosen(values, modals.REFER_TO) or None,
        seen_submission_id=target.second,
        seen_stage=target.stage,
    )


@submission
def on_comment(svc: Services, actor: Actor, values: Values, target: Target) -> None:
    respond(svc.ctx(actor), target.review_id, comment=field(values, modals.TEXT))


@submission
def on_decline_target(svc: Services, actor: Actor, values: Values, target: Target) -> None:
    answer_target(
        svc.ctx(actor),
        target.review_id,
        asked_event_id=target.second or 0,
        agree=False,
        reason=field(values, modals.TEXT),
    )


# --- the other routes and the policy officer's tools ---------------------------------------


def chosen(values: Values, name: str) -> str:
    state = (values.get(name) or {}).get(name) or {}
    option = state.get("selected_option") or {}
    return option.get("value") or state.get("selected_date") or state.get("selected_user") or ""


def _date_field(values: Values, name: str) -> date:
    text = chosen(values, name)
    if not text:
        raise Refused("Choose a date.", code="invalid", field=name)
    return date.fromisoformat(text)


def _email_of(svc: Services, values: Values, name: str, *, required: bool) -> str | None:
    user = chosen(values, name)
    if not user:
        if required:
            raise Refused("Choose someone.", code="invalid", field=name)
        return None
    actor = svc.actor(user)
    if actor is None:
        raise Refused(
            "Slack did not give me that person's e-mail address.", code="invalid", field=name
        )
    return actor.label


def form(fn: Callable[[Services, Actor, Values, dict[str, Any]], None]) -> Callable[..., None]:
    """Like `submission`, for forms that are not about one review (their metadata is free)."""

    def listener(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext
    ) -> None:
        svc = services(context)
        user_id = body["user"]["id"]
        actor = svc.actor(user_id)
        if actor is None:
            ack(
                response_action="errors",
                errors={_first_input(view): "Slack did not give me your e-mail address."},
            )
            return
        try:
            fn(svc, actor, view["state"]["values"], json.loads(view["private_metadata"] or "{}"))
        except Refused as refusal:
            if refusal.code == "invalid" and refusal.field:
                ack(response_action="errors", errors={refusal.field: refusal.message})
                return
            ack()
            answer_refusal(svc, user_id, refusal, refusal.review_id)
            return
        except InputProblem as problem:
            ack(response_action="errors", errors={modals.PLAN: "\n".join(problem.problems)[:2000]})
            return
        ack()
        after_change(svc, user_id)

    return _named(listener, fn)


@form
def on_round(svc: Services, actor: Actor, values: Values, meta: dict[str, Any]) -> None:
    text = field(values, modals.PLAN)
    rows = [
        (n, [cell.strip() for cell in cells])
        for n, cells in enumerate(csv.reader(io.StringIO(text)), start=1)
        if any(c.strip() for c in cells)
    ]
    with svc.runtime.sessions() as session:
        known = set(session.scalars(select(Document.reference)))
    items, problems = validate_plan(["reference", "amendment", "approver_emails"], rows, known)
    if problems:
        raise InputProblem([f"line {p.line}: {p.column}: {p.message}" for p in problems])
    open_round(
        svc.ctx(actor), field(values, modals.NAME), _date_field(values, modals.DEADLINE), items
    )


@form
def on_request(svc: Services, actor: Actor, values: Values, meta: dict[str, Any]) -> None:
    request_review(
        svc.ctx(actor),
        meta["ref"],
        reason=chosen(values, modals.REASON),
        details=field(values, modals.DETAILS),
    )


@form
def on_new_document(svc: Services, actor: Actor, values: Values, meta: dict[str, Any]) -> None:
    create_document(
        svc.ctx(actor),
        reference=field(values, modals.REFERENCE),
        title=field(values, modals.TITLE),
        doc_type=chosen(values, modals.TYPE),
        service_area=field(values, modals.AREA),
        owner_email=_email_of(svc, values, modals.OWNER, required=False),
        approver_email=_email_of(svc, values, modals.APPROVER, required=True) or "",
        due=_date_field(values, modals.DUE),
    )


@form
def on_reassign(svc: Services, actor: Actor, values: Values, meta: dict[str, Any]) -> None:
    role = chosen(values, modals.ROLE)
    reassign_all(
        svc.ctx(actor),
        from_email=_email_of(svc, values, modals.FROM, required=True) or "",
        to_email=_email_of(svc, values, modals.TO, required=True) or "",
        role=None if role in ("", "both") else role,
    )


@submission
def on_agree_due(svc: Services, actor: Actor, values: Values, target: Target) -> None:
    agree_due_date(svc.ctx(actor), target.review_id, _date_field(values, modals.DUE))


def register_routes(app: App) -> None:
    app.view(modals.ROUND)(on_round)
    app.view(modals.REQUEST)(on_request)
    app.view(modals.NEW_DOCUMENT)(on_new_document)
    app.view(modals.REASSIGN)(on_reassign)
    app.view(modals.AGREE_DUE)(on_agree_due)
