"""People and their Slack accounts, matched by e-mail and remembered."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from db.models import Document, Person
from workflow.context import SYSTEM, Ctx
from workflow.outbox import enqueue
from workflow.people import person_for_email
from workflow.responsibilities import person_left

log = logging.getLogger(__name__)


def slack_id_for(
    sessions: sessionmaker[Session],
    client: WebClient,
    person_id: int,
    *,
    now: datetime,
    zone: ZoneInfo,
) -> str | None:
    """The person's Slack user ID, looked up by e-mail the first time. Someone Slack does not
    know is reported to the admins once, and None is returned."""
    with sessions() as session:
        person = session.get(Person, person_id)
        assert person is not None
        if person.slack_user_id:
            return person.slack_user_id
        if person.slack_lookup == "missing":
            return None
        email = person.email
    # No transaction is held while Slack answers.
    try:
        found = client.users_lookupByEmail(email=email)["user"]
    except SlackApiError as error:
        if error.response.get("error") != "users_not_found":
            raise
        found = None
    with sessions.begin() as session:
        person = session.get(Person, person_id)
        assert person is not None
        if found is None:
            person.slack_lookup = "missing"
            enqueue(
                session,
                f"unknown_person:{person.id}",
                "unknown_person",
                now=now,
                audience="admins",
                payload={"person_id": person.id, "email": person.email},
            )
            return None
        _remember(person, found)
        user_id = person.slack_user_id
    if found.get("deleted"):
        # Deactivated in Slack: flag it to the admins, and their approvers act as owners.
        person_left(Ctx(sessions(), SYSTEM, now, zone), person_id)
        return None
    return user_id


def meet_document_holders(
    sessions: sessionmaker[Session], client: WebClient, *, now: datetime, zone: ZoneInfo
) -> None:
    """Look up, by e-mail, everyone who owns or approves a document and has not been looked up
    yet, so that a message listing them (the digest) can mention them. Each is looked up once
    ever; a Slack that cannot answer now leaves the rest for the next message."""
    with sessions() as session:
        unmet = list(
            session.scalars(
                select(Person.id)
                .where(
                    Person.slack_user_id.is_(None),
                    Person.slack_lookup.not_in(("found", "missing")),
                    Person.active.is_(True),
                    select(Document.id)
                    .where(or_(Document.owner_id == Person.id, Document.approver_id == Person.id))
                    .exists(),
                )
                .order_by(Person.id)
            )
        )
    for person_id in unmet:
        try:
            slack_id_for(sessions, client, person_id, now=now, zone=zone)
        except (SlackApiError, SlackClientError, OSError) as error:
            # A mention is a courtesy: the message goes out naming them by e-mail instead.
            log.warning("could not look people up in Slack: %s", error)
            return


def person_for_slack_user(
    sessions: sessionmaker[Session], client: WebClient, user_id: str, *, now: datetime
) -> Person | None:
    """The person behind a Slack user ID; created from their Slack e-mail when new to us."""
    with sessions() as session:
        person = session.query(Person).filter(Person.slack_user_id == user_id).one_or_none()
        if person is not None:
            session.expunge(person)
            return person
    try:
        user = client.users_info(user=user_id)["user"]
    except SlackApiError:
        return None
    email = (user.get("profile") or {}).get("email")
    if not email:
        return None
    # Two clicks at once by someone new to us both create them; the one that loses the race
    # (the e-mail or Slack ID is already taken) finds the person the other created.
    for attempt in (1, 2):
        try:
            with sessions.begin() as session:
                person = person_for_email(session, email, now=now)
                _remember(person, user)
                session.flush()
                session.expunge(person)
                return person
        except IntegrityError:
            if attempt == 2:
                raise
    return None


def _remember(person: Person, user: dict) -> None:
    profile = user.get("profile") or {}
    person.slack_user_id = user["id"]
    person.slack_lookup = "found"
    person.name = person.name or profile.get("real_name") or user.get("real_name") or None
