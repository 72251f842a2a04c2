"""People, known by e-mail: the register names them before Slack does."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Person

_EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")


def normalise_email(text: str) -> str:
    """Lower-cased e-mail, or ValueError saying what is wrong with it."""
    email = (text or "").strip().lower()
    if email.startswith("mailto:"):
        email = email[len("mailto:") :]
    if not _EMAIL.match(email):
        raise ValueError(f"'{text.strip()}' is not an e-mail address (e.g. jane.smith@example.org)")
    return email


def person_for_email(session: Session, email: str, *, now: datetime) -> Person:
    email = normalise_email(email)
    person = session.scalar(select(Person).where(Person.email == email))
    if person is None:
        person = Person(email=email, created_at=now)
        session.add(person)
        session.flush()
    return person
