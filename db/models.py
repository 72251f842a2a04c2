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


# No column defaults to the wall clock: every time is given by the use case that writes it, from
# the one clock the runtime holds.
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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Microsoft Teams: who they are there, and the 1:1 conversation the app was installed into
    # (with the service URL Teams gave with it), so that signoff can write to them first.
    teams_aad_object_id: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    teams_user_id: Mapped[str | None] = mapped_column(String(255))
    teams_conversation_id: Mapped[str | None] = mapped_column(String(512))
    teams_service_url: Mapped[str | None] = mapped_column(String(512))
    teams_tenant_id: Mapped[str | None] = mapped_column(String(64))

    @property
    def display(self) -> str:
        return self.name or self.email


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (
        # A reference is looked up as people type it, in any case (find_document): without this
        # each lookup read the whole register (0007).
        Index("ix_documents_reference_upper", text("upper(reference)")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    doc_type: Mapped[str] = mapped_column(String(32))
    service_area: Mapped[str | None] = mapped_column(String(200))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    approver_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    review_cycle_months: Mapped[int] = mapped_column(Integer)
    last_approved: Mapped[date | None] = mapped_column(Date)
    # Indexed: the daily reminders read only what falls due within their window (0007).
    next_review_due: Mapped[date] = mapped_column(Date, index=True)
    version: Mapped[str | None] = mapped_column(String(32))
    link: Mapped[str | None] = mapped_column(Text)
    # An approved amended draft waits here until the policy officer marks it published.
    pending_publication_version: Mapped[str | None] = mapped_column(String(32))
    published_version: Mapped[str | None] = mapped_column(String(32))
    published_on: Mapped[date | None] = mapped_column(Date)
    # The approving committee the register names for it, where the governance asks for one: the
    # key of one of the governance file's bodies.
    committee: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    owner: Mapped[Person | None] = relationship(foreign_keys=[owner_id])
    approver: Mapped[Person] = relationship(foreign_keys=[approver_id])
    # The documents this one follows (a procedure's policy) and those that follow it, as the
    # register links them (DocumentLink); read-only here, written as links.
    follows: Mapped[list[Document]] = relationship(
        secondary="document_links",
        primaryjoin="Document.id == DocumentLink.document_id",
        secondaryjoin="Document.id == DocumentLink.governed_by_id",
        order_by="Document.reference",
        viewonly=True,
    )
    followers: Mapped[list[Document]] = relationship(
        secondary="document_links",
        primaryjoin="Document.id == DocumentLink.governed_by_id",
        secondaryjoin="Document.id == DocumentLink.document_id",
        order_by="Document.reference",
        viewonly=True,
    )


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
    due_date: Mapped[date] = mapped_column(Date, index=True)
    target_date: Mapped[date | None] = mapped_column(Date)
    # Where the draft stands on its route: the level (1, 2 ...) and the body whose decision it
    # awaits there (the level's own, or one it was referred to). Set once it is submitted.
    level: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    body: Mapped[str | None] = mapped_column(String(64))
    # After conditions: the body the redraft goes to when it is not the level's own (a body
    # that asked to see it again).
    back_to: Mapped[str | None] = mapped_column(String(64))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
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
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)

    review: Mapped[Review] = relationship(back_populates="submissions")
    decisions: Mapped[list[Decision]] = relationship(
        back_populates="submission", order_by="Decision.id"
    )

    def interim_approved(self, level: int | None = None) -> bool:
        """Whether this draft was approved in the interim (at `level`, or at any)."""
        return any(
            d.outcome == "interim_approved" and level in (None, d.level) for d in self.decisions
        )


class Decision(Base):
    __tablename__ = "decisions"
    # One decision per submission, level, body and approver: a double click cannot record two.
    # `slot` is 0 for a single decider, else the approver's person id (several approvers).
    __table_args__ = (UniqueConstraint("submission_id", "level", "body", "slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"))
    level: Mapped[int] = mapped_column(Integer)  # the level of the route it was taken at
    body: Mapped[str] = mapped_column(String(64))  # the body that took it
    # approved | approved_with_conditions | referred | interim_approved
    outcome: Mapped[str] = mapped_column(String(32))
    # approved_with_conditions: the conditions; referred: the reason
    text: Mapped[str | None] = mapped_column(Text)
    referred_to: Mapped[str | None] = mapped_column(String(64))
    # Conditions that ask for the redraft to come back to this body.
    comes_back: Mapped[bool] = mapped_column(Boolean, default=False)
    slot: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)

    submission: Mapped[Submission] = relationship(back_populates="decisions")
    decided_by: Mapped[Person | None] = relationship()


