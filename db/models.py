"""The tables: people, the register of documents, reviews and what happened in them,
the audit log, the outbox of messages to send, and the ledger of periodic job runs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names, so that migrations can name what they alter on every database.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite (which keeps no zone) too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Person(Base):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    slack_user_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    # unknown: not looked up yet; found; missing: Slack does not know this e-mail
    slack_lookup: Mapped[str] = mapped_column(String(16), default="unknown")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def display(self) -> str:
        return self.name or self.email


class Document(Base):
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    doc_type: Mapped[str] = mapped_column(String(32))
    service_area: Mapped[str | None] = mapped_column(String(200))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    approver_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    review_cycle_months: Mapped[int] = mapped_column(Integer)
    last_approved: Mapped[date | None] = mapped_column(Date)
    next_review_due: Mapped[date] = mapped_column(Date)
    version: Mapped[str | None] = mapped_column(String(32))
    link: Mapped[str | None] = mapped_column(Text)
    # An approved amended draft waits here until the policy officer marks it published.
    pending_publication_version: Mapped[str | None] = mapped_column(String(32))
    published_version: Mapped[str | None] = mapped_column(String(32))
    published_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    owner: Mapped[Person | None] = relationship(foreign_keys=[owner_id])
    approver: Mapped[Person] = relationship(foreign_keys=[approver_id])


class Review(Base):
    __tablename__ = "reviews"
    __table_args__ = (
        # At most one open review per document, enforced by the database itself.
        Index(
            "uq_reviews_open_per_document",
            "document_id",
            unique=True,
            sqlite_where=text("closed_at IS NULL"),
            postgresql_where=text("closed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    route: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(32))
    due_date: Mapped[date] = mapped_column(Date)
    target_date: Mapped[date | None] = mapped_column(Date)
    back_to_slt: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(32))

    document: Mapped[Document] = relationship()
    submissions: Mapped[list[Submission]] = relationship(
        back_populates="review", order_by="Submission.seq"
    )
    approvers: Mapped[list[ReviewApprover]] = relationship(order_by="ReviewApprover.id")


class Submission(Base):
    __tablename__ = "submissions"
    __table_args__ = (UniqueConstraint("review_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # draft | no_changes
    link: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)  # summary of changes, or the statement
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    review: Mapped[Review] = relationship(back_populates="submissions")
    decisions: Mapped[list[Decision]] = relationship(
        back_populates="submission", order_by="Decision.id"
    )


class Decision(Base):
    __tablename__ = "decisions"
    # One decision per submission, level and approver: a double click cannot record two. `slot`
    # is 0 for the usual single approver, else the approver's person id (several approvers).
    __table_args__ = (UniqueConstraint("submission_id", "level", "slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"))
    level: Mapped[str] = mapped_column(String(8))  # rsm | slt
    outcome: Mapped[str] = mapped_column(String(32))
    # approve_with_conditions: the conditions; defer_to_slt: the reason
    text: Mapped[str | None] = mapped_column(Text)
    back_to_slt: Mapped[bool] = mapped_column(Boolean, default=False)
    slot: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    submission: Mapped[Submission] = relationship(back_populates="decisions")
    decided_by: Mapped[Person | None] = relationship()


class AuditEvent(Base):
    """Append-only: nothing in signoff updates or deletes these rows."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    actor_label: Mapped[str] = mapped_column(String(320))
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id"), index=True)
    action: Mapped[str] = mapped_column(String(64))
    refused: Mapped[bool] = mapped_column(Boolean, default=False)
    detail: Mapped[str | None] = mapped_column(Text)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class OutboxMessage(Base):
    """A message to send. The key makes each one once-only; `sent_at` says it went."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(64))
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id"), index=True)
    # Exactly one of: a person, or an audience that delivery resolves (admins, slt, digest,
    # escalation), so that the rules never need to know a Slack channel.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    audience: Mapped[str | None] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)


class JobRun(Base):
    """The ledger of periodic jobs: one row per job and period, so a period runs once."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    produced: Mapped[int] = mapped_column(Integer, default=0)


class PostedMessage(Base):
    """A Slack message signoff posted about a review, so that it can be kept true in place."""

    __tablename__ = "posted_messages"
    __table_args__ = (UniqueConstraint("channel", "ts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"), unique=True)
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    kind: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(64))
    ts: Mapped[str] = mapped_column(String(32))
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InboundDelivery(Base):
    """Each Slack delivery signoff acted on (an event_id, or a click on one message's button),
    so that a retry or a double click is seen for what it is."""

    __tablename__ = "inbound_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReviewApprover(Base):
    """A review that needs several approvers (a procedure spanning services, named by an update
    round's plan). Without rows here, the document's approver decides alone."""

    __tablename__ = "review_approvers"
    __table_args__ = (UniqueConstraint("review_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))


class UpdateRound(Base):
    """The provider's update plan: documents to amend before a hard submission deadline."""

    __tablename__ = "update_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    deadline: Mapped[date] = mapped_column(Date)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_by: Mapped[str] = mapped_column(String(320))

    items: Mapped[list[RoundItem]] = relationship(back_populates="round", order_by="RoundItem.id")


class RoundItem(Base):
    __tablename__ = "round_items"
    __table_args__ = (UniqueConstraint("round_id", "document_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("update_rounds.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"))
    amendment: Mapped[str] = mapped_column(Text)

    round: Mapped[UpdateRound] = relationship(back_populates="items")
    document: Mapped[Document] = relationship()
    review: Mapped[Review] = relationship()


class Deputy(Base):
    """Someone standing in for a person between two dates (inclusive)."""

    __tablename__ = "deputies"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    deputy_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
