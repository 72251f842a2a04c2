"""The review's states, the actions that move it, and who may take each.

This module is the design's state diagram written down once. Everything that asks
"may this person do this now?" asks `check`, so the rules cannot drift apart. Which body decides
at which level is the governance's business (workflow/governance.py, workflow/chain.py): here a
decision is taken by whoever decides at the level the review has reached, the `DECIDER`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from workflow.errors import Refused


class State(StrEnum):
    CURRENT = "current"
    REVIEW_DUE = "review_due"
    IN_REVIEW = "in_review"
    # Awaiting a decision at a level of the route, by the body the review records.
    AWAITING_APPROVAL = "awaiting_approval"
    # Out for comment before the level's body decides.
    IN_CONSULTATION = "in_consultation"
    CHANGES_REQUESTED = "changes_requested"

    @property
    def label(self) -> str:
        return _STATE_LABELS[self]


_STATE_LABELS = {
    State.CURRENT: "current",
    State.REVIEW_DUE: "review due",
    State.IN_REVIEW: "in review",
    State.AWAITING_APPROVAL: "awaiting approval",
    State.IN_CONSULTATION: "in consultation",
    State.CHANGES_REQUESTED: "changes requested",
}

OPEN_STATES = frozenset(State) - {State.CURRENT}
# The owner's turn: reminders, targets and escalation are about these.
OWNER_STATES = frozenset({State.REVIEW_DUE, State.IN_REVIEW, State.CHANGES_REQUESTED})
# A decision awaited: the draft is with a body.
WITH_A_BODY = frozenset({State.AWAITING_APPROVAL, State.IN_CONSULTATION})


class Action(StrEnum):
    OPEN = "open"
    START = "start"
    SUBMIT_DRAFT = "submit_draft"
    SUBMIT_NO_CHANGES = "submit_no_changes"
    # A second draft while the level's consultation runs or after it, before the body decides.
    REVISE_DRAFT = "revise_draft"
    APPROVE = "approve"
    APPROVE_WITH_CONDITIONS = "approve_with_conditions"
    REFER = "refer"
    INTERIM_APPROVE = "interim_approve"
    APPROVE_FOR_INFORMATION = "approve_for_information"
    COMMENT = "comment"
    SET_TARGET_DATE = "set_target_date"

    @property
    def label(self) -> str:
        return _ACTION_LABELS[self]


_ACTION_LABELS = {
    Action.OPEN: "open a review of",
    Action.START: "start the review of",
    Action.SUBMIT_DRAFT: "submit a draft of",
    Action.SUBMIT_NO_CHANGES: "submit a no-changes statement for",
    Action.REVISE_DRAFT: "submit a second draft of",
    Action.APPROVE: "approve",
    Action.APPROVE_WITH_CONDITIONS: "approve with conditions",
    Action.REFER: "refer",
    Action.INTERIM_APPROVE: "approve in the interim",
    Action.APPROVE_FOR_INFORMATION: "approve outright",
    Action.COMMENT: "comment on",
    Action.SET_TARGET_DATE: "set the target date of",
}

DECISIONS = frozenset({Action.APPROVE, Action.APPROVE_WITH_CONDITIONS, Action.REFER})


class Role(StrEnum):
    OWNER = "owner"
    APPROVER = "approver"  # the document's approver in the register (agrees target dates)
    DECIDER = "decider"  # decides at the level the review has reached
    INTERIM = "interim"  # may approve in the interim at this level
    INFORMATION = "information"  # may approve outright, noted at the next meeting
    CONSULTEE = "consultee"  # asked for comments on this draft
    ADMIN = "admin"
    SYSTEM = "system"


@dataclass(frozen=True)
class Rule:
    target: State | None  # None: the action does not move the review, or the route decides
    roles: frozenset[Role]


_OWNER = frozenset({Role.OWNER, Role.ADMIN})
_DECIDER = frozenset({Role.DECIDER, Role.ADMIN})
# Reviews "can be begun before receipt of the reminder": the owner may open their own early.
_OPENER = frozenset({Role.SYSTEM, Role.ADMIN, Role.OWNER})

RULES: dict[tuple[State, Action], Rule] = {
    (State.CURRENT, Action.OPEN): Rule(State.REVIEW_DUE, _OPENER),
    (State.REVIEW_DUE, Action.START): Rule(State.IN_REVIEW, _OWNER),
    # Where a submitted draft goes (awaiting a body, or out for consultation) is the route's.
    (State.REVIEW_DUE, Action.SUBMIT_DRAFT): Rule(None, _OWNER),
    (State.REVIEW_DUE, Action.SUBMIT_NO_CHANGES): Rule(None, _OWNER),
    (State.IN_REVIEW, Action.SUBMIT_DRAFT): Rule(None, _OWNER),
    (State.IN_REVIEW, Action.SUBMIT_NO_CHANGES): Rule(None, _OWNER),
    (State.CHANGES_REQUESTED, Action.SUBMIT_DRAFT): Rule(None, _OWNER),
    (State.IN_CONSULTATION, Action.REVISE_DRAFT): Rule(None, _OWNER),
    (State.AWAITING_APPROVAL, Action.REVISE_DRAFT): Rule(None, _OWNER),
    # Approval moves the draft to the next level, or completes the review at the last.
    (State.AWAITING_APPROVAL, Action.APPROVE): Rule(None, _DECIDER),
    (State.AWAITING_APPROVAL, Action.APPROVE_WITH_CONDITIONS): Rule(
        State.CHANGES_REQUESTED, _DECIDER
    ),
    (State.AWAITING_APPROVAL, Action.REFER): Rule(State.AWAITING_APPROVAL, _DECIDER),
    (State.AWAITING_APPROVAL, Action.INTERIM_APPROVE): Rule(
        None, frozenset({Role.INTERIM, Role.ADMIN})
    ),
    (State.IN_CONSULTATION, Action.INTERIM_APPROVE): Rule(
        None, frozenset({Role.INTERIM, Role.ADMIN})
    ),
    (State.AWAITING_APPROVAL, Action.APPROVE_FOR_INFORMATION): Rule(
        State.CURRENT, frozenset({Role.INFORMATION, Role.ADMIN})
    ),
    (State.IN_CONSULTATION, Action.APPROVE_FOR_INFORMATION): Rule(
        State.CURRENT, frozenset({Role.INFORMATION, Role.ADMIN})
    ),
    (State.IN_CONSULTATION, Action.COMMENT): Rule(None, frozenset({Role.CONSULTEE})),
    # The owner may commit to a date at any point before the draft is in.
    (State.REVIEW_DUE, Action.SET_TARGET_DATE): Rule(None, _OWNER),
    (State.IN_REVIEW, Action.SET_TARGET_DATE): Rule(None, _OWNER),
    (State.CHANGES_REQUESTED, Action.SET_TARGET_DATE): Rule(None, _OWNER),
}


def allowed_actions(state: State) -> list[Action]:
    return [action for (s, action) in RULES if s is state]


def check(
    state: State,
    action: Action,
    roles: frozenset[Role] | set[Role],
    *,
    reference: str,
    who: dict[Role, str] | None = None,
    awaiting: str | None = None,
) -> Rule:
    """Return the rule that lets `roles` take `action` now, or raise `Refused` saying why.

    `who` names the people or body behind the roles, so the refusal can say who may act instead;
    `awaiting` says whose decision the review awaits, for a refusal of a decision."""
    rule = RULES.get((state, action))
    if rule is None:
        where = f"awaiting {awaiting}" if awaiting and state in WITH_A_BODY else state.label
        raise Refused(
            f"{reference} is {where}, so you cannot {action.label} it now.",
            code="wrong_state",
        )
    if not roles & rule.roles:
        raise Refused(_not_yours(action, rule.roles, reference, who or {}), code="not_allowed")
    return rule


def _not_yours(action: Action, roles: frozenset[Role], reference: str, who: dict[Role, str]) -> str:
    holder = None
    for role in (Role.OWNER, Role.DECIDER, Role.INTERIM, Role.INFORMATION, Role.CONSULTEE):
        if role in roles:
            holder = who.get(role)
            break
    if Role.OWNER in roles:
        whose = f"the owner of {reference}" + (f" ({holder})" if holder else "")
    elif Role.CONSULTEE in roles:
        return f"Only the people consulted on {reference} can comment on it."
    elif holder:
        whose = holder
    else:
        whose = "the policy officer"
    if Role.ADMIN not in roles:
        return f"Only {whose} can {action.label} {reference}."
    return f"Only {whose} or an admin can {action.label} {reference}."
