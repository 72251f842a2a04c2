"""links, archive, uptake: documents that follow others, every approved version, staff reading

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 10:00:00.000000

Three tables of the register as a whole: which documents follow which (`governed_by`), every
approved version kept (the archive), and the staff asked to read what was published (uptake),
with the questions asked of linked documents' owners after a change.

The archive is backfilled from the reviews already approved: each approved draft or no-changes
statement, and each draft approved in the interim, becomes a version with its decision, its
deciders and its dates. The version number comes from the audit event that recorded the
approval (its `after` snapshot); the date of an approval is the `last_approved` that event set,
or for a version approved in the interim (ratified or not) the day the interim approval was
taken, in SIGNOFF_TIMEZONE (default Europe/London), as signoff records it from now on.
"""

import json
import os
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("governed_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_document_links_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["governed_by_id"],
            ["documents.id"],
            name=op.f("fk_document_links_governed_by_id_documents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_links")),
        sa.UniqueConstraint(
            "document_id", "governed_by_id", name=op.f("uq_document_links_document_id")
        ),
    )
    with op.batch_alter_table("document_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_document_links_document_id"), ["document_id"])
        batch_op.create_index(batch_op.f("ix_document_links_governed_by_id"), ["governed_by_id"])

    op.create_table(
        "document_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=True),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.String(length=32), nullable=True),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("deciders", sa.Text(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("submitted_on", sa.Date(), nullable=True),
        sa.Column("approved_on", sa.Date(), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_document_versions_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_document_versions_review_id_reviews")
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_document_versions_submission_id_submissions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_versions")),
        sa.UniqueConstraint("submission_id", name=op.f("uq_document_versions_submission_id")),
    )
    with op.batch_alter_table("document_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_document_versions_document_id"), ["document_id"])

    op.create_table(
        "impact_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("linked_document_id", sa.Integer(), nullable=False),
        sa.Column("relation", sa.String(length=16), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("version", sa.String(length=32), nullable=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("times_asked", sa.Integer(), nullable=False),
        sa.Column("answer", sa.String(length=16), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("ask_again_on", sa.Date(), nullable=True),
        sa.Column("opened_review_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["people.id"],
            name=op.f("fk_impact_questions_answered_by_id_people"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_impact_questions_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["linked_document_id"],
            ["documents.id"],
            name=op.f("fk_impact_questions_linked_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["opened_review_id"],
            ["reviews.id"],
            name=op.f("fk_impact_questions_opened_review_id_reviews"),
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_impact_questions_review_id_reviews")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impact_questions")),
        sa.UniqueConstraint(
            "review_id", "linked_document_id", name=op.f("uq_impact_questions_review_id")
        ),
    )
    with op.batch_alter_table("impact_questions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_impact_questions_review_id"), ["review_id"])
        batch_op.create_index(
            batch_op.f("ix_impact_questions_linked_document_id"), ["linked_document_id"]
        )
        batch_op.create_index(batch_op.f("ix_impact_questions_ask_again_on"), ["ask_again_on"])

    op.create_table(
        "uptakes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=True),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_uptakes_document_id_documents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_uptakes")),
        sa.UniqueConstraint("document_id", "version", name=op.f("uq_uptakes_document_id")),
    )
    with op.batch_alter_table("uptakes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_uptakes_document_id"), ["document_id"])

    op.create_table(
        "uptake_recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uptake_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("group_id", sa.String(length=64), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["uptake_id"], ["uptakes.id"], name=op.f("fk_uptake_recipients_uptake_id_uptakes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_uptake_recipients")),
        sa.UniqueConstraint("uptake_id", "address", name=op.f("uq_uptake_recipients_uptake_id")),
    )
    with op.batch_alter_table("uptake_recipients", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_uptake_recipients_uptake_id"), ["uptake_id"])

    _backfill_archive()


# --- the archive of what was approved before ---------------------------------------------

_reviews = sa.table(
    "reviews",
    sa.column("id", sa.Integer),
    sa.column("document_id", sa.Integer),
    sa.column("outcome", sa.String),
    sa.column("closed_at", sa.DateTime),
)
_submissions = sa.table(
    "submissions",
    sa.column("id", sa.Integer),
    sa.column("review_id", sa.Integer),
    sa.column("seq", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("link", sa.Text),
    sa.column("summary", sa.Text),
    sa.column("submitted_at", sa.DateTime),
)
_decisions = sa.table(
    "decisions",
    sa.column("id", sa.Integer),
    sa.column("submission_id", sa.Integer),
    sa.column("body", sa.String),
    sa.column("outcome", sa.String),
    sa.column("decided_by_id", sa.Integer),
    sa.column("decided_at", sa.DateTime),
)
_documents = sa.table(
    "documents",
    sa.column("id", sa.Integer),
    sa.column("version", sa.String),
    sa.column("link", sa.Text),
    sa.column("published_version", sa.String),
    sa.column("published_on", sa.Date),
)
_people = sa.table(
    "people",
    sa.column("id", sa.Integer),
    sa.column("email", sa.String),
    sa.column("name", sa.String),
)
_events = sa.table(
    "audit_events",
    sa.column("id", sa.Integer),
    sa.column("review_id", sa.Integer),
    sa.column("action", sa.String),
    sa.column("at", sa.DateTime),
    sa.column("after", sa.JSON),
)
_versions = sa.table(
    "document_versions",
    sa.column("document_id", sa.Integer),
    sa.column("review_id", sa.Integer),
    sa.column("submission_id", sa.Integer),
    sa.column("version", sa.String),
    sa.column("link", sa.Text),
    sa.column("outcome", sa.String),
    sa.column("deciders", sa.Text),
    sa.column("summary", sa.Text),
    sa.column("submitted_on", sa.Date),
    sa.column("approved_on", sa.Date),
    sa.column("published_on", sa.Date),
    sa.column("recorded_at", sa.DateTime(timezone=True)),
)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _backfill_archive() -> None:
    bind = op.get_bind()
    zone = ZoneInfo(os.environ.get("SIGNOFF_TIMEZONE") or "Europe/London")
    sqlite = bind.dialect.name == "sqlite"
    names = {pid: name or email for pid, email, name in bind.execute(sa.select(_people)).all()}
    documents = {row.id: row for row in bind.execute(sa.select(_documents)).all()}
    reviews = {row.id: row for row in bind.execute(sa.select(_reviews)).all()}
    submissions = bind.execute(sa.select(_submissions).order_by(_submissions.c.id)).all()
    last_of = {}
    for submission in submissions:
        last_of[submission.review_id] = submission.id
    decisions: dict[int, list[Any]] = {}
    for decision in bind.execute(
        sa.select(_decisions)
        .where(_decisions.c.outcome.in_(("approved", "interim_approved")))
        .order_by(_decisions.c.id)
    ).all():
        decisions.setdefault(decision.submission_id, []).append(decision)
    events: dict[tuple[int, str], list[Any]] = {}
    for event in bind.execute(
        sa.select(_events)
        .where(_events.c.action.in_(("review.approved", "review.interim_approved")))
        .order_by(_events.c.id)
    ).all():
        events.setdefault((event.review_id, event.action), []).append(event)
    # The latest approval of each document: where no event says the version, the document's.
    latest: dict[int, int] = {}
    for review in sorted(reviews.values(), key=lambda r: (r.closed_at is None, r.id)):
        if review.outcome in ("approved", "approved_no_changes"):
            latest[review.document_id] = review.id

    rows = []
    for submission in submissions:
        review = reviews.get(submission.review_id)
        taken = decisions.get(submission.id, [])
        if review is None or not taken:
            continue
        completed = (
            review.outcome in ("approved", "approved_no_changes")
            and last_of.get(review.id) == submission.id
            and any(d.outcome == "approved" for d in taken)
        )
        interim = [d for d in taken if d.outcome == "interim_approved"]
        if not completed and not interim:
            continue
        deciding = [d for d in taken if d.outcome == "approved"][-1] if completed else interim[0]
        action = "review.approved" if completed else "review.interim_approved"
        at = _utc(deciding.decided_at)
        after = next(
            (
                _json(e.after)
                for e in events.get((review.id, action), [])
                if abs((_utc(e.at) - at).total_seconds()) < 1
            ),
            {},
        )
        document = documents[review.document_id]
        version = after.get("version")
        if version is None and latest.get(review.document_id) == review.id:
            version = document.version
        # A version approved in the interim took effect then, whenever it was ratified.
        approved_on = (
            date.fromisoformat(after["last_approved"])
            if completed and not interim and after.get("last_approved")
            else _utc((interim or [deciding])[0].decided_at).astimezone(zone).date()
        )
        rows.append(
            {
                "document_id": review.document_id,
                "review_id": review.id,
                "submission_id": submission.id,
                "version": version,
                "link": submission.link or (document.link if submission.kind != "draft" else None),
                "outcome": review.outcome if completed else "interim_approved",
                "deciders": "; ".join(
                    f"{names.get(d.decided_by_id, 'signoff')} ({d.body})" for d in taken
                ),
                "summary": submission.summary,
                "submitted_on": _utc(submission.submitted_at).astimezone(zone).date(),
                "approved_on": approved_on,
                # Publication is of a changed version, never of a no-changes review.
                "published_on": document.published_on
                if submission.kind == "draft"
                and version is not None
                and document.published_version == version
                else None,
                # Recorded when it was approved: the archive keeps the approval's own moment.
                "recorded_at": at.replace(tzinfo=None) if sqlite else at,
            }
        )
    if rows:
        bind.execute(_versions.insert(), rows)


def _json(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    return json.loads(value) if value else {}


def downgrade() -> None:
    raise NotImplementedError(
        "0005 keeps the archive of every approved version, which must never be lost; restore "
        "a backup taken before the upgrade instead of going back."
    )
