"""What Teams sends signoff, on `/api/messages`: each activity's Bot Framework token checked
first (401, and nothing done, for one that is forged, expired or for another app), then:

- `invoke` `adaptiveCard/action`: a button (`Action.Execute`) pressed: one use case, and the card
  answered as it now stands (or, refused, why, to that person alone, with where things stand);
- `invoke` `task/fetch` / `task/submit`: a button that opens a form, and the form sent back;
- `message`: what someone writes to signoff (a date for a review, "status", "help", a note),
  understood as in Slack (workflow/chat.py);
- `installationUpdate` / `conversationUpdate`: the app installed for a person or in a team, whose
  conversation is kept so that signoff can write there first.

An activity delivered twice (the same activity id) is acted on once. What a change put in the
outbox is delivered after the answer, on a thread of its own, as Bolt does for Slack.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from bot.platforms.teams import cards, forms
from bot.platforms.teams.auth import ActivityAuth, Forbidden
from bot.platforms.teams.client import message_activity
from bot.platforms.teams.delivery import TeamsPlatform
from bot.runtime import Runtime
from db.inserts import insert_if_absent
from db.models import Document, InboundDelivery, OutboxMessage, Person, PostedMessage
from db.models import TeamsConversation as Conversation
from workflow import links, uptake
from workflow.chat import DATE_EXAMPLES, understand
from workflow.consultations import respond
from workflow.context import SYSTEM, Actor
from workflow.errors import Refused
from workflow.meetings import close_meeting, note_item
from workflow.outbox import retry
from workflow.people import person_for_email
from workflow.queries import references_mentioned, reviews_owned
from workflow.reviews import (
    add_note,
    answer_target,
    approve_for_information,
    ask_approval,
    check_may,
    commit_to_date,
    decide,
    interim_approve,
    mark_published,
    set_target_date,
    start_review,
    submit_draft,
    submit_no_changes,
)
from workflow.routes import agree_due_date
from workflow.states import Action
from workflow.summaries import open_reviews_summaries, review_summary

log = logging.getLogger(__name__)

CARD = "application/vnd.microsoft.card.adaptive"
MESSAGE = "application/vnd.microsoft.activity.message"
HELP = (
    "**signoff** runs the review of your policies and procedures.\n\n"
    f"- **Write to me** a date for a review: {DATE_EXAMPLES}. Name the document (e.g. LAC-014).\n"
    "- **status** or **what's due**: your open reviews.\n"
    "- Anything else you write about a review is kept on its history.\n"
    "- The buttons on my cards do the rest: submit a draft, approve, add conditions, refer."
)
# Buttons that open a form, and the action the form will take (checked before it opens).
FORM_ACTIONS = {
    cards.SUBMIT_DRAFT: Action.SUBMIT_DRAFT,
    cards.NO_CHANGES: Action.SUBMIT_NO_CHANGES,
    cards.CONDITIONS: Action.APPROVE_WITH_CONDITIONS,
    cards.REFER: Action.REFER,
    cards.COMMENT: Action.COMMENT,
}


@dataclass(frozen=True)
class Answer:
    """The HTTP answer to one activity."""

    status: int
    body: dict[str, Any] | None = None


@dataclass(frozen=True)
class Target:
    review_id: int
    second: int | None
    stage: str | None = None
    option: str | None = None


def target_of(value: str) -> Target:
    parts = str(value or "").split(":")
    if not parts[0].isdigit():
        raise Refused("That button does not belong to any review.", code="not_found")
    second = parts[1] if len(parts) > 1 else ""
    return Target(
        int(parts[0]),
        int(second) if second.isdigit() and second != "0" else None,
        parts[2] if len(parts) > 2 and parts[2] else None,
        parts[3] if len(parts) > 3 and parts[3] else None,
    )


class TeamsBot:
    """Takes Teams activities for a running signoff."""

    def __init__(
        self,
        runtime: Runtime,
        platform: TeamsPlatform,
        deliver: Callable[[], Any],
        auth: ActivityAuth | None = None,
        *,
        synchronous: bool = False,
    ) -> None:
        settings = runtime.settings
        # The demo delivers before it answers, so that each step's transcript is whole.
        self.synchronous = synchronous
        settings.require("teams_app_id", "teams_app_password")
        self.runtime = runtime
        self.platform = platform
        self.connector = platform.connector
        self._deliver = deliver
        self.auth = auth or ActivityAuth(
            app_id=settings.teams_app_id or "",
            openid_metadata_url=settings.teams_openid_metadata_url,
            token_issuer=settings.teams_token_issuer,
            login_url=settings.teams_login_url,
            now=runtime.now,
        )
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="teams-delivery")

    # --- the request --------------------------------------------------------------------

    def handle(self, authorization: str | None, raw: bytes) -> Answer:
        try:
            activity = json.loads(raw or b"{}")
        except ValueError:
            return Answer(400, {"error": "not JSON"})
        if not isinstance(activity, dict):
            return Answer(400, {"error": "not an activity"})
        try:
            self.auth.check(authorization, activity.get("serviceUrl"))
        except Forbidden as refusal:
            log.warning("teams activity refused: %s", refusal)
            return Answer(401, {"error": "unauthorized"})
        kind = activity.get("type")
        if not self._first_time(activity):
            return self._repeat(activity)
        try:
            if kind == "message":
                return self._message(activity)
            if kind == "invoke":
                return self._invoke(activity)
            if kind in ("installationUpdate", "conversationUpdate"):
                return self._installed(activity)
        except Exception:
            log.exception("teams %s activity failed", kind)
            if kind == "invoke":
                return _said("Something went wrong on signoff's side; nothing was changed.")
            return Answer(200)
        return Answer(200)

    def _first_time(self, activity: dict[str, Any]) -> bool:
        """An activity Teams delivers twice (the same id) is acted on once."""
        ident = activity.get("id")
        if not ident:
            return True
        key = f"teams:{(activity.get('conversation') or {}).get('id', '')}:{ident}"
        with self.runtime.sessions.begin() as session:
            return insert_if_absent(
                session,
                InboundDelivery,
                {"key": key[-255:], "received_at": self.runtime.now()},
                ["key"],
            )

    def _repeat(self, activity: dict[str, Any]) -> Answer:
        if activity.get("type") != "invoke":
            return Answer(200)
        if activity.get("name") == "task/fetch":
            return Answer(200, {"task": {"type": "message", "value": "That was already opened."}})
        if activity.get("name") == "task/submit":
            return Answer(200, {"task": {"type": "message", "value": "That was already sent."}})
        return self._refused(Refused("That click was already dealt with."), _review_in(activity))

    def _after_change(self) -> None:
        if self.synchronous:
            self._deliver_quietly()
        else:
            self._pool.submit(self._deliver_quietly)

    def _deliver_quietly(self) -> None:
        try:
            self._deliver()
        except Exception:  # the outbox keeps what was not sent; the retry job picks it up
            log.exception("delivery after a Teams activity failed")

    # --- who --------------------------------------------------------------------------------

    def person(self, activity: dict[str, Any]) -> Person | None:
        """The person behind an activity: known by their AAD object id, or matched by the
        e-mail Teams gives for them (asked of the Bot Connector) and remembered."""
        sender = activity.get("from") or {}
        aad = sender.get("aadObjectId")
        if aad:
            with self.runtime.sessions() as session:
                person = session.scalar(select(Person).where(Person.teams_aad_object_id == aad))
                if person is not None:
                    session.expunge(person)
            if person is not None:
                self._remember_conversation(activity, person.id)
                return person
        service_url = activity.get("serviceUrl") or self.runtime.settings.teams_service_url
        conversation = (activity.get("conversation") or {}).get("id", "")
        try:
            member = self.connector.member(service_url, conversation, sender.get("id", ""))
        except Exception:
            log.warning("teams: could not ask who %s is", sender.get("id"))
            return None
        email = member.get("email") or member.get("userPrincipalName")
        if not email:
            return None
        now = self.runtime.now()
        with self.runtime.sessions.begin() as session:
            person = person_for_email(session, email, now=now)
            person.teams_aad_object_id = member.get("aadObjectId") or aad
            person.teams_user_id = member.get("id") or sender.get("id")
            person.teams_tenant_id = member.get("tenantId") or _tenant(activity)
            person.name = person.name or member.get("name") or sender.get("name")
            session.flush()
            person_id = person.id
        self._remember_conversation(activity, person_id)
        with self.runtime.sessions() as session:
            found = session.get(Person, person_id)
            assert found is not None
            session.expunge(found)
            return found

    def actor(self, activity: dict[str, Any]) -> Actor | None:
        person = self.person(activity)
        return self.runtime.actor_for(person) if person is not None else None

    def _remember_conversation(self, activity: dict[str, Any], person_id: int | None) -> bool:
        """Keep the conversation an activity came from. For a person's 1:1 conversation that
        was not known before, make what waits for them due at once: True then."""
        conversation = activity.get("conversation") or {}
        conversation_id = conversation.get("id")
        service_url = activity.get("serviceUrl")
        if not conversation_id or not service_url:
            return False
        kind = conversation.get("conversationType") or "personal"
        team = ((activity.get("channelData") or {}).get("team") or {}).get("id")
        now = self.runtime.now()
        new_reach = False
        with self.runtime.sessions.begin() as session:
            known = session.scalar(
                select(Conversation).where(Conversation.conversation_id == conversation_id)
            )
            if known is None:
                known = Conversation(conversation_id=conversation_id, kind=kind, updated_at=now)
                session.add(known)
            known.service_url = service_url
            known.tenant_id = _tenant(activity) or known.tenant_id
            known.team_id = team or known.team_id
            known.installed = True
            known.updated_at = now
            if kind == "personal" and person_id is not None:
                known.person_id = person_id
                person = session.get(Person, person_id)
                assert person is not None
                new_reach = person.teams_conversation_id != conversation_id
                person.teams_conversation_id = conversation_id
                person.teams_service_url = service_url
        return new_reach

    # --- installation -------------------------------------------------------------------

    def _installed(self, activity: dict[str, Any]) -> Answer:
        action = activity.get("action") or ""
        conversation = activity.get("conversation") or {}
        kind = conversation.get("conversationType") or "personal"
        bot_id = (activity.get("recipient") or {}).get("id")
        added = [m.get("id") for m in activity.get("membersAdded") or []]
        removed = [m.get("id") for m in activity.get("membersRemoved") or []]
        if action == "remove" or (bot_id and bot_id in removed):
            with self.runtime.sessions.begin() as session:
                known = session.scalar(
                    select(Conversation).where(
                        Conversation.conversation_id == conversation.get("id")
                    )
                )
                if known is not None:
                    known.installed = False
                    if known.person_id is not None:
                        person = session.get(Person, known.person_id)
                        if (
                            person is not None
                            and person.teams_conversation_id == known.conversation_id
                        ):
                            person.teams_conversation_id = None
            return Answer(200)
        if activity.get("type") == "conversationUpdate" and bot_id not in added:
            return Answer(200)  # someone else joined a conversation signoff is in
        if kind == "personal":
            person = self.person(activity)
            if person is not None:
                self._release(person.id)
                self._say(activity, "Hello: I am signoff. " + HELP.split("\n\n", 1)[1])
        else:
            self._remember_conversation(activity, None)
        return Answer(200)

    def _release(self, person_id: int) -> None:
        """Messages parked because the app was not installed for this person go now."""
        with self.runtime.sessions() as session:
            person = session.get(Person, person_id)
            email = person.email if person else ""
            waiting = list(
                session.scalars(
                    select(OutboxMessage.id).where(
                        OutboxMessage.parked_cause == f"teams:unreached:{email}",
                        OutboxMessage.sent_at.is_(None),
                    )
                )
            )
        if waiting:
            retry(self.runtime.ctx(SYSTEM), waiting)
        self._after_change()

    # --- messages -----------------------------------------------------------------------

    def _message(self, activity: dict[str, Any]) -> Answer:
        text = _without_mentions(activity.get("text") or "")
        actor = self.actor(activity)
        if actor is None:
            self._say(activity, HELP)
            return Answer(200)
        zone = self.runtime.settings.timezone
        today = self.runtime.now().astimezone(zone).date()
        with self.runtime.sessions() as session:
            known = references_mentioned(session, text)
        meant = understand(text, today=today, zone=zone, known=known)
        if meant.kind == "help":
            self._say(activity, HELP)
            return Answer(200)
        if meant.kind == "status":
            self._status(activity, actor)
            return Answer(200)
        review_id = self._placed(meant.reference, activity)
        if meant.kind == "bad_date":
            about = f" for {meant.reference}" if meant.reference else ""
            self._say(
                activity,
                f"I understood that you meant a date{about}, but I could not read "
                f"\u201c{meant.phrase}\u201d as a date. Try {DATE_EXAMPLES}.",
            )
            return Answer(200)
        early = meant.kind == "date" and review_id is None and meant.reference is not None
        if review_id is None and not early:
            self._say(activity, self._cannot_place(text, actor))
            return Answer(200)
        ctx = self.runtime.ctx(actor)
        try:
            if meant.kind == "date":
                assert meant.when is not None
                if review_id is not None:
                    review = set_target_date(ctx, review_id, meant.when)
                else:
                    assert meant.reference is not None
                    review = commit_to_date(ctx, meant.reference, meant.when)
                self._say(
                    activity,
                    _target_set(
                        self._reference(review.id), meant.when, review.due_date, meant.phrase
                    ),
                )
            else:
                assert review_id is not None
                add_note(ctx, review_id, text)
                self._say(
                    activity,
                    f"Thanks: I have kept that on the history of the {self._reference(review_id)} "
                    "review.",
                )
        except Refused as refusal:
            self._say(activity, refusal.message)
            return Answer(200)
        self._after_change()
        return Answer(200)

    def _placed(self, reference: str | None, activity: dict[str, Any]) -> int | None:
        with self.runtime.sessions() as session:
            if reference:
                document = session.scalar(select(Document).where(Document.reference == reference))
                found = (
                    open_reviews_summaries(session, self.runtime.rules, [document.id])
                    if document
                    else []
                )
                return found[0].review_id if found else None
            reply_to = activity.get("replyToId")
            if reply_to:
                return session.scalar(
                    select(PostedMessage.review_id).where(PostedMessage.message_id == reply_to)
                )
        return None

    def _status(self, activity: dict[str, Any], actor: Actor) -> None:
        render = self._render()
        with self.runtime.sessions() as session:
            summaries = [
                review_summary(session, rid, self.runtime.rules)
                for rid in reviews_owned(session, actor.person_id or 0)
            ]
        if not summaries:
            self._say(activity, "You have no open reviews. \U0001f389")
            return
        lines = [
            f"- {cards.doc_link(s.reference, s.title, s.link)} \u2014 "
            + cards.status_line(s, render)
            for s in summaries[:40]
        ]
        drawn = cards.card(
            f"You have {len(summaries)} open reviews.",
            [cards.heading(f"Your open reviews ({len(summaries)})"), cards.para("\n".join(lines))],
        )
        self._say(activity, drawn.text, drawn.card)

    def _cannot_place(self, text: str, actor: Actor) -> str:
        with self.runtime.sessions() as session:
            choices = [
                review_summary(session, rid, self.runtime.rules).reference
                for rid in reviews_owned(session, actor.person_id or 0)
            ]
        which = (
            f" You have open reviews of {', '.join(choices[:10])}: name one, e.g. "
            f"\u201c{choices[0]} by the end of next month\u201d."
            if choices
            else " You have no open reviews at the moment."
        )
        return f"I could not tell which review \u201c{text}\u201d is about.{which}"

    def _say(self, activity: dict[str, Any], text: str, card: dict[str, Any] | None = None) -> None:
        service_url = activity.get("serviceUrl") or self.runtime.settings.teams_service_url
        conversation = (activity.get("conversation") or {}).get("id", "")
        try:
            self.connector.send(service_url, conversation, message_activity(text, card))
        except Exception:
            log.exception("teams: answering in %s failed", conversation)

    # --- buttons and forms --------------------------------------------------------------

    def _invoke(self, activity: dict[str, Any]) -> Answer:
        name = activity.get("name")
        value = activity.get("value") or {}
        if name == "adaptiveCard/action":
            action = value.get("action") or {}
            return self._click(activity, action.get("verb") or "", (action.get("data") or {}))
        if name == "task/fetch":
            data = value.get("data") or {}
            return self._fetch(activity, data.get("verb") or "", str(data.get("value") or ""))
        if name == "task/submit":
            data = value.get("data") or {}
            return self._submit(activity, data)
        return Answer(200, {"statusCode": 200, "type": MESSAGE, "value": "Nothing to do."})

    def _click(self, activity: dict[str, Any], verb: str, data: dict[str, Any]) -> Answer:
        value = str(data.get("value") or "")
        actor = self.actor(activity)
        if verb in (cards.NOTE_ITEM, cards.CLOSE_MEETING):
            return self._meeting_click(activity, actor, verb, value)
        if verb == cards.READ_IT:
            return self._read_it(activity, value)
        try:
            target = target_of(value)
        except Refused as refusal:
            return self._refused(refusal, None)
        if actor is None:
            return self._refused(
                Refused("Teams did not tell me who you are, so I cannot tell what you may do."),
                target.review_id,
            )
        ctx = self.runtime.ctx(actor)
        try:
            if verb == cards.APPROVE:
                decide(
                    ctx,
                    target.review_id,
                    Action.APPROVE,
                    seen_submission_id=target.second,
                    seen_stage=target.stage,
                )
            elif verb == cards.START:
                start_review(ctx, target.review_id)
            elif verb == cards.MARK_PUBLISHED:
                with self.runtime.sessions() as session:
                    document = session.get(Document, target.second)
                    reference = document.reference if document else str(target.second)
                mark_published(ctx, reference)
            elif verb == cards.INTERIM:
                interim_approve(ctx, target.review_id, seen_submission_id=target.second)
            elif verb == cards.INFORMATION:
                approve_for_information(ctx, target.review_id, seen_submission_id=target.second)
            elif verb == cards.ASK_INTERIM:
                ask_approval(ctx, target.review_id, how=target.option or "interim")
            elif verb == cards.NO_COMMENTS:
                respond(ctx, target.review_id, comment=None)
            elif verb == cards.AGREE_TARGET:
                answer_target(ctx, target.review_id, asked_event_id=target.second or 0, agree=True)
            elif verb in cards.ANSWERS:
                links.answer(ctx, target.second or 0, cards.ANSWERS[verb])
            else:
                return self._refused(Refused("That button does nothing here."), target.review_id)
        except Refused as refusal:
            return self._refused(refusal, target.review_id)
        self._after_change()
        return self._current_card(activity, target.review_id)

    def _read_it(self, activity: dict[str, Any], value: str) -> Answer:
        """Someone says they read what was published: recorded by who they are in Teams."""
        user = str((activity.get("from") or {}).get("aadObjectId") or "")
        try:
            if not value.isdigit():
                raise Refused("That button does not belong to any note.", code="not_found")
            view = uptake.acknowledge(
                self.runtime.ctx(Actor(person_id=None, label=user)), int(value), user
            )
        except Refused as refusal:
            return self._refused(refusal, None)
        drawn = cards.uptake_note(view, self._render())
        return Answer(200, {"statusCode": 200, "type": CARD, "value": drawn.card})

    def _meeting_click(
        self, activity: dict[str, Any], actor: Actor | None, verb: str, value: str
    ) -> Answer:
        try:
            if actor is None:
                raise Refused("Teams did not tell me who you are.")
            if not value.isdigit():
                raise Refused("That button does not belong to any meeting.", code="not_found")
            ctx = self.runtime.ctx(actor)
            if verb == cards.NOTE_ITEM:
                note_item(ctx, int(value))
            else:
                close_meeting(ctx, int(value))
        except Refused as refusal:
            return self._refused(refusal, refusal.review_id)
        self._after_change()
        return self._current_card(activity, None)

    def _current_card(self, activity: dict[str, Any], review_id: int | None) -> Answer:
        """The card pressed, drawn as things now stand: Teams shows it in place at once (the
        others' copies are updated by delivery)."""
        pressed = activity.get("replyToId")
        with self.runtime.sessions() as session:
            found = session.execute(
                select(OutboxMessage.kind, OutboxMessage.payload, PostedMessage.review_id)
                .join(PostedMessage, PostedMessage.outbox_id == OutboxMessage.id)
                .where(PostedMessage.message_id == pressed)
            ).first()
        if found is None:
            return _said("Done.")
        kind, payload, about = found
        drawn = self.platform.render(kind, about, payload, self.runtime.now())
        return Answer(200, {"statusCode": 200, "type": CARD, "value": drawn.body})

    def _fetch(self, activity: dict[str, Any], verb: str, value: str) -> Answer:
        try:
            target = target_of(value)
            actor = self.actor(activity)
            if actor is None:
                raise Refused(
                    "Teams did not tell me who you are, so I cannot tell what you may do."
                )
            if verb in FORM_ACTIONS:
                check_may(
                    self.runtime.ctx(actor),
                    target.review_id,
                    FORM_ACTIONS[verb],
                    seen_submission_id=target.second,
                    seen_stage=target.stage,
                )
            with self.runtime.sessions() as session:
                summary = review_summary(session, target.review_id, self.runtime.rules)
        except Refused as refusal:
            return self._task_refused(refusal, _review_from(value))
        shown = forms.form(verb, value, summary)
        if shown is None:
            return Answer(200, {"task": {"type": "message", "value": "That button opens no form."}})
        return Answer(200, {"task": {"type": "continue", "value": shown}})

    def _submit(self, activity: dict[str, Any], data: dict[str, Any]) -> Answer:
        verb = str(data.get("verb") or "")
        value = str(data.get("value") or "")
        try:
            target = target_of(value)
            actor = self.actor(activity)
            if actor is None:
                raise Refused(
                    "Teams did not tell me who you are, so I cannot tell what you may do."
                )
            self._run_form(actor, verb, target, data)
        except Refused as refusal:
            if refusal.code == "invalid" and refusal.field:
                with self.runtime.sessions() as session:
                    summary = review_summary(session, target.review_id, self.runtime.rules)
                shown = forms.form(verb, value, summary, problem=refusal.message)
                return Answer(200, {"task": {"type": "continue", "value": shown}})
            return self._task_refused(refusal, _review_from(value))
        self._after_change()
        return Answer(200, {"task": {"type": "message", "value": "Done."}})

    def _run_form(self, actor: Actor, verb: str, target: Target, data: dict[str, Any]) -> None:
        ctx = self.runtime.ctx(actor)

        def field(name: str) -> str:
            return str(data.get(name) or "").strip()

        if verb == cards.SUBMIT_DRAFT:
            submit_draft(
                ctx, target.review_id, link=field(forms.LINK) or None, summary=field(forms.SUMMARY)
            )
        elif verb == cards.NO_CHANGES:
            if not field(forms.STATEMENT):
                raise Refused(
                    "Write the statement, e.g. \u201cThe \u2026 has been reviewed and no changes "
                    "are required.\u201d",
                    code="invalid",
                    field=forms.STATEMENT,
                )
            submit_no_changes(ctx, target.review_id, statement=field(forms.STATEMENT))
        elif verb == cards.CONDITIONS:
            decide(
                ctx,
                target.review_id,
                Action.APPROVE_WITH_CONDITIONS,
                text=field(forms.TEXT),
                comes_back=field(forms.COMES_BACK) in ("yes", "true"),
                seen_submission_id=target.second,
                seen_stage=target.stage,
            )
        elif verb == cards.REFER:
            decide(
                ctx,
                target.review_id,
                Action.REFER,
                text=field(forms.TEXT),
                refer_to=target.option,
                seen_submission_id=target.second,
                seen_stage=target.stage,
            )
        elif verb == cards.COMMENT:
            respond(ctx, target.review_id, comment=field(forms.TEXT))
        elif verb == cards.DECLINE_TARGET:
            answer_target(
                ctx,
                target.review_id,
                asked_event_id=target.second or 0,
                agree=False,
                reason=field(forms.TEXT),
            )
        elif verb == cards.AGREE_DUE:
            try:
                due = date.fromisoformat(field(forms.DUE))
            except ValueError:
                raise Refused("Choose a date.", code="invalid", field=forms.DUE) from None
            agree_due_date(ctx, target.review_id, due)
        else:
            raise Refused("That form does nothing here.")

    # --- answers --------------------------------------------------------------------------

    def _render(self) -> cards.Render:
        zone = self.runtime.settings.timezone
        return cards.Render(self.runtime.now().astimezone(zone).date(), zone, {})

    def _where(self, review_id: int | None, text: str) -> str:
        if review_id is None:
            return text
        with self.runtime.sessions() as session:
            try:
                summary = review_summary(session, review_id, self.runtime.rules)
            except LookupError:
                return text
        return f"{text} Now: {summary.reference} {summary.state.label}."

    def _refused(self, refusal: Refused, review_id: int | None) -> Answer:
        """Why nothing happened, and where the review stands: to the person who pressed."""
        return _said(self._where(review_id or refusal.review_id, refusal.message))

    def _task_refused(self, refusal: Refused, review_id: int | None) -> Answer:
        text = self._where(review_id or refusal.review_id, refusal.message)
        return Answer(200, {"task": {"type": "message", "value": text}})

    def _reference(self, review_id: int) -> str:
        with self.runtime.sessions() as session:
            return review_summary(session, review_id, self.runtime.rules).reference


def _said(text: str) -> Answer:
    return Answer(200, {"statusCode": 200, "type": MESSAGE, "value": text})


def _tenant(activity: dict[str, Any]) -> str | None:
    conversation = activity.get("conversation") or {}
    tenant = ((activity.get("channelData") or {}).get("tenant") or {}).get("id")
    return conversation.get("tenantId") or tenant


def _review_in(activity: dict[str, Any]) -> int | None:
    value = activity.get("value") or {}
    data = (value.get("action") or {}).get("data") or value.get("data") or {}
    return _review_from(str(data.get("value") or ""))


def _review_from(value: str) -> int | None:
    first = value.split(":", 1)[0]
    return int(first) if first.isdigit() else None


def _without_mentions(text: str) -> str:
    import re

    return " ".join(re.sub(r"<at>[^<]*</at>", " ", text).split())


def _target_set(reference: str, when: date, due: date, phrase: str | None) -> str:
    late = (when - due).days
    after = (
        f" That is {late} days after its due date ({cards.day(due)}), so I have asked the "
        "approver to agree."
        if late > 0
        else ""
    )
    said = f" (from \u201c{phrase}\u201d)" if phrase else ""
    return f"Noted: you will finish {reference} by {cards.day(when)}{said}.{after}"
