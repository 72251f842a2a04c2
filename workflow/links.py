"""Documents as a web: which follow which (a procedure its policy, a form its procedure), what a
change to one means for the others, and the questions asked of their owners.

When a document is approved with changes, the owner of each document linked to it, in either
direction, is asked once: does yours need to change too? *No impact*, *Review now* (an
unscheduled review opens, the reason filled in) or *Later* (asked again in 14 days).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from db.inserts import insert_if_absent
from db.models import Document, DocumentLink, ImpactQuestion, Person, Review, Submission
from workflow import audit
from workflow.context import Actor, Ctx, use_case
from workflow.errors import Refused
from workflow.outbox import enqueue

ANSWERS = {"no_impact": "No impact", "review_now": "Review now", "later": "Later"}
ASK_AGAIN_AFTER = timedelta(days=14)
LINKED_CHANGE = "linked_change"  # the reason an unscheduled review opened this way gives


# --- the links ---------------------------------------------------------------------------


def governed_by(session: Session) -> dict[str, list[str]]:
    """Every document's reference, and the references of those it follows (sorted)."""
    documents = dict(session.execute(select(Document.id, Document.reference)).all())
    found: dict[str, list[str]] = {reference: [] for reference in documents.values()}
    for follower, governing in session.execute(
        select(DocumentLink.document_id, DocumentLink.governed_by_id)
    ):
        found[documents[follower]].append(documents[governing])
    return {reference: sorted(refs) for reference, refs in found.items()}


def governed_by_of(session: Session, document_id: int) -> list[str]:
    """The references of the documents one document follows, sorted."""
    return [doc.reference for doc in _follows(session, document_id)]


def replace_links(ctx: Ctx, document: Document, governing: list[Document]) -> bool:
    """Make `document` follow exactly `governing`; True when that changed anything."""
    current = {
        link.governed_by_id: link
        for link in ctx.session.scalars(
            select(DocumentLink).where(DocumentLink.document_id == document.id)
        )
    }
    wanted = {doc.id for doc in governing}
    for governing_id in set(current) - wanted:
        # A link is what the register says now, not a record: the audit keeps what it was.
        ctx.session.delete(current[governing_id])
    for governing_id in wanted - set(current):
        ctx.session.add(
            DocumentLink(document_id=document.id, governed_by_id=governing_id, created_at=ctx.now)
        )
    ctx.session.flush()
    return set(current) != wanted


def _follows(session: Session, document_id: int) -> list[Document]:
    return list(
        session.scalars(
            select(Document)
            .join(DocumentLink, DocumentLink.governed_by_id == Document.id)
            .where(DocumentLink.document_id == document_id)
            .order_by(Document.reference)
        )
    )


def _followers(session: Session, document_id: int) -> list[Document]:
    return list(
        session.scalars(
            select(Document)
            .join(DocumentLink, DocumentLink.document_id == Document.id)
            .where(DocumentLink.governed_by_id == document_id)
            .order_by(Document.reference)
        )
    )


def _leads_to(session: Session, start: int, goal: int) -> bool:
    """Whether `start` follows `goal`, directly or through others."""
    seen, frontier = {start}, [start]
    while frontier:
        following = [
            governing
            for (governing,) in session.execute(
                select(DocumentLink.governed_by_id).where(DocumentLink.document_id.in_(frontier))
            )
        ]
        if goal in following:
            return True
        frontier = [doc for doc in following if doc not in seen]
        seen.update(frontier)
    return False


@use_case
def link(
    ctx: Ctx, follower_reference: str, governing_reference: str, *, linked: bool = True
) -> str:
    """An admin says that one document follows another (or, `linked` False, no longer does).
    Returns what the register now says, in a sentence."""
    from workflow.reviews import find_document

    follower = find_document(ctx, follower_reference)
    governing = find_document(ctx, governing_reference)
    if not ctx.actor.is_admin:
        raise Refused(
            f"Only an admin (the policy officer) can change which documents {follower.reference} "
            "follows."
        ).about(follower.id)
    if follower.id == governing.id:
        raise Refused(
            f"{follower.reference} cannot follow itself.", code="invalid", field="governed_by"
        ).about(follower.id)
    follows = _follows(ctx.session, follower.id)
    before = "; ".join(doc.reference for doc in follows)
    if linked:
        if any(doc.id == governing.id for doc in follows):
            raise Refused(
                f"{follower.reference} already follows {governing.reference}.", code="invalid"
            ).about(follower.id)
        if _leads_to(ctx.session, governing.id, follower.id):
            raise Refused(
                f"{governing.reference} already follows {follower.reference}, directly or "
                "through others: a document cannot follow itself, even through others.",
                code="invalid",
                field="governed_by",
            ).about(follower.id)
        follows.append(governing)
    else:
        if not any(doc.id == governing.id for doc in follows):
            raise Refused(
                f"{follower.reference} does not follow {governing.reference}.", code="invalid"
            ).about(follower.id)
        follows = [doc for doc in follows if doc.id != governing.id]
    replace_links(ctx, follower, follows)
    after = "; ".join(sorted(doc.reference for doc in follows))
    audit.record(
        ctx,
        "document.links_changed",
        document=follower,
        before={"governed_by": before or None},
        after={"governed_by": after or None},
    )
    if not follows:
        return f"{follower.reference} now follows no other document."
    return f"{follower.reference} now follows {after}."


