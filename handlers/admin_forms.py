"""The `/signoff` words that open a form or name a deputy. Kept apart from the read-only words in
handlers/commands.py; the forms' submissions are handled in handlers/views.py."""

from __future__ import annotations

import re
from typing import Any

from bot.platforms.slack.app import Services
from bot.platforms.slack.blocks import modals
from workflow.context import Actor
from workflow.dates import parse_uk_date
from workflow.errors import Refused
from workflow.register import DOC_TYPES
from workflow.responsibilities import set_deputy
from workflow.reviews import find_document, require_admin
from workflow.routes import REASONS

ROLES = {"both": "Owner and approver", "owner": "Owner only", "approver": "Approver only"}
_AWAY = re.compile(
    r"^(?P<start>\S+(?:\s+\w{3,9}\s+\d{4})?)\s+(?P<end>\S+(?:\s+\w{3,9}\s+\d{4})?)"
    r"\s+<@(?P<user>[A-Z0-9]+)(?:\|[^>]*)?>\s*$"
)

AWAY_HELP = (
    "Say when and who, e.g. `/signoff away 01/12/2026 08/12/2026 @Sam`: your requests "
    "go to Sam in that time, and you are copied."
)


def open_form(
    svc: Services, actor: Actor, word: str, rest: str, command: dict[str, Any]
) -> str | None:
    """Open the word's form (None), or answer in a sentence. Refusals are raised."""
    today = svc.now().astimezone(svc.runtime.settings.timezone).date()
    trigger = command["trigger_id"]
    if word == "away":
        return _away(svc, actor, rest)
    if word == "request":
        if not rest:
            raise Refused("Name the document: `/signoff request LAC-014`.", code="invalid")
        ctx = svc.ctx(actor)
        with ctx.session:
            document = find_document(ctx, rest)
            reference, title = document.reference, document.title
        view = modals.request_review(reference, title, REASONS)
    else:
        what = {
            "round": "open an update round",
            "new": "add a document to the register",
            "reassign": "reassign documents",
        }[word]
        require_admin(svc.ctx(actor), what)
        view = {
            "round": lambda: modals.update_round(today),
            "new": lambda: modals.new_document(
                {t: t.replace("_", " ").capitalize() for t in DOC_TYPES}, today
            ),
            "reassign": lambda: modals.reassign(ROLES),
        }[word]()
    svc.client.views_open(trigger_id=trigger, view=view)
    return None


def _away(svc: Services, actor: Actor, rest: str) -> str:
    match = _AWAY.match(rest)
    if not match:
        raise Refused(AWAY_HELP, code="invalid")
    try:
        starts, ends = parse_uk_date(match["start"]), parse_uk_date(match["end"])
    except ValueError as error:
        raise Refused(f"{error}. {AWAY_HELP}", code="invalid") from None
    deputy = svc.actor(match["user"])
    if deputy is None:
        raise Refused("Slack did not give me your deputy's e-mail address.")
    row = set_deputy(svc.ctx(actor), deputy_email=deputy.label, starts_on=starts, ends_on=ends)
    svc.deliver()
    return (
        f"From {row.starts_on:%d %b %Y} to {row.ends_on:%d %b %Y} your signoff requests go "
        f"to {deputy.label}, and you are copied. It ends by itself."
    )
