"""Use cases of a review: open, start, submit, decide, set a target date, publish, reassign.

Each runs as one transaction (see `use_case`): it checks the rules, moves the review, and writes
the audit event and the outbox rows of the messages the move calls for. Handlers and jobs call
only these. Who decides at each step is the governance's (ctx.governance, read through
workflow/chain.py); where a draft goes when it reaches a level is workflow/routing.py's.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from db.models import AuditEvent, Consultee, Decision, Document, Person, Review, Submission
from workflow import archive, audit, chain, links, routing, uptake
from workflow.chain import Stage
from workflow.context import Actor, Ctx, use_case
from workflow.dates import add_months
from workflow.errors import Refused
from workflow.governance import APPROVER, Governance
from workflow.outbox import enqueue, enqueue_now
from workflow.states import (
    DECISIONS,
    OPEN_STATES,
    WITH_A_BODY,
    Action,
    Role,
    State,
    check,
)
from workflow.versions import next_version
from workflow.words import gerund

ROUTES = ("scheduled_review", "scheduled_update", "unscheduled_review", "new_document")
_URL = re.compile(r"^https?://\S+$", re.IGNORECASE)
# An interim approval is kept apart from the decision its body may take later on the same draft
# (should the draft be referred to that body): one slot of its own, never a person's id.
INTERIM_SLOT = -2
_OUTCOMES = {
    Action.APPROVE: "approved",
    Action.APPROVE_WITH_CONDITIONS: "approved_with_conditions",
    Action.REFER: "referred",
    Action.INTERIM_APPROVE: "interim_approved",
    Action.APPROVE_FOR_INFORMATION: "approved",
}


def no_changes_statement(title: str) -> str:
    return f"The {title} has been reviewed and no changes are required."


def approver_ids(document: Document, review: Review | None = None) -> list[int]:
    """Who must approve: the review's own approvers where it has several, else the document's."""
    if review is not None and review.approvers:
        return [a.person_id for a in review.approvers]
    return [document.approver_id]


def roles_of(
    actor: Actor,
    document: Document,
    review: Review | None = None,
    governance: Governance | None = None,
    *,
    consulted: bool = False,
) -> frozenset[Role]:
    """The actor's roles on this document now; a deputy holds the roles of whom they stand in
    for. Who decides depends on where the review stands on its route, so the roles that decide
    need the `governance`; `consulted` says the actor is asked for comments on its draft."""
    roles: set[Role] = set()
    if actor.is_system:
        roles.add(Role.SYSTEM)
    if actor.is_admin:
        roles.add(Role.ADMIN)
    me = {actor.person_id, *actor.stands_in_for} - {None}
    if me & set(approver_ids(document, review)):
        roles.add(Role.APPROVER)
    if acting_owner_id(document) in me:
        roles.add(Role.OWNER)
    if consulted:
        roles.add(Role.CONSULTEE)
    if governance is not None and review is not None and state_of(review) in WITH_A_BODY:
        stage = chain.stage_of(governance, review)
        if _in_body(actor, me, stage.body, document, review, governance):
            roles.add(Role.DECIDER)
        interim = chain.interim_body(governance, stage)
        if interim and _in_body(actor, me, interim, document, review, governance, deciding=False):
            roles.add(Role.INTERIM)
        informing = chain.information_body(governance, stage)
        if informing and _in_body(
            actor, me, informing, document, review, governance, deciding=False
        ):
            roles.add(Role.INFORMATION)
    return frozenset(roles)


def _in_body(
    actor: Actor,
    me: set[int],
    body: str,
    document: Document,
    review: Review,
    governance: Governance,
    *,
    deciding: bool = True,
) -> bool:
    if body == APPROVER:
        return bool(me & set(approver_ids(document, review)))
    people = governance.deciders(body) if deciding else governance.body(body).members
    return bool(actor.emails & set(people))


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
    # What every decision reads next (the document, its owner and approver, the review's
    # approvers, drafts and the decisions on them) comes in one statement, not one each. On
    # SQLite the transaction already holds the write lock; on PostgreSQL the review's row is
    # locked by a statement of its own first, so that this one reads what whoever held the
    # lock committed (a join read under a lock it had to wait for sees the rows as they were).
    if ctx.session.get_bind().dialect.name == "postgresql":
        ctx.session.execute(select(Review.id).where(Review.id == review_id).with_for_update())
    review = (
        ctx.session.scalars(
            select(Review)
            .where(Review.id == review_id)
            .options(
                joinedload(Review.document).joinedload(Document.owner),
                joinedload(Review.document).joinedload(Document.approver),
                # An approval asks the owners of linked documents about theirs.
                joinedload(Review.document).joinedload(Document.follows),
                joinedload(Review.document).joinedload(Document.followers),
                joinedload(Review.approvers),
                joinedload(Review.submissions).joinedload(Submission.decisions),
            )
            .execution_options(populate_existing=True)
        )
        .unique()
        .one_or_none()
    )
    if review is None:
        raise Refused(f"There is no review {review_id}.", code="not_found")
    return review


def state_of(review: Review | None) -> State:
    if review is None or review.closed_at is not None:
        return State.CURRENT
    return State(review.state)


def _consulted(ctx: Ctx, review: Review | None) -> bool:
    """Whether the actor is asked for comments on the review's open consultation."""
    if review is None or state_of(review) is not State.IN_CONSULTATION:
        return False
    from workflow.consultations import open_consultation

    consultation = open_consultation(ctx.session, review)
    if consultation is None or ctx.actor.person_id is None:
        return False
    return bool(
        ctx.session.scalar(
            select(Consultee.id).where(
                Consultee.consultation_id == consultation.id,
                Consultee.person_id == ctx.actor.person_id,
            )
        )
    )


