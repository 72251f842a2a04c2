"""Use cases of a review: open, start, submit, decide, set a target date, publish, reassign.

Each runs as one transaction (see `use_case`): it checks the rules, moves the review, and writes
the audit event and the outbox rows of the messages the move calls for. Handlers and jobs call
only these.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import func, select

from db.models import AuditEvent, Decision, Document, Person, Review, Submission
from workflow import audit
from workflow.context import Actor, Ctx, use_case
from workflow.dates import add_months
from workflow.errors import Refused
from workflow.outbox import enqueue
from workflow.states import OPEN_STATES, Action, Role, State, check, next_state
from workflow.versions import next_version

ROUTES = ("scheduled_review", "scheduled_update", "unscheduled_review", "new_document")
RSM_ACTIONS = {Action.APPROVE, Action.APPROVE_WITH_CONDITIONS, Action.DEFER_TO_SLT}
SLT_ACTIONS = {Action.SLT_APPROVE, Action.SLT_APPROVE_WITH_CONDITIONS}
_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)


def no_changes_statement(title: str) -> str:
    return f"The {title} has been reviewed and no changes are required."


def approver_ids(document: Document, review: Review | None = None) -> list[int]:
    """Who must approve: the review's own approvers where it has several, else the document's."""
    if review is not None and review.approvers:
        return [a.person_id for a in review.approvers]
    return [document.approver_id]


def roles_of(actor: Actor, document: Document, review: Review | None = None) -> frozenset[Role]:
    """The actor's roles on this document; a deputy holds the roles of whom they stand in for."""
    roles: set[Role] = set()
    if actor.is_system:
        roles.add(Role.SYSTEM)
    if actor.is_admin:
        roles.add(Role.ADMIN)
    if actor.is_slt:
        roles.add(Role.SLT)
    me = {actor.person_id, *actor.stands_in_for} - {None}
    if me & set(approver_ids(document, review)):
        roles.add(Role.APPROVER)
    if acting_owner_id(document) in me:
        roles.add(Role.OWNER)
    return frozenset(roles)


def acting_owner_id(document: Document) -> int:
    """The owner, or the approver where there is no owner (or the owner has left)."""
    owner = document.owner
    if owner is None or not owner.active:
        return document.approver_id
    return owner.id


# --- loading -------------------------------------------------------------------------------


def find_document(ctx: Ctx, reference: str) -> Document:
    document = ctx.session.scalar(
        select(Document).where(func.upper(Document.reference) == reference.strip().upper())
    )
    if document is None:
        raise Refused(f"There is no document {reference} in the register.", code="not_found")
    return document


def open_review_of(ctx: Ctx, document: Document) -> Review | None:
    return ctx.session.scalar(
        select(Review).where(Review.document_id == document.id, Review.closed_at.is_(None))
    )


def _locked_review(ctx: Ctx, review_id: int) -> Review:
    # FOR UPDATE on PostgreSQL; on SQLite the transaction already holds the write lock.
    review = ctx.session.scalar(select(Review).where(Review.id == review_id).with_for_update())
    if review is None:
        raise Refused(f"There is no review {review_id}.", code="not_found")
    return review


def state_of(review: Review | None) -> State:
    if review is None or review.closed_at is not None:
        return State.CURRENT
    return State(review.state)


def _authorise(ctx: Ctx, document: Document, review: Review | None, action: Action) -> int | None:
    """Check the rule; return whom the actor acted for: an admin holding no role of their own,
    or a deputy standing in."""
    roles = roles_of(ctx.actor, document, review)
    who = {Role.APPROVER: document.approver.display}
    owner = ctx.session.get(Person, acting_owner_id(document))
    if owner is not None:
        who[Role.OWNER] = owner.display
    try:
        rule = check(state_of(review), action, roles, reference=document.reference, who=who)
    except Refused as refusal:
        raise refusal.about(document.id, review.id if review else None) from None
    own = roles_of(replace(ctx.actor, stands_in_for=frozenset()), document, review)
    if own & rule.roles <= {Role.ADMIN}:
        if Role.OWNER in rule.roles:
            return acting_owner_id(document)
        if Role.APPROVER in rule.roles:
            stood_in = set(ctx.actor.stands_in_for) & set(approver_ids(document, review))
            return min(stood_in) if stood_in else approver_ids(document, review)[0]
    return None


