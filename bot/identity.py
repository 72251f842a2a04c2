"""People and their Slack accounts, matched by e-mail and remembered."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session, sessionmaker

from db.models import Person
from workflow.context import SYSTEM, Ctx
from workflow.outbox import enqueue
from workflow.people import person_for_email
from workflow.responsibilities import person_left


def slack_id_for(
    sessions: sessionmaker[Session], client: WebClient, person_id: int, *, now: datetime
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
        person_left(Ctx(sessions(), SYSTEM, now, ZoneInfo("UTC")), person_id)
        return None
    return user_id


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
    with sessions.begin() as session:
        person = person_for_email(session, email, now=now)
        _remember(person, user)
        session.flush()
        session.expunge(person)
        return person


def _remember(person: Person, user: dict) -> None:
    profile = user.get("profile") or {}
    person.slack_user_id = user["id"]
    person.slack_lookup = "found"
    person.name = person.name or profile.get("real_name") or user.get("real_name") or None
