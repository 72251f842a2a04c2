"""One review, the whole way, as the people would do it in Slack: reminder, draft, a stranger's
click, conditions, redraft, deferral, the SLT, publication; with retries and double clicks."""

from __future__ import annotations

import copy
import csv
import io
import json
from datetime import date, datetime, time, timedelta

import pytest
from dateutil.relativedelta import relativedelta

from tests.e2e.conftest import DIGEST_CHANNEL, LONDON, SLT_CHANNEL, Signoff

# Run again with the machine's clock moved: .ci/clock-check.
pytestmark = pytest.mark.clock


def register(signoff: Signoff, rows: list[str]) -> None:
    header = (
        "reference,title,type,service_area,owner_email,approver_email,"
        "review_cycle_months,last_approved,next_review_due,version,link"
    )
    path = signoff.workdir / "register.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    signoff.cli("import", str(path))


def lac_014(due: date) -> str:
    return (
        f"LAC-014,Looked After Children Reviews,procedure,Children in Care,"
        f"owner@example.org,approver@example.org,12,,{due:%d/%m/%Y},3.9,"
        "https://manual.example.org/lac-014"
    )


def export(signoff: Signoff) -> dict[str, dict[str, str]]:
    rows = csv.DictReader(io.StringIO(signoff.cli("export", "-").stdout))
    return {row["reference"]: row for row in rows}


def tick(signoff: Signoff, day: date | None = None) -> str:
    """Run the periodic jobs: now, or at 09:30 on a later day (the clock moves on to it)."""
    if day is not None and day > signoff.today:
        signoff.clock.set(datetime.combine(day, time(9, 30), tzinfo=LONDON))
    return signoff.cli("tick").stdout


def latest_dm(signoff: Signoff, role: str):  # type: ignore[no-untyped-def]
    messages = signoff.slack.dms_to(signoff.user(role))
    assert messages, f"no DM to {role}"
    return messages[-1]


def texts(message) -> str:  # type: ignore[no-untyped-def]
    return json.dumps(message.blocks) + message.text


def wait_for_dm(signoff: Signoff, role: str, needle: str, count: int = 1):  # type: ignore[no-untyped-def]
    def found():  # type: ignore[no-untyped-def]
        hits = [m for m in signoff.slack.dms_to(signoff.user(role)) if needle in texts(m)]
        return hits if len(hits) >= count else None

    return signoff.slack.wait_for(found)[-1]


def open_modal(signoff: Signoff, role: str, message, label: str):  # type: ignore[no-untyped-def]
    user = signoff.user(role)
    before = len(signoff.slack.calls_of("views.open"))
    assert signoff.sim.click(user, message, label).status == 200
    signoff.slack.wait_for(lambda: len(signoff.slack.calls_of("views.open")) > before)
    view = signoff.slack.open_view_for(user)
    assert view is not None
    return view