def _not_stale(review: Review, seen_submission_id: int | None) -> None:
    if seen_submission_id is None or not review.submissions:
        return
    if review.submissions[-1].id != seen_submission_id:
        raise Refused(
            f"That request for {review.document.reference} is out of date: a later draft has "
            "been submitted since.",
            code="wrong_state",
        ).about(review.document_id, review.id)


def _invalid(
    message: str, document: Document, review: Review | None = None, *, field: str | None = None
) -> Refused:
    return Refused(message, code="invalid", field=field).about(
        document.id, review.id if review else None
    )


def snapshot(review: Review | None, document: Document) -> dict[str, Any]:
    return {
        "state": state_of(review).value,
        "target_date": review.target_date if review else None,
        "version": document.version,
        "last_approved": document.last_approved,
        "next_review_due": document.next_review_due,
    }


def _move(ctx: Ctx, review: Review, state: State) -> None:
    review.state = state.value
    review.state_changed_at = ctx.now


def _refresh(ctx: Ctx, review: Review, event_id: int) -> None:
    """Ask delivery to bring every message about this review up to date."""
    enqueue(
        ctx.session,
        f"refresh:{review.id}:{event_id}",
        "refresh_review",
        now=ctx.now,
        audience="review_messages",
        review_id=review.id,
    )


# --- opening and starting ------------------------------------------------------------------


@use_case
def open_review(
    ctx: Ctx,
    reference: str,
    *,
    route: str = "scheduled_review",
    due_date: date | None = None,
    reason: str | None = None,
    requested_by_id: int | None = None,
) -> Review:
    if route not in ROUTES:
        raise ValueError(f"unknown route {route!r}")
    document = find_document(ctx, reference)
    current = open_review_of(ctx, document)
    on_behalf_of = _authorise(ctx, document, current, Action.OPEN)
    review = Review(
        document_id=document.id,
        route=route,
        state=State.REVIEW_DUE.value,
        due_date=due_date or document.next_review_due,
        reason=reason,
        requested_by_id=requested_by_id,
        opened_at=ctx.now,
        state_changed_at=ctx.now,
    )
    ctx.session.add(review)
    ctx.session.flush()
    audit.record(
        ctx,
        "review.opened",
        document=document,
        review=review,
        before={"state": State.CURRENT.value},
        after={"state": review.state, "route": route, "due_date": review.due_date},
        detail=reason,
        on_behalf_of=on_behalf_of,
    )
    return review


@use_case
def start_review(ctx: Ctx, review_id: int) -> Review:
    review = _locked_review(ctx, review_id)
    document = review.document
    before = snapshot(review, document)
    on_behalf_of = _authorise(ctx, document, review, Action.START)
    _move(ctx, review, next_state(state_of(review), Action.START))
    event = audit.record(
        ctx,
        "review.started",
        review=review,
        before=before,
        after=snapshot(review, document),
        on_behalf_of=on_behalf_of,
    )
    _refresh(ctx, review, event.id)
    return review


# --- submitting ----------------------------------------------------------------------------


@use_case
def submit_draft(ctx: Ctx, review_id: int, *, link: str | None, summary: str) -> Submission:
    review = _locked_review(ctx, review_id)
    document = review.document
    on_behalf_of = _authorise(ctx, document, review, Action.SUBMIT_DRAFT)
    link = (link or "").strip() or None
    summary = (summary or "").strip()
    if link is not None and not _URL.match(link):
        raise _invalid(
            f"The link to the draft must start with http:// or https:// (got '{link}').",
            document,
            review,
            field="link",
        )
    if not summary:
        raise _invalid(
            "Say what changed in the draft: the summary of changes is empty.",
            document,
            review,
            field="summary",
        )
    return _submit(ctx, review, Action.SUBMIT_DRAFT, "draft", link, summary, on_behalf_of)