def _authorise(ctx: Ctx, document: Document, review: Review | None, action: Action) -> int | None:
    """Check the rule; return whom the actor acted for: an admin holding no role of their own,
    or a deputy standing in."""
    governance = ctx.governance
    consulted = action is Action.COMMENT and _consulted(ctx, review)
    roles = roles_of(ctx.actor, document, review, governance, consulted=consulted)
    who = _who_holds(ctx, document, review)
    with_a_body = review is not None and state_of(review) in WITH_A_BODY
    stage = chain.stage_of(governance, review) if with_a_body and review else None
    try:
        rule = check(
            state_of(review),
            action,
            roles,
            reference=document.reference,
            who=who,
            awaiting=governance.the(stage.body) if stage else None,
        )
    except Refused as refusal:
        raise refusal.about(document.id, review.id if review else None) from None
    own = roles_of(
        replace(ctx.actor, stands_in_for=frozenset(), stands_in_for_emails=frozenset()),
        document,
        review,
        governance,
        consulted=consulted,
    )
    if own & rule.roles <= {Role.ADMIN}:
        return _stood_in_for(ctx, document, review, rule, stage)
    return None


def _stood_in_for(
    ctx: Ctx, document: Document, review: Review | None, rule: Any, stage: Stage | None
) -> int | None:
    """Whom an admin (holding no role of their own) or a deputy acted for."""
    if Role.OWNER in rule.roles:
        return acting_owner_id(document)
    if Role.DECIDER in rule.roles and stage is not None:
        if stage.body == APPROVER:
            stood_in = set(ctx.actor.stands_in_for) & set(approver_ids(document, review))
            return min(stood_in) if stood_in else approver_ids(document, review)[0]
        members = set(ctx.governance.deciders(stage.body)) & set(ctx.actor.stands_in_for_emails)
        if members:
            return ctx.session.scalar(select(Person.id).where(Person.email == min(members)))
    return None


