"""The archive: every approved version of every document, kept with its decision, deciders,
dates and summary of changes. Nothing here deletes a version; a retention period only marks
those superseded long enough ago as due for disposal, for a person to decide."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Document, DocumentVersion, Review, Submission
from workflow.context import Ctx, use_case
from workflow.dates import add_months
from workflow.governance import APPROVER

OUTCOME_WORDS = {
    "approved": "approved",
    "approved_no_changes": "reviewed, no changes",
    "interim_approved": "approved in the interim",
}
# The columns of `signoff export --archive`.
ARCHIVE_COLUMNS = (
    "reference",
    "title",
    "version",
    "decision",
    "deciders",
    "submitted_on",
    "approved_on",
    "published_on",
    "superseded_on",
    "due_for_disposal",
    "summary",
    "link",
)


def record(ctx: Ctx, review: Review, submission: Submission, *, outcome: str) -> DocumentVersion:
    """Keep the version `submission` made current, as the decision just taken left it. An
    interim approval keeps it at once; the body's ratification later completes the same entry
    (its deciders and outcome), since it is the same version."""
    document = review.document
    deciders = _deciders(ctx, submission)
    # Only an interim approval keeps a version before the draft's final decision.
    interim = submission.interim_approved()
    kept = (
        ctx.session.scalar(
            select(DocumentVersion).where(DocumentVersion.submission_id == submission.id)
        )
        if interim
        else None
    )
    if kept is not None:
        kept.outcome = outcome
        kept.deciders = deciders
        return kept
    kept = DocumentVersion(
        document_id=document.id,
        review_id=review.id,
        submission_id=submission.id,
        version=document.version,
        link=submission.link if submission.kind == "draft" else document.link,
        outcome=outcome,
        deciders=deciders,
        summary=submission.summary,
        submitted_on=submission.submitted_at.astimezone(ctx.timezone).date(),
        approved_on=ctx.today,
        published_on=None,
        recorded_at=ctx.now,
    )
    ctx.session.add(kept)
    ctx.session.flush()
    return kept


def _deciders(ctx: Ctx, submission: Submission) -> str:
    """Who approved the draft at each level, as people and bodies are named."""
    # The submission's decisions as the use case holds them, the one just taken included.
    decisions = [d for d in submission.decisions if d.outcome in ("approved", "interim_approved")]
    named = []
    for decision in decisions:
        person = decision.decided_by.display if decision.decided_by else "signoff"
        body = "approver" if decision.body == APPROVER else ctx.governance.name_of(decision.body)
        how = " in the interim" if decision.outcome == "interim_approved" else ""
        named.append(f"{person} ({body}{how})")
    return "; ".join(named)


def published(ctx: Ctx, document: Document) -> None:
    """The version just published: its archive entry says when."""
    kept = ctx.session.scalar(
        select(DocumentVersion)
        .where(
            DocumentVersion.document_id == document.id,
            DocumentVersion.version == document.published_version,
            DocumentVersion.outcome != "approved_no_changes",
        )
        .order_by(DocumentVersion.id.desc())
    )
    if kept is not None and kept.published_on is None:
        kept.published_on = document.published_on


@dataclass(frozen=True)
class VersionView:
    reference: str
    title: str
    version: str | None
    outcome: str
    deciders: str | None
    summary: str | None
    link: str | None
    submitted_on: date | None
    approved_on: date
    published_on: date | None
    superseded_on: date | None  # when the next version was approved; None while current
    due_for_disposal: date | None  # from when it may be disposed of, under the retention

    @property
    def decision(self) -> str:
        return OUTCOME_WORDS.get(self.outcome, self.outcome)

    def row(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "title": self.title,
            "version": self.version,
            "decision": self.decision,
            "deciders": self.deciders,
            "submitted_on": self.submitted_on,
            "approved_on": self.approved_on,
            "published_on": self.published_on,
            "superseded_on": self.superseded_on,
            "due_for_disposal": self.due_for_disposal,
            "summary": self.summary,
            "link": self.link,
        }


def versions(
    session: Session, document_ids: list[int] | None = None, *, retention_years: int | None
) -> list[VersionView]:
    """Every kept version (of the documents named, or of all), by document then oldest first."""
    query = (
        select(DocumentVersion, Document.reference, Document.title)
        .join(Document, Document.id == DocumentVersion.document_id)
        .order_by(Document.reference, DocumentVersion.approved_on, DocumentVersion.id)
    )
    if document_ids is not None:
        query = query.where(DocumentVersion.document_id.in_(document_ids))
    rows = session.execute(query).all()
    views = []
    for n, (kept, reference, title) in enumerate(rows):
        following = rows[n + 1][0] if n + 1 < len(rows) else None
        superseded = (
            following.approved_on
            if following is not None and following.document_id == kept.document_id
            else None
        )
        due = (
            add_months(superseded, 12 * retention_years)
            if superseded is not None and retention_years
            else None
        )
        views.append(
            VersionView(
                reference=reference,
                title=title,
                version=kept.version,
                outcome=kept.outcome,
                deciders=kept.deciders,
                summary=kept.summary,
                link=kept.link,
                submitted_on=kept.submitted_on,
                approved_on=kept.approved_on,
                published_on=kept.published_on,
                superseded_on=superseded,
                due_for_disposal=due,
            )
        )
    return views


@use_case
def archive_rows(ctx: Ctx, *, retention_years: int | None) -> list[dict[str, Any]]:
    """The whole archive as rows, for `signoff export --archive`."""
    return [view.row() for view in versions(ctx.session, retention_years=retention_years)]


def latest_summary(session: Session, document_id: int, version: str | None) -> str | None:
    """What changed in `version`, as its owner summarised it."""
    return session.scalar(
        select(DocumentVersion.summary)
        .where(DocumentVersion.document_id == document_id, DocumentVersion.version == version)
        .order_by(DocumentVersion.id.desc())
    )
