"""Random valid governance files, and random actions by random people on a document they govern,
with days passing and signoff's daily governance jobs between them. At every step:

- no open review is stuck: someone can take it on (its owner; a person who decides where it
  stands, who the code agrees may; or, for a consultation or a meeting, signoff's daily job as
  time passes);
- nobody outside the deciders of the level where it stands (or an admin) decides, approves in
  the interim or outright; a decider whom the level allows a decision is not refused it;
- every refused attempt changes nothing and is audited as refused;
- every decision row has its audit event, and every decision's audit event its row.

Who may act is worked out here from the file as written (the spec the file was made from), never
asked of the code under test. Each example has a database of its own (SQLite)."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.runtime import Runtime
from db.engine import make_engine, make_sessionmaker
from db.models import (
    AgendaItem,
    AuditEvent,
    Consultation,
    ConsultationResponse,
    Consultee,
    Decision,
    Document,
    Meeting,
    Person,
    Review,
    Submission,
)
from scheduler.jobs import _governance_day
from tests.factories import ADMIN, APPROVER, NOW, OWNER, STRANGER, Register, act, row
from workflow import meetings
from workflow.context import SYSTEM
from workflow.errors import Refused
from workflow.governance import Governance, load, parse
from workflow.register import DOC_TYPES
from workflow.reviews import ask_approval, roles_of
from workflow.states import DECISIONS, OWNER_STATES, Action, State, check

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "governance"
MEMBERS = [f"m{n}@example.org" for n in range(1, 6)]
# People who may sit on a body: mostly members, now and then the document's owner or approver.
POOL = [*MEMBERS, APPROVER, OWNER]
DAYS = ["MO", "TU", "WE", "TH", "FR"]


# --- random valid governance files ----------------------------------------------------------


@st.composite
def meeting_rules(draw: st.DrawFn) -> str:
    day = draw(st.sampled_from(DAYS))
    if draw(st.booleans()):
        nth = draw(st.sampled_from(["1", "2", "3", "4", "-1"]))
        rule = f"FREQ=MONTHLY;BYDAY={nth}{day}"
        skip = draw(st.lists(st.integers(1, 12), max_size=2, unique=True))
        if skip:
            rule += ";BYMONTH=" + ",".join(str(m) for m in range(1, 13) if m not in skip)
        return rule
    interval = draw(st.sampled_from([1, 1, 2]))
    return f"FREQ=WEEKLY;BYDAY={day}" + (f";INTERVAL={interval}" if interval > 1 else "")


@st.composite
def specs(draw: st.DrawFn) -> dict[str, Any]:
    """A governance file as a policy officer writes it, as plain data: 1-3 groups, each deciding
    at any time or at meetings; referrals only ever upwards (to a later group), so never in a
    cycle; a route of 1-3 levels with optional consultation, interim approval and approval for
    information."""
    keys = [f"g{n}" for n in range(1, draw(st.integers(1, 3)) + 1)]
    bodies: dict[str, dict[str, Any]] = {}
    for index, key in enumerate(keys):
        members = draw(st.lists(st.sampled_from(POOL), min_size=1, max_size=3, unique=True))
        body: dict[str, Any] = {"name": f"Group {key[1:]}", "members": members}
        if draw(st.booleans()):
            cutoff = draw(st.integers(0, 10))
            body.update(
                decides="at_meetings",
                chair=draw(st.sampled_from(members)),
                meetings=draw(meeting_rules()),
                item_cutoff_working_days=cutoff,
                papers_working_days=draw(st.integers(0, cutoff)),
            )
        else:
            if draw(st.booleans()):
                body["chair"] = draw(st.sampled_from(members))
            if draw(st.booleans()):  # meets too: an agenda of what waits for it
                body["meetings"] = draw(meeting_rules())
                body["papers_working_days"] = draw(st.integers(0, 5))
            if draw(st.booleans()):
                body["nudge_after_working_days"] = draw(st.integers(1, 15))
        later = keys[index + 1 :]
        if later:
            body["refer_to"] = draw(st.lists(st.sampled_from(later), max_size=2, unique=True))
        body["may_ask_back"] = draw(st.booleans())
        bodies[key] = body
    if draw(st.booleans()):
        bodies["approver"] = {
            "refer_to": draw(st.lists(st.sampled_from(keys), min_size=1, max_size=2, unique=True)),
            "refer_word": draw(st.sampled_from(["Defer", "Refer"])),
        }
    chain = draw(
        st.lists(st.sampled_from(["approver", *keys]), min_size=1, max_size=3, unique=True)
    )
    levels = []
    for key in chain:
        level: dict[str, Any] = {"body": key}
        meets = bodies.get(key, {}).get("decides") == "at_meetings"
        higher = keys[keys.index(key) + 1 :] if key in keys else keys
        if higher and draw(st.booleans()):
            level["refer_to"] = draw(st.lists(st.sampled_from(higher), max_size=2, unique=True))
        targets = level.get("refer_to", bodies.get(key, {}).get("refer_to", []))
        if draw(st.booleans()):
            choices = ["approve_with_conditions", *(["refer"] if targets else [])]
            level["decisions"] = ["approve", *draw(st.lists(st.sampled_from(choices), unique=True))]
        if draw(st.booleans()):
            consulted = [k for k in keys if k != key] + ["consultee@example.org", OWNER]
            consultation: dict[str, Any] = {
                "with": draw(st.lists(st.sampled_from(consulted), min_size=1, max_size=2)),
                "silence": draw(st.sampled_from(["agreement", "no_answer"])),
            }
            consultation["with"] = list(dict.fromkeys(consultation["with"]))
            if meets:
                closes = draw(st.integers(0, 5))
                consultation["closes_days_before_meeting"] = closes
                if draw(st.booleans()):
                    consultation["opens_days_before_meeting"] = closes + draw(st.integers(1, 14))
            else:
                consultation["lasts_working_days"] = draw(st.integers(1, 10))
            level["consultation"] = consultation
        if meets:
            for name in ("interim_by", "information_by"):
                if draw(st.booleans()):
                    level[name] = draw(
                        st.sampled_from([*[k for k in keys if k != key], "approver"])
                    )
        levels.append(level)
    return {
        "organisation": "Random Children's Services",
        "bodies": bodies,
        "route": [{"types": ["all"], "level": levels}],
    }


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    return "[" + ", ".join(_toml(v) for v in value) + "]"


def to_toml(spec: dict[str, Any]) -> str:
    """The spec written out as the README documents the format."""
    lines = [f"organisation = {_toml(spec['organisation'])}", ""]
    for key, body in spec["bodies"].items():
        lines.append(f"[bodies.{key}]")
        lines += [f"{name} = {_toml(value)}" for name, value in body.items()]
        lines.append("")
    for route in spec["route"]:
        lines += ["[[route]]", f"types = {_toml(route['types'])}"]
        for level in route["level"]:
            lines.append("  [[route.level]]")
            lines += [
                f"  {name} = {_toml(value)}"
                for name, value in level.items()
                if name != "consultation"
            ]
            if "consultation" in level:
                lines.append("    [route.level.consultation]")
                lines += [f"    {n} = {_toml(v)}" for n, v in level["consultation"].items()]
        lines.append("")
    return "\n".join(lines)


# --- who may act, from the spec -------------------------------------------------------------


@dataclass
class Model:
    """The spec read the way the design says: who decides, what, and where a referral goes."""

    spec: dict[str, Any]

    @property
    def levels(self) -> list[dict[str, Any]]:
        return self.spec["route"][0]["level"]

    def body(self, key: str) -> dict[str, Any]:
        return self.spec["bodies"].get(key, {})

    def meets(self, key: str) -> bool:
        return self.body(key).get("decides") == "at_meetings"

    def members(self, key: str) -> set[str]:
        return {APPROVER} if key == "approver" else set(self.body(key)["members"])

    def deciders(self, key: str) -> set[str]:
        """The document's approver; a meeting's chair; or any member of a body."""
        if key == "approver":
            return {APPROVER}
        if self.meets(key) and self.body(key).get("chair"):
            return {self.body(key)["chair"]}
        return self.members(key)

    def stage(self, review: Review) -> tuple[int, dict[str, Any], str, bool]:
        number = review.level or 1
        level = self.levels[number - 1]
        body = review.body or level["body"]
        return number, level, body, body != level["body"]

    def targets(self, level: dict[str, Any], body: str, referred: bool) -> list[str]:
        if not referred and "refer_to" in level:
            return list(level["refer_to"])
        return list(self.body(body).get("refer_to", []))

    def decisions(self, level: dict[str, Any], body: str, referred: bool) -> set[Action]:
        names = ["approve", "approve_with_conditions", "refer"]
        if not referred and "decisions" in level:
            names = list(level["decisions"])
        if not self.targets(level, body, referred):
            names = [n for n in names if n != "refer"]
        return {Action(n) for n in names}

    def interim_by(self, level: dict[str, Any], body: str, referred: bool) -> str | None:
        return None if referred or not self.meets(body) else level.get("interim_by")

    def information_by(self, level: dict[str, Any], body: str, referred: bool) -> str | None:
        return None if referred or not self.meets(body) else level.get("information_by")


# --- random steps ---------------------------------------------------------------------------

ACTIONS = [a for a in Action if a is not Action.OPEN]
PEOPLE = [
    "owner",
    "approver",
    "decider",
    "decider",
    "interim",
    "informer",
    "consultee",
    "member",
    "admin",
    "stranger",
    "system",
]
# Mostly the next natural step, by whoever should take it ("drive"); among them, random actions
# by random people (most of them refused), meetings closed or items noted, and days passing.
steps = st.lists(
    st.one_of(
        st.tuples(st.just("drive"), st.integers(0, 11), st.just(""), st.integers(0, 7)),
        st.tuples(
            st.just("act"), st.sampled_from(ACTIONS), st.sampled_from(PEOPLE), st.integers(0, 7)
        ),
        st.tuples(st.just("wait"), st.integers(1, 21), st.just(""), st.just(0)),
        st.tuples(st.just("drive"), st.integers(0, 11), st.just(""), st.integers(0, 7)),
        st.tuples(st.just("close"), st.sampled_from(PEOPLE), st.just(""), st.integers(0, 7)),
        st.tuples(st.just("note"), st.sampled_from(PEOPLE), st.just(""), st.integers(0, 7)),
        st.tuples(st.just("act"), st.just(Action.OPEN), st.sampled_from(PEOPLE), st.just(0)),
        st.tuples(
            st.just("ask"), st.sampled_from(["interim", "information"]), st.just(""), st.just(0)
        ),
        st.tuples(st.just("drive"), st.integers(0, 11), st.just(""), st.integers(0, 7)),
    ),
    min_size=4,
    max_size=30,
)
HAPPY = [
    ("act", Action.OPEN, "system", 0),
    ("act", Action.START, "owner", 0),
    ("act", Action.SUBMIT_DRAFT, "owner", 0),
]


@dataclass
class World:
    register: Register
    model: Model
    governance: Governance
    now: datetime = NOW
    people: dict[str, int] = field(default_factory=dict)

    @property
    def runtime(self) -> Runtime:
        return self.register.runtime

    def review(self) -> Review | None:
        return self.register.review()


def _pick(people: set[str] | list[str], variant: int) -> str:
    ordered = sorted(people)
    return ordered[variant % len(ordered)] if ordered else STRANGER


def resolve(world: World, who: str, variant: int) -> str:
    """A pseudo-person of the steps as the e-mail of someone now (or 'system')."""
    fixed = {"owner": OWNER, "approver": APPROVER, "admin": ADMIN, "stranger": STRANGER}
    if who in fixed:
        return fixed[who]
    if who == "system":
        return "system"
    if who == "member":
        return _pick(POOL, variant)
    review = world.review()
    if review is None or review.closed_at is not None or review.state in OWNER_STATES:
        return _pick(POOL, variant)
    _, level, body, referred = world.model.stage(review)
    if who == "decider":
        return _pick(world.model.deciders(body), variant)
    if who == "interim":
        by = world.model.interim_by(level, body, referred)
        return _pick(world.model.members(by) if by else set(), variant)
    if who == "informer":
        by = world.model.information_by(level, body, referred)
        return _pick(world.model.members(by) if by else set(), variant)
    with world.runtime.sessions() as session:
        consulted = session.scalars(
            select(Person.email)
            .join(Consultee, Consultee.person_id == Person.id)
            .join(Consultation, Consultation.id == Consultee.consultation_id)
            .where(Consultation.review_id == review.id, Consultation.closed_at.is_(None))
        ).all()
    return _pick(list(consulted), variant)


def observe(world: World) -> dict[str, Any]:
    """Everything a refused attempt must leave as it was."""
    with world.runtime.sessions() as session:
        document = session.scalars(select(Document)).one()
        return {
            "document": (
                document.version,
                document.last_approved,
                document.next_review_due,
                document.pending_publication_version,
            ),
            "reviews": [
                (r.state, r.level, r.body, r.back_to, r.closed_at, r.target_date)
                for r in session.scalars(select(Review).order_by(Review.id))
            ],
            "submissions": session.scalar(select(func.count(Submission.id))),
            "decisions": session.scalar(select(func.count(Decision.id))),
            "items": [
                (i.id, i.meeting_id, i.kind, i.outcome)
                for i in session.scalars(select(AgendaItem).order_by(AgendaItem.id))
            ],
            "meetings": [
                (m.id, m.closed_at) for m in session.scalars(select(Meeting).order_by(Meeting.id))
            ],
            "consultations": [
                (c.id, c.opened_at, c.closed_at)
                for c in session.scalars(select(Consultation).order_by(Consultation.id))
            ],
            "responses": session.scalar(select(func.count(ConsultationResponse.id))),
        }


def audits(world: World) -> tuple[int, int]:
    with world.runtime.sessions() as session:
        changes = session.scalar(select(func.count(AuditEvent.id)).where(~AuditEvent.refused))
        refusals = session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.refused))
        return changes, refusals


def decisions(world: World) -> list[Decision]:
    with world.runtime.sessions() as session:
        return list(session.scalars(select(Decision).order_by(Decision.id)))


# --- the invariants ---------------------------------------------------------------------------

DECISION_EVENTS = {
    "approved": ("review.approved", "review.approved_by_one"),
    "approved_with_conditions": ("review.approved_with_conditions",),
    "referred": ("review.referred",),
    "interim_approved": ("review.interim_approved",),
}


def assert_every_decision_is_audited(world: World) -> None:
    with world.runtime.sessions() as session:
        rows = session.scalars(select(Decision)).all()
        events = session.scalars(
            select(AuditEvent).where(
                ~AuditEvent.refused,
                AuditEvent.action.in_([a for names in DECISION_EVENTS.values() for a in names]),
            )
        ).all()
        assert len(rows) == len(events), (len(rows), [e.action for e in events])
        unmatched = list(events)
        for decision in rows:
            submission = session.get(Submission, decision.submission_id)
            match = next(
                (
                    e
                    for e in unmatched
                    if e.review_id == submission.review_id
                    and e.action in DECISION_EVENTS[decision.outcome]
                    and e.actor_id == decision.decided_by_id
                    and e.at == decision.decided_at
                ),
                None,
            )
            assert match is not None, f"decision {decision.id} ({decision.outcome}) not audited"
            unmatched.remove(match)


def assert_not_stuck(world: World) -> None:
    review = world.review()
    if review is None or review.closed_at is not None:
        return
    state = State(review.state)
    if state in OWNER_STATES:
        # The owner's turn: the acting owner (the approver, where there is none) may submit.
        owner = world.register.owner_of()
        able = [owner]
        action = Action.SUBMIT_DRAFT
    elif state is State.IN_CONSULTATION:
        # Signoff closes the consultation once its day has passed, and the body is asked then.
        with world.runtime.sessions() as session:
            running = session.scalars(
                select(Consultation).where(
                    Consultation.review_id == review.id, Consultation.closed_at.is_(None)
                )
            ).all()
        assert len(running) == 1, f"in consultation, with {len(running)} consultations running"
        assert running[0].closes_on >= running[0].opens_on
        return
    else:
        assert state is State.AWAITING_APPROVAL, state
        _, _, body, _ = world.model.stage(review)
        able = sorted(world.model.deciders(body))
        assert able, f"nobody decides for {body}"
        action = Action.APPROVE
        if world.model.meets(body):
            # Its chair records it from a meeting's papers: it is on a meeting not yet closed
            # (signoff closes a past one the next morning and rolls what was not decided).
            with world.runtime.sessions() as session:
                item = session.scalar(
                    select(AgendaItem.id)
                    .join(Meeting)
                    .where(
                        AgendaItem.review_id == review.id,
                        AgendaItem.outcome.is_(None),
                        Meeting.body == body,
                        Meeting.closed_at.is_(None),
                    )
                )
            assert item is not None, f"awaiting {body}, on no open meeting's agenda"
    # The code agrees: each of them may take it on (no refusal for want of a role). (Their
    # actors first: a session here holds SQLite's write lock until it ends.)
    actors = {email: world.register.actor(email) for email in able}
    with world.runtime.sessions() as session:
        current = session.get(Review, review.id)
        for actor in actors.values():
            roles = roles_of(actor, current.document, current, world.governance)
            check(state, action, roles, reference=current.document.reference)


def allowed(world: World, review: Review | None, action: Action, email: str) -> bool:
    """Whether the file lets `email` take this decision where the review stands (admins aside)."""
    if review is None or review.closed_at is not None:
        return False
    state = State(review.state)
    _, level, body, referred = world.model.stage(review)
    if action in DECISIONS:
        return (
            state is State.AWAITING_APPROVAL
            and email in world.model.deciders(body)
            and action in world.model.decisions(level, body, referred)
        )
    if state not in (State.AWAITING_APPROVAL, State.IN_CONSULTATION):
        return False
    if action is Action.INTERIM_APPROVE:
        by = world.model.interim_by(level, body, referred)
    else:
        by = world.model.information_by(level, body, referred)
    return by is not None and email in world.model.members(by)


# --- the property -----------------------------------------------------------------------------


@pytest.fixture
def fresh(_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory, settings, clock):  # type: ignore[no-untyped-def]
    """A new database for each example: governance files differ, and so do their bodies."""

    def make(governance: Governance) -> Runtime:
        path = tmp_path_factory.mktemp("governed") / "signoff.db"
        shutil.copy(_sqlite_template, path)
        engine = make_engine(f"sqlite:///{path}")
        return Runtime(settings, engine, make_sessionmaker(engine), clock, governance)

    return make


@settings(
    # About a minute on SQLite; SIGNOFF_GOVERNANCE_EXAMPLES=1500 searches harder.
    max_examples=int(os.environ.get("SIGNOFF_GOVERNANCE_EXAMPLES", "60")),
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(
    spec=specs(),
    doc_type=st.sampled_from(DOC_TYPES),
    prefix=st.sampled_from([True, True, True, False]),
    sequence=steps,
)
@example(
    # Found by a search: a weekly committee with no cut-off, driven along after approval.
    spec={
        "organisation": "Random Children's Services",
        "bodies": {
            "g1": {
                "name": "Group 1",
                "members": ["m1@example.org"],
                "decides": "at_meetings",
                "chair": "m1@example.org",
                "meetings": "FREQ=WEEKLY;BYDAY=MO",
                "item_cutoff_working_days": 0,
                "papers_working_days": 0,
                "may_ask_back": False,
            }
        },
        "route": [{"types": ["all"], "level": [{"body": "g1"}]}],
    },
    doc_type="policy",
    prefix=True,
    sequence=[("drive", 7, "", 0), ("drive", 0, "", 0), ("drive", 0, "", 0), ("drive", 0, "", 0)],
)
@example(
    # Found again in CI: the same, with the owner chairing and closing the meeting.
    spec={
        "organisation": "Random Children's Services",
        "bodies": {
            "g1": {
                "name": "Group 1",
                "members": ["m1@example.org"],
                "refer_to": [],
                "may_ask_back": False,
            },
            "g2": {
                "name": "Group 2",
                "members": ["owner@example.org"],
                "decides": "at_meetings",
                "chair": "owner@example.org",
                "meetings": "FREQ=WEEKLY;BYDAY=MO",
                "item_cutoff_working_days": 0,
                "papers_working_days": 0,
                "may_ask_back": False,
            },
        },
        "route": [{"types": ["all"], "level": [{"body": "g2"}]}],
    },
    doc_type="policy",
    prefix=True,
    sequence=[
        ("drive", 0, "", 0),
        ("drive", 0, "", 0),
        ("close", "owner", "", 0),
        ("drive", 0, "", 0),
    ],
)
def test_random_governance_and_random_actions_keep_every_invariant(
    fresh, spec, doc_type, prefix, sequence
):
    text = to_toml(spec)
    governance = parse(text, source="random.toml", today=NOW.date())  # a valid file is taken
    runtime = fresh(governance)
    try:
        register = Register(runtime)
        register.add(row(doc_type=doc_type, next_review_due=NOW.date() + timedelta(days=20)))
        world = World(register, Model(spec), governance)
        for step in [*HAPPY, *sequence] if prefix else sequence:
            take(world, step)
            assert_not_stuck(world)
            assert_every_decision_is_audited(world)
        tell_what_was_reached(world)
    finally:
        runtime.engine.dispose()


def tell_what_was_reached(world: World) -> None:
    """For --hypothesis-show-statistics: how far the examples went."""
    with world.runtime.sessions() as session:
        outcomes = set(session.scalars(select(Decision.outcome)))
        consulted = session.scalar(select(func.count(Consultation.id)))
        met = session.scalar(select(func.count(Meeting.id)).where(Meeting.closed_at.is_not(None)))
    for outcome in sorted(outcomes):
        event(f"decided: {outcome}")
    review = world.review()
    event(f"ends {'closed' if review is None or review.closed_at else review.state}")
    if consulted:
        event("consulted")
    if met:
        event("a meeting closed")


def drive(world: World, choice: int, variant: int) -> tuple[Any, ...]:
    """The step that moves the review on, by whoever should take it."""
    review = world.review()
    if review is None or review.closed_at is not None:
        return ("act", Action.OPEN, "system", 0)
    state = State(review.state)
    if state in (State.REVIEW_DUE, State.IN_REVIEW):
        action = Action.SUBMIT_NO_CHANGES if choice % 3 == 0 else Action.SUBMIT_DRAFT
        return ("act", action, "owner", variant)
    if state is State.CHANGES_REQUESTED:
        return ("act", Action.SUBMIT_DRAFT, "owner", variant)
    if state is State.IN_CONSULTATION:
        options = [
            ("act", Action.COMMENT, "consultee", variant),
            ("wait", until(world, review, Consultation), "", 0),
            ("act", Action.INTERIM_APPROVE, "interim", variant),
            ("act", Action.REVISE_DRAFT, "owner", variant),
        ]
        return options[choice % len(options)]
    options = [
        ("act", Action.APPROVE, "decider", variant),
        ("act", Action.APPROVE, "decider", variant),
        ("act", Action.APPROVE_WITH_CONDITIONS, "decider", variant),
        ("act", Action.REFER, "decider", variant % 3),
        ("wait", until(world, review, Meeting) if choice % 2 else 1 + choice, "", 0),
        ("act", Action.INTERIM_APPROVE, "interim", variant),
        ("act", Action.APPROVE_FOR_INFORMATION, "informer", variant),
        ("close", "decider", "", variant),
        ("act", Action.REVISE_DRAFT, "owner", variant),
    ]
    return options[choice % len(options)]


def until(world: World, review: Review, what: type) -> int:
    """Days until the morning after the review's consultation closes, or after the meeting it
    is on (when signoff's daily job moves it on), or a week where there is none."""
    with world.runtime.sessions() as session:
        if what is Consultation:
            day = session.scalar(
                select(Consultation.closes_on).where(
                    Consultation.review_id == review.id, Consultation.closed_at.is_(None)
                )
            )
        else:
            day = session.scalar(
                select(Meeting.held_on)
                .join(AgendaItem)
                .where(
                    AgendaItem.review_id == review.id,
                    AgendaItem.outcome.is_(None),
                    Meeting.closed_at.is_(None),
                )
                .order_by(Meeting.held_on)
            )
    if day is None:
        return 7
    return max(1, (day - world.now.date()).days + 1)


def take(world: World, step: tuple[Any, ...]) -> None:
    if step[0] == "drive":
        step = drive(world, step[1], step[3])
    kind, what, who, variant = step
    if kind == "wait":
        world.now += timedelta(days=what)
        before = len(decisions(world))
        ctx = world.runtime.ctx(SYSTEM, now=world.now)
        with ctx.session:
            _governance_day(ctx)
        assert len(decisions(world)) == before, "the daily job decided something"
        return
    review = world.review()
    target = None
    if kind == "act":
        email = resolve(world, who, variant)
        if review is None and what is not Action.OPEN:
            return  # no message about a review exists yet, so nothing could carry this click
        if what is Action.REFER and review is not None and review.closed_at is None:
            targets = world.model.targets(*_where(world, review))
            # None (the one there is, if only one), a body it may go to, or one it may not.
            target = (
                "nobody_here"
                if variant % 5 == 4
                else None
                if variant % 5 == 3 or not targets
                else targets[variant % len(targets)]
            )

        def attempt(ctx: Any) -> None:
            act(
                ctx,
                what,
                review.id if review is not None else None,
                today=world.now.date(),
                refer_to=target,
                comes_back=bool(variant % 2),
                comment=None if variant % 3 == 0 else "Paragraph 3 needs the new timescales.",
            )

    elif kind in ("close", "note"):
        email = resolve(world, what, variant)
        with world.runtime.sessions() as session:
            if kind == "close":
                found = session.scalar(
                    select(Meeting.id).where(Meeting.closed_at.is_(None)).order_by(Meeting.held_on)
                )
            else:
                found = session.scalar(
                    select(AgendaItem.id).where(
                        AgendaItem.kind == "information", AgendaItem.outcome.is_(None)
                    )
                )
        if found is None:
            return

        def attempt(ctx: Any) -> None:
            (meetings.close_meeting if kind == "close" else meetings.note_item)(ctx, found)

    else:
        email = OWNER
        if review is None:
            return

        def attempt(ctx: Any) -> None:
            ask_approval(ctx, review.id, how=what)

    before, (changes, refusals) = observe(world), audits(world)
    decided_before = len(decisions(world))
    taking = kind == "act" and what in (*DECISIONS, *APPROVALS)
    try:
        attempt(world.register.ctx(email, now=world.now))
    except Refused as refusal:
        assert observe(world) == before, f"{step}: refused ({refusal.message}) yet changed"
        assert audits(world) == (changes, refusals + 1), f"{step}: refusal not audited once"
        if taking:
            assert not should_succeed(world, review, what, email, target), (
                f"{email} may {what.value} where it stands, yet was refused: {refusal.message}"
            )
        return
    new = decisions(world)[decided_before:]
    if not taking:
        assert new == [], f"{step}: decided without deciding"
        return
    assert review is not None
    assert len(new) == 1, f"{step}: {len(new)} decisions recorded"
    assert email == ADMIN or allowed(world, review, what, email), (
        f"{email} took '{what.value}' at {review.level}.{review.body}, and may not"
    )
    number, _, body, _ = world.model.stage(review)
    assert new[0].level == number
    assert new[0].decided_by_id == world.register.actor(email).person_id
    if what in DECISIONS:
        assert new[0].body == body


APPROVALS = (Action.INTERIM_APPROVE, Action.APPROVE_FOR_INFORMATION)


def should_succeed(
    world: World, review: Review | None, action: Action, email: str, target: str | None
) -> bool:
    """Whether the file lets this person take this decision now, with what the step gave."""
    if review is None or not allowed(world, review, action, email):
        return False
    if action is Action.INTERIM_APPROVE:
        return not _already(world, review, action)
    if action is Action.REFER:
        targets = world.model.targets(*_where(world, review))
        return target in targets or (target is None and len(targets) == 1)
    return True


def _where(world: World, review: Review) -> tuple[dict[str, Any], str, bool]:
    _, level, body, referred = world.model.stage(review)
    return level, body, referred


def _already(world: World, review: Review, action: Action) -> bool:
    """An interim approval is given once per draft and level."""
    with world.runtime.sessions() as session:
        latest = session.scalar(
            select(Submission.id)
            .where(Submission.review_id == review.id)
            .order_by(Submission.id.desc())
        )
        return bool(
            session.scalar(
                select(Decision.id).where(
                    Decision.submission_id == latest,
                    Decision.level == review.level,
                    Decision.outcome == "interim_approved",
                )
            )
        )


# --- the shipped examples -----------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.toml")), ids=lambda p: p.stem)
def test_every_example_is_valid_and_its_description_names_each_body(path):
    rules = load(path, today=NOW.date())
    words = "\n".join(rules.describe())
    assert rules.organisation and rules.organisation in words
    for key in rules.bodies:
        name = "approver" if key == "approver" else rules.name_of(key)
        assert name in words, f"{path.name}: the description never names {key} ({name})"
    for doc_type in DOC_TYPES:
        rules.route_for(doc_type, "Children in Care")  # every type has a route


def test_the_examples_are_the_organisations_of_the_seeds():
    assert {p.stem for p in EXAMPLES.glob("*.toml")} >= {
        "northamptonshire",
        "birmingham",
        "dorset",
        "merton",
    }


def test_a_spec_written_out_reads_back_as_the_same_governance():
    spec = {
        "organisation": "Anytown",
        "bodies": {
            "g1": {
                "name": "Group 1",
                "members": ["m1@example.org", "m2@example.org"],
                "decides": "at_meetings",
                "chair": "m1@example.org",
                "meetings": "FREQ=MONTHLY;BYDAY=2TU",
                "item_cutoff_working_days": 5,
                "papers_working_days": 2,
                "refer_to": ["g2"],
            },
            "g2": {"name": "Group 2", "members": ["m3@example.org"], "may_ask_back": True},
        },
        "route": [
            {
                "types": ["all"],
                "level": [
                    {"body": "approver"},
                    {
                        "body": "g1",
                        "interim_by": "g2",
                        "consultation": {"with": ["g2"], "closes_days_before_meeting": 3},
                    },
                ],
            }
        ],
    }
    rules = parse(to_toml(spec), today=NOW.date())
    assert rules.bodies["g1"].refer_to == ["g2"]
    level = rules.routes[0].levels[1]
    assert level.interim_by == "g2" and level.consultation is not None
    assert level.consultation.closes_days_before_meeting == 3