def _who_holds(ctx: Ctx, document: Document, review: Review | None) -> dict[Role, str]:
    """The people or body behind each role, in words, for a refusal to name."""
    who = {Role.APPROVER: document.approver.display}
    owner = ctx.session.get(Person, acting_owner_id(document))
    if owner is not None:
        who[Role.OWNER] = owner.display
    if review is not None and state_of(review) in WITH_A_BODY:
        stage = chain.stage_of(ctx.governance, review)
        who[Role.DECIDER] = _body_in_words(ctx, stage.body, document, review)
        interim = chain.interim_body(ctx.governance, stage)
        if interim:
            who[Role.INTERIM] = _body_in_words(ctx, interim, document, review, deciding=False)
        informing = chain.information_body(ctx.governance, stage)
        if informing:
            who[Role.INFORMATION] = _body_in_words(ctx, informing, document, review, deciding=False)
    return who


def _body_in_words(
    ctx: Ctx, body: str, document: Document, review: Review, *, deciding: bool = True
) -> str:
    governance = ctx.governance
    if body == APPROVER:
        ids = approver_ids(document, review)
        names = [p.display for p in (ctx.session.get(Person, pid) for pid in ids) if p]
        if len(ids) > 1:
            return f"the approvers of {document.reference} ({', '.join(names)})"
        return f"the approver of {document.reference} ({', '.join(names)})"
    name = governance.name_of(body)
    if deciding and governance.meets(body) and governance.body(body).chair:
        chair = governance.body(body).chair or ""
        person = ctx.session.scalar(select(Person).where(Person.email == chair))
        return f"the chair of the {name} ({person.display if person else chair})"
    return f"a member of the {name}"


def _not_stale(
    review: Review,
    seen_submission_id: int | None,
    seen_stage: str | None = None,
    stage: Stage | None = None,
) -> None:
    reference = review.document.reference
    latest = review.submissions[-1].id if review.submissions else None
    if seen_submission_id is not None and latest is not None and latest != seen_submission_id:
        raise Refused(
            f"That request for {reference} is out of date: a later draft has been submitted since.",
            code="wrong_state",
        ).about(review.document_id, review.id)
    if seen_stage and stage is not None and seen_stage != stage.key:
        raise Refused(
            f"That request for {reference} is out of date: the draft has moved on since.",
            code="wrong_state",
        ).about(review.document_id, review.id)


def _invalid(
    message: str, document: Document, review: Review | None = None, *, field: str | None = None
) -> Refused:
    return Refused(message, code="invalid", field=field).about(
        document.id, review.id if review else None
    )


def snapshot(review: Review | None, document: Document) -> dict[str, Any]:
    awaiting = review is not None and state_of(review) in WITH_A_BODY
    return {
        "state": state_of(review).value,
        "target_date": review.target_date if review else None,
        "version": document.version,
        "last_approved": document.last_approved,
        "next_review_due": document.next_review_due,
        **({"level": review.level, "body": review.body} if awaiting and review else {}),
    }


def _move(ctx: Ctx, review: Review, state: State) -> None:
    review.state = state.value
    review.state_changed_at = ctx.now


def _refresh(ctx: Ctx, review: Review, event_id: int) -> None:
    """Ask delivery to bring every message about this review up to date."""
    routing.refresh(ctx, review, event_id)


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
    _move(ctx, review, State.IN_REVIEW)
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
    """The owner's draft: the first, a redraft after conditions, or a second draft after the
    level's consultation (the comments taken in) while its body has yet to decide."""
    review = _locked_review(ctx, review_id)
    document = review.document
    revising = state_of(review) in WITH_A_BODY
    action = Action.REVISE_DRAFT if revising else Action.SUBMIT_DRAFT
    on_behalf_of = _authorise(ctx, document, review, action)
    if revising and chain.stage_of(ctx.governance, review).level.consultation is None:
        raise Refused(
            f"{document.reference} is with {ctx.governance.the(review.body or APPROVER)} for "
            "a decision: a new draft can follow their decision.",
            code="wrong_state",
        ).about(document.id, review.id)
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
    return _submit(ctx, review, "draft", link, summary, on_behalf_of)


