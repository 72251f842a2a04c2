"""The one clock signoff reads. Everything that asks "what time is it?" asks the runtime's clock,
so that a command, a server or a demo can be run at any moment (`signoff --now ...`) and a test
can hold time where it wants it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware datetime in UTC."""
        ...


class SystemClock:
    """The machine's clock: the only place signoff reads it."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock that stands still at a moment until it is moved on: `--now`, the demo, tests."""

    at: datetime

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("a FixedClock needs an aware datetime")
        self.at = self.at.astimezone(UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, by: timedelta) -> datetime:
        self.at += by
        return self.at

    def set(self, moment: datetime) -> datetime:
        self.at = moment.astimezone(UTC)
        return self.at


@dataclass
class RunningClock:
    """A clock that starts at a moment and runs on, as a real one does, by the machine's steady
    timer (not its calendar): a server rehearsed at another moment, over minutes
    (`--now MOMENT --clock-runs`)."""

    start: datetime
    _began: float = field(default_factory=time.monotonic, repr=False)

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ValueError("a RunningClock needs an aware datetime")
        self.start = self.start.astimezone(UTC)

    def now(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self._began)


class BadMoment(ValueError):
    """A `--now` that is not a moment."""


def parse_moment(text: str, zone: ZoneInfo) -> datetime:
    """ISO 8601, as `--now` takes it; a time with no zone is in the organisation's zone, and a
    date alone is the start of that day there."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadMoment(
            f"'{text}' is not an ISO 8601 date and time (e.g. 2027-03-01T09:00)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)
