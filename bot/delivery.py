"""Delivery: from the outbox to Slack, once and only once.

State is committed before anything is posted. A row is claimed in a short transaction, posted
with no transaction open, and marked sent with the message's ts recorded. If the process dies
between the post and the mark, the next attempt first reads the channel back for a message
carrying the row's key in its metadata, and records that instead of posting again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bot.blocks import notices
from bot.blocks.kit import Msg
from bot.blocks.registry import BUILDERS
from bot.blocks.reviews import Render
from bot.identity import slack_id_for
from bot.runtime import Runtime
from db.models import OutboxMessage, Person, PostedMessage, Review
from workflow.outbox import enqueue
from workflow.people import person_for_email
from workflow.responsibilities import deputy_on
from workflow.reviews import acting_owner_id
from workflow.summaries import review_summary

log = logging.getLogger(__name__)

CLAIM_FOR = timedelta(minutes=2)
# Messages asking the owner to act: when the owner has left, the acting owner gets them.
OWNER_KINDS = frozenset(
    {
        "reminder",
        "conditions",
        "update_request",
        "round_warning",
        "new_document",
        "target_declined",
        "review_requested",
    }
)
METADATA_EVENT = "signoff_message"


def backoff(attempts: int) -> timedelta:
    """30 s, 1, 2, 4 ... minutes, at most an hour, between attempts."""
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


@dataclass
class Delivery:
    runtime: Runtime
    client: WebClient

    def run(self, now: datetime | None = None, *, limit: int = 500) -> int:
        """Deliver everything due; the number of rows settled."""
        settled = 0
        while True:
            at = now or datetime.now(UTC)
            claimed = self._claim(at, limit=min(limit - settled, 50))
            if not claimed:
                return settled
            for row_id in claimed:
                self._deliver(row_id, now or datetime.now(UTC))
                settled += 1
            if settled >= limit:
                return settled

    # --- claiming -----------------------------------------------------------------------

    def _claim(self, now: datetime, *, limit: int) -> list[int]:
        if limit <= 0:
            return []
        with self.runtime.sessions.begin() as session:
            query = (
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.sent_at.is_(None),
                    OutboxMessage.next_attempt_at <= now,
                    or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
                )
                .order_by(OutboxMessage.id)
                .limit(limit)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            ids = list(session.scalars(query))
            if ids:
                session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_(ids))
                    .values(claimed_until=now + CLAIM_FOR, attempts=OutboxMessage.attempts + 1)
                )
            return ids

    # --- one row ------------------------------------------------------------------------

    def _deliver(self, row_id: int, now: datetime) -> None:
        with self.runtime.sessions() as session:
            row = session.get(OutboxMessage, row_id)
            assert row is not None
            session.expunge(row)
        try:
            if row.audience in ("admins", "escalation"):
                self._expand(row, now)
            elif row.person_id is not None and self._to_deputy(row, now):
                pass
            elif row.audience == "review_messages":
                self._refresh(row, now)
                self._settle(row, now)
            else:
                self._post(row, now)
        except (SlackApiError, SlackClientError, OSError) as error:
            self._failed(row, now, _describe(error))
        except Exception as error:  # a bug must not stop the rest of the outbox
            log.exception("delivering outbox row %s (%s) failed", row.id, row.key)
            self._failed(row, now, f"{type(error).__name__}: {error}")

    def _expand(self, row: OutboxMessage, now: datetime) -> None:
        """A message to a group becomes one row per person, each once-only on its own."""
        settings = self.runtime.settings
        emails = settings.admin_emails if row.audience == "admins" else settings.escalation_emails
        with self.runtime.sessions.begin() as session:
            people = [person_for_email(session, email, now=now).id for email in emails]
            _hand_on(
                session,
                row,
                now,
                [(email, pid, row.payload) for email, pid in zip(emails, people, strict=True)],
                note=None if emails else f"nobody to send to: {row.audience} is empty",
            )

    def _to_deputy(self, row: OutboxMessage, now: datetime) -> bool:
        """While someone is away, what is for them goes to their deputy and they get a copy.
        Split into two rows, each once-only on its own."""
        if "deputy_of" in row.payload or "copy_to_deputy" in row.payload:
            return False
        assert row.person_id is not None
        today = now.astimezone(self.runtime.settings.timezone).date()
        with self.runtime.sessions.begin() as session:
            deputy = deputy_on(session, row.person_id, today)
            if deputy is None:
                return False
            _hand_on(
                session,
                row,
                now,
                [
                    ("deputy", deputy, {**row.payload, "deputy_of": row.person_id}),
                    ("copy", row.person_id, {**row.payload, "copy_to_deputy": deputy}),
                ],
                note="sent to the deputy, with a copy",
            )
        return True

    def _to_acting_owner(self, row: OutboxMessage, now: datetime) -> bool:
        """An owner who has left: what was for them goes to whoever now acts as owner."""
        if row.kind not in OWNER_KINDS or row.review_id is None:
            return False
        with self.runtime.sessions.begin() as session:
            person = session.get(Person, row.person_id)
            review = session.get(Review, row.review_id)
            if person is None or person.active or review is None:
                return False
            acting = acting_owner_id(review.document)
            if acting == person.id:
                return False
            _hand_on(
                session,
                row,
                now,
                [("acting", acting, row.payload)],
                note=f"{person.email} has left: sent to the acting owner",
            )
        return True

    def _render(
        self, kind: str, review_id: int | None, payload: dict[str, Any], now: datetime
    ) -> Msg:
        zone = self.runtime.settings.timezone
        today = now.astimezone(zone).date()
        with self.runtime.sessions() as session:
            if kind in BUILDERS:
                assert review_id is not None
                summary = review_summary(session, review_id)
                msg = BUILDERS[kind](summary, Render(today, zone, payload))
            else:
                msg = notices.build(kind, session, payload, today=today, zone=zone)
            return notices.with_deputy_note(session, msg, payload)

    def _channel(self, row: OutboxMessage, now: datetime) -> str | None:
        settings = self.runtime.settings
        if row.audience == "slt":
            return settings.slt_channel
        if row.audience == "digest":
            return settings.digest_channel
        assert row.person_id is not None
        return slack_id_for(self.runtime.sessions, self.client, row.person_id, now=now)

    def _post(self, row: OutboxMessage, now: datetime) -> None:
        channel = self._channel(row, now)
        if channel is None:
            if row.audience is not None:
                setting = (
                    "SIGNOFF_SLT_CHANNEL" if row.audience == "slt" else "SIGNOFF_DIGEST_CHANNEL"
                )
                self._failed(row, now, f"{setting} is not set")
            elif not self._to_acting_owner(row, now):
                self._settle(row, now, error="skipped: this person is not in Slack")
            return
        msg = self._render(row.kind, row.review_id, row.payload, now)
        found = self._already_posted(row, channel) if row.attempts > 1 else None
        if found is None:
            reply = self.client.chat_postMessage(
                channel=channel,
                text=msg.text,
                blocks=msg.blocks,
                unfurl_links=False,
                metadata={"event_type": METADATA_EVENT, "event_payload": {"outbox_key": row.key}},
            )
            found = (reply["channel"], reply["ts"])
        self._settle(row, now, posted=found)

    def _already_posted(self, row: OutboxMessage, channel: str) -> tuple[str, str] | None:
        if channel.startswith(("U", "W")):
            channel = self.client.conversations_open(users=channel)["channel"]["id"]
        oldest = (row.created_at - timedelta(minutes=1)).timestamp()
        history = self.client.conversations_history(
            channel=channel, oldest=f"{oldest:.6f}", include_all_metadata=True, limit=200
        )
        for message in history.get("messages", []):
            metadata = message.get("metadata") or {}
            if (metadata.get("event_payload") or {}).get("outbox_key") == row.key:
                return channel, message["ts"]
        return None

    def _refresh(self, row: OutboxMessage, now: datetime) -> None:
        """Bring every message about the review up to date, in place."""
        with self.runtime.sessions() as session:
            posted = session.execute(
                select(PostedMessage, OutboxMessage)
                .join(OutboxMessage, PostedMessage.outbox_id == OutboxMessage.id)
                .where(PostedMessage.review_id == row.review_id)
                .order_by(PostedMessage.id)
            ).all()
            targets = [(p.channel, p.ts, o.kind, o.payload) for p, o in posted]
        for channel, ts, kind, payload in targets:
            msg = self._render(kind, row.review_id, payload, now)
            try:
                self.client.chat_update(channel=channel, ts=ts, text=msg.text, blocks=msg.blocks)
            except SlackApiError as error:
                # A message someone deleted cannot be kept true; the others still can.
                if error.response.get("error") not in (
                    "message_not_found",
                    "cant_update_message",
                    "channel_not_found",
                ):
                    raise

    # --- settling -----------------------------------------------------------------------

    def _settle(
        self,
        row: OutboxMessage,
        now: datetime,
        *,
        posted: tuple[str, str] | None = None,
        error: str | None = None,
    ) -> None:
        with self.runtime.sessions.begin() as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id)
                .values(sent_at=now, claimed_until=None, last_error=error)
            )
            if posted is not None:
                session.add(
                    PostedMessage(
                        outbox_id=row.id,
                        review_id=row.review_id,
                        person_id=row.person_id,
                        kind=row.kind,
                        channel=posted[0],
                        ts=posted[1],
                        posted_at=now,
                    )
                )

    def _failed(self, row: OutboxMessage, now: datetime, error: str) -> None:
        log.warning("outbox row %s (%s) not delivered: %s", row.id, row.key, error)
        with self.runtime.sessions.begin() as session:
            attempts = (
                session.scalar(select(OutboxMessage.attempts).where(OutboxMessage.id == row.id))
                or 1
            )
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id)
                .values(
                    claimed_until=None, last_error=error, next_attempt_at=now + backoff(attempts)
                )
            )


def _hand_on(
    session: Session,
    row: OutboxMessage,
    now: datetime,
    successors: list[tuple[str, int | None, dict[str, Any]]],
    *,
    note: str | None,
) -> None:
    """Settle `row` by writing, in the same transaction, the rows that carry it on: one per
    person, each with a key of its own and so once-only on its own."""
    assert row.person_id is not None or row.audience is not None
    for suffix, person_id, payload in successors:
        enqueue(
            session,
            f"{row.key}:{suffix}",
            row.kind,
            now=now,
            person_id=person_id,
            review_id=row.review_id,
            payload=payload,
        )
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row.id)
        .values(sent_at=now, claimed_until=None, last_error=note)
    )


def _describe(error: Exception) -> str:
    if isinstance(error, SlackApiError):
        return f"Slack said {error.response.get('error')}"
    return f"{type(error).__name__}: {error}"