@use_case
def submit_no_changes(ctx: Ctx, review_id: int, *, statement: str | None = None) -> Submission:
    review = _locked_review(ctx, review_id)
    document = review.document
    on_behalf_of = _authorise(ctx, document, review, Action.SUBMIT_NO_CHANGES)
    statement = (statement or "").strip() or no_changes_statement(document.title)
    return _submit(ctx, review, "no_changes", None, statement, on_behalf_of)


def _submit(
    ctx: Ctx,
    review: Review,
    kind: str,
    link: str | None,
    summary: str,
    on_behalf_of: int | None,
) -> Submission:
    document = review.document
    before = snapshot(review, document)
    state = state_of(review)
    submission = Submission(
        seq=len(review.submissions) + 1,
        kind=kind,
        link=link,
        summary=summary,
        submitted_by_id=ctx.actor.person_id,
        submitted_at=ctx.now,
        decisions=[],
    )
    review.submissions.append(submission)
    ctx.session.flush()
    if state in WITH_A_BODY:
        # A second draft: it stays where it is, and whoever decides there sees it instead.
        routing.revised(ctx, review, submission)
        action = "review.revised"
    elif state is State.CHANGES_REQUESTED:
        # The redraft goes back to the level that set conditions, or to the body that asked to
        # see it again.
        stage = chain.stage_of(ctx.governance, review)
        back_to = review.back_to or stage.level_body
        review.back_to = None
        target = chain.stage_at(ctx.governance, document, stage.number, back_to)
        routing.arrive(ctx, review, submission, target, consult=False)
        action = "review.submitted"
    else:
        first = chain.stage_at(ctx.governance, document, 1)
        routing.arrive(ctx, review, submission, first, consult=True)
        action = "review.submitted" if kind == "draft" else "review.submitted_no_changes"
    event = audit.record(
        ctx,
        action,
        review=review,
        before=before,
        after=snapshot(review, document),
        detail=summary,
        on_behalf_of=on_behalf_of,
    )
    _refresh(ctx, review, event.id)
    return submission


# --- deciding ------------------------------------------------------------------------------