@use_case
def submit_no_changes(ctx: Ctx, review_id: int, *, statement: str | None = None) -> Submission:
    review = _locked_review(ctx, review_id)
    document = review.document
    on_behalf_of = _authorise(ctx, document, review, Action.SUBMIT_NO_CHANGES)
    statement = (statement or "").strip() or no_changes_statement(document.title)
    return _submit(
        ctx, review, Action.SUBMIT_NO_CHANGES, "no_changes", None, statement, on_behalf_of
    )


def _submit(
    ctx: Ctx,
    review: Review,
    action: Action,
    kind: str,
    link: str | None,
    summary: str,
    on_behalf_of: int | None,
) -> Submission:
    document = review.document
    before = snapshot(review, document)
    target = next_state(state_of(review), action, back_to_slt=review.back_to_slt)
    submission = Submission(
        review_id=review.id,
        seq=len(review.submissions) + 1,
        kind=kind,
        link=link,
        summary=summary,
        submitted_by_id=ctx.actor.person_id,
        submitted_at=ctx.now,
    )
    ctx.session.add(submission)
    _move(ctx, review, target)
    ctx.session.flush()
    event = audit.record(
        ctx,
        "review.submitted" if kind == "draft" else "review.submitted_no_changes",
        review=review,
        before=before,
        after=snapshot(review, document),
        detail=summary,
        on_behalf_of=on_behalf_of,
    )
    _ask_decision(ctx, review, submission)
    _refresh(ctx, review, event.id)
    return submission


def _ask_decision(ctx: Ctx, review: Review, submission: Submission) -> None:
    """Ask whoever decides next: the SLT for a review waiting on it, else the approver."""
    if State(review.state) is State.AWAITING_SLT:
        enqueue(
            ctx.session,
            f"slt_request:{submission.id}",
            "slt_request",
            now=ctx.now,
            audience="slt",
            review_id=review.id,
            payload={"submission_id": submission.id},
        )
    elif not review.approvers:
        enqueue(
            ctx.session,
            f"approval_request:{submission.id}",
            "approval_request",
            now=ctx.now,
            person_id=review.document.approver_id,
            review_id=review.id,
            payload={"submission_id": submission.id},
        )
    else:
        for person_id in approver_ids(review.document, review):
            enqueue(
                ctx.session,
                f"approval_request:{submission.id}:{person_id}",
                "approval_request",
                now=ctx.now,
                person_id=person_id,
                review_id=review.id,
                payload={"submission_id": submission.id},
            )


# --- deciding ------------------------------------------------------------------------------


@use_case
def decide(
    ctx: Ctx,
    review_id: int,
    action: Action,
    *,
    text: str | None = None,
    back_to_slt: bool = False,
    seen_submission_id: int | None = None,
) -> Decision:
    """An approver's (RSM) or the SLT's decision on the latest submission.

    `seen_submission_id` is the submission the person was shown: a decision on a request that a
    later draft replaced is refused rather than applied to a draft they have not seen."""
    if action not in RSM_ACTIONS | SLT_ACTIONS:
        raise ValueError(f"{action} is not a decision")
    review = _locked_review(ctx, review_id)
    document = review.document
    before = snapshot(review, document)
    on_behalf_of = _authorise(ctx, document, review, action)
    _not_stale(review, seen_submission_id)
    text = (text or "").strip() or None
    if action in (Action.APPROVE_WITH_CONDITIONS, Action.SLT_APPROVE_WITH_CONDITIONS) and not text:
        raise _invalid(
            "Write the conditions: what must change before it can be approved.",
            document,
            review,
            field="text",
        )
    if action is Action.DEFER_TO_SLT and not text:
        raise _invalid("Give the reason for deferring to the SLT.", document, review, field="text")
    submission = review.submissions[-1]
    level = "slt" if action in SLT_ACTIONS else "rsm"
    slot = _slot(ctx, review, level, on_behalf_of)
    if ctx.session.scalar(
        select(Decision.id).where(
            Decision.submission_id == submission.id, Decision.level == level, Decision.slot == slot
        )
    ):
        raise Refused(
            f"You have already decided on this draft of {document.reference}.", code="wrong_state"
        ).about(document.id, review.id)
    decision = Decision(
        submission_id=submission.id,
        level=level,
        outcome=_OUTCOMES[action],
        text=text,
        back_to_slt=back_to_slt and action is Action.SLT_APPROVE_WITH_CONDITIONS,
        slot=slot,
        decided_by_id=ctx.actor.person_id,
        decided_at=ctx.now,
    )
    ctx.session.add(decision)
    ctx.session.flush()

    target = next_state(state_of(review), action)
    if target is State.CURRENT and level == "rsm" and slot and _waiting_on(ctx, review):
        # One of several approvers: the draft waits for the others.
        target = State.AWAITING_APPROVAL
        event = audit.record(
            ctx,
            "review.approved_by_one",
            review=review,
            before=before,
            after=snapshot(review, document),
            detail=text,
            on_behalf_of=on_behalf_of,
        )
        _refresh(ctx, review, event.id)
        return decision
    if target is State.CURRENT:
        _approve(ctx, review, submission)
    else:
        _move(ctx, review, target)
        if target is State.CHANGES_REQUESTED:
            review.back_to_slt = decision.back_to_slt
    event = audit.record(
        ctx,
        f"review.{decision.outcome}" if level == "rsm" else f"review.slt_{decision.outcome}",
        review=review,
        before=before,
        after=snapshot(review, document),
        detail=text,
        on_behalf_of=on_behalf_of,
    )
    key = f"{level}:{decision.id}"
    if target is State.CHANGES_REQUESTED:
        enqueue(
            ctx.session,
            f"conditions:{key}",
            "conditions",
            now=ctx.now,
            person_id=acting_owner_id(document),
            review_id=review.id,
            payload={"decision_id": decision.id},
        )
    elif target is State.AWAITING_SLT:
        _ask_decision(ctx, review, submission)
    else:
        _tell_outcome(ctx, review, document, submission, decision)
    _refresh(ctx, review, event.id)
    return decision