class AuditEvent(Base):
    """Append-only: nothing in signoff updates or deletes these rows."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
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
    """A message to send. The key makes each one once-only; `sent_at` says it went;
    `parked_at` says it waits for someone to fix what stops it."""

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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    # Set when Slack said something that retrying cannot change (signoff is not in the channel,
    # a permission is missing): the row waits, not retried, until someone fixes the cause and
    # runs `signoff outbox retry`. The cause names what is wrong and where, so that the admins
    # are told once per cause, not once per message.
    parked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    parked_cause: Mapped[str | None] = mapped_column(String(255), index=True)


class JobRun(Base):
    """The ledger of periodic jobs: one row per job and period, so a period runs once."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    produced: Mapped[int] = mapped_column(Integer, default=0)


class PostedMessage(Base):
    """A message signoff posted about a review, so that it can be kept true in place: in Slack
    (its channel and ts) or in Teams (its conversation, activity id and service URL)."""

    __tablename__ = "posted_messages"
    __table_args__ = (UniqueConstraint("channel", "ts"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"), unique=True)
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    kind: Mapped[str] = mapped_column(String(64))
    platform: Mapped[str] = mapped_column(String(16), default="slack", server_default="slack")
    channel: Mapped[str | None] = mapped_column(String(64))  # Slack
    ts: Mapped[str | None] = mapped_column(String(32))  # Slack
    room: Mapped[str | None] = mapped_column(String(512))  # Teams: the conversation id
    message_id: Mapped[str | None] = mapped_column(String(255))  # Teams: the activity id
    service_url: Mapped[str | None] = mapped_column(String(512))  # Teams
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A meeting's papers: kept true as each item on it is decided.
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"), index=True)


class TeamsConversation(Base):
    """A Teams conversation signoff was installed into, or was written to from: the reference
    it needs to post there first (a person's 1:1 chat, or a team's channel)."""

    __tablename__ = "teams_conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(512), unique=True)
    service_url: Mapped[str] = mapped_column(String(512))
    tenant_id: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # personal | channel | groupChat
    team_id: Mapped[str | None] = mapped_column(String(512))
    name: Mapped[str | None] = mapped_column(String(255))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    installed: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class InboundDelivery(Base):
    """Each Slack delivery signoff acted on (an event_id, or a click on one message's button),
    so that a retry or a double click is seen for what it is."""

    __tablename__ = "inbound_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


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
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Meeting(Base):
    """One meeting of a body that decides at meetings, made when the first item is put on it."""

    __tablename__ = "meetings"
    __table_args__ = (UniqueConstraint("body", "held_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(String(64))
    held_on: Mapped[date] = mapped_column(Date)
    agenda_closes_on: Mapped[date] = mapped_column(Date)
    papers_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    papers_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Closed by its chair (or the day after it, by signoff): what was not decided has rolled on.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))

    items: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting", order_by="AgendaItem.id"
    )


class AgendaItem(Base):
    """A review on a meeting's agenda: for decision, for ratification of an interim approval, or
    for information (an approval the meeting notes)."""

    __tablename__ = "agenda_items"
    __table_args__ = (UniqueConstraint("meeting_id", "review_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # decision | ratification | information
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Why it is on this meeting and not an earlier one, when it missed a cut-off or rolled.
    note: Mapped[str | None] = mapped_column(Text)
    # approved | approved_with_conditions | referred | noted | rolled
    outcome: Mapped[str | None] = mapped_column(String(32))
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    meeting: Mapped[Meeting] = relationship(back_populates="items")
    review: Mapped[Review] = relationship()


class Consultation(Base):
    """A draft out for comment before a level decides."""

    __tablename__ = "consultations"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"))
    level: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(String(64))  # the body that decides after it
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)  # the last day for comments
    silence_is_agreement: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    responses: Mapped[list[ConsultationResponse]] = relationship(
        back_populates="consultation", order_by="ConsultationResponse.id"
    )
    consultees: Mapped[list[Consultee]] = relationship(order_by="Consultee.id")


class Consultee(Base):
    """Someone asked for comments, fixed when the consultation opens."""

    __tablename__ = "consultees"
    __table_args__ = (UniqueConstraint("consultation_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))


class ConsultationResponse(Base):
    """What one consulted person said, or that they said nothing by the deadline."""

    __tablename__ = "consultation_responses"
    __table_args__ = (UniqueConstraint("consultation_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    # comment | no_comments | silent (no answer by the deadline)
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text)
    agreed: Mapped[bool] = mapped_column(Boolean, default=False)  # silence taken as agreement
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    consultation: Mapped[Consultation] = relationship(back_populates="responses")


class DocumentLink(Base):
    """One document follows another: a procedure its policy, a form its procedure (the
    register's `governed_by`)."""

    __tablename__ = "document_links"
    __table_args__ = (UniqueConstraint("document_id", "governed_by_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    governed_by_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DocumentVersion(Base):
    """An approved version of a document, kept for reference and to meet legal requirements.
    Nothing deletes these rows; a retention setting only marks those due for disposal."""

    __tablename__ = "document_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id"))
    # The draft (or no-changes statement) approved: one version per submission.
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"), unique=True)
    version: Mapped[str | None] = mapped_column(String(32))
    link: Mapped[str | None] = mapped_column(Text)
    # approved | approved_no_changes | interim_approved (until the body ratifies it)
    outcome: Mapped[str] = mapped_column(String(32))
    deciders: Mapped[str | None] = mapped_column(Text)  # who approved it, at each level
    summary: Mapped[str | None] = mapped_column(Text)  # the summary of changes, or statement
    submitted_on: Mapped[date | None] = mapped_column(Date)
    approved_on: Mapped[date] = mapped_column(Date)
    published_on: Mapped[date | None] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ImpactQuestion(Base):
    """After a document changed, the question to the owner of a document linked to it: does
    this one need to change too? One per approved review and linked document."""

    __tablename__ = "impact_questions"
    __table_args__ = (UniqueConstraint("review_id", "linked_document_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"))  # the one that changed
    linked_document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    # How the linked document stands to the changed one: it follows it, or it governs it.
    relation: Mapped[str] = mapped_column(String(16))  # follows | governs
    summary: Mapped[str | None] = mapped_column(Text)  # what changed, as the owner wrote it
    version: Mapped[str | None] = mapped_column(String(32))  # the changed document's new one
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    times_asked: Mapped[int] = mapped_column(Integer, default=1)
    # no_impact | review_now | later; None while unanswered
    answer: Mapped[str | None] = mapped_column(String(16))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    ask_again_on: Mapped[date | None] = mapped_column(Date, index=True)
    opened_review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id"))


class Uptake(Base):
    """A published version sent to the staff who must read it."""

    __tablename__ = "uptakes"
    __table_args__ = (UniqueConstraint("document_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    version: Mapped[str | None] = mapped_column(String(32))
    published_on: Mapped[date] = mapped_column(Date)
    summary: Mapped[str | None] = mapped_column(Text)  # what changed, for the note
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class UptakeRecipient(Base):
    """One member of a staff group sent a published version to read, and whether they said they
    read it. `address` is the chat platform's ID for them: staff need not be in the register."""

    __tablename__ = "uptake_recipients"
    __table_args__ = (UniqueConstraint("uptake_id", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uptake_id: Mapped[int] = mapped_column(ForeignKey("uptakes.id"), index=True)
    address: Mapped[str] = mapped_column(String(64))
    group_id: Mapped[str] = mapped_column(String(64))  # the group they were found in (first)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
