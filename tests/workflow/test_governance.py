"""Governance files: every mistake in one is refused, each named with its line and its place in
the file, and the built-in chain is the Northamptonshire file written out."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from workflow.governance import APPROVER, GovernanceError, default, load, parse

TODAY = date(2026, 11, 23)
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "governance"
PROBLEM = re.compile(r"^(?P<source>[^:]+):(?P<line>\d+): (?P<place>[^:]+): (?P<message>.+)$", re.S)

# A policy officer's first try: nearly everything that can be wrong with a file is.
MISTAKES = """organisation = "Anytown Children's Services"

[bodies.panel]
name = "Policy Panel"
members = ["pat@example.org", "Bob Smith", "board"]
chair = "chris@example.org"
decides = "at_meetings"
meetings = "FREQ=MONTHLY;BYDAY=2TU"
item_cutoff_working_days = 2
papers_working_days = 5
refer_to = ["board"]

[bodies.board]
name = "Board"
members = ["bea@example.org"]
chair = "bea@example.org"
decides = "at_meetings"
meetings = "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30"
refer_to = ["panel"]

[bodies.forum]
name = "Practice Forum"
members = ["fay@example.org"]
decides = "at_meetings"

[bodies.quick]
name = "Quick Group"
members = ["quinn@example.org"]
refer_to = ["execs"]

[[route]]
types = ["policy"]
  [[route.level]]
  body = "pannel"

[[route]]
types = ["procedure", "guidance"]
  [[route.level]]
  body = "quick"
  interim_by = "panel"
    [route.level.consultation]
    with = ["forum", "not a person"]
    closes_days_before_meeting = 3
  [[route.level]]
  body = "panel"
    [route.level.consultation]
    with = ["quick"]
    lasts_working_days = 5
    opens_days_before_meeting = 2
"""

# (line, place, words the message must contain)
EXPECTED = [
    (5, "bodies.panel.members[2]", ["'Bob Smith'", "not a person's e-mail address"]),
    (5, "bodies.panel.members[3]", ["'board' is a body, not a person"]),
    (6, "bodies.panel.chair", ["'chris@example.org'", "not one of the members"]),
    (10, "bodies.panel.papers_working_days", ["papers go out 5 working days", "agenda"]),
    (18, "bodies.board.meetings", ["never fires"]),
    (21, "bodies.forum.meetings", ["needs a meetings rule"]),
    (21, "bodies.forum.chair", ["needs a chair"]),
    (29, "bodies.quick.refer_to[1]", ["unknown body 'execs'"]),
    (34, "route[1].level[1].body", ["unknown body 'pannel'", "did you mean 'panel'?"]),
    (37, "route[2].types[2]", ["unknown document type 'guidance'"]),
    (42, "route[2].level[1].consultation.with[2]", ["'not a person'"]),
    (40, "route[2].level[1].interim_by", ["'quick' does not decide at meetings"]),
    (
        43,
        "route[2].level[1].consultation.closes_days_before_meeting",
        ["'quick' does not meet", "lasts_working_days"],
    ),
    (
        48,
        "route[2].level[2].consultation.lasts_working_days",
        ["decides at meetings", "closes_days_before_meeting"],
    ),
    (46, "route[2].level[2].consultation.closes_days_before_meeting", ["when are comments due"]),
    (31, "route", ["practice_standard", "form", "no route"]),
    (19, "bodies.board.refer_to", ["cycle of referrals", "board \u2192 panel \u2192 board"]),
]


def problems_of(text: str, source: str = "anytown.toml") -> list[dict[str, str]]:
    with pytest.raises(GovernanceError) as refused:
        parse(text, source=source, today=TODAY)
    assert refused.value.source == source
    found = []
    for problem in refused.value.problems:
        match = PROBLEM.match(problem)
        assert match, f"not FILE:LINE: place: message: {problem!r}"
        assert match["source"] == source
        found.append(match.groupdict())
    return found


def assert_named(found: list[dict[str, str]], expected: list) -> None:  # type: ignore[type-arg]
    """Every expected problem is named once, at its line and place, and nothing else is."""
    unmatched = list(found)
    for line, place, words in expected:
        hits = [
            p
            for p in unmatched
            if p["place"] == place
            and int(p["line"]) == line
            and all(w in p["message"] for w in words)
        ]
        assert len(hits) == 1, f"{place} (line {line}) not named as expected in {found}"
        unmatched.remove(hits[0])
    assert unmatched == [], f"problems nobody expected: {unmatched}"


def test_every_mistake_in_a_file_is_named_with_its_line():
    assert_named(problems_of(MISTAKES), EXPECTED)


def test_a_body_refused_is_listed_with_the_bodies_there_are():
    found = problems_of(MISTAKES)
    unknown = next(p for p in found if p["place"] == "route[1].level[1].body")
    assert unknown["message"].endswith("the bodies are: board, forum, panel, quick")


UNKNOWN_SETTINGS = """organisaton = "Anytown"