def _slot(ctx: Ctx, review: Review, level: str, on_behalf_of: int | None) -> int:
    """0 for a single approver or the SLT; an approver's own id where several must approve.
    An admin coordinating several approvers decides for all of them (slot -1)."""
    if level != "rsm" or not review.approvers:
        return 0
    person = (
        on_behalf_of
        if ctx.actor.stands_in_for
        else (
            ctx.actor.person_id
            if ctx.actor.person_id in approver_ids(review.document, review)
            else None
        )
    )
    return person if person is not None else -1


def _waiting_on(ctx: Ctx, review: Review) -> list[int]:
    """The approvers who have not yet approved the latest draft (none once an admin has)."""
    submission = review.submissions[-1]
    approved = {
        d.slot
        for d in ctx.session.scalars(
            select(Decision).where(
                Decision.submission_id == submission.id,
                Decision.level == "rsm",
                Decision.outcome == "approved",
            )
        )
    }
    if -1 in approved:
        return []
    return [pid for pid in approver_ids(review.document, review) if pid not in approved]


_OUTCOMES = {
    Action.APPROVE: "approved",
    Action.APPROVE_WITH_CONDITIONS: "approved_with_conditions",
    Action.DEFER_TO_SLT: "deferred_to_slt",
    Action.SLT_APPROVE: "approved",
    Action.SLT_APPROVE_WITH_CONDITIONS: "approved_with_conditions",
}


def _approve(ctx: Ctx, review: Review, submission: Submission) -> None:
    """The design's approval effects: dates move on; an amended draft moves the version on and
    waits for publication; a no-changes review keeps the version."""
    document = review.document
    decided_on = ctx.today
    document.last_approved = decided_on
    document.next_review_due = add_months(decided_on, document.review_cycle_months)
    if submission.kind == "draft":
        document.version = next_version(document.version)
        document.pending_publication_version = document.version
        review.outcome = "approved"
    else:
        review.outcome = "approved_no_changes"
    review.state = State.CURRENT.value
    review.state_changed_at = ctx.now
    review.closed_at = ctx.now