@use_case
def decide(
    ctx: Ctx,
    review_id: int,
    action: Action,
    *,
    text: str | None = None,
    refer_to: str | None = None,
    comes_back: bool = False,
    seen_submission_id: int | None = None,
    seen_stage: str | None = None,
) -> Decision:
    """A decision on the latest draft by whoever decides where it stands: approve (on to the
    next level, or complete at the last), approve with conditions, or refer to a higher body.

    `seen_submission_id` and `seen_stage` are the draft and the stage the person was shown: a
    decision on a request the review has moved past is refused rather than applied to a draft
    or a level they have not seen."""
    if action not in DECISIONS:
        raise ValueError(f"{action} is not a decision")
    governance = ctx.governance
    review = _locked_review(ctx, review_id)
    document = review.document
    before = snapshot(review, document)
    on_behalf_of = _authorise(ctx, document, review, action)
    stage = chain.stage_of(governance, review)
    _not_stale(review, seen_submission_id, seen_stage, stage)
    allowed = chain.decisions_at(governance, stage)
    if _OUTCOME_NAMES[action] not in allowed:
        raise Refused(
            f"{governance.the(stage.body).capitalize()} cannot {action.label} {document.reference} "
            "here.",
            code="not_allowed",
        ).about(document.id, review.id)
    text = (text or "").strip() or None
    if action is Action.APPROVE_WITH_CONDITIONS and not text:
        raise _invalid(
            "Write the conditions: what must change before it can be approved.",
            document,
            review,
            field="text",
        )
    target = None
    if action is Action.REFER:
        targets = chain.refer_targets(governance, stage)
        target = refer_to or (targets[0] if len(targets) == 1 else None)
        if target not in targets:
            raise _invalid(
                "Choose whom to refer it to: " + ", ".join(governance.name_of(t) for t in targets),
                document,
                review,
                field="refer_to",
            )
        if not text:
            short = governance.short_of(target)
            the = short if short.startswith("the ") else f"the {short}"
            raise _invalid(
                f"Give the reason for {gerund(governance.body(stage.body).refer_word)} to {the}.",
                document,
                review,
                field="text",
            )
    submission = review.submissions[-1]
    slot = _slot(ctx, review, stage, on_behalf_of)
    if any(
        (d.level, d.body, d.slot) == (stage.number, stage.body, slot) for d in submission.decisions
    ):
        raise Refused(
            f"You have already decided on this draft of {document.reference}.", code="wrong_state"
        ).about(document.id, review.id)
    decision = Decision(
        level=stage.number,
        body=stage.body,
        outcome=_OUTCOMES[action],
        text=text,
        referred_to=target,
        comes_back=comes_back
        and action is Action.APPROVE_WITH_CONDITIONS
        and chain.may_ask_back(governance, stage),
        slot=slot,
        decided_by_id=ctx.actor.person_id,
        decided_at=ctx.now,
    )
    submission.decisions.append(decision)
    ctx.session.flush()

    if action is Action.APPROVE and slot and _waiting_on(ctx, review, stage):
        # One of several approvers: the draft waits for the others.
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
    routing.decided_at_meeting(ctx, review, stage, decision)
    following = None
    if action is Action.APPROVE:
        following = chain.next_stage(governance, stage, document)
        if following is None:
            _approve(ctx, review, submission)
        else:
            routing.arrive(ctx, review, submission, following, consult=True)
    elif action is Action.APPROVE_WITH_CONDITIONS:
        _move(ctx, review, State.CHANGES_REQUESTED)
        review.back_to = stage.body if decision.comes_back else None
    else:
        assert target is not None
        referred = chain.stage_at(governance, document, stage.number, target)
        routing.arrive(ctx, review, submission, referred, consult=False)
    event = audit.record(
        ctx,
        f"review.{decision.outcome}",
        review=review,
        before=before,
        after={
            **snapshot(review, document),
            "decided_at": {"level": stage.number, "body": stage.body},
        },
        detail=text,
        on_behalf_of=on_behalf_of,
    )
    if action is Action.APPROVE_WITH_CONDITIONS:
        enqueue(
            ctx.session,
            f"conditions:{decision.id}",
            "conditions",
            now=ctx.now,
            person_id=acting_owner_id(document),
            review_id=review.id,
            payload={"decision_id": decision.id},
        )
    elif following is not None:
        enqueue(
            ctx.session,
            f"moved_on:{decision.id}",
            "moved_on",
            now=ctx.now,
            person_id=acting_owner_id(document),
            review_id=review.id,
            payload={"decision_id": decision.id},
        )
    elif action is Action.APPROVE:
        _tell_outcome(ctx, review, document, submission, decision)
    _refresh(ctx, review, event.id)
    return decision


_OUTCOME_NAMES = {
    Action.APPROVE: "approve",
    Action.APPROVE_WITH_CONDITIONS: "approve_with_conditions",
    Action.REFER: "refer",
}