# --- what depends on a document ----------------------------------------------------------


@dataclass(frozen=True)
class Node:
    """A document in the tree of what depends on another, `depth` steps below it."""

    reference: str
    title: str
    doc_type: str
    version: str | None
    owner: str | None
    depth: int
    seen_above: bool = False  # reached again by another way: not expanded twice


def impact_tree(session: Session, document: Document) -> tuple[list[Node], list[Node]]:
    """(what `document` follows, and every document that follows it, directly or through
    others, in tree order with its depth)."""
    from workflow.reviews import acting_owner_id

    def node(doc: Document, depth: int, seen_above: bool = False) -> Node:
        owner = session.get(Person, acting_owner_id(doc))
        return Node(
            doc.reference,
            doc.title,
            doc.doc_type,
            doc.version,
            owner.display if owner else None,
            depth,
            seen_above,
        )

    above = [node(doc, 0) for doc in _follows(session, document.id)]
    below: list[Node] = []
    expanded = {document.id}
    stack = [(doc, 1) for doc in reversed(_followers(session, document.id))]
    while stack:
        doc, depth = stack.pop()
        again = doc.id in expanded
        below.append(node(doc, depth, again))
        if again:
            continue
        expanded.add(doc.id)
        stack += [(child, depth + 1) for child in reversed(_followers(session, doc.id))]
    return above, below


# --- asking the owners of linked documents -----------------------------------------------


def ask_linked_owners(ctx: Ctx, review: Review, submission: Submission) -> list[int]:
    """After `review` approved a changed draft: ask the owner of every document linked to its
    document, once per document. The questions' ids."""
    from workflow.reviews import acting_owner_id

    document = review.document
    # As the review was loaded (with its document's links), or else read now.
    linked = [(doc, "follows") for doc in document.followers]
    linked += [(doc, "governs") for doc in document.follows]
    asked = []
    for other, relation in linked:
        if not insert_if_absent(
            ctx.session,
            ImpactQuestion,
            {
                "review_id": review.id,
                "document_id": document.id,
                "linked_document_id": other.id,
                "relation": relation,
                "summary": submission.summary,
                "version": document.version,
                "asked_at": ctx.now,
                "times_asked": 1,
            },
            ["review_id", "linked_document_id"],
        ):
            continue
        question_id = ctx.session.scalar(
            select(ImpactQuestion.id).where(
                ImpactQuestion.review_id == review.id,
                ImpactQuestion.linked_document_id == other.id,
            )
        )
        assert question_id is not None
        owner_id = acting_owner_id(other)
        _send(ctx, question_id, 1, owner_id, review.id)
        owner = ctx.session.get(Person, owner_id)
        audit.record(
            ctx,
            "impact.asked",
            document=other,
            detail=f"{document.reference} changed (version {document.version}): "
            f"{submission.summary} Does {other.reference} need to change too? Asked of "
            f"{owner.display if owner else 'its owner'}.",
        )
        asked.append(question_id)
    return asked


def _send(ctx: Ctx, question_id: int, times: int, person_id: int, review_id: int) -> None:
    enqueue(
        ctx.session,
        f"impact_question:{question_id}:{times}",
        "impact_question",
        now=ctx.now,
        person_id=person_id,
        # About the changed document's review: its messages, this one among them, are kept
        # true together.
        review_id=review_id,
        payload={"question_id": question_id},
    )


