"""Delivery: from the outbox to the chat platforms (Slack, Teams), once and only once.

State is committed before anything is posted. A row is claimed in a short transaction, posted
with no transaction open, and marked sent with where the message went recorded. If the process
dies between the post and the mark, the next attempt first asks the platform for a message
carrying the row's key (Slack: in its metadata, read back from the channel), and records that
instead of posting again. What depends on the platform is asked of it through the interface in
bot/platforms; what does not (claiming, settling, backoff, parking, handing on) is here.
"""

from __future__ import annotations

import enum
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import false, func, or_, select, text, update
from sqlalchemy.orm import Session

from bot import logs
from bot.metrics import DELIVERED
from bot.parking import NOTICE_KIND, Cause, unset_setting
from bot.platforms import (
    SLACK,
    TEAMS,
    Address,
    NotDelivered,
    Platform,
    Posted,
    Undeliverable,
)
from bot.platforms.slack import groups
from bot.runtime import Runtime
from db.models import AgendaItem, Document, OutboxMessage, Person, PostedMessage, Review
from workflow import uptake
from workflow.outbox import enqueue
from workflow.people import person_for_email
from workflow.responsibilities import deputies_on, deputy_on
from workflow.reviews import acting_owner_id
from workflow.words import counted

if TYPE_CHECKING:
    from slack_sdk import WebClient

log = logging.getLogger(__name__)

PARKING_LOCK = 0x5167_0FE  # serialises parking, so that one cause gets one notice
SETTINGS = {"digest": "SIGNOFF_DIGEST_CHANNEL"}
TEAMS_SETTINGS = {"digest": "TEAMS_DIGEST_CHANNEL"}
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
# A reminder collapsed to one line because a later one was posted: what its PostedMessage row
# says it now is, so that it is updated once and then left alone.
SUPERSEDED = "reminder_superseded"
# Messages posted with a chart beside them, uploaded as an image file (on Slack).
CHART_KINDS = frozenset({"monthly_report"})
# Messages to staff one by one (`user:`), sent within SIGNOFF_UPTAKE_PER_MINUTE; a group of
# staff (`group:`) is handed on to them.
STAFF = OutboxMessage.audience.like("user:%")
STAFF_LOCK = 0x5167_0FF  # serialises counting the minute's staff messages across replicas


def backoff(attempts: int) -> timedelta:
    """30 s, 1, 2, 4 ... minutes, at most an hour, between attempts."""
    return timedelta(seconds=min(3600, 30 * 2 ** max(0, attempts - 1)))


class Outcome(enum.Enum):
    """What became of one outbox row."""

    SENT = "sent"  # posted (or found already posted, after a crash)
    UPDATED = "updated"  # the messages about a review brought up to date in place
    HANDED_ON = "handed_on"  # split into rows of their own (a group, a deputy): not a message
    SKIPPED = "skipped"  # nobody in Slack to send it to
    FAILED = "failed"  # not delivered; tried again after a backoff
    PARKED = "parked"  # Slack will never take it as things stand; kept until retried


@dataclass
class DeliveryResult:
    """What one delivery run did, by outcome."""

    counts: Counter[Outcome] = field(default_factory=Counter)
    retry_at: datetime | None = None  # the earliest next attempt of a row that failed
    causes: list[str] = field(default_factory=list)  # why rows were parked, each once

    def __getitem__(self, outcome: Outcome) -> int:
        return self.counts[outcome]

    def add(self, outcome: Outcome, *, retry_at: datetime | None = None, cause: str = "") -> None:
        self.counts[outcome] += 1
        if retry_at is not None and (self.retry_at is None or retry_at < self.retry_at):
            self.retry_at = retry_at
        if cause and cause not in self.causes:
            self.causes.append(cause)

    @property
    def did_anything(self) -> bool:
        return any(self[o] for o in Outcome if o is not Outcome.HANDED_ON)

    def describe(self, zone: ZoneInfo, now: datetime) -> str:
        """In words: "sent 4 messages; 2 failed and will be retried at 09:31; ..."."""
        if not self.did_anything:
            return "nothing to send"
        parts = [f"sent {counted(self[Outcome.SENT], 'message')}"]
        if self[Outcome.UPDATED]:
            parts.append(f"updated the messages of {counted(self[Outcome.UPDATED], 'review')}")
        if self[Outcome.SKIPPED]:
            parts.append(f"{self[Outcome.SKIPPED]} not sent: nobody in Slack to send to")
        if self[Outcome.FAILED]:
            when = self.retry_at.astimezone(zone) if self.retry_at else now.astimezone(zone)
            at = f"{when:%H:%M:%S}"
            if when.date() != now.astimezone(zone).date():
                at += f" on {when:%d %b %Y}"
            failed = self[Outcome.FAILED]
            parts.append(
                f"{failed} failed and will be retried {'from' if failed > 1 else 'at'} {at}"
            )
        if self[Outcome.PARKED]:
            parts.append(
                f"{self[Outcome.PARKED]} parked until `signoff outbox retry` "
                f"({'; '.join(self.causes)})"
            )
        return "; ".join(parts)


