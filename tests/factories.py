"""A small register to act on: people with their roles, and documents at any state."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select, text

from bot.runtime import Runtime
from db.models import Base, Document, Person, Review
from workflow.consultations import respond
from workflow.context import SYSTEM, Actor, Ctx
from workflow.governance import APPROVER as GOV_APPROVER
from workflow.governance import Governance
from workflow.register import RegisterRow
from workflow.register_sync import import_register
from workflow.reviews import (
    approve_for_information,
    check_may,
    decide,
    interim_approve,
    open_review,
    set_target_date,
    start_review,
    submit_draft,
    submit_no_changes,
)
from workflow.states import Action, State

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)

OWNER = "owner@example.org"
APPROVER = "approver@example.org"
SLT = "slt.one@example.org"
ADMIN = "ppo@example.org"
STRANGER = "stranger@example.org"


def row(reference: str = "LAC-014", **overrides: object) -> RegisterRow:
    values: dict[str, object] = {
        "line": 2,
        "reference": reference,
        "title": "Looked After Children Reviews",
        "doc_type": "procedure",
        "service_area": "Children in Care",
        "owner_email": OWNER,
        "approver_email": APPROVER,
        "review_cycle_months": 12,
        "last_approved": date(2025, 12, 1),
        "next_review_due": date(2026, 12, 1),
        "version": "3.9",
        "link": "https://manual.example.org/lac-014",
    }
    values.update(overrides)
    return RegisterRow(**values)  # type: ignore[arg-type]


def emptied(engine: Engine) -> None:
    """Every table emptied and every sequence set back to 1 (SQLite's integer keys start again
    from 1 by themselves). DELETE rather than TRUNCATE: a test leaves a few rows, and TRUNCATE
    gives each of PostgreSQL's tables new files, which took 0.2 to 0.7 s a test against
    DELETE's 30 ms."""
    with engine.begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):  # those referring to others first
            connection.execute(table.delete())
        if connection.dialect.name == "postgresql":
            connection.execute(
                text(
                    "SELECT setval(format('%I.%I', schemaname, sequencename), 1, false) "
                    "FROM pg_sequences WHERE schemaname = current_schema()"
                )
            )


# Every row of every table, by table: a state the use cases built, kept to be put back.
Rows = dict[str, list[dict[str, Any]]]


def saved_rows(engine: Engine) -> Rows:
    with engine.connect() as connection:
        return {
            table.name: [dict(found) for found in connection.execute(table.select()).mappings()]
            for table in Base.metadata.sorted_tables
        }


def restore_rows(engine: Engine, rows: Rows) -> None:
    """Put back the rows `saved_rows` kept, in place of whatever the database holds, ids and
    all; on PostgreSQL each sequence then goes on from the largest id, as it would have."""
    emptied(engine)
    with engine.begin() as connection:
        for table in Base.metadata.sorted_tables:
            if rows.get(table.name):
                connection.execute(table.insert(), rows[table.name])
        if connection.dialect.name != "postgresql":
            return  # SQLite's integer keys go on from the largest by themselves
        for table in Base.metadata.sorted_tables:
            if [column.name for column in table.primary_key.columns] == ["id"]:
                connection.execute(
                    text(
                        "SELECT setval(pg_get_serial_sequence(:table, 'id'), "
                        f'COALESCE((SELECT max(id) FROM "{table.name}"), 0) + 1, false)'
                    ),
                    {"table": table.name},
                )


def governed(runtime: Runtime, governance: Governance) -> Runtime:
    """The same signoff and database, under another governance."""
    return replace(runtime, governance=governance)