def test_a_review_from_reminder_to_slt_approval_and_publication(signoff: Signoff):
    slack, sim = signoff.slack, signoff.sim
    due = signoff.today + timedelta(days=42)
    far = signoff.today + timedelta(days=200)
    register(
        signoff,
        [
            lac_014(due),
            "CP-001,Child Protection Conferences,policy,Safeguarding,"
            f"owner@example.org,approver@example.org,36,,{far:%d/%m/%Y},1.0,",
        ],
    )

    # The reminder job: the owner of the document due in six weeks is reminded; not the other.
    said = tick(signoff).splitlines()[-1]
    assert said.startswith("delivery: sent ") and "failed" not in said and "parked" not in said
    reminder = latest_dm(signoff, "owner")
    assert "LAC-014" in reminder.text and "CP-001" not in texts(reminder)
    assert [b["text"]["text"] for b in reminder.blocks[-2]["elements"]] == [
        "Start review",
        "No changes needed",
        "Submit draft",
    ]
    assert "LAC-014" in latest_dm(signoff, "approver").text  # the approver's short note
    assert len(slack.dms_to(signoff.user("owner"))) == 1

    # The owner submits a draft through the modal.
    view = open_modal(signoff, "owner", reminder, "Submit draft")
    assert view["title"]["text"] == "Submit draft"
    reply = sim.submit(
        signoff.user("owner"),
        view,
        {
            "Link to draft": "https://drafts.example.org/lac-014-v4",
            "Summary of changes": "Updated the timescales for the second review.",
        },
    )
    assert reply.status == 200 and not reply.body
    request = wait_for_dm(signoff, "approver", "Approval needed")
    as_first_seen = copy.deepcopy(request)  # what a phone that has not refreshed still shows
    facts = texts(request)
    assert "https://drafts.example.org/lac-014-v4" in facts
    assert "Updated the timescales for the second review." in facts
    assert "History" in facts
    # The reminder is updated in place: no buttons left, the state shown.
    slack.wait_for(lambda: "Awaiting approval" in texts(slack.dms_to(signoff.user("owner"))[0]))
    assert not any(b["type"] == "actions" for b in slack.dms_to(signoff.user("owner"))[0].blocks)

    # A stranger clicks Approve: told why, to them only; nothing changes.
    assert sim.click(signoff.user("stranger"), request, "Approve").status == 200
    refusal = slack.wait_for(lambda: slack.ephemerals_to(signoff.user("stranger")))[-1]
    assert "Only the approver of LAC-014" in refusal.text
    assert export(signoff)["LAC-014"]["status"] == "awaiting_approval"

    # The approver approves with conditions.
    view = open_modal(signoff, "approver", request, "Approve with conditions")
    conditions = "Add the IRO's role in paragraph 4.\nCite the 2015 regulations."
    assert sim.submit(signoff.user("approver"), view, {"Conditions": conditions}).status == 200
    told = wait_for_dm(signoff, "owner", "Changes requested")
    assert "Add the IRO&#x27;s role" in texts(told) or "Add the IRO's role" in texts(told)
    assert "Cite the 2015 regulations." in texts(told)
    slack.wait_for(
        lambda: "Approved with conditions" in texts(slack.dms_to(signoff.user("approver"))[-1])
    )
    updated = next(m for m in slack.dms_to(signoff.user("approver")) if m.ts == request.ts)
    assert not any(b["type"] == "actions" for b in updated.blocks)

    # A stale click on the old request answers with the current state and changes nothing.
    assert sim.click(signoff.user("approver"), as_first_seen, "Approve").status == 200
    stale = slack.wait_for(lambda: slack.ephemerals_to(signoff.user("approver")))[-1]
    assert "changes requested" in stale.text.lower()
    assert export(signoff)["LAC-014"]["status"] == "changes_requested"

    # The owner resubmits; the approver defers to the SLT.
    view = open_modal(signoff, "owner", told, "Submit draft")
    sim.submit(
        signoff.user("owner"),
        view,
        {
            "Link to draft": "https://drafts.example.org/v5",
            "Summary of changes": "Added the IRO's role.",
        },
    )
    second = wait_for_dm(signoff, "approver", "Approval needed", count=2)
    assert second.ts != request.ts
    view = open_modal(signoff, "approver", second, "Defer to SLT")
    sim.submit(signoff.user("approver"), view, {"Reason": "It changes two services' practice."})
    slt_request = slack.wait_for(lambda: slack.messages_in(SLT_CHANNEL))[-1]
    assert [
        e["text"]["text"]
        for b in slt_request.blocks
        if b["type"] == "actions"
        for e in b["elements"]
    ] == ["Approve", "Approve with conditions"]
    assert "two services" in texts(slt_request)

    # The approver is not the SLT; an SLT member is.
    sim.click(signoff.user("approver"), slt_request, "Approve")
    refusal = slack.wait_for(
        lambda: [
            m
            for m in slack.ephemerals_to(signoff.user("approver"))
            if "Senior Leadership Team" in m.text
        ]
    )[-1]
    assert "Only a member of the Senior Leadership Team" in refusal.text
    click = sim.click(signoff.user("slt"), slt_request, "Approve")
    assert click.status == 200
    admin_dm = wait_for_dm(signoff, "admin", "Mark published")
    assert "3.10" in texts(admin_dm)

    row = export(signoff)["LAC-014"]
    assert row["status"] == "current"
    assert row["last_approved"] == signoff.today.isoformat()
    assert row["next_review_due"] == (signoff.today + relativedelta(months=12)).isoformat()
    assert row["version"] == "3.10"
    assert row["publication"] == "pending"
    assert "approved as version 3.10" in latest_dm(signoff, "owner").text

    # The same click delivered again (a retry): nothing new recorded or posted.
    posts = len(slack.calls_of("chat.postMessage"))
    history = signoff.cli("history", "LAC-014").stdout
    assert sim.resend_last().status == 200
    slack.wait_for(lambda: slack.ephemerals_to(signoff.user("slt")))
    approved_by_slt = "review.approved (Senior Leadership Team)"
    assert (
        signoff.cli("history", "LAC-014").stdout.count(approved_by_slt)
        == history.count(approved_by_slt)
        == 1
    )
    assert len(slack.calls_of("chat.postMessage")) == posts

    # Publication, by the admin's button.
    sim.click(signoff.user("admin"), admin_dm, "Mark published")
    slack.wait_for(lambda: export(signoff)["LAC-014"]["publication"] == "")

    # The owner commits to a date for the next review: it is opened early, with that target.
    sim.message(signoff.user("owner"), "I'll finish LAC-014 in 2 weeks")
    wait_for_dm(signoff, "owner", "Noted")
    row = export(signoff)["LAC-014"]
    assert row["target_date"] == (signoff.today + timedelta(days=14)).isoformat()
    assert row["status"] == "review_due"
    assert DIGEST_CHANNEL  # the digest channel is exercised by the scheduling tests