@use_case
def interim_approve(ctx: Ctx, review_id: int, *, seen_submission_id: int | None = None) -> Decision:
    """Approval in the interim, while the level's body has yet to meet: the draft takes effect at
    once (its version moves on and waits for publication) and goes to the body's next meeting for
    ratification."""
    review = _locked_review(ctx, review_id)
    document = review.document
    before = snapshot(review, document)
    on_behalf_of = _authorise(ctx, document, review, Action.INTERIM_APPROVE)
    _not_stale(review, seen_submission_id)
    stage = chain.stage_of(ctx.governance, review)
    interim = chain.interim_body(ctx.governance, stage)
    if interim is None:  # an admin may act for anyone, but not where the level allows nobody
        raise Refused(
            f"{document.reference} cannot be approved in the interim where it stands now.",
            code="wrong_state",
        ).about(document.id, review.id)
    submission = review.submissions[-1]
    if submission.interim_approved(stage.number):
        raise Refused(
            f"This draft of {document.reference} is already approved in the interim.",
            code="wrong_state",
        ).about(document.id, review.id)
    decision = Decision(
        level=stage.number,
        body=interim,
        outcome="interim_approved",
        slot=INTERIM_SLOT,
        decided_by_id=ctx.actor.person_id,
        decided_at=ctx.now,
    )
    submission.decisions.append(decision)
    ctx.session.flush()
    if submission.kind == "draft":
        document.version = next_version(document.version)
        document.pending_publication_version = document.version
        # The version takes effect now: it is kept, and the linked documents' owners asked.
        archive.record(ctx, review, submission, outcome="interim_approved")
        links.ask_linked_owners(ctx, review, submission)
    routing.interim_approved(ctx, review, stage)
    event = audit.record(
        ctx,
        "review.interim_approved",
        review=review,
        before=before,
        after=snapshot(review, document),
        detail=f"to be ratified by {ctx.governance.the(stage.body)}",
        on_behalf_of=on_behalf_of,
    )
    for person_id in {acting_owner_id(document), document.approver_id}:
        enqueue(
            ctx.session,
            f"interim:{decision.id}:{person_id}",
            "interim_approved",
            now=ctx.now,
            person_id=person_id,
            review_id=review.id,
            payload={"decision_id": decision.id},
        )
    if submission.kind == "draft":
        enqueue(
            ctx.session,
            f"publish:{review.id}:{decision.id}",
            "publication_request",
            now=ctx.now,
            audience="admins",
            review_id=review.id,
            payload={"decision_id": decision.id, "version": document.version},
        )
    _refresh(ctx, review, event.id)
    return decision


@use_case
def approve_for_information(
    ctx: Ctx, review_id: int, *, seen_submission_id: int | None = None
) -> Decision:
    """Approval outright by someone the level allows (a Director, say): the review is complete,
    and the level's body notes it at its next meeting as an information item."""
    review = _locked_review(ctx, review_id)
    document = review.document
    before = snapshot(review, document)
    on_behalf_of = _authorise(ctx, document, review, Action.APPROVE_FOR_INFORMATION)
    _not_stale(review, seen_submission_id)
    stage = chain.stage_of(ctx.governance, review)
    informing = chain.information_body(ctx.governance, stage)
    if informing is None:
        raise Refused(
            f"{document.reference} cannot be approved outright where it stands now.",
            code="wrong_state",
        ).about(document.id, review.id)
    submission = review.submissions[-1]
    decision = Decision(
        level=stage.number,
        body=informing,
        outcome="approved",
        slot=0,
        decided_by_id=ctx.actor.person_id,
        decided_at=ctx.now,
    )
    submission.decisions.append(decision)
    ctx.session.flush()
    routing.for_information(ctx, review, stage, decision)
    _approve(ctx, review, submission)
    event = audit.record(
        ctx,
        "review.approved",
        review=review,
        before=before,
        after={
            **snapshot(review, document),
            "decided_at": {"level": stage.number, "body": informing},
        },
        detail=f"for information to {ctx.governance.the(stage.body)}",
        on_behalf_of=on_behalf_of,
    )
    _tell_outcome(ctx, review, document, submission, decision)
    _refresh(ctx, review, event.id)
    return decision


