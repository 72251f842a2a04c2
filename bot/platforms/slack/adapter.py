"""Slack behind the platform interface: Block Kit messages, posted with the outbox key in their
metadata, found again by reading the channel back, updated with chat.update; what Slack says it
will never take is named as a cause to park on."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.parking import NOTICE_KIND, Cause, Channel
from bot.platforms import SLACK, Address, NotDelivered, Posted, Rendered, Undeliverable
from bot.platforms.slack.blocks.kit import Msg
from bot.platforms.slack.blocks.parking import parked_notice
from bot.platforms.slack.blocks.registry import BUILDERS
from bot.platforms.slack.blocks.reviews import Render, superseded_reminder
from bot.platforms.slack.identity import meet_document_holders, slack_id_for
from bot.platforms.slack.parking import explain, permanent_error, request_arg
from bot.runtime import Runtime
from db.models import Person
from workflow.summaries import review_summary

log = logging.getLogger(__name__)

METADATA_EVENT = "signoff_message"
SETTINGS = {"digest": "SIGNOFF_DIGEST_CHANNEL"}
# Messages that list people across the register: everyone in it is looked up first, so that
# they are mentioned rather than named by an e-mail address.
LISTS_PEOPLE = frozenset({"digest", "agenda", "papers", "monthly_report"})
# Messages someone deleted cannot be kept true; the others still can.
GONE = ("message_not_found", "cant_update_message", "channel_not_found")


class SlackPlatform:
    name = SLACK

    def __init__(self, runtime: Runtime, client: WebClient) -> None:
        self.runtime = runtime
        self.client = client

    # --- where ----------------------------------------------------------------------------

    def reach(self, person_id: int, now: datetime) -> Address | None:
        with self._errors(Address(SLACK, "", person_id=person_id), "reach"):
            user = slack_id_for(
                self.runtime.sessions,
                self.client,
                person_id,
                now=now,
                zone=self.runtime.settings.timezone,
            )
        return Address(SLACK, user, person_id=person_id) if user else None

    def reached(self, session: Session, people: set[int]) -> dict[int, Address]:
        """Those of `people` already matched to a Slack user, where `reach` would find them:
        read in the caller's `session`, once for many. A Slack ID, once found, stays."""
        found = session.execute(
            select(Person.id, Person.slack_user_id).where(
                Person.id.in_(people), Person.slack_user_id.is_not(None)
            )
        )
        return {pid: Address(SLACK, user, person_id=pid) for pid, user in found if user}

    def room_for(self, audience: str) -> Address | None:
        if audience.startswith("user:"):  # one member of a staff group, by their Slack ID
            return Address(SLACK, audience.split(":", 1)[1], audience=audience)
        channel = self._configured_channels().get(audience, (None, ""))[0]
        return Address(SLACK, channel, audience=audience) if channel else None

    # --- what -----------------------------------------------------------------------------

    def render(
        self, kind: str, review_id: int | None, payload: dict[str, Any], now: datetime
    ) -> Rendered:
        zone = self.runtime.settings.timezone
        today = now.astimezone(zone).date()
        rules = self.runtime.rules
        if kind in LISTS_PEOPLE:
            meet_document_holders(self.runtime.sessions, self.client, now=now, zone=zone)
        with self.runtime.sessions() as session:
            if kind in BUILDERS:
                assert review_id is not None
                summary = review_summary(session, review_id, rules)
                msg = BUILDERS[kind](summary, Render(today, zone, payload))
            elif kind == NOTICE_KIND:
                msg = parked_notice(payload)
            else:
                msg = _notices().build(kind, session, payload, today=today, zone=zone, rules=rules)
            if "deputy_of" in payload or "copy_to_deputy" in payload:
                msg = _notices().with_deputy_note(session, msg, payload)
        return Rendered(msg.text, msg.blocks, kind)

    # --- posting ----------------------------------------------------------------------------

    def post(self, address: Address, message: Rendered, key: str) -> Posted:
        with self._errors(address, message.kind):
            reply = self.client.chat_postMessage(
                channel=address.room,
                text=message.text,
                blocks=message.body,
                unfurl_links=False,
                metadata={"event_type": METADATA_EVENT, "event_payload": {"outbox_key": key}},
            )
        return Posted(SLACK, reply["channel"], reply["ts"])

    def find(self, address: Address, key: str, since: datetime) -> Posted | None:
        """Read the channel back for a message carrying `key` in its metadata."""
        with self._errors(address, "find"):
            channel = address.room
            if channel.startswith(("U", "W")):
                channel = self.client.conversations_open(users=channel)["channel"]["id"]
            oldest = (since - timedelta(minutes=1)).timestamp()
            history = self.client.conversations_history(
                channel=channel, oldest=f"{oldest:.6f}", include_all_metadata=True, limit=200
            )
        for message in history.get("messages", []):
            metadata = message.get("metadata") or {}
            if (metadata.get("event_payload") or {}).get("outbox_key") == key:
                return Posted(SLACK, channel, message["ts"])
        return None

    def update(self, posted: Posted, message: Rendered) -> bool:
        try:
            with self._errors(Address(SLACK, posted.room), message.kind, reraise=GONE):
                self.client.chat_update(
                    channel=posted.room,
                    ts=posted.message_id,
                    text=message.text,
                    blocks=message.body,
                )
        except SlackApiError:
            return False
        return True

    def superseded(self, reference: str, title: str, later: date) -> Rendered:
        """An earlier reminder, collapsed to one line once a later one was posted."""
        msg = superseded_reminder(reference, title, later)
        return Rendered(msg.text, msg.blocks, "reminder")

    def upload_chart(self, row: Any, channel: str) -> None:
        """The report's headline chart, uploaded beside its message (files.upload v2): once,
        however often the row is tried, found again by its file name after a crash."""
        from bot.reports import charts, headline

        month = str(row.payload.get("month") or "")
        if not month:
            return
        name = f"signoff-overdue-{month}-{row.id}.png"
        with self._errors(Address(SLACK, channel), row.kind):
            if row.attempts > 1 and self._file_posted(row, channel, name):
                return
        zone = self.runtime.settings.timezone
        try:
            with self.runtime.sessions() as session:
                data, figures = headline.png(session, month, zone)
        except charts.ChartsUnavailable:
            log.warning("%s posted without its chart: %s", row.key, charts.MISSING)
            return
        last = figures.trend[-1]
        with self._errors(Address(SLACK, channel), row.kind):
            self.client.files_upload_v2(
                channel=channel,
                file=data,
                filename=name,
                title=headline.title(month),
                alt_txt=headline.alt_text(figures),
                initial_comment=(
                    f"Overdue at each month's end: {100 * last.rate:.1f}% ({last.overdue} of "
                    f"{last.documents}) on {last.day:%-d %B %Y}."
                ),
            )

    def _file_posted(self, row: Any, channel: str, name: str) -> bool:
        oldest = (row.created_at - timedelta(minutes=1)).timestamp()
        history = self.client.conversations_history(
            channel=channel, oldest=f"{oldest:.6f}", limit=200
        )
        return any(
            f.get("name") == name
            for message in history.get("messages", [])
            for f in message.get("files") or []
        )

    def tell(self, address: Address, text: str) -> None:
        self.client.chat_postMessage(channel=address.room, text=text)

    def open_form(self, where: Any, form: Any) -> Any:
        return self.client.views_open(trigger_id=where, view=form)

    # --- what Slack said ------------------------------------------------------------------

    @contextlib.contextmanager
    def _errors(
        self, address: Address, kind: str, *, reraise: tuple[str, ...] = ()
    ) -> Iterator[None]:
        """Slack's answers in delivery's terms: never as things stand, or not this time."""
        try:
            yield
        except SlackApiError as error:
            code = error.response.get("error")
            if code in reraise:
                raise
            permanent = permanent_error(error)
            if permanent is not None:
                raise Undeliverable(self._cause(address, kind, permanent, error)) from error
            raise NotDelivered(f"Slack said {code}") from error
        except SlackClientError as error:
            raise NotDelivered(f"{type(error).__name__}: {error}") from error

    def _cause(self, address: Address, kind: str, code: str, error: SlackApiError) -> Cause:
        """Name what stopped the message, with the channel's name looked up to say it as people
        do."""
        configured = self._configured_channels()
        channel_id = (
            request_arg(error, "channel")
            or configured.get(address.audience or "", (None,))[0]
            or (address.room if address.audience else None)
        )
        person = self._email_of(address.person_id) if address.person_id is not None else None
        channel = None
        if channel_id and not (person and _is_dm(channel_id)):
            setting = next(
                (named for cid, named in configured.values() if cid == channel_id),
                None,
            )
            name = self._channel_name(channel_id) if code != "channel_not_found" else None
            channel = Channel(channel_id, name, setting)
        needed = error.response.get("needed")
        return explain(code, kind=kind, channel=channel, person=person, needed=needed)

    def _configured_channels(self) -> dict[str, tuple[str | None, str]]:
        """Each audience's channel, and where it is set, in the words a fix needs."""
        settings = self.runtime.settings
        rules = self.runtime.rules
        found: dict[str, tuple[str | None, str]] = {
            "digest": (settings.digest_channel, SETTINGS["digest"])
        }
        for key, body in rules.bodies.items():
            where = (
                f"bodies.{key}.channel in {settings.governance_file}"
                if settings.governance_file
                else "SIGNOFF_SLT_CHANNEL"
            )
            found[f"body:{key}"] = (body.channel, where)
        return found

    def _channel_name(self, channel_id: str) -> str | None:
        try:
            info = self.client.conversations_info(channel=channel_id)
        except (SlackApiError, SlackClientError, OSError):
            return None  # the notice names the channel by its ID instead
        return (info.get("channel") or {}).get("name")

    def _email_of(self, person_id: int) -> str | None:
        with self.runtime.sessions() as session:
            person = session.get(Person, person_id)
            return person.email if person else None


def _notices():  # type: ignore[no-untyped-def]
    """The notices' builders, loaded when first drawn: they bring the digest's and the reports'
    figures with them, which a morning of reminders never shows."""
    from bot.platforms.slack.blocks import notices

    return notices


def _is_dm(channel: str) -> bool:
    return channel.startswith(("U", "W", "D"))


__all__ = ["METADATA_EVENT", "Msg", "SlackPlatform"]
