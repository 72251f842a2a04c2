"""Who is acting, when, and in which session: what every use case is given."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Concatenate, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from workflow.errors import Refused


@dataclass(frozen=True)
class Actor:
    """A person (or signoff itself) taking an action. Admin and SLT membership come from
    the organisation's settings, so they are given here rather than looked up."""

    person_id: int | None
    label: str
    is_admin: bool = False
    is_slt: bool = False
    is_system: bool = False
    # People this actor is deputy for today: they may act for them, recorded as such.
    stands_in_for: frozenset[int] = frozenset()


SYSTEM = Actor(person_id=None, label="signoff", is_system=True)


@dataclass
class Ctx:
    session: Session
    actor: Actor
    now: datetime  # aware
    timezone: ZoneInfo

    @property
    def today(self) -> date:
        """The organisation's date now: a decision at 00:30 in London is dated that day."""
        return self.now.astimezone(self.timezone).date()


P = ParamSpec("P")
R = TypeVar("R")


def use_case(fn: Callable[Concatenate[Ctx, P], R]) -> Callable[Concatenate[Ctx, P], R]:
    """Run `fn` as one transaction. A refusal rolls everything back, then is itself
    recorded in the audit log in a transaction of its own, and raised to the caller."""

    @functools.wraps(fn)
    def run(ctx: Ctx, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            with ctx.session.begin():
                return fn(ctx, *args, **kwargs)
        except Refused as refusal:
            from workflow.audit import record_refusal

            with ctx.session.begin():
                record_refusal(ctx, fn.__name__, refusal)
            raise

    return run