@use_case
def answer(ctx: Ctx, question_id: int, choice: str) -> ImpactQuestion:
    """The linked document's owner (or their deputy, or an admin) answers: no impact, review
    now (an unscheduled review opens with the reason filled in), or later (asked again)."""
    from workflow.reviews import acting_owner_id, open_review_of, roles_of
    from workflow.routes import request_review
    from workflow.states import Role

    if choice not in ANSWERS:
        raise ValueError(f"unknown answer {choice!r}")
    question = ctx.session.scalar(
        select(ImpactQuestion).where(ImpactQuestion.id == question_id).with_for_update()
    )
    if question is None:
        raise Refused("That question does not exist.", code="not_found")
    linked = ctx.session.get(Document, question.linked_document_id)
    changed = ctx.session.get(Document, question.document_id)
    assert linked is not None and changed is not None
    roles = roles_of(ctx.actor, linked)
    if not roles & {Role.OWNER, Role.ADMIN}:
        owner = ctx.session.get(Person, acting_owner_id(linked))
        raise Refused(
            f"Only the owner of {linked.reference} ({owner.display if owner else 'nobody'}) "
            "or an admin can answer this."
        ).about(linked.id)
    if question.answer in ("no_impact", "review_now"):
        who = ctx.session.get(Person, question.answered_by_id) if question.answered_by_id else None
        raise Refused(
            f"Whether {linked.reference} needs to change after {changed.reference} "
            f"{question.version} was already answered: {ANSWERS[question.answer]}"
            + (f", by {who.display}." if who else "."),
            code="wrong_state",
        ).about(linked.id)
    on_behalf_of = None
    if Role.OWNER not in roles_of(_in_person(ctx), linked):
        on_behalf_of = acting_owner_id(linked)
    question.answer = choice
    question.answered_at = ctx.now
    question.answered_by_id = ctx.actor.person_id
    question.ask_again_on = ctx.today + ASK_AGAIN_AFTER if choice == "later" else None
    asked = (
        f"{changed.reference} {changed.title} changed (version {question.version}): "
        f"{question.summary or 'no summary given'}"
    )
    detail = f"{ANSWERS[choice]}: {asked}"
    if choice == "later":
        detail += f" Asked again on {question.ask_again_on:%d %b %Y}."
    if choice == "review_now":
        reason = (
            f"{asked}. Asked whether {linked.reference} needs to change too, its owner "
            "answered Review now."
        )
        review = open_review_of(ctx, linked)
        if review is None:
            review = request_review.__wrapped__(  # type: ignore[attr-defined]
                ctx, linked.reference, reason=LINKED_CHANGE, details=reason
            )
        else:
            audit.record(ctx, "review.note", review=review, detail=reason)
            detail += " (its review already open takes it in)"
        question.opened_review_id = review.id
    event = audit.record(
        ctx, "impact.answered", document=linked, detail=detail, on_behalf_of=on_behalf_of
    )
    from workflow.routing import refresh

    refresh(ctx, ctx.session.get(Review, question.review_id), event.id)  # type: ignore[arg-type]
    return question


def _in_person(ctx: Ctx) -> Actor:
    """The actor without those they stand in for: whether they hold a role themselves."""
    return replace(ctx.actor, stands_in_for=frozenset(), stands_in_for_emails=frozenset())


@use_case
def ask_again(ctx: Ctx) -> list[int]:
    """The questions answered *Later* whose day has come are asked again."""
    from workflow.reviews import acting_owner_id

    due = ctx.session.scalars(
        select(ImpactQuestion)
        .where(ImpactQuestion.answer == "later", ImpactQuestion.ask_again_on <= ctx.today)
        .order_by(ImpactQuestion.id)
        .with_for_update()
    ).all()
    for question in due:
        linked = ctx.session.get(Document, question.linked_document_id)
        changed = ctx.session.get(Document, question.document_id)
        assert linked is not None and changed is not None
        question.answer = None
        question.ask_again_on = None
        question.times_asked += 1
        question.asked_at = ctx.now
        _send(ctx, question.id, question.times_asked, acting_owner_id(linked), question.review_id)
        audit.record(
            ctx,
            "impact.asked_again",
            document=linked,
            detail=f"{changed.reference} changed (version {question.version}): does "
            f"{linked.reference} need to change too?",
        )
    return [q.id for q in due]


# --- what messages and the history show --------------------------------------------------


@dataclass(frozen=True)
class QuestionView:
    id: int
    review_id: int
    changed_reference: str
    changed_title: str
    changed_link: str | None
    version: str | None
    summary: str | None
    linked_reference: str
    linked_title: str
    linked_link: str | None
    relation: str  # the linked document follows the changed one, or governs it
    times_asked: int
    asked_at: datetime
    answer: str | None
    answered_by: str | None
    answered_at: datetime | None
    ask_again_on: date | None
    opened_review_id: int | None

    @property
    def answer_words(self) -> str | None:
        return ANSWERS.get(self.answer) if self.answer else None


def question_views(
    session: Session, *, ids: list[int] | None = None, document_id: int | None = None
) -> list[QuestionView]:
    """The questions named, or those about one document (as changed, or as linked)."""
    query = select(ImpactQuestion).order_by(ImpactQuestion.id)
    if ids is not None:
        query = query.where(ImpactQuestion.id.in_(ids))
    if document_id is not None:
        query = query.where(
            or_(
                ImpactQuestion.document_id == document_id,
                ImpactQuestion.linked_document_id == document_id,
            )
        )
    views = []
    for q in session.scalars(query):
        changed = session.get(Document, q.document_id)
        linked = session.get(Document, q.linked_document_id)
        assert changed is not None and linked is not None
        who = session.get(Person, q.answered_by_id) if q.answered_by_id else None
        views.append(
            QuestionView(
                id=q.id,
                review_id=q.review_id,
                changed_reference=changed.reference,
                changed_title=changed.title,
                changed_link=changed.link,
                version=q.version,
                summary=q.summary,
                linked_reference=linked.reference,
                linked_title=linked.title,
                linked_link=linked.link,
                relation=q.relation,
                times_asked=q.times_asked,
                asked_at=q.asked_at,
                answer=q.answer,
                answered_by=who.display if who else None,
                answered_at=q.answered_at,
                ask_again_on=q.ask_again_on,
                opened_review_id=q.opened_review_id,
            )
        )
    return views