@dataclass(frozen=True)
class Known:
    """What the claim read about its rows' people: who stood in for them on the day they were
    claimed, and where each is already known to be reached. A row for someone with no deputy
    whom a platform already knows, nearly every row, then asks nothing more of the database
    before it is drawn."""

    day: date
    deputies: dict[int, int] = field(default_factory=dict)  # person id -> their deputy's
    addresses: dict[tuple[str, int], Address] = field(default_factory=dict)  # platform, person


class Delivery:
    """Delivers the outbox on every platform the deployment serves (`platforms`); a Slack
    client given alone is Slack's."""

    def __init__(
        self,
        runtime: Runtime,
        client: WebClient | None = None,
        *,
        platforms: Sequence[Platform] = (),
    ) -> None:
        self.runtime = runtime
        self.client = client
        found: list[Platform] = list(platforms)
        if client is not None and not any(p.name == SLACK for p in found):
            from bot.platforms.slack.adapter import SlackPlatform

            found.insert(0, SlackPlatform(runtime, client))
        self.platforms: dict[str, Platform] = {p.name: p for p in found}

    @property
    def _claim_for(self) -> timedelta:
        # Long enough for any post to be answered; a claim by a process that died lapses then.
        return timedelta(seconds=self.runtime.settings.outbox_claim_seconds)

    def run(self, now: datetime | None = None, *, limit: int = 500) -> DeliveryResult:
        """Deliver everything due, at most `limit` rows; what became of them."""
        result = DeliveryResult()
        taken = 0
        while taken < limit:
            at = now or self.runtime.now()
            claimed, known = self._claim(at, limit=min(limit - taken, 50))
            if not claimed:
                break
            for row in claimed:
                # Each row's log lines carry its key: set in a context of the row's own.
                outcome, retry_at, cause = logs.in_own_context(
                    self._deliver, row, now or self.runtime.now(), known
                )
                result.add(outcome, retry_at=retry_at, cause=cause)
                taken += 1
        return result

    # --- claiming -----------------------------------------------------------------------

    def _claim(self, now: datetime, *, limit: int) -> tuple[list[OutboxMessage], Known]:
        """Claim up to `limit` due rows, in the order they are to go: the rows as claimed,
        read by the claim itself rather than again one by one, and what is known of their
        people."""
        today = now.astimezone(self.runtime.settings.timezone).date()
        if limit <= 0:
            return [], Known(today)
        with self.runtime.sessions.begin() as session:
            due = (
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.sent_at.is_(None),
                    OutboxMessage.parked_at.is_(None),
                    OutboxMessage.next_attempt_at <= now,
                    or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
                )
                .order_by(OutboxMessage.id)
            )
            postgres = session.get_bind().dialect.name == "postgresql"
            query = due.where(or_(OutboxMessage.audience.is_(None), ~STAFF)).limit(limit)
            if postgres:
                query = query.with_for_update(skip_locked=True)
            ids = list(session.scalars(query))
            # Staff, in batches within the minute's allowance, after everything else.
            staff_due = limit > len(ids) and session.scalar(due.where(STAFF).limit(1))
            allowed = min(limit - len(ids), self._staff_allowance(session, now)) if staff_due else 0
            if allowed > 0:
                staff = due.where(STAFF).limit(allowed)
                ids += list(
                    session.scalars(staff.with_for_update(skip_locked=True) if postgres else staff)
                )
            if not ids:
                return [], Known(today)
            claimed = session.scalars(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids))
                .values(claimed_until=now + self._claim_for, attempts=OutboxMessage.attempts + 1)
                .returning(OutboxMessage)
            )
            by_id = {row.id: row for row in claimed}
            people = {row.person_id for row in by_id.values() if row.person_id is not None}
            return [by_id[row_id] for row_id in ids], self._known(session, people, today)

    def _known(self, session: Session, people: set[int], today: date) -> Known:
        addresses: dict[tuple[str, int], Address] = {}
        for platform in self.platforms.values():
            reached = getattr(platform, "reached", None)  # a platform may not say ahead
            if reached is not None and people:
                found = reached(session, people)
                addresses.update({(platform.name, pid): at for pid, at in found.items()})
        return Known(today, deputies_on(session, people, today), addresses)

    def _staff_allowance(self, session: Session, now: datetime) -> int:
        """How many more messages to staff may go this minute: Slack takes about one message
        a second in each conversation and, across a workspace, a number it does not publish;
        SIGNOFF_UPTAKE_PER_MINUTE keeps a large group's notes under both, on every replica."""
        if session.get_bind().dialect.name == "postgresql":
            session.execute(
                text("SELECT pg_advisory_xact_lock(:k, hashtext(current_schema()))"),
                {"k": STAFF_LOCK},
            )
        recent = or_(
            OutboxMessage.sent_at > now - timedelta(minutes=1),
            OutboxMessage.sent_at.is_(None) & (OutboxMessage.claimed_until >= now),
        )
        taken = session.scalar(select(func.count()).select_from(OutboxMessage).where(STAFF, recent))
        return self.runtime.settings.uptake_per_minute - (taken or 0)

    # --- one row ------------------------------------------------------------------------

    def _deliver(
        self, row: OutboxMessage, now: datetime, known: Known
    ) -> tuple[Outcome, datetime | None, str]:
        """Deliver one claimed row: its outcome, when a failed one is retried, and why one
        was parked."""
        logs.set_fields(outbox_key=row.key, review=row.review_id)
        try:
            if (row.audience or "").startswith("group:"):
                return self._to_group(row, now)
            if self._to_members(row) and not self._members(row.audience or ""):
                return self._park(row, now, _nobody_in(row.audience or "", self.runtime))
            if row.audience in ("admins", "escalation") or self._to_members(row):
                self._expand(row, now)
                return Outcome.HANDED_ON, None, ""
            elif row.person_id is not None and self._to_deputy(row, now, known):
                return Outcome.HANDED_ON, None, ""
            elif row.audience == "review_messages":
                self._refresh(row, now)
                self._settle(row, now)
                return Outcome.UPDATED, None, ""
            else:
                return self._post(row, now, known)
        except Undeliverable as refused:
            if (row.audience or "").startswith("user:") and refused.cause.about_person:
                # Someone in a staff group the platform will not deliver to (deactivated, a
                # bot): the group's other members still get theirs; the admins are not troubled.
                self._settle(row, now, error=f"skipped: {refused.cause.code}")
                return Outcome.SKIPPED, None, ""
            return self._park(row, now, refused.cause)
        except NotDelivered as error:
            return self._failed(row, now, str(error))
        except OSError as error:
            return self._failed(row, now, f"{type(error).__name__}: {error}")
        except Exception as error:  # a bug must not stop the rest of the outbox
            log.exception("delivering outbox row %s (%s) failed", row.id, row.key)
            return self._failed(row, now, f"{type(error).__name__}: {error}")

    def _to_members(self, row: OutboxMessage) -> bool:
        """A body's message goes to its members one by one: always for `members:`, and for
        `body:` when the body has no channel."""
        audience = row.audience or ""
        if audience.startswith("members:"):
            return True
        return audience.startswith("body:") and self._body_channel(audience) is None

    def _members(self, audience: str) -> list[str]:
        key = audience.split(":", 1)[1]
        rules = self.runtime.rules
        return list(rules.body(key).members) if key in rules.bodies else []

    def _body_channel(self, audience: str) -> str | None:
        """The body's channel on some platform this deployment serves, if it has one."""
        rooms = [p.room_for(audience) for p in self.platforms.values()]
        return next((room.room for room in rooms if room is not None), None)

    def _expand(self, row: OutboxMessage, now: datetime) -> None:
        """A message to a group becomes one row per person, each once-only on its own."""
        settings = self.runtime.settings
        audience = row.audience or ""
        chair = None
        if audience in ("admins", "escalation"):
            emails = settings.admin_emails if audience == "admins" else settings.escalation_emails
        else:
            key = audience.split(":", 1)[1]
            rules = self.runtime.rules
            emails = self._members(audience)
            chair = rules.body(key).chair if key in rules.bodies else None
        with self.runtime.sessions.begin() as session:
            people = [person_for_email(session, email, now=now).id for email in emails]
            _hand_on(
                session,
                row,
                now,
                [
                    (
                        email,
                        pid,
                        {**row.payload, "copy_for": "chair" if email == chair else "member"}
                        if chair is not None or audience.startswith("members:")
                        else row.payload,
                    )
                    for email, pid in zip(emails, people, strict=True)
                ],
                note=None if emails else f"nobody to send to: {audience} is empty",
            )

    def _to_group(self, row: OutboxMessage, now: datetime) -> tuple[Outcome, datetime | None, str]:
        """A note to a staff group becomes one row per member, each once-only on its own
        however many groups name them, and the members are recorded as asked to read it.
        Staff groups are Slack's (a user group, or a channel's members)."""
        from slack_sdk.errors import SlackApiError

        group = (row.audience or "").split(":", 1)[1]
        slack = self.platforms.get(SLACK)
        if slack is None:
            self._settle(row, now, error=f"skipped: {group} is a Slack group, Slack is not served")
            return Outcome.SKIPPED, None, ""
        client = slack.client  # type: ignore[attr-defined]
        try:
            own = self._own_user_id(client)
            members = [member for member in groups.members(client, group) if member != own]
        except SlackApiError as error:
            if error.response.get("error") == "no_such_subteam":
                return self._park(row, now, groups.no_such_group(group))
            raise NotDelivered(f"Slack said {error.response.get('error')}") from error
        with self.runtime.sessions.begin() as session:
            uptake.add_recipients(session, row.payload["uptake_id"], group, members, now=now)
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id)
                .values(
                    sent_at=now,
                    claimed_until=None,
                    last_error=None if members else f"nobody to send to: {group} is empty",
                )
            )
        log.info("staff group %s: %s", group, counted(len(members), "member"))
        return Outcome.HANDED_ON, None, ""

    def _own_user_id(self, client: WebClient) -> str | None:
        """signoff's own user in Slack, which is in every channel it posts to."""
        if not hasattr(self, "_own_user"):
            self._own_user: str | None = client.auth_test().get("user_id")
        return self._own_user

    def _to_deputy(self, row: OutboxMessage, now: datetime, known: Known) -> bool:
        """While someone is away, what is for them goes to their deputy and they get a copy.
        Split into two rows, each once-only on its own."""
        if "deputy_of" in row.payload or "copy_to_deputy" in row.payload:
            return False
        assert row.person_id is not None
        today = now.astimezone(self.runtime.settings.timezone).date()
        if today == known.day and row.person_id not in known.deputies:
            return False
        # Asked again in the transaction that hands the row on, so that what it writes
        # follows the deputies as they stand then.
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

    def _rooms(self, row: OutboxMessage) -> list[tuple[Platform, Address]]:
        """The channels of an audience, one per platform that has one set."""
        audience = row.audience or ""
        wanted = row.payload.get("platform")
        found = []
        for platform in self.platforms.values():
            if wanted not in (None, platform.name):
                continue
            room = platform.room_for(audience)
            if room is not None:
                found.append((platform, room))
        return found

    def _person(
        self, row: OutboxMessage, now: datetime, known: Known
    ) -> tuple[Platform, Address] | None:
        """Where one person is reached: where signoff knows them (Teams, where the app was
        installed for them; Slack, by their e-mail), or None."""
        assert row.person_id is not None
        wanted = row.payload.get("platform")
        order = sorted(self.platforms.values(), key=lambda p: p.name != TEAMS)
        for platform in order:
            if wanted not in (None, platform.name):
                continue
            address = known.addresses.get((platform.name, row.person_id))
            if address is None:
                address = platform.reach(row.person_id, now)
            if address is not None:
                return platform, address
        return None

    def _post(
        self, row: OutboxMessage, now: datetime, known: Known
    ) -> tuple[Outcome, datetime | None, str]:
        if row.audience is not None:
            rooms = self._rooms(row)
            if not rooms:
                named = SETTINGS if SLACK in self.platforms else TEAMS_SETTINGS
                return self._park(row, now, unset_setting(named[row.audience], row.audience))
            if len(rooms) > 1:
                # A channel on each platform: one row per platform, each once-only on its own.
                with self.runtime.sessions.begin() as session:
                    _hand_on(
                        session,
                        row,
                        now,
                        [
                            (platform.name, None, {**row.payload, "platform": platform.name})
                            for platform, _room in rooms
                        ],
                        note="posted on each platform",
                        audience=row.audience,
                    )
                return Outcome.HANDED_ON, None, ""
            platform, address = rooms[0]
        else:
            reached = self._person(row, now, known)
            if reached is None:
                if self._to_acting_owner(row, now):
                    return Outcome.HANDED_ON, None, ""
                unreached = self._unreached_cause(row)
                if unreached is not None:
                    return self._park(row, now, unreached)
                self._settle(row, now, error="skipped: this person is not in Slack")
                return Outcome.SKIPPED, None, ""
            platform, address = reached
        message = platform.render(row.kind, row.review_id, row.payload, now)
        found = platform.find(address, row.key, row.created_at) if row.attempts > 1 else None
        if found is None:
            found = platform.post(address, message, row.key)
        upload = getattr(platform, "upload_chart", None)
        if row.kind in CHART_KINDS and upload is not None:
            upload(row, found.room)
        stale = self._settle(row, now, posted=found)
        if stale:
            try:
                self._collapse(stale)
            except (NotDelivered, Undeliverable, OSError) as error:
                # The new reminder is out; the next update of the review collapses these.
                log.warning("earlier reminders not yet collapsed: %s", error)
        return Outcome.SENT, None, ""

    def _unreached_cause(self, row: OutboxMessage) -> Cause | None:
        """Someone no platform can reach yet: Teams, where it is served, says why and how to
        fix it (once per person); on Slack alone the message is skipped, as before."""
        teams = self.platforms.get(TEAMS)
        explain_unreached = getattr(teams, "unreached", None)
        if explain_unreached is None or row.person_id is None:
            return None
        return explain_unreached(row.person_id)

    def _refresh(self, row: OutboxMessage, now: datetime) -> None:
        """Bring every message about the review up to date, in place: its own, and the papers
        of any meeting it is on (or, for a meeting's own refresh, that meeting's papers)."""
        self._supersede(row.review_id)
        with self.runtime.sessions() as session:
            meetings = (
                [row.payload["meeting_id"]]
                if "meeting_id" in row.payload
                else list(
                    session.scalars(
                        select(AgendaItem.meeting_id).where(AgendaItem.review_id == row.review_id)
                    )
                )
            )
            about = or_(
                PostedMessage.review_id == row.review_id if row.review_id is not None else false(),
                PostedMessage.meeting_id.in_(meetings),
            )
            posted = session.execute(
                select(PostedMessage, OutboxMessage)
                .join(OutboxMessage, PostedMessage.outbox_id == OutboxMessage.id)
                .where(about, PostedMessage.kind != SUPERSEDED)
                .order_by(PostedMessage.id)
            ).all()
            targets = [(_posted(p), o.kind, o.payload, p.review_id) for p, o in posted]
        for where, kind, payload, review_id in targets:
            platform = self.platforms.get(where.platform)
            if platform is None:
                continue  # posted on a platform this process does not serve
            # A message someone deleted cannot be kept true; the others still can.
            platform.update(where, platform.render(kind, review_id, payload, now))

    def _supersede(self, review_id: int | None) -> None:
        """Collapse each reminder about the review that a later one to the same place has
        superseded to one line, once: a late review's weekly reminders would otherwise each
        be re-rendered, saying the same thing, every time it moves on. (A platform that cannot
        draw the one line keeps its reminders as they are.)"""
        if review_id is None:
            return
        with self.runtime.sessions() as session:
            stale = _stale_reminders(session, review_id)
        self._collapse(stale)

    def _collapse(self, stale: list[Stale]) -> None:
        """Draw each stale reminder as its one line, and record it so once it is drawn."""
        zone = self.runtime.settings.timezone
        drawn: list[int] = []
        try:
            for reminder in stale:
                platform = self.platforms.get(reminder.where.platform)
                draw = getattr(platform, "superseded", None)
                if platform is None or draw is None:
                    continue
                later = reminder.later.astimezone(zone).date()
                platform.update(reminder.where, draw(reminder.reference, reminder.title, later))
                drawn.append(reminder.posted_id)
        finally:
            # Those drawn before a failure stay recorded: they are not drawn again.
            if drawn:
                with self.runtime.sessions.begin() as session:
                    session.execute(
                        update(PostedMessage)
                        .where(PostedMessage.id.in_(drawn))
                        .values(kind=SUPERSEDED)
                    )

    # --- settling -----------------------------------------------------------------------

    def _settle(
        self,
        row: OutboxMessage,
        now: datetime,
        *,
        posted: Posted | None = None,
        error: str | None = None,
    ) -> list[Stale]:
        """Mark `row` sent, recording where it was `posted`. A reminder posted supersedes the
        earlier ones about its review: those are read in the same transaction and returned,
        to be collapsed once it has committed."""
        stale: list[Stale] = []
        with self.runtime.sessions.begin() as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id)
                .values(sent_at=now, claimed_until=None, last_error=error)
            )
            if posted is not None:
                slack = posted.platform == SLACK
                session.add(
                    PostedMessage(
                        outbox_id=row.id,
                        review_id=row.review_id,
                        person_id=row.person_id,
                        kind=row.kind,
                        platform=posted.platform,
                        channel=posted.room if slack else None,
                        ts=posted.message_id if slack else None,
                        room=None if slack else posted.room,
                        message_id=None if slack else posted.message_id,
                        service_url=posted.service_url,
                        posted_at=now,
                        meeting_id=row.payload.get("meeting_id"),
                    )
                )
                if row.kind == "reminder" and row.review_id is not None:
                    stale = _stale_reminders(session, row.review_id)
        DELIVERED.labels("skipped" if error else "sent").inc()
        log.info("outbox row %s settled%s", row.id, f" ({error})" if error else "")
        return stale

    def _failed(
        self, row: OutboxMessage, now: datetime, error: str
    ) -> tuple[Outcome, datetime | None, str]:
        log.warning("outbox row %s (%s) not delivered: %s", row.id, row.key, error)
        DELIVERED.labels("failed").inc()
        with self.runtime.sessions.begin() as session:
            attempts = (
                session.scalar(select(OutboxMessage.attempts).where(OutboxMessage.id == row.id))
                or 1
            )
            retry_at = now + backoff(attempts)
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id)
                .values(claimed_until=None, last_error=error, next_attempt_at=retry_at)
            )
        return Outcome.FAILED, retry_at, ""

    # --- parking ------------------------------------------------------------------------

    def _park(
        self, row: OutboxMessage, now: datetime, cause: Cause
    ) -> tuple[Outcome, datetime | None, str]:
        """Keep `row` out of the retries until someone fixes `cause` and retries it, and tell
        the admins, once while the cause lasts."""
        log.warning("outbox row %s (%s) parked: %s", row.id, row.key, cause.reason)
        DELIVERED.labels("parked").inc()
        with self.runtime.sessions.begin() as session:
            if session.get_bind().dialect.name == "postgresql":
                # Two replicas parking rows of one cause at once must agree on one notice.
                session.execute(
                    text("SELECT pg_advisory_xact_lock(:k, hashtext(current_schema()))"),
                    {"k": PARKING_LOCK},
                )
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id)
                .values(
                    claimed_until=None,
                    parked_at=now,
                    parked_cause=cause.key[:255],
                    last_error=cause.reason,
                )
            )
            if row.kind != NOTICE_KIND:
                # The cause's oldest parked row names this spell of it: told once for all the
                # rows it stops, and again if it comes back after a retry cleared it.
                first = session.scalar(
                    select(func.min(OutboxMessage.id)).where(
                        OutboxMessage.parked_cause == cause.key[:255],
                        OutboxMessage.parked_at.is_not(None),
                        OutboxMessage.sent_at.is_(None),
                        OutboxMessage.kind != NOTICE_KIND,
                    )
                )
                enqueue(
                    session,
                    f"{NOTICE_KIND}:{first}:{cause.key[:100]}",
                    NOTICE_KIND,
                    now=now,
                    audience="admins",
                    payload={"problem": cause.problem, "fix": cause.fix, "code": cause.code},
                )
        return Outcome.PARKED, None, cause.problem


