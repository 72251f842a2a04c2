"""The review's states, the actions that move it, and who may take each.

This module is the design's state diagram written down once. Everything that asks
"may this person do this now?" asks `check`, so the rules cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from workflow.errors import Refused


class State(StrEnum):
    CURRENT = "current"
    REVIEW_DUE = "review_due"
    IN_REVIEW = "in_review"
    AWAITING_APPROVAL = "awaiting_approval"
    CHANGES_REQUESTED = "changes_requested"
    AWAITING_SLT = "awaiting_slt"

    @property
    def label(self) -> str:
        return _STATE_LABELS[self]


_STATE_LABELS = {
    State.CURRENT: "current",
    State.REVIEW_DUE: "review due",
    State.IN_REVIEW: "in review",
    State.AWAITING_APPROVAL: "awaiting approval",
    State.CHANGES_REQUESTED: "changes requested",
    State.AWAITING_SLT: "awaiting the SLT",
}

OPEN_STATES = frozenset(State) - {State.CURRENT}


class Action(StrEnum):
    OPEN = "open"
    START = "start"
    SUBMIT_DRAFT = "submit_draft"
    SUBMIT_NO_CHANGES = "submit_no_changes"
    APPROVE = "approve"
    APPROVE_WITH_CONDITIONS = "approve_with_conditions"
    DEFER_TO_SLT = "defer_to_slt"
    SLT_APPROVE = "slt_approve"
    SLT_APPROVE_WITH_CONDITIONS = "slt_approve_with_conditions"
    SET_TARGET_DATE = "set_target_date"

    @property
    def label(self) -> str:
        return _ACTION_LABELS[self]


_ACTION_LABELS = {
    Action.OPEN: "open a review of",
    Action.START: "start the review of",
    Action.SUBMIT_DRAFT: "submit a draft of",
    Action.SUBMIT_NO_CHANGES: "submit a no-changes statement for",
    Action.APPROVE: "approve",
    Action.APPROVE_WITH_CONDITIONS: "approve with conditions",
    Action.DEFER_TO_SLT: "defer to the SLT",
    Action.SLT_APPROVE: "approve for the SLT",
    Action.SLT_APPROVE_WITH_CONDITIONS: "approve with conditions for the SLT",
    Action.SET_TARGET_DATE: "set the target date of",
}


class Role(StrEnum):
    OWNER = "owner"
    APPROVER = "approver"
    SLT = "slt"
    ADMIN = "admin"
    SYSTEM = "system"


@dataclass(frozen=True)
class Rule:
    target: State | None  # None: the action does not move the review
    roles: frozenset[Role]


_OWNER = frozenset({Role.OWNER, Role.ADMIN})
_APPROVER = frozenset({Role.APPROVER, Role.ADMIN})
_SLT = frozenset({Role.SLT, Role.ADMIN})
# Reviews "can be begun before receipt of the reminder": the owner may open their own early.
_OPENER = frozenset({Role.SYSTEM, Role.ADMIN, Role.OWNER})

RULES: dict[tuple[State, Action], Rule] = {
    (State.CURRENT, Action.OPEN): Rule(State.REVIEW_DUE, _OPENER),
    (State.REVIEW_DUE, Action.START): Rule(State.IN_REVIEW, _OWNER),
    (State.REVIEW_DUE, Action.SUBMIT_DRAFT): Rule(State.AWAITING_APPROVAL, _OWNER),
    (State.REVIEW_DUE, Action.SUBMIT_NO_CHANGES): Rule(State.AWAITING_APPROVAL, _OWNER),
    (State.IN_REVIEW, Action.SUBMIT_DRAFT): Rule(State.AWAITING_APPROVAL, _OWNER),
    (State.IN_REVIEW, Action.SUBMIT_NO_CHANGES): Rule(State.AWAITING_APPROVAL, _OWNER),
    (State.CHANGES_REQUESTED, Action.SUBMIT_DRAFT): Rule(State.AWAITING_APPROVAL, _OWNER),
    (State.AWAITING_APPROVAL, Action.APPROVE): Rule(State.CURRENT, _APPROVER),
    (State.AWAITING_APPROVAL, Action.APPROVE_WITH_CONDITIONS): Rule(
        State.CHANGES_REQUESTED, _APPROVER
    ),
    (State.AWAITING_APPROVAL, Action.DEFER_TO_SLT): Rule(State.AWAITING_SLT, _APPROVER),
    (State.AWAITING_SLT, Action.SLT_APPROVE): Rule(State.CURRENT, _SLT),
    (State.AWAITING_SLT, Action.SLT_APPROVE_WITH_CONDITIONS): Rule(State.CHANGES_REQUESTED, _SLT),
    # The owner may commit to a date at any point before the draft is in.
    (State.REVIEW_DUE, Action.SET_TARGET_DATE): Rule(None, _OWNER),
    (State.IN_REVIEW, Action.SET_TARGET_DATE): Rule(None, _OWNER),
    (State.CHANGES_REQUESTED, Action.SET_TARGET_DATE): Rule(None, _OWNER),
}


def next_state(state: State, action: Action, *, back_to_slt: bool = False) -> State:
    """Where `action` takes a review in `state`, or `state` itself when it does not move it."""
    rule = RULES[(state, action)]
    if rule.target is None:
        return state
    # A redraft the SLT asked to see again goes back to the SLT, not to the approver.
    if state is State.CHANGES_REQUESTED and action is Action.SUBMIT_DRAFT and back_to_slt:
        return State.AWAITING_SLT
    return rule.target


def allowed_actions(state: State) -> list[Action]:
    return [action for (s, action) in RULES if s is state]


def check(
    state: State,
    action: Action,
    roles: frozenset[Role] | set[Role],
    *,
    reference: str,
    who: dict[Role, str] | None = None,
) -> Rule:
    """Return the rule that lets `roles` take `action` now, or raise `Refused` saying why.

    `who` names the people behind the roles, so the refusal can say who may act instead.
    """
    rule = RULES.get((state, action))
    if rule is None:
        raise Refused(
            f"{reference} is {state.label}, so you cannot {action.label} it now.",
            code="wrong_state",
        )
    if not roles & rule.roles:
        raise Refused(_not_yours(action, rule.roles, reference, who or {}), code="not_allowed")
    return rule


def _not_yours(action: Action, roles: frozenset[Role], reference: str, who: dict[Role, str]) -> str:
    if Role.OWNER in roles:
        holder = who.get(Role.OWNER)
        whose = f"the owner of {reference}" + (f" ({holder})" if holder else "")
    elif Role.APPROVER in roles:
        holder = who.get(Role.APPROVER)
        whose = f"the approver of {reference}" + (f" ({holder})" if holder else "")
    elif Role.SLT in roles:
        whose = "a member of the Senior Leadership Team"
    else:
        whose = "the policy officer"
    return f"Only {whose} or an admin can {action.label} {reference}."
