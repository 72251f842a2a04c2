"""Messages to send, written in the same transaction as the change that causes them.

Each has an idempotency key: writing the same key twice keeps the first, so a retried job or a
second replica adds nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from db.inserts import insert_if_absent
from db.models import OutboxMessage

# Who a message goes to when it is not one person. `review_messages` is not a post at all: it
# asks delivery to update, in place, every message already posted about the review.
AUDIENCES = frozenset({"admins", "slt", "digest", "escalation", "review_messages"})


def enqueue(
    session: Session,
    key: str,
    kind: str,
    *,
    now: datetime,
    person_id: int | None = None,
    audience: str | None = None,
    review_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> bool:
    """Add a message unless one with `key` exists. True when this call added it."""
    if (person_id is None) == (audience is None):
        raise ValueError("a message goes to one person or one audience")
    if audience is not None and audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}")
    values = {
        "key": key,
        "kind": kind,
        "person_id": person_id,
        "audience": audience,
        "review_id": review_id,
        "payload": payload or {},
        "created_at": now,
        "next_attempt_at": now,
        "attempts": 0,
    }
    return insert_if_absent(session, OutboxMessage, values, ["key"])