@dataclass(frozen=True)
class Stale:
    """A reminder a later one to the same place has superseded, still drawn in full."""

    posted_id: int
    where: Posted
    later: datetime  # when the reminder that superseded it was posted
    # The one line names the document, nothing else of the review: a summary would read the
    # review's whole history for each reminder posted.
    reference: str
    title: str


def _stale_reminders(session: Session, review_id: int) -> list[Stale]:
    """The review's reminders that a later one to the same place has superseded."""
    reminders = session.execute(
        select(PostedMessage, Document.reference, Document.title)
        .join(Review, Review.id == PostedMessage.review_id)
        .join(Document, Document.id == Review.document_id)
        .where(
            PostedMessage.review_id == review_id,
            PostedMessage.kind.in_(("reminder", SUPERSEDED)),
        )
        .order_by(PostedMessage.id)
    ).all()
    latest = {(p.platform, _posted(p).room): p for p, _, _ in reminders}
    return [
        Stale(p.id, _posted(p), latest[(p.platform, _posted(p).room)].posted_at, reference, title)
        for p, reference, title in reminders
        if p.kind == "reminder" and p is not latest[(p.platform, _posted(p).room)]
    ]


def _hand_on(
    session: Session,
    row: OutboxMessage,
    now: datetime,
    successors: list[tuple[str, int | None, dict[str, Any]]],
    *,
    note: str | None,
    audience: str | None = None,
) -> None:
    """Settle `row` by writing, in the same transaction, the rows that carry it on: one per
    person (or, with `audience`, one per platform), each with a key of its own and so
    once-only on its own."""
    assert row.person_id is not None or row.audience is not None
    for suffix, person_id, payload in successors:
        enqueue(
            session,
            f"{row.key}:{suffix}",
            row.kind,
            now=now,
            person_id=person_id,
            audience=audience if person_id is None else None,
            review_id=row.review_id,
            payload=payload,
        )
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row.id)
        .values(sent_at=now, claimed_until=None, last_error=note)
    )


def _nobody_in(audience: str, runtime: Runtime) -> Cause:
    """A body with neither a channel nor members: nobody to tell until one of them is set."""
    key = audience.split(":", 1)[1]
    file = runtime.settings.governance_file
    name = runtime.rules.name_of(key) if key in runtime.rules.bodies else key
    where = f"bodies.{key} in {file}" if file else "SIGNOFF_SLT_CHANNEL or SIGNOFF_SLT_EMAILS"
    return Cause(
        f"nobody:{key}",
        "not_set",
        f"the {name} has no channel and no members, so signoff has nobody to send its messages to",
        f"set {where}, restart signoff, then run `signoff outbox retry --all`",
    )


def _posted(message: PostedMessage) -> Posted:
    if message.platform == SLACK:
        return Posted(SLACK, message.channel or "", message.ts or "")
    return Posted(
        message.platform, message.room or "", message.message_id or "", message.service_url
    )
