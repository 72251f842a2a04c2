"""What a running signoff holds: its settings, its database, and how it turns a person into an
actor with the roles the organisation gave them."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings
from db.engine import make_engine, make_sessionmaker
from db.migrate import ensure_current
from db.models import Person
from workflow.context import Actor, Ctx
from workflow.responsibilities import standing_in_for


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]

    @classmethod
    def start(cls, settings: Settings, *, check_database: bool = True) -> Runtime:
        engine = make_engine(settings.database_url)
        if check_database:
            ensure_current(engine)
        return cls(settings, engine, make_sessionmaker(engine))

    def ctx(self, actor: Actor, *, now: datetime | None = None) -> Ctx:
        return Ctx(
            session=self.sessions(),
            actor=actor,
            now=now or datetime.now(UTC),
            timezone=self.settings.timezone,
        )

    def actor_for(self, person: Person, *, now: datetime | None = None) -> Actor:
        today = (now or datetime.now(UTC)).astimezone(self.settings.timezone).date()
        with self.sessions() as session:
            stands_in_for = standing_in_for(session, person.id, today)
        return Actor(
            person_id=person.id,
            label=person.email,
            is_admin=person.email in self.settings.admin_emails,
            is_slt=person.email in self.settings.slt_emails,
            stands_in_for=stands_in_for,
        )

    def actor_for_email(self, email: str, *, now: datetime | None = None) -> Actor:
        with self.sessions() as session:
            person = session.query(Person).filter(Person.email == email.lower()).one()
            session.expunge(person)
        return self.actor_for(person, now=now)

    @staticmethod
    def command_line_actor() -> Actor:
        # Whoever runs the command line keeps the register: the policy officer, or their deputy.
        return Actor(person_id=None, label=f"command line ({getpass.getuser()})", is_admin=True)