@dataclass
class Register:
    runtime: Runtime

    def add(self, *rows: RegisterRow) -> None:
        import_register(self.ctx(Runtime.command_line_actor()), list(rows))

    def actor(self, email: str) -> Actor:
        if email == "system":
            return SYSTEM
        with self.runtime.sessions() as session:
            person = session.scalar(select(Person).where(Person.email == email))
            if person is None:
                person = Person(email=email, created_at=NOW)
                session.add(person)
                session.commit()
            session.expunge(person)
        return self.runtime.actor_for(person, now=NOW)

    def ctx(self, actor: Actor | str, now: datetime = NOW):  # type: ignore[no-untyped-def]
        if isinstance(actor, str):
            actor = self.actor(actor)
        return self.runtime.ctx(actor, now=now)

    def document(self, reference: str = "LAC-014") -> Document:
        with self.runtime.sessions() as session:
            return session.scalars(select(Document).where(Document.reference == reference)).one()

    def review(self, reference: str = "LAC-014") -> Review | None:
        with self.runtime.sessions() as session:
            return session.scalar(
                select(Review)
                .join(Document)
                .where(Document.reference == reference)
                .order_by(Review.id.desc())
            )

    def bring_to(
        self,
        state: State,
        reference: str = "LAC-014",
        *,
        at: str = GOV_APPROVER,
        comes_back: bool = False,
        now: datetime = NOW,
    ) -> int | None:
        """Walk a document's review to `state` by the ordinary route of the built-in chain; its
        review id. `at` names the body the review stands with: for AWAITING_APPROVAL, the body
        whose decision it awaits (the approver, or `slt` once the approver referred it there);
        for CHANGES_REQUESTED, the body that set the conditions, and `comes_back` whether it
        asked to see the redraft again. For IN_CONSULTATION the runtime's governance must put a
        consultation before the first level."""
        if state is State.CURRENT:
            return None
        review = open_review(self.ctx(SYSTEM, now), reference)
        if state is State.REVIEW_DUE:
            return review.id
        start_review(self.ctx(self.owner_of(reference), now), review.id)
        if state is State.IN_REVIEW:
            return review.id
        submit_draft(
            self.ctx(self.owner_of(reference), now),
            review.id,
            link="https://drafts.example.org/1",
            summary="Updated the timescales",
        )
        if state is State.IN_CONSULTATION:
            assert self.review(reference).state == State.IN_CONSULTATION.value
            return review.id
        if at != GOV_APPROVER:
            decide(
                self.ctx(APPROVER, now),
                review.id,
                Action.REFER,
                text="Spans two services",
                refer_to=at,
            )
        if state is State.AWAITING_APPROVAL:
            return review.id
        assert state is State.CHANGES_REQUESTED, state
        decide(
            self.ctx(APPROVER if at == GOV_APPROVER else self.decider_of(at), now),
            review.id,
            Action.APPROVE_WITH_CONDITIONS,
            text="Add the IRO's role",
            comes_back=comes_back,
        )
        return review.id

    def owner_of(self, reference: str = "LAC-014") -> str:
        """Who acts as the document's owner: its owner, or its approver where it has none."""
        with self.runtime.sessions() as session:
            document = session.scalars(
                select(Document).where(Document.reference == reference)
            ).one()
            owner = document.owner if document.owner and document.owner.active else None
            return (owner or document.approver).email

    def decider_of(self, body: str) -> str:
        """Someone who decides for `body`: its chair where it meets, else its first member."""
        governance = self.runtime.rules
        chair = governance.body(body).chair
        if governance.meets(body) and chair:
            return chair
        return governance.body(body).members[0]


def act(
    ctx: Ctx,
    action: Action,
    review_id: int | None,
    *,
    today: date,
    reference: str = "LAC-014",
    refer_to: str | None = None,
    comes_back: bool = True,
    comment: str | None = "Section 3 needs the new timescales.",
) -> None:
    """Take `action` through its use case, as a handler or a job would. A second draft
    (REVISE_DRAFT) is what the owner's form is checked for before it opens, then submitted."""
    if action is Action.OPEN:
        open_review(ctx, reference)
    elif action is Action.START:
        start_review(ctx, review_id)
    elif action is Action.SUBMIT_DRAFT:
        submit_draft(ctx, review_id, link="https://drafts.example.org/2", summary="Redrafted")
    elif action is Action.REVISE_DRAFT:
        assert review_id is not None
        check_may(ctx, review_id, Action.REVISE_DRAFT)
        submit_draft(ctx, review_id, link="https://drafts.example.org/3", summary="Second draft")
    elif action is Action.SUBMIT_NO_CHANGES:
        submit_no_changes(ctx, review_id)
    elif action is Action.SET_TARGET_DATE:
        set_target_date(ctx, review_id, today + timedelta(days=7))
    elif action is Action.INTERIM_APPROVE:
        interim_approve(ctx, review_id)
    elif action is Action.APPROVE_FOR_INFORMATION:
        approve_for_information(ctx, review_id)
    elif action is Action.COMMENT:
        respond(ctx, review_id, comment=comment)
    elif action is Action.APPROVE:
        decide(ctx, review_id, action)
    else:
        decide(
            ctx,
            review_id,
            action,
            text="A reason or the conditions",
            refer_to=refer_to,
            comes_back=comes_back and action is Action.APPROVE_WITH_CONDITIONS,
        )
