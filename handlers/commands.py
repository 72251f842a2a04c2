"""`/signoff`: help, mine, due, overdue, find TEXT, show REFERENCE, answered to the person only
in the command's own response; and the words that open a form (round, request REFERENCE, new,
reassign) or name a deputy (away FROM TO @deputy)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.blocks import replies
from handlers import admin_forms
from handlers.common import render_for, services
from workflow import queries
from workflow.context import SYSTEM, Ctx
from workflow.errors import Refused
from workflow.reviews import find_document, open_review_of
from workflow.summaries import document_views, review_summary

DUE_SOON_DAYS = 42


def register(app: App) -> None:
    app.command("/signoff")(on_command)


FORMS = {"round", "request", "new", "reassign", "away"}


def on_command(ack: Ack, command: dict[str, Any], context: BoltContext) -> None:
    svc = services(context)
    word, _, rest = (command.get("text") or "").strip().partition(" ")
    word = word.lower()
    render = render_for(svc)
    today = render.today
    actor = svc.actor(command["user_id"])
    if word in FORMS:
        if actor is None:
            ack(response_type="ephemeral", text="Slack did not give me your e-mail address.")
            return
        try:
            answer = admin_forms.open_form(svc, actor, word, rest.strip(), command)
        except Refused as refusal:
            ack(response_type="ephemeral", text=refusal.message)
            return
        if answer:
            ack(response_type="ephemeral", text=answer)
        else:
            ack()
        return
    with svc.runtime.sessions() as session:
        if word in ("mine", "my") and actor is not None and actor.person_id is not None:
            msg = replies.document_list(
                "Your documents",
                document_views(session, queries.documents_of(session, actor.person_id)),
                today,
                empty="You hold no documents.",
            )
        elif word == "due":
            msg = replies.document_list(
                f"Due in the next {DUE_SOON_DAYS} days",
                document_views(session, queries.due_within(session, today, DUE_SOON_DAYS)),
                today,
                empty="Nothing is due in that time.",
            )
        elif word == "overdue":
            msg = replies.document_list(
                "Overdue",
                document_views(session, queries.overdue(session, today)),
                today,
                empty="Nothing is overdue. :tada:",
            )
        elif word == "find" and rest.strip():
            msg = replies.document_list(
                f"Found for \u201c{rest.strip()}\u201d",
                document_views(session, queries.find(session, rest)),
                today,
                empty="No document matches.",
            )
        elif word == "show" and rest.strip():
            # One session for the whole answer: a second one would wait on the first's lock.
            ctx = Ctx(session, SYSTEM, svc.now(), render.zone)
            try:
                document = find_document(ctx, rest.strip())
            except Refused as refusal:
                ack(response_type="ephemeral", text=refusal.message)
                return
            review = open_review_of(ctx, document)
            summary = review_summary(session, review.id) if review else None
            msg = replies.document_card(document_views(session, [document])[0], summary, render)
        else:
            msg = replies.help_message()
    ack(response_type="ephemeral", text=msg.text, blocks=msg.blocks)