def _tell_outcome(
    ctx: Ctx, review: Review, document: Document, submission: Submission, decision: Decision
) -> None:
    for person_id in {acting_owner_id(document), *approver_ids(document, review)}:
        enqueue(
            ctx.session,
            f"outcome:{decision.id}:{person_id}",
            "outcome",
            now=ctx.now,
            person_id=person_id,
            review_id=review.id,
            payload={"decision_id": decision.id},
        )
    if submission.kind == "draft":
        enqueue(
            ctx.session,
            f"publish:{review.id}",
            "publication_request",
            now=ctx.now,
            audience="admins",
            review_id=review.id,
            payload={"decision_id": decision.id, "version": document.version},
        )
    elif review.route == "unscheduled_review" and review.requested_by_id:
        # Whoever asked for the review is told why nothing changed; the approver is copied.
        for person_id, copy in ((review.requested_by_id, False), (document.approver_id, True)):
            enqueue(
                ctx.session,
                f"explained:{review.id}:{person_id}",
                "no_changes_explained",
                now=ctx.now,
                person_id=person_id,
                review_id=review.id,
                payload={"copy": copy, "decision_id": decision.id},
            )


# --- the owner's date, publication, people -------------------------------------------------


@use_case
def set_target_date(ctx: Ctx, review_id: int, target: date) -> Review:
    review = _locked_review(ctx, review_id)
    document = review.document
    before = snapshot(review, document)
    on_behalf_of = _authorise(ctx, document, review, Action.SET_TARGET_DATE)
    if target < ctx.today:
        raise _invalid(
            f"{target:%d %B %Y} has passed: give a date from today on.", document, review
        )
    review.target_date = target
    event = audit.record(
        ctx,
        "review.target_date_set",
        review=review,
        before=before,
        after=snapshot(review, document),
        on_behalf_of=on_behalf_of,
    )
    if target > review.due_date:
        # A promise later than the due date needs the approver's agreement.
        enqueue(
            ctx.session,
            f"target_agreement:{review.id}:{event.id}",
            "target_agreement",
            now=ctx.now,
            person_id=document.approver_id,
            review_id=review.id,
            payload={"target_date": target.isoformat(), "event_id": event.id},
        )
    _refresh(ctx, review, event.id)
    return review


@use_case
def commit_to_date(ctx: Ctx, reference: str, target: date) -> Review:
    """The owner names the date they will finish a document's review. A document with no open
    review has one opened early, with that target, in the same transaction."""
    document = find_document(ctx, reference)
    review = open_review_of(ctx, document)
    if review is None:
        review = open_review.__wrapped__(ctx, document.reference)  # type: ignore[attr-defined]
    return set_target_date.__wrapped__(ctx, review.id, target)  # type: ignore[attr-defined]


@use_case
def mark_published(ctx: Ctx, reference: str, *, published_on: date | None = None) -> Document:
    document = find_document(ctx, reference)
    if not ctx.actor.is_admin:
        raise Refused(f"Only an admin can mark {document.reference} as published.").about(
            document.id
        )
    if document.pending_publication_version is None:
        raise _invalid(
            f"{document.reference} has no approved version waiting to be published.", document
        )
    before = {
        "pending_publication": document.pending_publication_version,
        "published_version": document.published_version,
        "published_on": document.published_on,
    }
    document.published_version = document.pending_publication_version
    document.published_on = published_on or ctx.today
    document.pending_publication_version = None
    event = audit.record(
        ctx,
        "document.published",
        document=document,
        before=before,
        after={
            "pending_publication": None,
            "published_version": document.published_version,
            "published_on": document.published_on,
        },
    )
    review = ctx.session.scalar(
        select(Review)
        .where(Review.document_id == document.id)
        .order_by(Review.closed_at.desc().nulls_last(), Review.id.desc())
    )
    if review is not None:
        _refresh(ctx, review, event.id)
    return document