[bodies.panel]
name = "Policy Panel"
member = ["pat@example.org"]
decides = "at_meetings"
meeting = "FREQ=MONTHLY;BYDAY=2TU"

[bodies.board]
members = ["bea@example.org"]
decides = "sometimes"

[[route]]
types = ["all"]
  [[route.level]]
  bodyy = "panel"
  interim = "board"
    [route.level.consultation]
    with = ["board"]
    closes_days_before = 3

[[routes]]
types = ["policy"]
"""


def test_unknown_settings_are_named_with_what_was_meant():
    assert_named(
        problems_of(UNKNOWN_SETTINGS),
        [
            (1, "organisaton", ["unknown setting 'organisaton'", "did you mean 'organisation'?"]),
            (5, "bodies.panel.member", ["unknown setting 'member'", "did you mean 'members'?"]),
            (7, "bodies.panel.meeting", ["unknown setting 'meeting'", "did you mean 'meetings'?"]),
            (11, "bodies.board.decides", ["any_time", "at_meetings"]),
            (15, "route[1].level[1].body", ["must be set"]),
            (16, "route[1].level[1].bodyy", ["unknown setting 'bodyy'", "did you mean 'body'?"]),
            (
                17,
                "route[1].level[1].interim",
                ["unknown setting 'interim'", "did you mean 'interim_by'?"],
            ),
            (
                20,
                "route[1].level[1].consultation.closes_days_before",
                ["unknown setting", "did you mean 'closes_days_before_meeting'?"],
            ),
            (22, "routes", ["unknown setting 'routes'", "did you mean 'route'?"]),
        ],
    )


def test_a_misspelt_setting_does_not_hide_the_files_other_mistakes():
    text = """[bodies.panel]
name = "Policy Panel"
members = ["pat@example.org", "Bob Smith"]
nudge_after = 3

[[route]]
types = ["all"]
  [[route.level]]
  body = "pannel"
"""
    assert_named(
        problems_of(text),
        [
            (4, "bodies.panel.nudge_after", ["did you mean 'nudge_after_working_days'?"]),
            (3, "bodies.panel.members[2]", ["'Bob Smith'", "not a person's e-mail address"]),
            (9, "route[1].level[1].body", ["unknown body 'pannel'"]),
        ],
    )


def test_a_file_that_is_not_toml_is_refused_with_where_it_stops_making_sense():
    with pytest.raises(GovernanceError) as refused:
        parse('[bodies.panel]\nname = "Panel\n', source="anytown.toml", today=TODAY)
    (problem,) = refused.value.problems
    assert problem.startswith("anytown.toml: not valid TOML") and "line 2" in problem


def test_a_file_that_cannot_be_read_says_so(tmp_path):
    missing = tmp_path / "nowhere.toml"
    with pytest.raises(GovernanceError) as refused:
        load(missing, today=TODAY)
    (problem,) = refused.value.problems
    assert "cannot read it" in problem


def test_a_body_that_meets_at_its_meetings_needs_a_rule_and_a_chair():
    text = """[bodies.panel]
