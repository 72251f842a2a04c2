"""Messages to send, written in the same transaction as the change that causes them.

Each has an idempotency key: writing the same key twice keeps the first, so a retried job or a
second replica adds nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, or_, select, update
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from db.inserts import insert_many_if_absent
from db.models import OutboxMessage, Person
from workflow import audit
from workflow.context import Ctx, use_case
from workflow.errors import Refused

# Who a message goes to when it is not one person. `review_messages` is not a post at all: it
# asks delivery to update, in place, every message already posted about the review. A body of
# the governance is `body:<name>` (its channel, or else each member) or `members:<name>` (each
# member directly).
AUDIENCES = frozenset({"admins", "digest", "escalation", "review_messages"})
BODY_AUDIENCES = ("body:", "members:")
# Staff who need not be in the register: a group the chat platform knows (`group:<id>`, which
# delivery resolves to its members), or one member of it (`user:<id>`).
STAFF_AUDIENCES = ("group:", "user:")


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
) -> None:
    """Add a message unless one with `key` exists, when the transaction commits: a change that
    tells several people writes all its messages in one statement. See `enqueue_now`."""
    queued = session.info.setdefault(_QUEUED, {})
    queued.setdefault(key, _row(key, kind, now, person_id, audience, review_id, payload))


def enqueue_now(session: Session, key: str, kind: str, **message: Any) -> bool:
    """As `enqueue` (with its arguments), but written at once, with what was queued before it,
    in the order it came. True when this call added it."""
    enqueue(session, key, kind, **message)
    return key in write_queued(session)


def write_queued(session: Session) -> set[str]:
    """Write the messages queued in this session's transaction; the keys that were new."""
    queued = session.info.pop(_QUEUED, None)
    if not queued:
        return set()
    rows = list(queued.values())
    return set(insert_many_if_absent(session, OutboxMessage, rows, ["key"], returning="key"))


def _row(
    key: str,
    kind: str,
    now: datetime,
    person_id: int | None,
    audience: str | None,
    review_id: int | None,
    payload: dict[str, Any] | None,
) -> dict[str, Any]:
    if (person_id is None) == (audience is None):
        raise ValueError("a message goes to one person or one audience")
    if audience is not None and not _known(audience):
        raise ValueError(f"unknown audience {audience!r}")
    return {
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


# Messages queued in a session's transaction (keyed by their idempotency key, in the order
# they came): written just before it commits, forgotten if it rolls back.
_QUEUED = "signoff_outbox_queued"


@event.listens_for(Session, "before_commit")
def _write_before_commit(session: Session) -> None:
    write_queued(session)


@event.listens_for(Session, "do_orm_execute")
def _write_before_reading(state: ORMExecuteState) -> None:
    # A statement about the outbox sees every message queued before it.
    if _QUEUED in state.session.info and any(
        mapper.class_ is OutboxMessage for mapper in state.all_mappers
    ):
        write_queued(state.session)


@event.listens_for(Session, "after_transaction_end")
def _forget_after_rollback(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_QUEUED, None)


def _known(audience: str) -> bool:
    return audience in AUDIENCES or audience.startswith((*BODY_AUDIENCES, *STAFF_AUDIENCES))


def enqueue_many(
    session: Session,
    targets: list[tuple[str, str]],
    kind: str,
    *,
    now: datetime,
    payload: dict[str, Any] | None = None,
) -> int:
    """One message of `kind` for each (key, audience), each unless its key exists: thousands of
    staff in a few statements. How many were added."""
    rows = [_row(key, kind, now, None, audience, None, payload) for key, audience in targets]
    write_queued(session)  # what came before these is written before them
    return len(insert_many_if_absent(session, OutboxMessage, rows, ["key"]))


@dataclass(frozen=True)
class Unsent:
    """A message still in the outbox, and where it stands."""

    id: int
    key: str
    kind: str
    to: str  # the person's e-mail, or the audience (admins, slt, digest, ...)
    attempts: int
    last_error: str | None
    state: str  # waiting | failed (will retry) | parked | sending
    next_attempt_at: datetime
    parked_at: datetime | None


def unsent(session: Session, now: datetime) -> list[Unsent]:
    """Every message not yet sent, oldest first."""
    rows = session.execute(
        select(OutboxMessage, Person.email)
        .outerjoin(Person, Person.id == OutboxMessage.person_id)
        .where(OutboxMessage.sent_at.is_(None))
        .order_by(OutboxMessage.id)
    ).all()
    return [
        Unsent(
            id=row.id,
            key=row.key,
            kind=row.kind,
            to=email or row.audience or "?",
            attempts=row.attempts,
            last_error=row.last_error,
            state=_state(row, now),
            next_attempt_at=row.next_attempt_at,
            parked_at=row.parked_at,
        )
        for row, email in rows
    ]


def _state(row: OutboxMessage, now: datetime) -> str:
    if row.parked_at is not None:
        return "parked"
    if row.claimed_until is not None and row.claimed_until >= now:
        return "sending"
    if row.attempts and row.last_error:
        return "failed"
    return "waiting"


@use_case
def retry(ctx: Ctx, ids: list[int] | None) -> list[int]:
    """Make parked and failed messages due now: the ones named, or (`ids` None) every one.
    A message being sent at this moment is left to that attempt; one already sent is refused.
    Returns the ids made due."""
    session = ctx.session
    unclaimed = or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < ctx.now)
    if ids is None:
        # A failed message already due is waiting for delivery, not for a retry: leaving it out
        # is what lets two people retrying at once make each message due only once.
        stuck = or_(
            OutboxMessage.parked_at.is_not(None),
            (OutboxMessage.attempts > 0)
            & OutboxMessage.last_error.is_not(None)
            & (OutboxMessage.next_attempt_at > ctx.now),
        )
        chosen_where = [stuck]
    else:
        for row_id in ids:
            row = session.get(OutboxMessage, row_id)
            if row is None:
                raise Refused(
                    f"There is no message {row_id} in the outbox; `signoff outbox` lists them.",
                    code="not_found",
                )
            if row.sent_at is not None:
                raise Refused(
                    f"Message {row_id} ({row.key}) was already sent; there is nothing to retry.",
                    code="wrong_state",
                )
            if row.claimed_until is not None and row.claimed_until >= ctx.now:
                raise Refused(
                    f"Message {row_id} ({row.key}) is being sent at this moment; "
                    "`signoff outbox` shows how that went.",
                    code="wrong_state",
                )
        chosen_where = [OutboxMessage.id.in_(ids)]
    # One UPDATE decides which rows this call retries: on PostgreSQL a concurrent retry waits
    # for the row locks, then re-reads the condition and finds them due already.
    chosen = sorted(
        session.scalars(
            update(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None), unclaimed, *chosen_where)
            .values(parked_at=None, parked_cause=None, next_attempt_at=ctx.now)
            .returning(OutboxMessage.id)
        )
    )
    if chosen:
        audit.record(ctx, "outbox.retried", detail="messages " + ", ".join(str(i) for i in chosen))
    return chosen