@use_case
def reassign(ctx: Ctx, reference: str, *, role: str, email: str) -> Document:
    """Give a document a new owner or approver; everything open moves with it."""
    from workflow.people import person_for_email

    document = find_document(ctx, reference)
    if not ctx.actor.is_admin:
        raise Refused(f"Only an admin can change who holds {document.reference}.").about(
            document.id
        )
    if role not in ("owner", "approver"):
        raise _invalid(f"The role must be owner or approver (got '{role}').", document)
    person = person_for_email(ctx.session, email, now=ctx.now)
    column = "owner_id" if role == "owner" else "approver_id"
    previous = getattr(document, column)
    if previous == person.id:
        raise _invalid(f"{person.email} is already the {role} of {document.reference}.", document)
    old = ctx.session.get(Person, previous) if previous else None
    setattr(document, column, person.id)
    ctx.session.flush()
    ctx.session.refresh(document)
    event = audit.record(
        ctx,
        f"document.{role}_changed",
        document=document,
        before={role: old.email if old else None},
        after={role: person.email},
    )
    for person_id in {pid for pid in (previous, person.id) if pid}:
        enqueue(
            ctx.session,
            f"reassigned:{event.id}:{person_id}",
            "reassigned",
            now=ctx.now,
            person_id=person_id,
            payload={"event_id": event.id, "document_id": document.id},
        )
    review = open_review_of(ctx, document)
    if review is not None:
        _refresh(ctx, review, event.id)
    return document


@use_case
def require_admin(ctx: Ctx, what: str) -> None:
    """Refuse, and record the refusal, when someone who is not an admin tries `what`."""
    if not ctx.actor.is_admin:
        raise Refused(f"Only an admin (the policy officer) can {what}.")


@use_case
def check_may(
    ctx: Ctx, review_id: int, action: Action, *, seen_submission_id: int | None = None
) -> Review:
    """Refuse now, before a form is opened, what would be refused when it is submitted."""
    review = _locked_review(ctx, review_id)
    _authorise(ctx, review.document, review, action)
    if action in RSM_ACTIONS | SLT_ACTIONS:
        _not_stale(review, seen_submission_id)
    return review


@use_case
def add_note(ctx: Ctx, review_id: int, text: str) -> Review:
    """Keep what someone wrote about a review on its history."""
    review = _locked_review(ctx, review_id)
    document = review.document
    if ctx.actor.person_id is None or not roles_of(ctx.actor, document):
        raise Refused(
            f"Only the people responsible for {document.reference} can add notes to its review."
        ).about(document.id, review.id)
    audit.record(ctx, "review.note", review=review, detail=text.strip())
    return review


@use_case
def answer_target(
    ctx: Ctx, review_id: int, *, asked_event_id: int, agree: bool, reason: str | None = None
) -> Review:
    """The approver agrees to, or declines, an owner's target date later than the due date."""
    review = _locked_review(ctx, review_id)
    document = review.document
    roles = roles_of(ctx.actor, document)
    if not roles & {Role.APPROVER, Role.ADMIN}:
        raise Refused(
            f"Only the approver of {document.reference} "
            f"({document.approver.display}) or an admin can answer this."
        ).about(document.id, review.id)
    asked = ctx.session.get(AuditEvent, asked_event_id)
    answered = ctx.session.scalar(
        select(AuditEvent.id).where(
            AuditEvent.review_id == review.id,
            AuditEvent.action.in_(("review.target_agreed", "review.target_declined")),
            AuditEvent.detail == str(asked_event_id),
        )
    )
    asked_for = (asked.after or {}).get("target_date") if asked else None
    if (
        review.closed_at is not None
        or answered is not None
        or asked_for is None
        or review.target_date is None
        or review.target_date.isoformat() != asked_for
    ):
        raise Refused(
            f"That target date for {document.reference} has already been answered or replaced.",
            code="wrong_state",
        ).about(document.id, review.id)
    reason = (reason or "").strip()
    if not agree and not reason:
        raise _invalid("Tell the owner why: the reason is empty.", document, review, field="text")
    before = snapshot(review, document)
    if not agree:
        review.target_date = None
    event = audit.record(
        ctx,
        "review.target_agreed" if agree else "review.target_declined",
        review=review,
        before=before,
        after=snapshot(review, document),
        detail=str(asked_event_id),
    )
    if not agree:
        enqueue(
            ctx.session,
            f"target_declined:{event.id}",
            "target_declined",
            now=ctx.now,
            person_id=acting_owner_id(document),
            review_id=review.id,
            payload={"target_date": asked_for, "reason": reason},
        )
    _refresh(ctx, review, event.id)
    return review


def is_open(review: Review) -> bool:
    return review.closed_at is None and State(review.state) in OPEN_STATES
