"""Who signs off what: the organisation's governance, read from a TOML file.

A draft passes through the levels of its document type's route. Each level is decided by a body:
the document's own approver from the register (`approver`), the approving committee the register
names for it (`committee`), or a named body (members by e-mail, a chair, optionally a channel),
which decides either at any time or at its meetings. A body may refer a draft to a higher one; a
consultation may come before a level; a level decided at meetings may allow interim approval
(ratified at the next meeting) or approval by someone whose decision the next meeting notes.

Nothing here knows an organisation: `default` builds the chain signoff has always run (the
approver, who may defer to the SLT) from the settings, and every other chain is a file. The rules
read this; they never name a body themselves.
"""

from __future__ import annotations

import calendar
import difflib
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal

from dateutil.rrule import rrulestr
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from workflow.dates import add_working_days
from workflow.register import DOC_TYPES

APPROVER = "approver"  # the document's own approver (RSM), from the register
COMMITTEE = "committee"  # the approving committee the register names for the document
BUILT_IN = (APPROVER, COMMITTEE)
DECISIONS = ("approve", "approve_with_conditions", "refer")
ALL_TYPES = "all"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


class GovernanceError(Exception):
    """A governance file that cannot be used. `problems` names each thing wrong, with its place."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: {len(problems)} problem(s)")


# --- the file, as written ------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class Body(_Strict):
    """A body that decides (or is consulted, or is reported to)."""

    name: str | None = None
    short: str | None = None  # "SLT": what buttons and one-line messages call it
    members: list[str] = Field(default_factory=list)
    chair: str | None = None
    channel: str | None = None  # a Slack channel ID; without one, members are told directly
    teams_channel: str | None = None  # a Teams channel's conversation ID (19:...@thread.tacv2)
    decides: Literal["any_time", "at_meetings"] = "any_time"
    meetings: str | None = None  # an RRULE, e.g. FREQ=MONTHLY;BYDAY=2TU
    item_cutoff_working_days: int = Field(0, ge=0)
    papers_working_days: int = Field(0, ge=0)
    refer_to: list[str] = Field(default_factory=list)
    refer_word: str = "Refer"  # "Defer", as some organisations say it
    may_ask_back: bool = False  # conditions may ask for the redraft to come back to this body
    nudge_after_working_days: int | None = Field(None, gt=0)
    reports_to: str | None = None  # told what each meeting decided


class Consultation(_Strict):
    with_: list[str] = Field(alias="with")  # bodies (their members) or e-mail addresses
    opens_days_before_meeting: int | None = Field(None, gt=0)
    closes_days_before_meeting: int | None = Field(None, ge=0)
    lasts_working_days: int | None = Field(None, gt=0)
    silence: Literal["agreement", "no_answer"] = "agreement"

    @property
    def silence_is_agreement(self) -> bool:
        return self.silence == "agreement"


class Level(_Strict):
    body: str
    decisions: list[str] | None = None  # default: approve, with conditions, refer when it can
    refer_to: list[str] | None = None  # default: the body's own
    consultation: Consultation | None = None
    interim_by: str | None = None
    information_by: str | None = None


class Route(_Strict):
    name: str | None = None
    types: list[str]
    service_areas: list[str] | None = None
    levels: list[Level] = Field(alias="level")

    def matches(self, doc_type: str, service_area: str | None) -> bool:
        if ALL_TYPES not in self.types and doc_type not in self.types:
            return False
        if self.service_areas is None:
            return True
        area = (service_area or "").strip().lower()
        return any(area == wanted.strip().lower() for wanted in self.service_areas)


class _File(_Strict):
    organisation: str | None = None
    bodies: dict[str, Body] = Field(default_factory=dict)
    routes: list[Route] = Field(alias="route")


# --- the governance the rules read ---------------------------------------------------------


@dataclass(frozen=True)
class Governance:
    """A validated governance: look-ups for the rules, and its description in words."""

    organisation: str | None
    bodies: dict[str, Body]
    routes: tuple[Route, ...]
    source: str = "the built-in chain"

    # -- routes and levels --

    def route_for(self, doc_type: str, service_area: str | None = None) -> Route:
        for route in self.routes:
            if route.matches(doc_type, service_area):
                return route
        # Validation makes sure every type has a route; a service area may still fall through.
        raise LookupError(
            f"no route in {self.source} for a {doc_type.replace('_', ' ')}"
            + (f" in {service_area}" if service_area else "")
        )

    def level(self, route: Route, number: int) -> Level:
        return route.levels[number - 1]

    def level_body(self, level: Level, committee: str | None) -> str:
        """The body that decides at `level` for a document whose register names `committee`."""
        if level.body == COMMITTEE:
            if not committee:
                return APPROVER  # no committee named: the approver decides, as everywhere
            return committee
        return level.body

    def body(self, key: str) -> Body:
        if key in self.bodies:
            return self.bodies[key]
        if key == APPROVER:
            return Body(name="the approver", short="approver")
        raise LookupError(f"no body '{key}' in {self.source}")

    def decisions_at(self, level: Level, body_key: str, *, referred: bool) -> list[str]:
        """What `body_key` may decide: a level's own list, or (referred to) approve, approve with
        conditions, and refer on where it may."""
        targets = self.refer_targets(level, body_key, referred=referred)
        if level.decisions is not None and not referred:
            return [d for d in level.decisions if d != "refer" or targets]
        return ["approve", "approve_with_conditions", *(["refer"] if targets else [])]

    def refer_targets(self, level: Level, body_key: str, *, referred: bool) -> list[str]:
        if not referred and level.refer_to is not None:
            return list(level.refer_to)
        return list(self.body(body_key).refer_to)

    # -- bodies in words --

    def name_of(self, key: str) -> str:
        if key == APPROVER:
            return "the approver"
        body = self.body(key)
        return body.name or body.short or key.replace("_", " ")

    def the(self, key: str) -> str:
        """A body as a sentence names it: "the approver", "the Senior Leadership Team"."""
        name = self.name_of(key)
        return name if name.startswith("the ") else f"the {name}"

    def short_of(self, key: str) -> str:
        if key == APPROVER:
            return "approver"
        body = self.body(key)
        return body.short or body.name or key.replace("_", " ")

    def meets(self, key: str) -> bool:
        return key in self.bodies and self.bodies[key].decides == "at_meetings"

    def deciders(self, key: str) -> list[str]:
        """The e-mail addresses that decide for a named body: at meetings its chair records the
        decisions; otherwise any member decides."""
        body = self.body(key)
        if body.decides == "at_meetings":
            return [body.chair] if body.chair else list(body.members)
        return list(body.members)

    def people_of(self, names: Iterable[str]) -> list[str]:
        """E-mail addresses behind a list of bodies and addresses, each once, in order."""
        found: list[str] = []
        for name in names:
            for email in self.body(name).members if name in self.bodies else [name]:
                if email not in found:
                    found.append(email)
        return found

    def deciding_bodies(self) -> list[str]:
        """The named bodies that decide somewhere: at a level, or referred to (every body, where
        the register names each document's committee)."""
        used: set[str] = set()
        for route in self.routes:
            for level in route.levels:
                if level.body == COMMITTEE:
                    return [key for key in self.bodies if key != APPROVER]
                used.add(level.body)
                used.update(level.refer_to or [])
        for key in list(used):
            used.update(self.bodies[key].refer_to if key in self.bodies else [])
        changed = True
        while changed:  # referrals onwards from those
            before = len(used)
            for key in list(used):
                used.update(self.bodies[key].refer_to if key in self.bodies else [])
            changed = len(used) != before
        return [key for key in self.bodies if key in used and key != APPROVER]

    def bodies_of(self, email: str) -> frozenset[str]:
        """The named bodies in which `email` decides."""
        return frozenset(key for key in self.bodies if email in self.deciders(key))

    # -- meetings --

    def meetings_of(self, key: str, start: date, end: date) -> list[date]:
        body = self.body(key)
        if not body.meetings:
            return []
        return meeting_dates(body.meetings, start, end)

    def next_meeting(self, key: str, reached: date, nation: str) -> tuple[date, date, bool]:
        """The meeting an item reaching `key` on `reached` goes to: (meeting, the date its agenda
        closed or closes, whether the item missed an earlier meeting's cut-off)."""
        body = self.body(key)
        missed = False
        for meeting in self.meetings_of(key, reached, reached + timedelta(days=800)):
            closes = add_working_days(meeting, -body.item_cutoff_working_days, nation)
            if reached <= closes:
                return meeting, closes, missed
            missed = True
        raise LookupError(f"{self.name_of(key)} has no meeting in the next two years")

    def papers_day(self, key: str, meeting: date, nation: str) -> date:
        return add_working_days(meeting, -self.body(key).papers_working_days, nation)

    def agenda_closes(self, key: str, meeting: date, nation: str) -> date:
        return add_working_days(meeting, -self.body(key).item_cutoff_working_days, nation)

    # -- in words --

    def describe(self) -> list[str]:
        """Per document type, the chain in words (types that share their routes together)."""
        lines = [f"{self.organisation or 'This organisation'} ({self.source})"]
        grouped: dict[tuple[int, ...], list[str]] = {}
        for doc_type in DOC_TYPES:
            routes: list[int] = []
            for n, route in enumerate(self.routes):
                if ALL_TYPES in route.types or doc_type in route.types:
                    routes.append(n)
                    if route.service_areas is None:
                        break
            grouped.setdefault(tuple(routes), []).append(doc_type.replace("_", " "))
        for routes, types in grouped.items():
            lines += ["", f"{_and(types).capitalize()}:"]
            for n in routes:
                route = self.routes[n]
                if route.service_areas is not None:
                    lines.append(f"  in {_or(route.service_areas)}:")
                elif len(routes) > 1:
                    lines.append("  in every other service area:")
                indent = "    " if len(routes) > 1 else "  "
                lines += [f"{indent}{line}" for line in self.describe_route(route)]
        return lines

    def describe_route(self, route: Route) -> list[str]:
        lines = []
        for number, level in enumerate(route.levels, start=1):
            lines += [
                f"{number}. {text}" if i == 0 else f"   {text}"
                for i, text in enumerate(self.describe_level(level))
            ]
        return lines

    def describe_level(self, level: Level) -> list[str]:
        lines = []
        if level.consultation is not None:
            lines.append(self._describe_consultation(level))
        if level.body == COMMITTEE:
            named = _or([self.name_of(key) for key in self.bodies if key != APPROVER] or ["none"])
            lines.append(
                "The approving committee the register names for the document decides (one of: "
                f"{named}; where it names none, the document's approver): approve or approve "
                "with conditions, or refer on where that committee may."
            )
            return lines
        who = self._who(level.body)
        decisions = self.decisions_at(level, level.body, referred=False)
        can = [_DECISION_WORDS[d] for d in decisions]
        targets = self.refer_targets(level, level.body, referred=False)
        if "refer" in decisions:
            can[-1] = f"{self._refer_word(level.body).lower()} to " + " or ".join(
                f"the {self.name_of(t)}" for t in targets
            )
        lines.append(f"{who[0].upper()}{who[1:]} decides: {_or(can)}.")
        for target in targets:
            lines += self._describe_referral(target, seen={level.body})
        if level.interim_by:
            lines.append(
                f"In the interim {self._who(level.interim_by, bare=True)} may approve it: it takes "
                "effect at once and goes to the next meeting for full approval."
            )
        if level.information_by:
            lines.append(
                f"{self._who(level.information_by, bare=True).capitalize()} may approve it "
                "outright: the next meeting notes it as an information item."
            )
        return lines

    def _describe_referral(self, key: str, seen: set[str]) -> list[str]:
        if key in seen:
            return []
        body = self.body(key)
        back = " (and may ask to see the redraft again)" if body.may_ask_back else ""
        lines = [f"If referred: the {self._who(key)} decides{back}."]
        for onward in body.refer_to:
            lines += self._describe_referral(onward, seen | {key})
        return lines

    def _refer_word(self, key: str) -> str:
        return self.body(key).refer_word if key in self.bodies else "Refer"

    def _who(self, key: str, *, bare: bool = False) -> str:
        if key == APPROVER:
            return "the document's approver"
        body = self.body(key)
        name = self.name_of(key)
        if bare:
            return name
        if body.decides == "at_meetings" and body.meetings:
            cutoff = (
                f"; items close {body.item_cutoff_working_days} working days before"
                if body.item_cutoff_working_days
                else ""
            )
            papers = (
                f"; papers go out {body.papers_working_days} working days before"
                if body.papers_working_days
                else ""
            )
            return f"{name}, at its meetings ({describe_rule(body.meetings)}{cutoff}{papers}),"
        return name

    def _describe_consultation(self, level: Level) -> str:
        c = level.consultation
        assert c is not None
        who = _and([self.name_of(n) if n in self.bodies else n for n in c.with_])
        if c.closes_days_before_meeting is not None:
            opens = (
                f"opens {c.opens_days_before_meeting} days before the meeting"
                if c.opens_days_before_meeting
                else "opens when the item is put on a meeting's agenda"
            )
            when = f"{opens}; comments are due {c.closes_days_before_meeting} days before it"
        else:
            when = f"comments are due within {c.lasts_working_days or 10} working days"
        silence = (
            "no answer counts as agreement"
            if c.silence_is_agreement
            else "no answer is recorded as no answer"
        )
        return f"Consultation with {who}: {when}; {silence}."


_DECISION_WORDS = {
    "approve": "approve",
    "approve_with_conditions": "approve with conditions",
    "refer": "refer",
}


def _or(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _and(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


_WEEKDAY_NAMES = {
    "MO": "Monday",
    "TU": "Tuesday",
    "WE": "Wednesday",
    "TH": "Thursday",
    "FR": "Friday",
    "SA": "Saturday",
    "SU": "Sunday",
}
_ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}


def describe_rule(rule: str) -> str:
    """An RRULE as people say it, as far as its common shapes go: "the second Tuesday of each
    month except August and December"."""
    parts = dict(part.split("=", 1) for part in rule.upper().split(";") if "=" in part)
    freq = parts.get("FREQ", "")
    words = rule
    byday = parts.get("BYDAY", "")
    match = re.fullmatch(r"([+-]?\d)?(MO|TU|WE|TH|FR|SA|SU)", byday)
    if freq == "MONTHLY" and match:
        nth = int(match.group(1) or 0)
        day = _WEEKDAY_NAMES[match.group(2)]
        words = f"the {_ORDINALS.get(nth, str(nth))} {day} of each month" if nth else f"{day}s"
    elif freq == "WEEKLY" and byday in _WEEKDAY_NAMES:
        words = f"every {_WEEKDAY_NAMES[byday]}"
    if "BYMONTH" in parts and words != rule:
        months = {int(m) for m in parts["BYMONTH"].split(",") if m.strip().isdigit()}
        missing = [calendar.month_name[m] for m in range(1, 13) if m not in months]
        if 0 < len(missing) <= 4:
            words += " except " + _and(missing)
        else:
            words += " in " + _and([calendar.month_name[m] for m in sorted(months)])
    return words


def meeting_dates(rule: str, start: date, end: date) -> list[date]:
    """The days `rule` falls on from `start` to `end`, inclusive. The rule is anchored well before
    `start` so that an INTERVAL keeps its rhythm whatever day is asked about."""
    anchor = datetime(2000, 1, 1)
    parsed = rrulestr(rule, dtstart=anchor)
    found = parsed.between(
        datetime.combine(start, time(0)), datetime.combine(end, time(23, 59)), inc=True
    )
    return [moment.date() for moment in found]


# --- loading and validating ----------------------------------------------------------------


def load(path: Path, *, today: date) -> Governance:
    """Read and validate a governance file; GovernanceError names every problem, by line."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise GovernanceError(source, [f"cannot read it: {error.strerror or error}"]) from None
    return parse(text, source=source, today=today)


def parse(text: str, *, source: str = "governance.toml", today: date) -> Governance:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise GovernanceError(source, [f"{source}: not valid TOML: {error}"]) from None
    where = _Locator(text, source)
    try:
        parsed = _File.model_validate(raw)
    except ValidationError as error:
        problems = [where.say(_path(e["loc"]), _message(e)) for e in error.errors()]
        # Set aside what could not be read and check the rest too, so that one misspelt
        # setting does not hide the file's other mistakes.
        rest = _without(raw, [e["loc"] for e in error.errors()])
        try:
            readable = _File.model_validate(rest)
        except ValidationError:
            raise GovernanceError(source, problems) from None
        problems += [
            where.say(place, message)
            for place, message in check(_governance(readable, source), today=today)
        ]
        raise GovernanceError(source, problems) from None
    governance = _governance(parsed, source)
    problems = [where.say(place, message) for place, message in check(governance, today=today)]
    if problems:
        raise GovernanceError(source, problems)
    return governance


def _governance(parsed: _File, source: str) -> Governance:
    return Governance(
        organisation=parsed.organisation,
        bodies=dict(parsed.bodies),
        routes=tuple(parsed.routes),
        source=source,
    )


def _without(raw: Any, locations: list[tuple[Any, ...]]) -> Any:
    """`raw` with the setting at each location taken out (a copy)."""
    import copy

    pruned = copy.deepcopy(raw)
    for loc in locations:
        parent, key = pruned, None
        for part in loc[:-1]:
            try:
                parent = parent[part]
            except (KeyError, IndexError, TypeError):
                parent = None
                break
        key = loc[-1] if loc else None
        if isinstance(parent, dict) and key in parent:
            del parent[key]
    return pruned


def default(
    *,
    slt_emails: Sequence[str],
    slt_channel: str | None,
    slt_meetings: str,
    papers_working_days: int,
    approval_nudge_working_days: int,
    slt_nudge_working_days: int,
    slt_teams_channel: str | None = None,
) -> Governance:
    """The chain signoff runs without a governance file: the document's approver approves,
    approves with conditions, or defers to the Senior Leadership Team, which approves or approves
    with conditions and may ask to see the redraft again. Its people come from the settings.
    examples/governance/northamptonshire.toml is the same chain written out."""
    return Governance(
        organisation=None,
        bodies={
            APPROVER: Body(
                refer_to=["slt"],
                refer_word="Defer",
                nudge_after_working_days=approval_nudge_working_days,
            ),
            "slt": Body(
                name="Senior Leadership Team",
                short="SLT",
                members=list(slt_emails),
                channel=slt_channel,
                teams_channel=slt_teams_channel,
                meetings=slt_meetings,
                papers_working_days=papers_working_days,
                may_ask_back=True,
                nudge_after_working_days=slt_nudge_working_days,
            ),
        },
        routes=(Route(types=[ALL_TYPES], level=[Level(body=APPROVER)]),),
    )


def plain() -> Governance:
    """The built-in chain with nobody in the SLT: for code that runs without settings."""
    return default(
        slt_emails=(),
        slt_channel=None,
        slt_meetings="FREQ=MONTHLY;BYDAY=2TU",
        papers_working_days=3,
        approval_nudge_working_days=5,
        slt_nudge_working_days=10,
    )


def check(governance: Governance, *, today: date) -> list[tuple[str, str]]:
    """Every problem with a parsed governance, as (place, message)."""
    problems: list[tuple[str, str]] = []
    bodies = governance.bodies
    known = set(bodies) | set(BUILT_IN)

    def unknown(place: str, name: str, *, people: bool = False) -> None:
        if people and _EMAIL.match(name):
            return
        hint = difflib.get_close_matches(name, sorted(known), n=1)
        also = f" (did you mean '{hint[0]}'?)" if hint else ""
        listing = ", ".join(sorted(bodies)) or "none"
        problems.append((place, f"unknown body '{name}'{also}; the bodies are: {listing}"))

    for key, body in bodies.items():
        at = f"bodies.{key}"
        if not _KEY.match(key):
            problems.append(
                (at, f"'{key}': name bodies with lower-case letters, digits and _ (e.g. slt)")
            )
        if key == COMMITTEE:
            problems.append(
                (
                    at,
                    "'committee' means the register's approving committee: "
                    "name the body something else",
                )
            )
        for n, member in enumerate(body.members, start=1):
            if member in known:
                problems.append(
                    (
                        f"{at}.members[{n}]",
                        f"'{member}' is a body, not a person: list its members' e-mail addresses",
                    )
                )
            elif not _EMAIL.match(member):
                problems.append(
                    (
                        f"{at}.members[{n}]",
                        f"'{member}' is not a person's e-mail address "
                        "(e.g. name.surname@example.org)",
                    )
                )
        if key != APPROVER and not body.members:
            problems.append((f"{at}.members", "a body needs members: list their e-mail addresses"))
        if key == APPROVER and body.members:
            problems.append(
                (
                    f"{at}.members",
                    "the approver is the document's own, from the register: it has no members",
                )
            )
        if body.chair is not None and body.chair not in body.members:
            problems.append((f"{at}.chair", f"the chair '{body.chair}' is not one of the members"))
        if body.decides == "at_meetings":
            if key == APPROVER:
                problems.append((f"{at}.decides", "the approver is one person: it cannot meet"))
            if not body.meetings:
                problems.append(
                    (
                        f"{at}.meetings",
                        "a body that decides at meetings needs a meetings rule, "
                        'e.g. meetings = "FREQ=MONTHLY;BYDAY=2TU"',
                    )
                )
            if not body.chair:
                problems.append(
                    (
                        f"{at}.chair",
                        "a body that decides at meetings needs a chair to record its decisions",
                    )
                )
            papers, cutoff = body.papers_working_days, body.item_cutoff_working_days
            if papers and papers > cutoff:
                problems.append(
                    (
                        f"{at}.papers_working_days",
                        f"papers go out {body.papers_working_days} "
                        f"working days before a meeting, before its agenda closes "
                        f"({body.item_cutoff_working_days}): close the agenda first",
                    )
                )
        if body.meetings:
            problems += _rule_problems(f"{at}.meetings", body.meetings, today)
        for n, target in enumerate(body.refer_to, start=1):
            if target not in bodies or target in BUILT_IN:
                unknown(f"{at}.refer_to[{n}]", target)
        if body.reports_to is not None and body.reports_to not in bodies:
            unknown(f"{at}.reports_to", body.reports_to)

    covered: set[str] = set()
    for r, route in enumerate(governance.routes, start=1):
        at = f"route[{r}]"
        for n, doc_type in enumerate(route.types, start=1):
            if doc_type != ALL_TYPES and doc_type not in DOC_TYPES:
                problems.append(
                    (
                        f"{at}.types[{n}]",
                        f"unknown document type '{doc_type}'; use "
                        f"{ALL_TYPES} or any of " + ", ".join(DOC_TYPES),
                    )
                )
        if route.service_areas is None:
            covered |= set(DOC_TYPES) if ALL_TYPES in route.types else set(route.types)
        if not route.levels:
            problems.append((at, "a route needs at least one [[route.level]]"))
        seen_bodies: set[str] = set()
        for n, level in enumerate(route.levels, start=1):
            problems += _level_problems(governance, f"{at}.level[{n}]", level, unknown)
            if level.body in seen_bodies:
                problems.append(
                    (f"{at}.level[{n}].body", f"'{level.body}' decides at two levels of one route")
                )
            seen_bodies.add(level.body)
    uncovered = [t for t in DOC_TYPES if t not in covered]
    if uncovered:
        which = (
            f"the type '{uncovered[0]}' has"
            if len(uncovered) == 1
            else "the types " + ", ".join(f"'{t}'" for t in uncovered) + " have"
        )
        problems.append(
            (
                "route",
                f"{which} no route for every service area: add them to a route's types, or end "
                f'with a route of types = ["{ALL_TYPES}"]',
            )
        )
    problems += _cycles(governance)
    return problems


def _level_problems(governance: Governance, at: str, level: Level, unknown: Any) -> list:
    problems: list[tuple[str, str]] = []
    bodies = governance.bodies
    if level.body not in bodies and level.body not in BUILT_IN:
        unknown(f"{at}.body", level.body)
        return problems
    for n, decision in enumerate(level.decisions or [], start=1):
        if decision not in DECISIONS:
            problems.append(
                (
                    f"{at}.decisions[{n}]",
                    f"unknown decision '{decision}'; use " + ", ".join(DECISIONS),
                )
            )
    if level.decisions is not None and "approve" not in level.decisions:
        problems.append((f"{at}.decisions", "a level must be able to approve"))
    for n, target in enumerate(level.refer_to or [], start=1):
        if target not in bodies or target in BUILT_IN:
            unknown(f"{at}.refer_to[{n}]", target)
    if (
        level.decisions
        and "refer" in level.decisions
        and not (level.refer_to or (level.body in bodies and bodies[level.body].refer_to))
    ):
        problems.append((f"{at}.decisions", "'refer' needs refer_to: the bodies it may refer to"))
    meets = level.body in bodies and bodies[level.body].decides == "at_meetings"
    for name in ("interim_by", "information_by"):
        value = getattr(level, name)
        if value is None:
            continue
        if value not in bodies and value != APPROVER:
            unknown(f"{at}.{name}", value)
        if not meets:
            problems.append(
                (
                    f"{at}.{name}",
                    f"'{level.body}' does not decide at meetings, so there is no "
                    "next meeting to take this to",
                )
            )
    c = level.consultation
    if c is not None:
        cat = f"{at}.consultation"
        if not c.with_:
            problems.append((f"{cat}.with", "name who is consulted: bodies or e-mail addresses"))
        for n, name in enumerate(c.with_, start=1):
            if name in BUILT_IN:
                problems.append((f"{cat}.with[{n}]", f"'{name}' decides; consult bodies or people"))
            elif name not in bodies:
                unknown(f"{cat}.with[{n}]", name, people=True)
        if meets:
            if c.lasts_working_days is not None:
                problems.append(
                    (
                        f"{cat}.lasts_working_days",
                        "the level decides at meetings: set closes_days_before_meeting instead",
                    )
                )
            if c.closes_days_before_meeting is None:
                problems.append(
                    (
                        f"{cat}.closes_days_before_meeting",
                        "when are comments due? e.g. closes_days_before_meeting = 3",
                    )
                )
            if (
                c.opens_days_before_meeting is not None
                and c.closes_days_before_meeting is not None
                and c.opens_days_before_meeting <= c.closes_days_before_meeting
            ):
                problems.append(
                    (
                        f"{cat}.opens_days_before_meeting",
                        "the consultation must open before it closes",
                    )
                )
        else:
            for name in ("opens_days_before_meeting", "closes_days_before_meeting"):
                if getattr(c, name) is not None:
                    problems.append(
                        (
                            f"{cat}.{name}",
                            f"'{level.body}' does not meet: set lasts_working_days instead",
                        )
                    )
    return problems


def _cycles(governance: Governance) -> list[tuple[str, str]]:
    """Referrals go up: a chain of referrals that comes back to where it started never ends."""
    edges = {key: set(body.refer_to) for key, body in governance.bodies.items()}
    for route in governance.routes:
        for level in route.levels:
            edges.setdefault(level.body, set()).update(level.refer_to or [])
    problems = []
    reported: set[frozenset[str]] = set()

    def visit(node: str, path: list[str]) -> None:
        for target in sorted(edges.get(node, ())):
            if target in path:
                cycle = [*path[path.index(target) :], target]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    problems.append(
                        (
                            f"bodies.{cycle[0]}.refer_to",
                            "a cycle of referrals: " + " \u2192 ".join(cycle),
                        )
                    )
            else:
                visit(target, [*path, target])

    for start in sorted(edges):
        visit(start, [start])
    return problems


def _rule_problems(at: str, rule: str, today: date) -> list[tuple[str, str]]:
    try:
        upcoming = meeting_dates(rule, today, today + timedelta(days=731))
    except (ValueError, TypeError) as error:
        return [(at, f"'{rule}' is not a meetings rule ({error}); e.g. FREQ=MONTHLY;BYDAY=2TU")]
    if not upcoming:
        return [(at, f"'{rule}' never fires in the next two years")]
    return []


def _path(loc: Sequence[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            name = {"route": "route", "level": "level", "with_": "with"}.get(str(part), str(part))
            out += ("." if out else "") + name
    return out


_MODELS: dict[str, type[BaseModel]] = {
    "route": Route,
    "level": Level,
    "consultation": Consultation,
}


def _message(error: dict[str, Any]) -> str:
    kind = error["type"]
    loc = error["loc"]
    if kind == "extra_forbidden":
        name = str(loc[-1])
        parent = next((str(p) for p in reversed(loc[:-1]) if isinstance(p, str)), "")
        model = _MODELS.get(parent, Body if len(loc) == 3 and loc[0] == "bodies" else _File)
        options = [field.alias or key for key, field in model.model_fields.items()]
        hint = difflib.get_close_matches(name, options, n=1)
        return f"unknown setting '{name}'" + (f" (did you mean '{hint[0]}'?)" if hint else "")
    if kind == "missing":
        return "missing: this must be set"
    return error["msg"]


class _Locator:
    """Finds the line a dotted place refers to, so a problem reads `FILE:LINE: place: ...`."""

    def __init__(self, text: str, source: str) -> None:
        self.lines = text.splitlines()
        self.source = source

    def say(self, place: str, message: str) -> str:
        line = self._line(place)
        at = f"{self.source}:{line}" if line else self.source
        return f"{at}: {place}: {message}"

    def _line(self, place: str) -> int | None:
        parts = re.findall(r"([A-Za-z0-9_]+)(?:\[(\d+)\])?", place)
        start, end = 0, len(self.lines)
        table: list[str] = []
        found: int | None = None
        for name, index in parts:
            if table == [] and name == "bodies":
                table = ["bodies"]
                continue
            candidate = [*table, name]
            header = self._find_header(candidate, int(index) if index else 1, start)
            if header is not None:
                found, start = header, header + 1
                end = self._next_header(start)
                table = candidate
                continue
            key = self._find_key(name, start, end)
            if key is not None:
                found = key
            break
        return found + 1 if found is not None else None

    def _find_header(self, names: list[str], nth: int, start: int) -> int | None:
        dotted = r"\s*\.\s*".join(re.escape(n) for n in names)
        pattern = re.compile(rf"^\s*\[\[?\s*{dotted}\s*\]\]?\s*(#.*)?$")
        seen = 0
        # A table's header may come after its parent's keys and sub-tables: look to the end.
        for i in range(start, len(self.lines)):
            if pattern.match(self.lines[i]):
                seen += 1
                if seen == nth:
                    return i
        return None

    def _next_header(self, start: int) -> int:
        for i in range(start, len(self.lines)):
            if re.match(r"^\s*\[", self.lines[i]):
                return i
        return len(self.lines)

    def _find_key(self, name: str, start: int, end: int) -> int | None:
        pattern = re.compile(rf"^\s*{re.escape(name)}\s*=")
        for i in range(start, end):
            if pattern.match(self.lines[i]):
                return i
        return None
