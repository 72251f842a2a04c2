"""What a running signoff holds: its settings, its database, and how it turns a person into an
actor with the roles the organisation gave them."""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock, SystemClock
from bot.settings import Settings
from db.engine import make_sessionmaker, open_database
from db.migrate import ensure_current
from db.models import Person
from workflow.context import Actor, Ctx
from workflow.governance import Governance
from workflow.responsibilities import standing_in_for


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock = field(default_factory=SystemClock)
    governance: Governance | None = None

    def __post_init__(self) -> None:
        if self.governance is None:
            self.governance = self.settings.governance(
                self.clock.now().astimezone(self.settings.timezone).date()
            )

    @classmethod
    def start(
        cls, settings: Settings, *, check_database: bool = True, clock: Clock | None = None
    ) -> Runtime:
        clock = clock or SystemClock()
        # The governance first: a file with mistakes stops signoff before it touches anything.
        governance = settings.governance(clock.now().astimezone(settings.timezone).date())
        engine = open_database(settings.database_url, create=not check_database)
        if check_database:
            ensure_current(engine)
        return cls(settings, engine, make_sessionmaker(engine), clock, governance)

    @property
    def rules(self) -> Governance:
        assert self.governance is not None
        return self.governance

    def now(self) -> datetime:
        return self.clock.now()

    def ctx(self, actor: Actor, *, now: datetime | None = None) -> Ctx:
        return Ctx(
            session=self.sessions(),
            actor=actor,
            now=now or self.now(),
            timezone=self.settings.timezone,
            governance=self.rules,
            nation=self.settings.bank_holidays,
            uptake=self.settings.uptake_rules,
        )

    def actor_for(self, person: Person, *, now: datetime | None = None) -> Actor:
        today = (now or self.now()).astimezone(self.settings.timezone).date()
        with self.sessions() as session:
            stands_in_for = standing_in_for(session, person.id, today)
            emails = (
                frozenset(session.scalars(select(Person.email).where(Person.id.in_(stands_in_for))))
                if stands_in_for
                else frozenset()
            )
        return Actor(
            person_id=person.id,
            label=person.email,
            is_admin=person.email in self.settings.admin_emails,
            stands_in_for=stands_in_for,
            email=person.email,
            stands_in_for_emails=emails,
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
