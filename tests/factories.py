"""A small register to act on: people with their roles, and documents at any state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from bot.runtime import Runtime
from db.models import Document, Person, Review
from workflow.context import SYSTEM, Actor, Ctx
from workflow.register import RegisterRow
from workflow.register_sync import import_register
from workflow.reviews import (
    decide,
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
        self, state: State, reference: str = "LAC-014", *, back_to_slt: bool = False
    ) -> int | None:
        """Walk a document's review to `state` by the ordinary route; its review id."""
        if state is State.CURRENT:
            return None
        review = open_review(self.ctx(SYSTEM), reference)
        if state is State.REVIEW_DUE:
            return review.id
        start_review(self.ctx(OWNER), review.id)
        if state is State.IN_REVIEW:
            return review.id
        submit_draft(
            self.ctx(OWNER),
            review.id,
            link="https://drafts.example.org/1",
            summary="Updated the timescales",
        )
        if state is State.AWAITING_APPROVAL:
            return review.id
        if state is State.CHANGES_REQUESTED and not back_to_slt:
            decide(
                self.ctx(APPROVER),
                review.id,
                Action.APPROVE_WITH_CONDITIONS,
                text="Add the IRO's role",
            )
            return review.id
        decide(self.ctx(APPROVER), review.id, Action.DEFER_TO_SLT, text="Spans two services")
        if state is State.AWAITING_SLT:
            return review.id
        decide(
            self.ctx(SLT),
            review.id,
            Action.SLT_APPROVE_WITH_CONDITIONS,
            text="Add the IRO's role",
            back_to_slt=back_to_slt,
        )
        return review.id


def act(
    ctx: Ctx, action: Action, review_id: int | None, *, today: date, reference: str = "LAC-014"
) -> None:
    """Take `action` through its use case, as a handler or a job would."""
    if action is Action.OPEN:
        open_review(ctx, reference)
    elif action is Action.START:
        start_review(ctx, review_id)
    elif action is Action.SUBMIT_DRAFT:
        submit_draft(ctx, review_id, link="https://drafts.example.org/2", summary="Redrafted")
    elif action is Action.SUBMIT_NO_CHANGES:
        submit_no_changes(ctx, review_id)
    elif action is Action.SET_TARGET_DATE:
        set_target_date(ctx, review_id, today + timedelta(days=7))
    else:
        decide(
            ctx,
            review_id,
            action,
            text="A reason or the conditions",
            back_to_slt=action is Action.SLT_APPROVE_WITH_CONDITIONS,
        )
