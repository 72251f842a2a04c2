"""The audit log: append-only events of every import, transition and refusal."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from db.models import AuditEvent, Document, Review
from workflow.context import Ctx
from workflow.errors import Refused


def record(
    ctx: Ctx,
    action: str,
    *,
    document: Document | None = None,
    review: Review | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    detail: str | None = None,
    on_behalf_of: int | None = None,
) -> AuditEvent:
    event = AuditEvent(
        at=ctx.now,
        actor_id=ctx.actor.person_id,
        actor_label=ctx.actor.label,
        on_behalf_of_id=on_behalf_of,
        document_id=document.id if document else (review.document_id if review else None),
        review_id=review.id if review is not None else None,
        action=action,
        refused=False,
        detail=detail,
        before=_jsonable(before),
        after=_jsonable(after),
    )
    ctx.session.add(event)
    ctx.session.flush()
    return event


def record_refusal(ctx: Ctx, action: str, refusal: Refused) -> AuditEvent:
    event = AuditEvent(
        at=ctx.now,
        actor_id=ctx.actor.person_id,
        actor_label=ctx.actor.label,
        document_id=refusal.document_id,
        review_id=refusal.review_id,
        action=action,
        refused=True,
        detail=refusal.message,
    )
    ctx.session.add(event)
    return event


def record_refusal_alone(
    ctx: Ctx, action: str, refusal: Refused, review_id: int | None = None
) -> None:
    """A refusal that came before any use case could run (a button whose value names no review,
    someone Slack will not name): recorded in a transaction of its own, on the history of the
    review the button named where there is such a review."""
    with ctx.session.begin():
        review = ctx.session.get(Review, review_id) if review_id is not None else None
        if review is not None and refusal.review_id is None:
            refusal.about(review.document_id, review.id)
        record_refusal(ctx, action, refusal)


def history(ctx: Ctx, document_id: int) -> list[AuditEvent]:
    return list(
        ctx.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.document_id == document_id)
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )


def _jsonable(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {
        key: (value.isoformat() if hasattr(value, "isoformat") else value)
        for key, value in values.items()
    }
