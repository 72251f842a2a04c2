"""Import the register into signoff, and export it back out, as use cases."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from db.models import Document, Person, Review
from workflow import audit, links
from workflow.context import Ctx, use_case
from workflow.dates import days_late
from workflow.queries import due_by
from workflow.register import RegisterRow
from workflow.states import State
from workflow.words import counted

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
    "committee",
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
            if self.unchanged == 1:
                return "No changes: the 1 document already matches the register."
            if not self.unchanged:
                return "No changes: the file has no documents."
            return f"No changes: all {self.unchanged} documents already match the register."
        total = len(self.created) + len(self.updated) + self.unchanged
        parts = [
            f"{len(self.created)} added",
            f"{len(self.updated)} updated",
            f"{self.unchanged} unchanged",
        ]
        if self.people_created:
            parts.append(counted(self.people_created, "new person", "new people"))
        return f"Imported the register ({counted(total, 'document')}): " + ", ".join(parts) + "."


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
        "committee": document.committee,
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
                committee=row.committee,
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
    _link(ctx, rows, documents, result)
    audit.record(ctx, "register.imported", detail=result.summary())
    return result


def _link(
    ctx: Ctx, rows: list[RegisterRow], documents: dict[str, Document], result: ImportResult
) -> None:
    """Each row's `governed_by`, once every row's document exists (a row may name one further
    down the file). Rows validated with `workflow.register.check_governed_by`."""
    for row in rows:
        if row.governed_by is None:
            continue
        document = documents[row.reference.upper()]
        before = "; ".join(links.governed_by_of(ctx.session, document.id)) or None
        governing = [documents[reference.upper()] for reference in row.governed_by]
        if not links.replace_links(ctx, document, governing):
            continue
        after = "; ".join(sorted(doc.reference for doc in governing)) or None
        if row.reference not in result.created and row.reference not in result.updated:
            result.updated.append(row.reference)
            result.unchanged -= 1
        audit.record(
            ctx,
            "document.links_changed",
            document=document,
            before={"governed_by": before},
            after={"governed_by": after},
            detail=f"line {row.line}",
        )


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
    follows = links.governed_by(session)
    rows = []
    for document in session.scalars(select(Document).order_by(Document.reference)):
        review = open_reviews.get(document.id)
        values = _values(document, emails)
        values["approving_committee"] = values.pop("committee")
        rows.append(
            {
                "reference": document.reference,
                "type": values.pop("doc_type"),
                **values,
                "governed_by": "; ".join(follows.get(document.reference, [])) or None,
                "status": _status(document, review, ctx.today),
                "target_date": review.target_date if review is not None else None,
                "publication": "pending" if document.pending_publication_version else None,
            }
        )
    return rows


def _status(document: Document, review: Review | None, today: date) -> str:
    # Overdue is not a state, but it is what the register's keeper looks for, and it holds
    # from the day after the due date whether or not a tick has opened the review yet.
    if days_late(due_by(document, review), today):
        return "overdue"
    return review.state if review is not None else State.CURRENT.value