@use_case
def ask_approval(ctx: Ctx, review_id: int, *, how: str) -> Review:
    """The owner asks for an approval that need not wait for the meeting: in the interim
    (`how` "interim") or outright, noted at the meeting ("information"). Asked once per draft."""
    review = _locked_review(ctx, review_id)
    document = review.document
    if not roles_of(ctx.actor, document, review) & {Role.OWNER, Role.ADMIN}:
        raise Refused(
            f"Only the owner of {document.reference} or an admin can ask for this."
        ).about(document.id, review.id)
    stage = chain.stage_of(ctx.governance, review) if state_of(review) in WITH_A_BODY else None
    body = None
    if stage is not None:
        body = (
            chain.information_body(ctx.governance, stage)
            if how == "information"
            else chain.interim_body(ctx.governance, stage)
        )
    if stage is None or body is None:
        words = "outright" if how == "information" else "in the interim"
        raise Refused(
            f"{document.reference} cannot be approved {words} where it stands now.",
            code="wrong_state",
        ).about(document.id, review.id)
    submission = review.submissions[-1]
    key = f"interim_request:{submission.id}:{how}"
    target: dict[str, Any] = (
        {"person_id": document.approver_id} if body == APPROVER else {"audience": f"body:{body}"}
    )
    if enqueue_now(
        ctx.session,
        key,
        "interim_request",
        now=ctx.now,
        review_id=review.id,
        payload={"how": how, "submission_id": submission.id},
        **target,
    ):
        audit.record(
            ctx,
            "review.approval_asked",
            review=review,
            detail=f"{'outright' if how == 'information' else 'in the interim'}, of the "
            f"{ctx.governance.name_of(body)}",
        )
    return review


def _slot(ctx: Ctx, review: Review, stage: Stage, on_behalf_of: int | None) -> int:
    """0 for a single decider; an approver's own id where several must approve. An admin
    coordinating several approvers decides for all of them (slot -1)."""
    if stage.body != APPROVER or not review.approvers:
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


def _waiting_on(ctx: Ctx, review: Review, stage: Stage) -> list[int]:
    """The approvers who have not yet approved the latest draft (none once an admin has)."""
    submission = review.submissions[-1]
    approved = {
        d.slot
        for d in submission.decisions
        if (d.level, d.body, d.outcome) == (stage.number, stage.body, "approved")
    }
    if -1 in approved:
        return []
    return [pid for pid in approver_ids(review.document, review) if pid not in approved]


def _approve(ctx: Ctx, review: Review, submission: Submission) -> None:
    """The design's approval effects: dates move on; an amended draft moves the version on and
    waits for publication (unless an interim approval already did); a no-changes review keeps
    the version."""
    document = review.document
    decided_on = ctx.today
    document.last_approved = decided_on
    document.next_review_due = add_months(decided_on, document.review_cycle_months)
    if submission.kind == "draft":
        already = submission.interim_approved()
        if not already:
            document.version = next_version(document.version)
            document.pending_publication_version = document.version
        review.outcome = "approved"
    else:
        review.outcome = "approved_no_changes"
    review.state = State.CURRENT.value
    review.state_changed_at = ctx.now
    review.closed_at = ctx.now
    archive.record(ctx, review, submission, outcome=review.outcome)
    if submission.kind == "draft" and not already:
        # A change: the owners of the documents linked to this one are asked about theirs.
        links.ask_linked_owners(ctx, review, submission)


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
    if submission.kind == "draft" and not submission.interim_approved():
        enqueue(
            ctx.session,
            f"publish:{review.id}",
            "publication_request",
            now=ctx.now,
            audience="admins",
            review_id=review.id,
            payload={"decision_id": decision.id, "version": document.version},
        )
    elif (
        submission.kind != "draft"
        and review.route == "unscheduled_review"
        and review.requested_by_id
    ):
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
    archive.published(ctx, document)
    # Staff named for its service area are asked to read what changed (for the types named).
    uptake.start(ctx, document)
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
    ctx: Ctx,
    review_id: int,
    action: Action,
    *,
    seen_submission_id: int | None = None,
    seen_stage: str | None = None,
) -> Review:
    """Refuse now, before a form is opened, what would be refused when it is submitted."""
    review = _locked_review(ctx, review_id)
    if action is Action.SUBMIT_DRAFT and state_of(review) in WITH_A_BODY:
        action = Action.REVISE_DRAFT
    _authorise(ctx, review.document, review, action)
    if action in DECISIONS:
        stage = chain.stage_of(ctx.governance, review)
        _not_stale(review, seen_submission_id, seen_stage, stage)
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
