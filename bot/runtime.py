"""What a running signoff holds: its settings, its database, and how it turns a person into an
actor with the roles the organisation gave them."""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, Engine, select
from sqlalchemy.orm import Session, aliased, sessionmaker

from bot.clock import Clock, SystemClock
from bot.settings import Settings
from db.engine import make_reads, make_sessionmaker, open_database
from db.migrate import ensure_current
from db.models import Deputy, Person
from workflow.context import Actor, Ctx
from workflow.governance import Governance
from workflow.responsibilities import covering


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock = field(default_factory=SystemClock)
    governance: Governance | None = None

    def __post_init__(self) -> None:
        self.reads = make_reads(self.engine)
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
        actor = self.actor_where(Person.id == person.id, now=now)
        assert actor is not None, f"person {person.id} is not in the register"
        return actor

    def actor_where(
        self, condition: ColumnElement[bool], *, now: datetime | None = None
    ) -> Actor | None:
        """The person `condition` picks out, as an actor: with the people they are deputy for
        today, in the same single read (a click's first statement). None if nobody matches."""
        today = (now or self.now()).astimezone(self.settings.timezone).date()
        stood_in_for = aliased(Person)
        with self.reads() as session:
            rows = session.execute(
                select(Person, stood_in_for.id, stood_in_for.email)
                .outerjoin(Deputy, covering(Deputy, Person.id, today))
                .outerjoin(stood_in_for, stood_in_for.id == Deputy.person_id)
                .where(condition)
            ).all()
        if not rows:
            return None
        person = rows[0][0]
        return Actor(
            person_id=person.id,
            label=person.email,
            is_admin=person.email in self.settings.admin_emails,
            stands_in_for=frozenset(row[1] for row in rows if row[1] is not None),
            email=person.email,
            stands_in_for_emails=frozenset(row[2] for row in rows if row[2] is not None),
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
