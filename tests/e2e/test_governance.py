"""Other organisations' chains, end to end over signed HTTP, each from its file in
examples/governance/: Birmingham's consultation before the Executive Team's meeting, Dorset's
monthly group with its cut-off, interim approval and ratification, and Northamptonshire's
chain written out as a file.

The people are the ones the example files (and the demo) name. Dates are the tests' clock's:
Monday 23 November 2026."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path

import pytest

from bot.platforms.slack.standin import Message, SlackStandin, SlackUser
from tests.conftest import DEFAULT_START
from tests.e2e.conftest import LONDON, Signoff

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "governance"
PEOPLE = {
    "pat": SlackUser("UPAT", "pat.officer@example.org", "Pat Officer"),
    "olive": SlackUser("UOLIVE", "olive.owner@example.org", "Olive Owner"),
    "amir": SlackUser("UAMIR", "amir.approver@example.org", "Amir Approver"),
    "bea": SlackUser("UBEA", "bea.manager@example.org", "Bea Manager"),
    "carl": SlackUser("UCARL", "carl.lead@example.org", "Carl Lead"),
    "sita": SlackUser("USITA", "sita.leader@example.org", "Sita Leader"),
    "sam": SlackUser("USAM", "sam.senior@example.org", "Sam Senior"),
    "hana": SlackUser("UHANA", "hana.quality@example.org", "Hana Quality"),
    "owen": SlackUser("UOWEN", "owen.ward@example.org", "Owen Ward"),
}
HEADER = (
    "reference,title,type,service_area,owner_email,approver_email,review_cycle_months,"
    "last_approved,next_review_due,version,link,approving_committee"
)


@pytest.fixture
def people(slack: SlackStandin) -> dict[str, SlackUser]:
    slack.users.extend(PEOPLE.values())
    return PEOPLE


@pytest.fixture
def organisation(start_signoff, people, clock) -> Callable[[str], Signoff]:  # type: ignore[no-untyped-def]
    assert clock.now() == DEFAULT_START, "these tests name the dates of their own clock"

    def start(name: str, **settings: str) -> Signoff:
        return start_signoff(
            SIGNOFF_GOVERNANCE=str(EXAMPLES / f"{name}.toml"),
            SIGNOFF_ADMIN_EMAILS="pat.officer@example.org",
            SIGNOFF_DIGEST_DAY="SU",  # no digest in the way
            **settings,
        )

    return start


def register(signoff: Signoff, *rows: str) -> None:
    path = signoff.workdir / "register.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    signoff.cli("import", str(path))


def tick_on(signoff: Signoff, day: date) -> str:
    """Run the day's jobs at 09:30 on `day` (the server's clock moves on with it)."""
    signoff.clock.set(datetime.combine(day, time(9, 30), tzinfo=LONDON))
    said = signoff.cli("tick").stdout
    signoff.restart()
    return said


def texts(message: Message) -> str:
    return json.dumps(message.blocks) + message.text


def dm(signoff: Signoff, who: str, needle: str, count: int = 1) -> Message:
    """The latest DM to `who` that says `needle`, waiting for the `count`th."""

    def found() -> list[Message] | None:
        hits = [m for m in signoff.slack.dms_to(PEOPLE[who].id) if needle in texts(m)]
        return hits if len(hits) >= count else None

    return signoff.slack.wait_for(found)[-1]


def told(signoff: Signoff, who: str, needle: str) -> str:
    """What signoff told `who` alone (an ephemeral where they clicked, or a DM) that says
    `needle`."""
    user = PEOPLE[who].id

    def found() -> list[Message]:
        said = signoff.slack.ephemerals_to(user) + signoff.slack.dms_to(user)
        return [m for m in said if needle in m.text]

    return signoff.slack.wait_for(found)[-1].text


def current(signoff: Signoff, message: Message) -> Message:
    """A message as it stands now (delivery updates messages in place)."""
    return next(m for m in signoff.slack.messages if m.ts == message.ts)


def modal(signoff: Signoff, who: str, message: Message, label: str, **where: str) -> dict:
    before = len(signoff.slack.calls_of("views.open"))
    assert signoff.sim.click(PEOPLE[who].id, message, label, **where).status == 200
    signoff.slack.wait_for(lambda: len(signoff.slack.calls_of("views.open")) > before)
    view = signoff.slack.open_view_for(PEOPLE[who].id)
    assert view is not None
    return view


def submit_draft(signoff: Signoff, who: str, message: Message, summary: str, link: str) -> None:
    label = "Submit draft" if "Submit draft" in texts(message) else "Submit a second draft"
    view = modal(signoff, who, message, label)
    response = signoff.sim.submit(
        PEOPLE[who].id, view, {"Link to draft": link, "Summary of changes": summary}
    )
    assert response.status == 200 and not (response.json() or {}).get("response_action")


def item_block(message: Message, reference: str) -> str:
    """The block id of the buttons under `reference`'s item on a meeting's papers."""
    for n, block in enumerate(message.blocks):
        if block.get("type") == "section" and reference in json.dumps(block):
            following = message.blocks[n + 1]
            assert following["type"] == "actions", following
            return following["block_id"]
    raise AssertionError(f"{reference} is not on the papers")


def export(signoff: Signoff) -> dict[str, dict[str, str]]:
    import csv
    import io

    rows = csv.DictReader(io.StringIO(signoff.cli("export", "-").stdout))
    return {row["reference"]: row for row in rows}


# --- Birmingham ------------------------------------------------------------------------------


def test_birmingham_a_trust_policy_is_consulted_on_then_approved_at_the_executive_team(
    organisation,
):
    signoff = organisation("birmingham")
    register(
        signoff,
        "POL-001,Information Sharing Policy,policy,Trust-wide,olive.owner@example.org,"
        "amir.approver@example.org,36,,23/12/2026,2.0,https://manual.example.org/pol-001,",
    )
    explained = signoff.cli("governance", "explain", "POL-001").stdout
    assert "Route: Overarching Trust policy" in explained
    assert "Consultation with Directors and ADs group" in explained

    # The reminder; the first draft, agreed by the approver in the service area.
    tick_on(signoff, date(2026, 11, 23))
    reminder = dm(signoff, "olive", "Review due: POL-001")
    submit_draft(
        signoff,
        "olive",
        reminder,
        "Adds the new sharing agreements.",
        "https://drafts.example.org/pol-001-v1",
    )
    request = dm(signoff, "amir", "Approval needed: POL-001")
    assert "Defer" not in texts(request) and "Refer" not in texts(request)  # level 1 cannot
    assert signoff.sim.click(PEOPLE["amir"].id, request, "Approve").status == 200

    # On to the Executive Team: it missed the agenda of 3 December, so it goes to 7 January,
    # and the consultation opens fourteen days before that meeting.
    onwards = dm(signoff, "olive", "goes to the *Executive Team*'s meeting")
    assert "meeting on *Thu 7 Jan 2027*" in texts(onwards)
    assert "after the agenda of the meeting on Thu 3 Dec 2026 closed on Thu 19 Nov 2026" in (
        texts(onwards)
    )
    assert export(signoff)["POL-001"]["status"] == "in_consultation"
    consulted = ("amir", "bea", "carl", "hana")
    assert not [
        m
        for who in consulted
        for m in signoff.slack.dms_to(PEOPLE[who].id)
        if "For comment" in m.text
    ]

    tick_on(signoff, date(2026, 12, 24))
    requests = {who: dm(signoff, who, "For comment: POL-001") for who in consulted}
    assert "No answer by then counts as agreement" in texts(requests["bea"])
    assert "Mon 4 Jan 2027" in texts(requests["bea"])
    assert not [m for m in signoff.slack.dms_to(PEOPLE["olive"].id) if "For comment" in m.text]

    # One comment, two with none, and Hana says nothing.
    view = modal(signoff, "bea", requests["bea"], "Comment")
    signoff.sim.submit(PEOPLE["bea"].id, view, {"Comment": "Name the Caldicott Guardian."})
    for who in ("amir", "carl"):
        assert signoff.sim.click(PEOPLE[who].id, requests[who], "No comments").status == 200
    comment = dm(signoff, "olive", "Name the Caldicott Guardian")
    assert "Bea Manager" in texts(comment)
    # A second answer from the same person, and one from someone not consulted, change nothing.
    signoff.sim.click(PEOPLE["carl"].id, requests["carl"], "No comments")
    assert told(signoff, "carl", "You have already answered the consultation on POL-001")
    signoff.sim.click(PEOPLE["owen"].id, requests["carl"], "No comments")
    assert told(signoff, "owen", "Only the people consulted on POL-001 can comment")

    # The deadline passes: silence is agreement; the owner sees the comments.
    tick_on(signoff, date(2027, 1, 5))
    closed = dm(signoff, "olive", "Consultation closed: POL-001")
    assert "1 comment, 2 no comments, 1 silent (taken as agreement)" in texts(closed)
    assert "Name the Caldicott Guardian." in texts(closed)
    history = signoff.cli("history", "POL-001").stdout
    assert "review.commented" in history and history.count("review.no_comments") == 2
    assert "1 silent (taken as agreement)" in history

    # A second draft before the meeting, taking the comment in.
    submit_draft(
        signoff,
        "olive",
        closed,
        "Names the Caldicott Guardian, as Bea asked.",
        "https://drafts.example.org/pol-001-v2",
    )
    signoff.slack.wait_for(lambda: "review.revised" in signoff.cli("history", "POL-001").stdout)

    # The papers went to the members two working days before (5 January): the chair's copy can
    # record; the others' are to read. They carry the second draft and the comments.
    papers = dm(signoff, "sita", "Executive Team: papers for Thu 7 Jan 2027")
    # The papers are brought up to date once the revision is recorded, by delivery afterwards.
    signoff.slack.wait_for(lambda: "pol-001-v2" in texts(current(signoff, papers)))
    papers = current(signoff, papers)
    assert "Name the Caldicott Guardian." in texts(papers)
    assert "1 silent (taken as agreement)" in texts(papers)
    members_copy = dm(signoff, "sam", "Executive Team: papers for Thu 7 Jan 2027")
    assert '"type": "actions"' not in json.dumps(members_copy.blocks)

    # At the meeting: a member who is not the chair cannot record; the chair approves.
    tick_on(signoff, date(2027, 1, 7))
    block = item_block(papers, "POL-001")
    signoff.sim.click(PEOPLE["hana"].id, papers, "Approve", block=block)
    assert "(Sita Leader)" in told(signoff, "hana", "Only the chair of the Executive Team")
    assert (
        "awaiting approval at level 2 of 2, with the Executive Team"
        in signoff.cli("governance", "explain", "POL-001").stdout
    )
    assert signoff.sim.click(PEOPLE["sita"].id, papers, "Approve", block=block).status == 200
    outcome = dm(signoff, "olive", "approved as version 2.1")
    assert "by the Executive Team" in texts(outcome)
    row = export(signoff)["POL-001"]
    assert (row["status"], row["version"], row["last_approved"]) == ("current", "2.1", "2027-01-07")
    signoff.slack.wait_for(
        lambda: "Approved by the Executive Team" in texts(current(signoff, papers))
    )

    # The chair closes the meeting: the minutes go to the members, and can be written out.
    signoff.sim.click(
        PEOPLE["sita"].id, current(signoff, papers), "Close the meeting and post the minutes"
    )
    minutes = dm(signoff, "sam", "Minutes: Executive Team, Thu 7 Jan 2027")
    assert "POL-001" in texts(minutes) and "Approved by the Executive Team" in texts(minutes)
    written = signoff.cli("meeting", "minutes", "executive_team", "2027-01-07").stdout
    assert "# Minutes: Executive Team, Thursday 07 January 2027" in written
    assert "**POL-001** Information Sharing Policy (decision)" in written
    assert "Decision: Approved" in written and "Recorded by Sita Leader" in written


# --- Dorset ----------------------------------------------------------------------------------


def test_dorset_cut_off_interim_approval_ratification_and_no_meeting_in_august_or_december(
    organisation,
):
    signoff = organisation("dorset")
    register(
        signoff,
        "CSC-101,Strategy Discussions,procedure,Safeguarding,olive.owner@example.org,"
        "amir.approver@example.org,12,,20/12/2026,4.1,https://manual.example.org/csc-101,",
        "CSC-102,Private Fostering,procedure,Fostering,owen.ward@example.org,"
        "carl.lead@example.org,12,,10/01/2027,1.3,https://manual.example.org/csc-102,",
    )
    tick_on(signoff, date(2026, 11, 23))
    reminder = dm(signoff, "olive", "Review due: CSC-101")

    # CSC-101 is submitted in time for the group's next meeting. December has none: 12 January.
    submit_draft(
        signoff,
        "olive",
        reminder,
        "New police liaison steps.",
        "https://drafts.example.org/csc-101",
    )
    scheduled = dm(signoff, "olive", "goes to the *Practice, Policy and Procedures group*")
    assert "meeting on *Tue 12 Jan 2027*" in texts(scheduled)

    # Its owner asks a Head of Service for interim approval: it can be used at once.
    assert (
        signoff.sim.click(
            PEOPLE["olive"].id, scheduled, "Ask Heads of Service for interim approval"
        ).status
        == 200
    )
    asked = dm(signoff, "carl", "Approval asked: CSC-101")
    assert dm(signoff, "amir", "Approval asked: CSC-101") and dm(signoff, "bea", "Approval asked")
    signoff.sim.click(PEOPLE["owen"].id, asked, "Approve in the interim")  # not a Head of Service
    assert told(signoff, "owen", "Only a member of the Heads of Service")
    assert signoff.sim.click(PEOPLE["carl"].id, asked, "Approve in the interim").status == 200
    interim = dm(signoff, "olive", "approved in the interim")
    assert "version 4.2" in texts(interim) and "Tue 12 Jan 2027" in texts(interim)
    row = export(signoff)["CSC-101"]
    assert (row["version"], row["publication"], row["status"]) == (
        "4.2",
        "pending",
        "awaiting_approval",
    )
    assert dm(signoff, "pat", "CSC-101 version 4.2 is approved")  # to publish at once

    # CSC-102 comes in after the 12 January agenda closed (24 December): it goes to 9 February,
    # and its owner is told why.
    tick_on(signoff, date(2027, 1, 4))
    owens = dm(signoff, "owen", "Review due: CSC-102")
    submit_draft(
        signoff, "owen", owens, "Updated notification forms.", "https://drafts.example.org/csc-102"
    )
    rolled = dm(signoff, "owen", "goes to the *Practice, Policy and Procedures group*")
    assert "meeting on *Tue 9 Feb 2027*" in texts(rolled)
    assert "after the agenda of the meeting on Tue 12 Jan 2027 closed on Thu 24 Dec 2026" in (
        texts(rolled)
    )

    # Papers three working days before the meeting, to the members; CSC-101 is there to ratify.
    tick_on(signoff, date(2027, 1, 7))
    papers = dm(signoff, "pat", "PPP group: papers for Tue 12 Jan 2027")
    assert "for ratification (approved in the interim)" in texts(papers)
    assert "CSC-102" not in texts(papers)

    # The chair ratifies it at the meeting: the review completes, the version does not move again.
    tick_on(signoff, date(2027, 1, 12))
    block = item_block(papers, "CSC-101")
    assert signoff.sim.click(PEOPLE["pat"].id, papers, "Approve", block=block).status == 200
    signoff.slack.wait_for(lambda: export(signoff)["CSC-101"]["status"] == "current")
    row = export(signoff)["CSC-101"]
    assert (row["version"], row["last_approved"]) == ("4.2", "2027-01-12")

    # Nobody closes the meeting: signoff does, the next day. The report goes to the xCSLT.
    tick_on(signoff, date(2027, 1, 13))
    report = dm(signoff, "sita", "PPP group Tue 12 Jan 2027: report")
    assert "*1* new and revised documents approved, *0* exceptions" in texts(report)
    assert dm(signoff, "hana", "Minutes: PPP group, Tue 12 Jan 2027")
    # The assurance report of that meeting reads its agenda.
    said = signoff.cli(
        "report", "meeting", "ppp", "2027-01-12", "--out", str(signoff.workdir), "--no-pdf"
    ).stdout
    assert "Practice, Policy and Procedures group meeting" in said
    page = next(signoff.workdir.glob("*meeting*.html")).read_text()
    assert "CSC-101" in page and "Strategy Discussions" in page

    # 9 February: the chair does not reach CSC-102; it rolls to March, its owner told.
    tick_on(signoff, date(2027, 2, 4))
    february = dm(signoff, "pat", "PPP group: papers for Tue 9 Feb 2027")
    assert "CSC-102" in texts(february)
    tick_on(signoff, date(2027, 2, 9))
    signoff.sim.click(PEOPLE["pat"].id, february, "Close the meeting and post the minutes")
    moved = dm(signoff, "owen", "meeting on *Tue 9 Mar 2027*")
    assert "Not reached at the meeting of Tue 9 Feb 2027." in texts(moved)

    # No meeting in August or December: none is ever made there, whatever the dates.
    listing = signoff.cli("meeting", "list").stdout
    assert "Jan 2027" in listing and "Feb 2027" in listing and "Mar 2027" in listing
    assert " Aug " not in listing and " Dec " not in listing


# --- Northamptonshire ------------------------------------------------------------------------


def test_northamptonshire_written_out_as_a_file_runs_the_approver_and_slt_chain(organisation):
    signoff = organisation("northamptonshire")
    register(
        signoff,
        "LAC-014,Looked After Children Reviews,procedure,Children in Care,"
        "olive.owner@example.org,amir.approver@example.org,12,,04/01/2027,3.9,"
        "https://manual.example.org/lac-014,",
    )
    tick_on(signoff, date(2026, 11, 23))
    reminder = dm(signoff, "olive", "Review due: LAC-014")
    submit_draft(
        signoff,
        "olive",
        reminder,
        "Second reviews within three months.",
        "https://drafts.example.org/lac-014",
    )
    request = dm(signoff, "amir", "Approval needed: LAC-014")
    view = modal(signoff, "amir", request, "Defer to SLT")
    signoff.sim.submit(PEOPLE["amir"].id, view, {"Reason": "Spans two services."})
    slt = signoff.slack.wait_for(
        lambda: [
            m
            for m in signoff.slack.messages_in("CSLT")
            if "SLT decision needed" in m.text or "SLT decision needed" in texts(m)
        ]
    )[-1]
    assert "Spans two services." in texts(slt)
    assert signoff.sim.click(PEOPLE["sam"].id, slt, "Approve").status == 200
    assert "approved as version 3.10" in dm(signoff, "olive", "approved as version").text
    signoff.slack.wait_for(lambda: "Approved by the SLT" in texts(current(signoff, slt)))


# --- Merton ----------------------------------------------------------------------------------


def test_merton_each_document_goes_to_the_committee_its_register_row_names(organisation):
    signoff = organisation("merton")
    bad = signoff.workdir / "bad.csv"
    bad.write_text(
        HEADER + "\n"
        "MSCP-01,Escalation Policy,policy,Partnership,olive.owner@example.org,"
        "bea.manager@example.org,36,,04/01/2027,1.0,,Finance Committee\n"
    )
    refused = signoff.cli("import", str(bad), check=False)
    assert refused.returncode == 1
    assert refused.stderr.startswith(
        f"signoff: {bad}:2: approving_committee: 'Finance Committee' is not a body of the "
        "governance; use one of executive_committee, learning_subgroup, quality_subgroup"
    )
    register(
        signoff,
        "MSCP-01,Escalation Policy,policy,Partnership,olive.owner@example.org,"
        "bea.manager@example.org,36,,04/01/2027,1.0,,QA subgroup",
        "MSCP-02,Threshold Guidance,practice_guidance,Partnership,owen.ward@example.org,"
        "amir.approver@example.org,36,,04/01/2027,2.0,,",
    )
    assert export(signoff)["MSCP-01"]["approving_committee"] == "quality_subgroup"
    explained = signoff.cli("governance", "explain", "MSCP-01").stdout
    assert "Approving committee: Quality Assurance and Performance subgroup" in explained

    tick_on(signoff, date(2026, 11, 23))
    submit_draft(
        signoff,
        "olive",
        dm(signoff, "olive", "Review due: MSCP-01"),
        "Updated.",
        "https://drafts.example.org/mscp-01",
    )
    submit_draft(
        signoff,
        "owen",
        dm(signoff, "owen", "Review due: MSCP-02"),
        "Updated.",
        "https://drafts.example.org/mscp-02",
    )
    scheduled = dm(signoff, "olive", "Quality Assurance and Performance subgroup")
    assert "meeting on *Thu 17 Dec 2026*" in texts(scheduled)
    # No committee named: its approver decides.
    assert dm(signoff, "amir", "Approval needed: MSCP-02")
    assert not [
        m
        for m in signoff.slack.dms_to(PEOPLE["bea"].id)
        if "MSCP-01" in m.text and "Approval needed" in m.text
    ]
