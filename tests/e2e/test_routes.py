"""The other routes, over HTTP: an update round with two approvers on one document and a missed
deadline; an unscheduled review ending with no changes; a new document; reassignment and a
deactivated owner; a deputy for a week; and the refusals of the policy officer's tools."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest

from tests.e2e.conftest import Signoff
from tests.e2e.test_review_path import (
    export,
    lac_014,
    latest_dm,
    open_modal,
    register,
    texts,
    tick,
    wait_for_dm,
)
from workflow.dates import add_working_days

CP_001 = (
    "CP-001,Child Protection Conferences,procedure,Safeguarding,owner@example.org,"
    "approver@example.org,12,,{due},6.3,"
)


def plan(signoff: Signoff, lines: list[str]) -> str:
    path = signoff.workdir / "plan.csv"
    path.write_text("\n".join(["reference,amendment,approver_emails", *lines]) + "\n")
    return str(path)


def command_view(signoff: Signoff, role: str, text: str):  # type: ignore[no-untyped-def]
    before = len(signoff.slack.calls_of("views.open"))
    reply = signoff.sim.command(signoff.user(role), text)
    assert reply.status == 200, reply
    signoff.slack.wait_for(lambda: len(signoff.slack.calls_of("views.open")) > before)
    return signoff.slack.open_view_for(signoff.user(role))


@pytest.mark.clock  # run again with the machine's clock moved: .ci/clock-check
def test_an_update_round_with_two_approvers_and_a_missed_deadline(signoff: Signoff):
    far = signoff.today + timedelta(days=300)
    register(signoff, [lac_014(far), CP_001.format(due=f"{far:%d/%m/%Y}")])
    deadline = signoff.today + timedelta(days=42)
    out = signoff.cli(
        "round",
        "open",
        "Spring 2027",
        "--deadline",
        f"{deadline:%d/%m/%Y}",
        "--plan",
        plan(
            signoff,
            [
                "LAC-014,Paragraph 4: Working Together 2023,approver@example.org; hoqa@example.org",
                "CP-001,https://provider.example.org/cp-001,",
            ],
        ),
    ).stdout
    assert "2 documents" in out
    tick(signoff)  # deliver what opening the round asked for

    owner_dms = signoff.slack.dms_to(signoff.user("owner"))
    request = next(m for m in owner_dms if "Update round Spring 2027" in m.text)
    assert not [m for m in owner_dms if "review is due" in m.text]  # the round's request is it
    assert "Paragraph 4: Working Together 2023" in texts(request)
    assert "up to eight months" in texts(request)
    assert "Spring 2027" in latest_dm(signoff, "hoqa").text  # the second approver is told

    view = open_modal(signoff, "owner", request, "Submit draft")
    signoff.sim.submit(
        signoff.user("owner"),
        view,
        {"Summary of changes": "Paragraph 4 now follows Working Together 2023."},
    )
    first = wait_for_dm(signoff, "approver", "Approval needed")
    second = wait_for_dm(signoff, "hoqa", "Approval needed")
    assert "Needs every approver" in texts(first) and "not yet decided" in texts(first)

    signoff.sim.click(signoff.user("approver"), first, "Approve")
    signoff.slack.wait_for(
        lambda: (
            "Approved"
            in texts(
                next(m for m in signoff.slack.dms_to(signoff.user("hoqa")) if m.ts == second.ts)
            )
        )
    )
    assert export(signoff)["LAC-014"]["status"] == "awaiting_approval"  # waits for the other
    signoff.sim.click(signoff.user("hoqa"), second, "Approve")
    signoff.slack.wait_for(lambda: export(signoff)["LAC-014"]["status"] == "current")

    # Ten working days out, whoever still has to act on CP-001 is told what is at stake.
    warn = add_working_days(deadline, -10)
    tick(signoff, warn)
    warning = [
        m
        for m in signoff.slack.dms_to(signoff.user("owner"))
        if "CP-001" in m.text and "closes on" in m.text
    ]
    assert len(warning) == 1 and "eight months" in texts(warning[0])
    assert not [
        m
        for m in signoff.slack.dms_to(signoff.user("owner"))
        if "LAC-014" in m.text and "closes on" in m.text
    ]

    # After the deadline: the report, the export for the provider, and CP-001 still open.
    tick(signoff, deadline + timedelta(days=1))
    report = wait_for_dm(signoff, "admin", "made it")
    assert "1 made it" in report.text and "1 missed" in report.text
    assert "CP-001" in texts(report) and "LAC-014" in texts(report)
    rows = list(csv.DictReader(io.StringIO(signoff.cli("round", "export", "Spring 2027").stdout)))
    assert [(r["reference"], r["version"]) for r in rows] == [("LAC-014", "3.10")]
    # Still open, and now past its deadline, which was its due date.
    assert export(signoff)["CP-001"]["status"] == "overdue"
    tick(signoff, deadline + timedelta(days=2))
    assert len([m for m in signoff.slack.dms_to(signoff.user("admin")) if "made it" in m.text]) == 1


def test_a_plan_with_problems_opens_nothing(signoff: Signoff):
    register(signoff, [lac_014(signoff.today + timedelta(days=90))])
    result = signoff.cli(
        "round",
        "open",
        "Autumn",
        "--deadline",
        "2027-02-30",
        "--plan",
        plan(signoff, ["LAC-014,x,"]),
        check=False,
    )
    assert result.returncode == 1 and "--deadline: '2027-02-30'" in result.stderr
    result = signoff.cli(
        "round",
        "open",
        "Autumn",
        "--deadline",
        f"{signoff.today + timedelta(days=40):%d/%m/%Y}",
        "--plan",
        plan(signoff, ["NOPE-1,x,", "LAC-014,,not-an-email"]),
        check=False,
    )
    assert result.returncode == 1
    assert "2: reference: NOPE-1 is not in the register" in result.stderr
    assert "3: amendment: required" in result.stderr
    assert "3: approver_emails: 'not-an-email' is not an e-mail address" in result.stderr
    assert export(signoff)["LAC-014"]["status"] == "current"


def test_only_admins_open_rounds_or_add_documents_and_a_refusal_is_recorded(signoff: Signoff):
    register(signoff, [lac_014(signoff.today + timedelta(days=90))])
    for text, what in (
        ("round", "open an update round"),
        ("new", "add a document"),
        ("reassign", "reassign documents"),
    ):
        reply = signoff.sim.command(signoff.user("owner"), text)
        assert f"Only an admin (the policy officer) can {what}" in reply.json()["text"]
    assert signoff.slack.calls_of("views.open") == []
    # The admin's round form, filled in Slack.
    view = command_view(signoff, "admin", "round")
    reply = signoff.sim.submit(
        signoff.user("admin"),
        view,
        {
            "Name": "Winter",
            "Deadline": (signoff.today + timedelta(days=30)).isoformat(),
            "Plan": "LAC-014, Update the contact section\nNOPE-2, x",
        },
    )
    assert "NOPE-2 is not in the register" in reply.json()["errors"]["plan"]
    reply = signoff.sim.submit(
        signoff.user("admin"),
        view,
        {
            "Name": "Winter",
            "Deadline": (signoff.today + timedelta(days=30)).isoformat(),
            "Plan": "LAC-014, Update the contact section",
        },
    )
    assert reply.status == 200 and not reply.body
    assert export(signoff)["LAC-014"]["status"] == "review_due"
    assert "Update the contact section" in texts(wait_for_dm(signoff, "owner", "Winter"))


def test_an_unscheduled_review_that_ends_with_no_changes_tells_who_asked(signoff: Signoff):
    register(signoff, [lac_014(signoff.today + timedelta(days=300))])
    view = command_view(signoff, "stranger", "request lac-014")
    signoff.sim.submit(
        signoff.user("stranger"),
        view,
        {
            "Reason": "Case audit recommendation",
            "Details": "The March audit found reviews held late.",
        },
    )
    told = wait_for_dm(signoff, "owner", "Unscheduled review")
    assert "The March audit found reviews held late." in texts(told)
    assert "Unscheduled review" in wait_for_dm(signoff, "admin", "Unscheduled review").text
    due = signoff.today + timedelta(days=21)
    view = open_modal(signoff, "owner", told, "Agree due date")
    signoff.sim.submit(signoff.user("owner"), view, {"Due date": due.isoformat()})
    signoff.slack.wait_for(
        lambda: "review.due_date_agreed" in signoff.cli("history", "LAC-014").stdout
    )
    view = open_modal(signoff, "owner", told, "No changes needed")
    signoff.sim.submit(signoff.user("owner"), view, {})
    request = wait_for_dm(signoff, "approver", "Approval needed")
    signoff.sim.click(signoff.user("approver"), request, "Approve")
    explained = wait_for_dm(signoff, "stranger", "found no changes")
    assert "has been reviewed and no changes are required" in texts(explained)
    assert "The March audit" in texts(explained)
    assert "copy for the approver" in wait_for_dm(signoff, "approver", "found no changes").text


def test_a_new_document_enters_the_register_in_review(signoff: Signoff):
    register(signoff, [lac_014(signoff.today + timedelta(days=300))])
    view = command_view(signoff, "admin", "new")
    due = signoff.today + timedelta(days=56)
    reply = signoff.sim.submit(
        signoff.user("admin"),
        view,
        {
            "Reference": "LAC-050",
            "Title": "Children Living in Unregistered Placements",
            "Type": "Procedure",
            "Service area": "Children in Care",
            "Owner": signoff.user("owner"),
            "Approver": signoff.user("approver"),
            "Due date": due.isoformat(),
        },
    )
    assert reply.status == 200 and not reply.body, reply
    row = export(signoff)["LAC-050"]
    assert (row["status"], row["next_review_due"], row["owner_email"]) == (
        "in_review",
        due.isoformat(),
        "owner@example.org",
    )
    assert "Submit draft" in texts(wait_for_dm(signoff, "owner", "New document"))
    again = command_view(signoff, "admin", "new")
    reply = signoff.sim.submit(
        signoff.user("admin"),
        again,
        {
            "Reference": "lac-050",
            "Title": "Duplicate",
            "Type": "Policy",
            "Approver": signoff.user("approver"),
            "Due date": due.isoformat(),
        },
    )
    assert reply.json()["errors"] == {"reference": "lac-050 is already in the register."}


@pytest.mark.clock  # run again with the machine's clock moved: .ci/clock-check
def test_reassignment_and_an_owner_who_leaves(signoff: Signoff):
    register(
        signoff,
        [
            lac_014(signoff.today + timedelta(days=42)),
            CP_001.format(due=f"{signoff.today + timedelta(days=14):%d/%m/%Y}"),
        ],
    )
    tick(signoff)
    # The owner leaves Slack: the admins hear of it once, with what they hold.
    left = {
        "type": "user_change",
        "user": {
            "id": signoff.user("owner"),
            "deleted": True,
            "profile": {"email": "owner@example.org"},
        },
    }
    signoff.sim.event(left, event_id="EvLEFT")
    signoff.sim.event(left, event_id="EvLEFT", retry=1)
    flagged = wait_for_dm(signoff, "admin", "deactivated")
    assert "CP-001" in texts(flagged) and "LAC-014" in texts(flagged)
    # Until reassigned, the approver acts as owner.
    reminder = [m for m in signoff.slack.dms_to(signoff.user("owner")) if "CP-001" in m.text][-1]
    view = open_modal(signoff, "approver", reminder, "No changes needed")
    signoff.sim.submit(signoff.user("approver"), view, {})
    signoff.slack.wait_for(lambda: export(signoff)["CP-001"]["status"] == "awaiting_approval")
    out = signoff.cli(
        "reassign", "--from", "owner@example.org", "--to", "stranger@example.org", "--role", "owner"
    ).stdout
    assert "Moved 2 documents" in out
    assert export(signoff)["LAC-014"]["owner_email"] == "stranger@example.org"
    tick(signoff)
    assert "now stranger@example.org" in latest_dm(signoff, "stranger").text
    assert any(
        "now stranger@example.org" in m.text for m in signoff.slack.dms_to(signoff.user("admin"))
    )
    assert "document.reassigned" in signoff.cli("history", "LAC-014").stdout


@pytest.mark.clock  # run again with the machine's clock moved: .ci/clock-check
def test_a_deputy_for_a_week_gets_the_requests_and_acts_for_the_approver(signoff: Signoff):
    register(signoff, [lac_014(signoff.today + timedelta(days=42))])
    until = signoff.today + timedelta(days=7)
    reply = signoff.sim.command(
        signoff.user("approver"), f"away {signoff.today:%d/%m/%Y} {until:%d/%m/%Y} <@UHOQA|hana>"
    )
    assert "your signoff requests go to hoqa@example.org" in reply.json()["text"]
    tick(signoff)
    reminder = latest_dm(signoff, "owner")
    view = open_modal(signoff, "owner", reminder, "No changes needed")
    signoff.sim.submit(signoff.user("owner"), view, {})
    to_deputy = wait_for_dm(signoff, "hoqa", "Approval needed")
    assert "standing in for" in texts(to_deputy)
    assert "copy" in texts(wait_for_dm(signoff, "approver", "Approval needed"))
    signoff.sim.click(signoff.user("hoqa"), to_deputy, "Approve")
    signoff.slack.wait_for(lambda: export(signoff)["LAC-014"]["status"] == "current")
    assert "hoqa@example.org for approver@example.org" in signoff.cli("history", "LAC-014").stdout
    bad = signoff.sim.command(signoff.user("approver"), "away next week <@UHOQA>")
    assert "/signoff away 01/12/2026" in json.dumps(bad.json())


def test_someone_found_deactivated_when_looked_up_is_flagged_once(signoff: Signoff):
    from bot.platforms.slack.standin import SlackUser

    signoff.slack.users.append(SlackUser("UGONE", "gone@example.org", "Gwen Gone", deleted=True))
    register(
        signoff,
        [
            lac_014(signoff.today + timedelta(days=42)).replace(
                "owner@example.org", "gone@example.org"
            )
        ],
    )
    tick(signoff)
    tick(signoff, signoff.today + timedelta(days=1))
    flagged = [m for m in signoff.slack.dms_to(signoff.user("admin")) if "gone@" in m.text]
    assert len(flagged) == 1 and "LAC-014" in texts(flagged[0])
    assert not signoff.slack.dms_to("UGONE")
    assert export(signoff)["LAC-014"]["status"] == "review_due"
    # The reminder that was for her went to the approver, who acts as owner until reassigned.
    redirected = [
        m
        for m in signoff.slack.dms_to(signoff.user("approver"))
        if "Review due: LAC-014" in texts(m)
    ]
    assert len(redirected) == 1 and "No changes needed" in texts(redirected[0])


def test_the_reassign_form_moves_an_approvers_documents(signoff: Signoff):
    register(
        signoff,
        [
            lac_014(signoff.today + timedelta(days=90)),
            CP_001.format(due=f"{signoff.today + timedelta(days=90):%d/%m/%Y}"),
        ],
    )
    view = command_view(signoff, "admin", "reassign")
    reply = signoff.sim.submit(
        signoff.user("admin"),
        view,
        {"From": signoff.user("approver"), "To": signoff.user("hoqa"), "Role": "Approver only"},
    )
    assert reply.status == 200 and not reply.body, reply
    rows = export(signoff)
    assert (
        rows["LAC-014"]["approver_email"]
        == rows["CP-001"]["approver_email"]
        == ("hoqa@example.org")
    )
    assert rows["LAC-014"]["owner_email"] == "owner@example.org"
    assert "CP-001, LAC-014" in wait_for_dm(signoff, "hoqa", "now hoqa@example.org").text
    same = command_view(signoff, "admin", "reassign")
    reply = signoff.sim.submit(
        signoff.user("admin"),
        same,
        {"From": signoff.user("hoqa"), "To": signoff.user("hoqa"), "Role": "Owner and approver"},
    )
    assert reply.json()["errors"] == {"to": "Choose two different people."}
