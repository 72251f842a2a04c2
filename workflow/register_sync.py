"""Import the register into signoff, and export it back out, as use cases."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from db.models import Document, Person, Review
from workflow import audit
from workflow.context import Ctx, use_case
from workflow.register import RegisterRow
from workflow.states import State

# The register fields an import may set, in the order the history shows them.
_FIELDS = (
    "title",
    "doc_type",
    "service_area",
    "owner_email",
    "approver_email",
    "review_cycle_months",
    "last_approved",
    "next_review_due",
    "version",
    "link",
)


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    people_created: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def summary(self) -> str:
        if not self.changed:
            return f"No changes: all {self.unchanged} documents already match the register."
        parts = [
            f"{len(self.created)} added",
            f"{len(self.updated)} updated",
            f"{self.unchanged} unchanged",
        ]
        if self.people_created:
            parts.append(f"{self.people_created} new people")
        return "Imported the register: " + ", ".join(parts) + "."


def _values(document: Document, emails: dict[int, str]) -> dict[str, Any]:
    return {
        "title": document.title,
        "doc_type": document.doc_type,
        "service_area": document.service_area,
        "owner_email": emails.get(document.owner_id) if document.owner_id else None,
        "approver_email": emails.get(document.approver_id),
        "review_cycle_months": document.review_cycle_months,
        "last_approved": document.last_approved,
        "next_review_due": document.next_review_due,
        "version": document.version,
        "link": document.link,
    }


@use_case
def import_register(ctx: Ctx, rows: list[RegisterRow]) -> ImportResult:
    """Upsert every row by reference, creating people by e-mail, in one transaction.

    Rows must already be valid (see `workflow.register.validate`)."""
    session = ctx.session
    result = ImportResult()
    people = {person.email: person for person in session.scalars(select(Person))}
    emails = {person.id: person.email for person in people.values()}
    documents = {doc.reference.upper(): doc for doc in session.scalars(select(Document))}

    def person(email: str | None) -> Person | None:
        if email is None:
            return None
        found = people.get(email)
        if found is None:
            found = Person(email=email, created_at=ctx.now)
            session.add(found)
            session.flush()
            people[email] = found
            emails[found.id] = email
            result.people_created += 1
        return found

    for row in rows:
        wanted = {name: getattr(row, name) for name in _FIELDS}
        owner, approver = person(row.owner_email), person(row.approver_email)
        assert approver is not None
        document = documents.get(row.reference.upper())
        if document is None:
            document = Document(
                reference=row.reference,
                title=row.title,
                doc_type=row.doc_type,
                service_area=row.service_area,
                owner_id=owner.id if owner else None,
                approver_id=approver.id,
                review_cycle_months=row.review_cycle_months,
                last_approved=row.last_approved,
                next_review_due=row.next_review_due,
                version=row.version,
                link=row.link,
                created_at=ctx.now,
                updated_at=ctx.now,
            )
            session.add(document)
            session.flush()
            documents[row.reference.upper()] = document
            result.created.append(row.reference)
            audit.record(
                ctx, "document.created", document=document, after=wanted, detail=f"line {row.line}"
            )
            continue
        current = _values(document, emails)
        changed = {name for name in _FIELDS if current[name] != wanted[name]}
        if not changed:
            result.unchanged += 1
            continue
        for name in changed - {"owner_email", "approver_email"}:
            setattr(document, name, wanted[name])
        document.owner_id = owner.id if owner else None
        document.approver_id = approver.id
        document.updated_at = ctx.now
        if "next_review_due" in changed:
            _follow_due_date(ctx, document, row.next_review_due)
        result.updated.append(row.reference)
        audit.record(
            ctx,
            "document.updated",
            document=document,
            before={name: current[name] for name in sorted(changed)},
            after={name: wanted[name] for name in sorted(changed)},
            detail=f"line {row.line}",
        )
    audit.record(ctx, "register.imported", detail=result.summary())
    return result


def _follow_due_date(ctx: Ctx, document: Document, due: date) -> None:
    # A scheduled review that has not yet been answered follows the register's new date.
    review = ctx.session.scalar(
        select(Review).where(Review.document_id == document.id, Review.closed_at.is_(None))
    )
    if review is not None and review.route == "scheduled_review":
        review.due_date = due


@use_case
def export_register(ctx: Ctx) -> list[dict[str, Any]]:
    session = ctx.session
    emails = {person.id: person.email for person in session.scalars(select(Person))}
    open_reviews = {
        review.document_id: review
        for review in session.scalars(select(Review).where(Review.closed_at.is_(None)))
    }
    rows = []
    for document in session.scalars(select(Document).order_by(Document.reference)):
        review = open_reviews.get(document.id)
        values = _values(document, emails)
        rows.append(
            {
                "reference": document.reference,
                "type": values.pop("doc_type"),
                **values,
                "status": review.state if review is not None else State.CURRENT.value,
                "target_date": review.target_date if review is not None else None,
                "publication": "pending" if document.pending_publication_version else None,
            }
        )
    return rows