members = ["pat@example.org", "sam@example.org"]
decides = "at_meetings"

[[route]]
types = ["all"]
  [[route.level]]
  body = "panel"
"""
    assert_named(
        problems_of(text),
        [
            (1, "bodies.panel.meetings", ["needs a meetings rule"]),
            (1, "bodies.panel.chair", ["needs a chair"]),
        ],
    )


def test_a_meetings_rule_that_is_not_a_rule_is_named():
    text = """[bodies.panel]
members = ["pat@example.org"]
chair = "pat@example.org"
decides = "at_meetings"
meetings = "every other blue moon"

[[route]]
types = ["all"]
  [[route.level]]
  body = "panel"
"""
    assert_named(
        problems_of(text),
        [(5, "bodies.panel.meetings", ["'every other blue moon' is not a meetings rule"])],
    )


def test_a_referral_can_only_go_to_a_body_and_never_back_round():
    text = """[bodies.approver]
refer_to = ["panel"]

[bodies.panel]
members = ["pat@example.org"]
refer_to = ["board"]

[bodies.board]
members = ["bea@example.org"]
refer_to = ["approver", "panel"]

[[route]]
types = ["all"]
  [[route.level]]
  body = "approver"
"""
    found = problems_of(text)
    places = {(p["place"], int(p["line"])) for p in found}
    assert ("bodies.board.refer_to[1]", 10) in places  # the approver is no body to refer to
    cycles = [p["message"] for p in found if "cycle of referrals" in p["message"]]
    assert any("panel \u2192 board \u2192 panel" in cycle for cycle in cycles), cycles


# --- the built-in chain -------------------------------------------------------------------

SLT_PEOPLE = ["sita.leader@example.org", "sam.senior@example.org"]
SLT_MEETINGS = "FREQ=MONTHLY;BYDAY=2TU;BYMONTH=1,2,3,4,5,6,7,9,10,11"


def test_the_built_in_chain_is_the_northamptonshire_file_written_out():
    written = load(EXAMPLES / "northamptonshire.toml", today=TODAY)
    built_in = default(
        slt_emails=SLT_PEOPLE,
        slt_channel="CSLT",
        slt_meetings=SLT_MEETINGS,
        papers_working_days=3,
        approval_nudge_working_days=5,
        slt_nudge_working_days=10,
    )
    assert set(written.bodies) == set(built_in.bodies) == {APPROVER, "slt"}
    for key in built_in.bodies:
        assert written.bodies[key].model_dump() == built_in.bodies[key].model_dump(), key
    assert [r.types for r in written.routes] == [r.types for r in built_in.routes]
    assert [[lv.model_dump() for lv in r.levels] for r in written.routes] == [
        [lv.model_dump() for lv in r.levels] for r in built_in.routes
    ]
    # In words, line for line, but for the first line (the organisation and the file).
    assert written.describe()[1:] == built_in.describe()[1:]
    words = "\n".join(built_in.describe())
    assert "defer to" in words and "Senior Leadership Team" in words


def test_the_built_in_chain_takes_its_people_and_calendar_from_the_settings(settings):
    rules = settings.governance(TODAY)
    assert rules.deciders("slt") == ["slt.one@example.org", "slt.two@example.org"]
    assert rules.body("slt").meetings == settings.slt_meetings
    assert rules.body(APPROVER).refer_to == ["slt"]
    assert rules.route_for("procedure").levels[0].body == APPROVER


def test_the_setting_names_a_file_and_a_file_with_mistakes_stops_signoff(settings, tmp_path):
    path = tmp_path / "anytown.toml"
    path.write_text(MISTAKES)
    broken = settings.model_copy(update={"governance_file": str(path)})
    with pytest.raises(GovernanceError) as refused:
        broken.governance(TODAY)
    assert len(refused.value.problems) == len(EXPECTED)
    assert all(p.startswith(f"{path}:") for p in refused.value.problems)
