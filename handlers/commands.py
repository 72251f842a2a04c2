"""`/signoff`: help, mine, due, overdue, find TEXT, show REFERENCE, answered to the person only
in the command's own response; and the words that open a form (round, request REFERENCE, new,
reassign), name a deputy (away FROM TO @deputy) or say which document follows which (link,
unlink)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.platforms.slack.app import Services
from bot.platforms.slack.blocks import replies
from handlers import admin_forms
from handlers.common import render_for, services
from workflow import links, queries
from workflow.context import SYSTEM, Actor, Ctx
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
    if word in ("link", "unlink"):
        ack(response_type="ephemeral", text=_link(svc, actor, word, rest))
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
            summary = review_summary(session, review.id, svc.runtime.rules) if review else None
            msg = replies.document_card(document_views(session, [document])[0], summary, render)
        else:
            known = {"", "help", "mine", "my", "due", "overdue", "find", "show"}
            msg = replies.help_message(None if word in known else word)
    ack(response_type="ephemeral", text=msg.text, blocks=msg.blocks)


LINK_HELP = (
    "Say which document follows which: `/signoff link LAC-014 CP-012` (CP-012 follows "
    "LAC-014), or in words, `/signoff link CP-012 follows LAC-014`; `/signoff unlink` the same "
    "way. Importing the register's governed_by column does it for many."
)


def _link(svc: Services, actor: Actor | None, word: str, rest: str) -> str:
    """`/signoff link GOVERNING FOLLOWER`, or `FOLLOWER follows GOVERNING`, or `GOVERNING
    governs FOLLOWER` (and `unlink` the same): an admin's, answered in a sentence."""
    words = rest.split()
    if len(words) == 3 and words[1].lower() in ("follows", "governs"):
        first, how, second = words
        follower, governing = (first, second) if how.lower() == "follows" else (second, first)
    elif len(words) == 2:
        governing, follower = words
    else:
        return LINK_HELP
    if actor is None:
        return "Slack did not give me your e-mail address."
    try:
        return links.link(svc.ctx(actor), follower, governing, linked=word == "link")
    except Refused as refusal:
        return refusal.message
