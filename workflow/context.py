"""Who is acting, when, and in which session: what every use case is given."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Concatenate, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from workflow.errors import Duplicate, Refused
from workflow.governance import Governance, plain
from workflow.uptake_rules import UptakeRules


@dataclass(frozen=True)
class Actor:
    """A person (or signoff itself) taking an action. Being an admin comes from the
    organisation's settings, so it is given here rather than looked up; which bodies someone
    decides in is the governance's, asked with `emails`."""

    person_id: int | None
    label: str
    is_admin: bool = False
    is_system: bool = False
    # People this actor is deputy for today: they may act for them, recorded as such.
    stands_in_for: frozenset[int] = frozenset()
    email: str | None = None
    stands_in_for_emails: frozenset[str] = frozenset()

    @property
    def emails(self) -> frozenset[str]:
        """Their own address and those of whom they stand in for: a body member's deputy
        decides for the body while the member is away."""
        own = {self.email} if self.email else set()
        return frozenset(own | self.stands_in_for_emails)


SYSTEM = Actor(person_id=None, label="signoff", is_system=True)


@dataclass
class Ctx:
    session: Session
    actor: Actor
    now: datetime  # aware
    timezone: ZoneInfo
    governance: Governance = field(default_factory=plain)
    nation: str = "ENG"  # whose bank holidays are not working days
    uptake: UptakeRules = field(default_factory=UptakeRules)  # which staff read what is published
    # The chat platform's own id for the request this change answers, recorded in the change's
    # transaction by the first use case run with this context: a request delivered again finds
    # it and changes nothing (Duplicate). Spent once recorded.
    claim: str | None = None

    @property
    def today(self) -> date:
        """The organisation's date now: a decision at 00:30 in London is dated that day."""
        return self.now.astimezone(self.timezone).date()


# Told how each use case ended: its name and "done", "refused" or "failed". The rules do not
# know who listens (metrics, in a running signoff).
OUTCOME_OBSERVERS: list[Callable[[str, str], None]] = []

P = ParamSpec("P")
R = TypeVar("R")


def use_case(fn: Callable[Concatenate[Ctx, P], R]) -> Callable[Concatenate[Ctx, P], R]:
    """Run `fn` as one transaction, with the request's claim (Ctx.claim) its first statement. A
    refusal rolls everything back, then is itself recorded in the audit log (with the claim) in
    a transaction of its own, and raised to the caller."""

    @functools.wraps(fn)
    def run(ctx: Ctx, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            with ctx.session.begin():
                _claim(ctx)
                result = fn(ctx, *args, **kwargs)
        except Duplicate:
            _tell(fn.__name__, "refused")
            raise
        except Refused as refusal:
            from workflow.audit import record_refusal

            with ctx.session.begin():
                try:
                    _claim(ctx)
                except Duplicate:
                    raise refusal from None  # its other delivery is the one recorded
                record_refusal(ctx, fn.__name__, refusal)
            ctx.claim = None
            _tell(fn.__name__, "refused")
            raise
        except Exception:
            _tell(fn.__name__, "failed")
            raise
        ctx.claim = None
        _tell(fn.__name__, "done")
        return result

    return run


def _claim(ctx: Ctx) -> None:
    """Record the request's claim (Ctx.claim) in the transaction begun, or raise Duplicate."""
    if ctx.claim is None:
        return
    from db.inserts import insert_if_absent
    from db.models import InboundDelivery

    values = {"key": ctx.claim[:255], "received_at": ctx.now}
    if not insert_if_absent(ctx.session, InboundDelivery, values, ["key"]):
        raise Duplicate()


def _tell(name: str, outcome: str) -> None:
    for observer in OUTCOME_OBSERVERS:
        observer(name, outcome)
