"""Where a review stands on its route, and who acts there: the governance read for one review.

A submitted draft is at a level of its document's route (1, 2 ...) and awaits the decision of a
body: the level's own, or a higher one it was referred to. `Stage` is that place, with what the
governance allows there; everything that asks "who decides this now?" asks it here.
"""

from __future__ import annotations

from dataclasses import dataclass

from db.models import Document, Review
from workflow.governance import APPROVER, Governance, Level, Route


@dataclass(frozen=True)
class Stage:
    """A level of a route and the body deciding there."""

    route: Route
    number: int  # the level, from 1
    level: Level
    body: str  # the body whose decision is awaited
    level_body: str  # the level's own body (the same, unless the draft was referred)

    @property
    def referred(self) -> bool:
        return self.body != self.level_body

    @property
    def key(self) -> str:
        """Names the stage in a button's value, so that a click on a request the review has
        moved past is told apart from a fresh one."""
        return f"{self.number}.{self.body}"

    @property
    def is_last(self) -> bool:
        return self.number >= len(self.route.levels)


def route_of(governance: Governance, document: Document) -> Route:
    return governance.route_for(document.doc_type, document.service_area)


def stage_at(
    governance: Governance, document: Document, number: int, body: str | None = None
) -> Stage:
    """Level `number` of the document's route, decided by `body` (default: the level's own)."""
    route = route_of(governance, document)
    number = max(1, min(number, len(route.levels)))
    level = route.levels[number - 1]
    own = governance.level_body(level, document.committee)
    return Stage(route, number, level, body or own, own)


def stage_of(governance: Governance, review: Review) -> Stage:
    """Where the review's draft is now (level 1, its own body, before anything is submitted)."""
    return stage_at(governance, review.document, review.level or 1, review.body)


def next_stage(governance: Governance, stage: Stage, document: Document) -> Stage | None:
    """The level after `stage`'s, or None when it was the last: approval completes the review."""
    if stage.is_last:
        return None
    return stage_at(governance, document, stage.number + 1)


def decisions_at(governance: Governance, stage: Stage) -> list[str]:
    return governance.decisions_at(stage.level, stage.body, referred=stage.referred)


def refer_targets(governance: Governance, stage: Stage) -> list[str]:
    return governance.refer_targets(stage.level, stage.body, referred=stage.referred)


def may_ask_back(governance: Governance, stage: Stage) -> bool:
    """Conditions may ask for the redraft to come back to this body, not the level's own."""
    return stage.referred and stage.body != APPROVER and governance.body(stage.body).may_ask_back


def interim_body(governance: Governance, stage: Stage) -> str | None:
    """Who may approve in the interim here: only while the level's own body is to meet."""
    if stage.referred or not governance.meets(stage.body):
        return None
    return stage.level.interim_by


def information_body(governance: Governance, stage: Stage) -> str | None:
    if stage.referred or not governance.meets(stage.body):
        return None
    return stage.level.information_by
