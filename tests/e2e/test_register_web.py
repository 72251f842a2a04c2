"""The register as a whole, end to end over signed HTTP: a policy approved with changes asks
the owners of the documents that follow it, and a publication reaches a staff group of 200,
who say they read it (or are reminded).

Dates are the tests' clock's: Monday 23 November 2026."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime, time, timedelta

import pytest

from bot.platforms.slack.standin import Message, SlackUser
from tests.conftest import DEFAULT_START
from tests.e2e.conftest import LONDON, Signoff

HEADER = (
    "reference,title,type,service_area,owner_email,approver_email,review_cycle_months,"
    "last_approved,next_review_due,version,link,governed_by"
)
PEOPLE = {
    "bea": SlackUser("UBEA", "bea.manager@example.org", "Bea Manager"),
    "carl": SlackUser("UCARL", "carl.lead@example.org", "Carl Lead"),
}
STAFF_GROUP = "SCIC0001"
STAFF = [f"USTAFF{n:03d}" for n in range(200)]


def texts(message: Message) -> str:
    return json.dumps(message.blocks) + message.text


def register(signoff: Signoff, *rows: str) -> None:
    path = signoff.workdir / "register.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    signoff.cli("import", str(path))


def dm(signoff: Signoff, user: str, needle: str, count: int = 1) -> Message:
    def found() -> list[Message] | None:
        hits = [m for m in signoff.slack.dms_to(user) if needle in texts(m)]
        return hits if len(hits) >= count else None

    return signoff.slack.wait_for(found)[-1]


def current(signoff: Signoff, message: Message) -> Message:
    return next(m for m in signoff.slack.messages if m.ts == message.ts)


def tick_on(signoff: Signoff, moment: datetime) -> str:
    signoff.clock.set(moment)
    return signoff.cli("tick").stdout


def approve_a_change(signoff: Signoff, reference: str, summary: str) -> None:
    """The owner's reminder, a draft through the modal, the approver's Approve."""
    slack, sim = signoff.slack, signoff.sim
    signoff.cli("tick")
    reminder = dm(signoff, signoff.user("owner"), f"Review due: {reference}")
    before = len(slack.calls_of("views.open"))
    sim.click(signoff.user("owner"), reminder, "Submit draft")
    slack.wait_for(lambda: len(slack.calls_of("views.open")) > before)
    view = slack.open_view_for(signoff.user("owner"))
    assert view is not None
    reply = sim.submit(
        signoff.user("owner"),
        view,
        {
            "Link to draft": f"https://drafts.example.org/{reference.lower()}",
            "Summary of changes": summary,
        },
    )
    assert reply.status == 200 and not reply.body
    request = dm(signoff, signoff.user("approver"), f"Approval needed: {reference}")
    assert sim.click(signoff.user("approver"), request, "Approve").status == 200


@pytest.fixture
def people(slack):  # type: ignore[no-untyped-def]
    slack.users.extend(PEOPLE.values())
    return PEOPLE


def test_a_policy_approved_with_changes_asks_the_owners_of_the_procedures_that_follow_it(
    start_signoff, people, clock
):
    assert clock.now() == DEFAULT_START, "this test names the dates of its own clock"
    signoff = start_signoff(SIGNOFF_DIGEST_DAY="SU")
    slack, sim = signoff.slack, signoff.sim
    due = signoff.today + timedelta(days=42)
    far = "01/06/2027"
    register(
        signoff,
        "LAC-014,Looked After Children Policy,policy,Children in Care,owner@example.org,"
        f"approver@example.org,36,,{due:%d/%m/%Y},3.2,https://manual.example.org/lac-014,",
        "CP-012,Care Planning,procedure,Children in Care,bea.manager@example.org,"
        f"approver@example.org,12,,{far},2.0,,LAC-014",
        "CP-013,Placement Moves,procedure,Children in Care,carl.lead@example.org,"
        f"approver@example.org,12,,{far},1.4,,LAC-014",
        # The policy itself follows the Trust's strategy, whose owner is asked too.
        "STR-001,Corporate Parenting Strategy,strategy,Children in Care,stranger@example.org,"
        f"approver@example.org,36,,{far},1.0,,",
        "FRM-003,Care Plan form,form,Children in Care,bea.manager@example.org,"
        f"approver@example.org,12,,{far},1.0,,CP-012",
    )
    # The policy follows the Trust's strategy: an admin says so in Slack; nobody else can.
    said = sim.command(signoff.user("owner"), "link STR-001 LAC-014").json()["text"]
    assert said.startswith("Only an admin (the policy officer) can change")
    said = sim.command(signoff.user("admin"), "link LAC-014 follows STR-001").json()["text"]
    assert said == "LAC-014 now follows STR-001."
    said = sim.command(signoff.user("admin"), "link LAC-014 STR-001").json()["text"]
    assert said.startswith("LAC-014 already follows STR-001, directly or through others")
    impact = signoff.cli("impact", "LAC-014").stdout
    assert "follows STR-001 Corporate Parenting Strategy (strategy)" in impact
    assert "├─ CP-012" in impact and "│  └─ FRM-003" in impact and "└─ CP-013" in impact

    approve_a_change(signoff, "LAC-014", "Care plans now reviewed at every LAC review.")

    # Each linked document's owner is asked once: the two procedures that follow the policy
    # and the strategy it follows; not the form, which follows a procedure, not the policy.
    bea = dm(signoff, people["bea"].id, "Does CP-012 need to change too?")
    carl = dm(signoff, people["carl"].id, "Does CP-013 need to change too?")
    assert bea.text == (
        "LAC-014 has changed (Care plans now reviewed at every LAC review.). Does CP-012 need "
        "to change too?"
    )
    assert "version 3.3" in texts(bea) and "Care Planning" in texts(bea)
    dm(signoff, signoff.user("stranger"), "Does STR-001 need to change too?")
    assert not [m for m in slack.dms_to(people["bea"].id) if "FRM-003" in m.text]
    assert len([m for m in slack.dms_to(people["bea"].id) if "need to change" in m.text]) == 1

    # Someone who does not own CP-012 cannot answer for it.
    sim.click(people["carl"].id, bea, "No impact")
    refusal = slack.wait_for(lambda: slack.ephemerals_to(people["carl"].id))[-1]
    assert "Only the owner of CP-012 (Bea Manager) or an admin" in refusal.text

    # One answers No impact; the other Review now, and CP-013's review opens with the reason.
    as_first_seen = copy.deepcopy(bea)  # what a phone that has not refreshed still shows
    assert sim.click(people["bea"].id, bea, "No impact").status == 200
    slack.wait_for(lambda: "Answered: *No impact*" in texts(current(signoff, bea)))
    assert not any(b["type"] == "actions" for b in current(signoff, bea).blocks)
    assert sim.click(people["carl"].id, carl, "Review now").status == 200
    requested = dm(signoff, people["carl"].id, "Unscheduled review of CP-013")
    assert "Change to a linked document" in texts(requested)
    assert "LAC-014 Looked After Children Policy changed (version 3.3)" in texts(requested)
    assert "Care plans now reviewed at every LAC review." in texts(requested)
    slack.wait_for(lambda: "Answered: *Review now*" in texts(current(signoff, carl)))
    exported = signoff.cli("export", "-").stdout
    assert "CP-013,Placement Moves,procedure" in exported
    rows = {line.split(",")[0]: line for line in exported.splitlines()[1:]}
    assert ",review_due," in rows["CP-013"] and ",current," in rows["CP-012"]

    # A second click on an answered question changes nothing, and says why.
    sim.click(people["bea"].id, as_first_seen, "Review now")
    again = slack.wait_for(
        lambda: [m for m in slack.ephemerals_to(people["bea"].id) if "already answered" in m.text]
    )[-1]
    assert "No impact, by Bea Manager" in again.text
    assert (
        ",current,"
        in {line.split(",")[0]: line for line in signoff.cli("export", "-").stdout.splitlines()}[
            "CP-012"
        ]
    )

    # The answers are recorded and shown in the history, on both sides.
    history = signoff.cli("history", "CP-013").stdout
    assert "impact.answered" in history and "Review now: LAC-014" in history
    assert "review.requested" in history and "Change to a linked document" in history
    history = signoff.cli("history", "LAC-014").stdout
    assert "LAC-014 3.3 changed; CP-012: No impact (Bea Manager, 23 Nov 2026)" in history
    assert "LAC-014 3.3 changed; CP-013: Review now (Carl Lead, 23 Nov 2026)" in history
    assert "LAC-014 3.3 changed; STR-001: not answered yet" in history

    # Later: the strategy's owner is asked again in 14 days, by the daily job.
    strategy = dm(signoff, signoff.user("stranger"), "Does STR-001 need to change too?")
    assert sim.click(signoff.user("stranger"), strategy, "Later").status == 200
    slack.wait_for(
        lambda: "I will ask again on Mon 7 Dec 2026" in texts(current(signoff, strategy))
    )

    def questions() -> int:
        return sum("Does STR-001" in m.text for m in slack.dms_to(signoff.user("stranger")))

    tick_on(signoff, datetime.combine(date(2026, 12, 4), time(9, 30), tzinfo=LONDON))
    assert questions() == 1
    tick_on(signoff, datetime.combine(date(2026, 12, 7), time(9, 30), tzinfo=LONDON))
    asked_again = dm(signoff, signoff.user("stranger"), "Does STR-001 need to change too?", 2)
    assert "(asked again)" in texts(asked_again)
    assert "impact.asked_again" in signoff.cli("history", "STR-001").stdout


def test_a_publication_reaches_a_group_of_200_and_reminds_only_those_who_did_not_read_it(
    start_signoff, slack, clock
):
    assert clock.now() == DEFAULT_START, "this test names the dates of its own clock"
    slack.usergroups[STAFF_GROUP] = [*STAFF, slack.bot_user_id]
    slack.usergroup_page = 60  # Slack answers whole; paged here, to show the cursor followed
    signoff = start_signoff(
        SIGNOFF_DIGEST_DAY="SU",
        SIGNOFF_UPTAKE_GROUPS=f"Children in Care={STAFF_GROUP}",
        SIGNOFF_UPTAKE_PER_MINUTE="150",
        SIGNOFF_UPTAKE_REMIND_WORKING_DAYS="5",
    )
    sim = signoff.sim
    due = signoff.today + timedelta(days=42)
    register(
        signoff,
        "LAC-014,Looked After Children Reviews,procedure,Children in Care,owner@example.org,"
        f"approver@example.org,12,,{due:%d/%m/%Y},3.9,https://manual.example.org/lac-014,",
    )
    approve_a_change(signoff, "LAC-014", "Second reviews now within three months.")

    # The admin marks it published: the staff group is sent the note, a minute's allowance now.
    publish = dm(signoff, signoff.user("admin"), "Mark published")
    assert sim.click(signoff.user("admin"), publish, "Mark published").status == 200

    def noted() -> list[Message]:
        return [m for user in STAFF for m in slack.dms_to(user) if "I have read this" in texts(m)]

    slack.wait_for(lambda: len(noted()) == 150, timeout=60)
    assert [c.args.get("cursor") for c in slack.calls_of("usergroups.users.list")] == [
        None,
        "o60",
        "o120",
        "o180",
    ]
    assert slack.dms_to(slack.bot_user_id) == []  # signoff is not sent its own note
    # The rest go a minute later, by the scheduler's delivery.
    said = tick_on(signoff, clock.now() + timedelta(minutes=1)).splitlines()[-1]
    assert said == "delivery: sent 50 messages"
    notes = noted()
    assert len(notes) == 200 and {m.channel for m in notes} == {f"D{u}" for u in STAFF}
    note = notes[0]
    assert note.text == (
        "LAC-014 Looked After Children Reviews has changed (version 3.10): please read it and "
        "say so."
    )
    assert "Second reviews now within three months." in texts(note)
    # Retried, nothing is sent twice.
    assert signoff.cli("tick").stdout.splitlines()[-1] == "delivery: nothing to send"
    keys = [k for k in slack.posted_keys() if k.startswith("uptake:")]
    assert len(keys) == len(set(keys)) == 200

    # 150 say they read it; each note shows it in place. A second click changes nothing; a
    # colleague cannot acknowledge someone else's note.
    readers, others = STAFF[:150], STAFF[150:]
    by_user = {m.channel[1:]: m for m in notes}
    as_first_seen = copy.deepcopy(by_user[readers[0]])
    for user in readers:
        assert sim.click(user, by_user[user], "I have read this").status == 200
    slack.wait_for(
        lambda: all("You said you read it" in texts(current(signoff, by_user[u])) for u in readers),
        timeout=60,
    )
    sim.click(readers[0], as_first_seen, "I have read this")
    stranger = signoff.user("stranger")
    sim.click(stranger, as_first_seen, "I have read this")
    told = slack.wait_for(lambda: slack.ephemerals_to(stranger))[-1]
    assert "That note was not sent to you" in told.text
    assert "I have read this" in texts(current(signoff, by_user[others[0]]))

    # Five working days later (Monday 30 November), only the other 50 are reminded.
    said = tick_on(signoff, datetime.combine(date(2026, 11, 27), time(9, 30), tzinfo=LONDON))
    assert not [m for u in STAFF for m in slack.dms_to(u) if m.text.startswith("Reminder")]
    tick_on(signoff, datetime.combine(date(2026, 11, 30), time(9, 30), tzinfo=LONDON))
    reminded = {u for u in STAFF for m in slack.dms_to(u) if m.text.startswith("Reminder")}
    assert reminded == set(others)
    assert all(
        len([m for m in slack.dms_to(u) if m.text.startswith("Reminder")]) == 1 for u in others
    )

    # The uptake rate reads 75%, on the command line and in the admins' App Home.
    said = signoff.cli("uptake", "LAC-014").stdout
    assert "version 3.10, published 23 Nov 2026: 75% read (150 of 200; 50 reminded)" in said
    assert "Children in Care, every document: 75% (150 of 200" in said
    sim.home_opened(signoff.user("admin"))
    home = slack.wait_for(
        lambda: (
            "75%" in json.dumps(slack.homes.get(signoff.user("admin")) or {})
            and slack.homes[signoff.user("admin")]
        )
    )
    assert "*Children in Care*: *75%* (150 of 200 read)" in json.dumps(home)
    assert "LAC-014 v3.10: *75%* (150 of 200; 50 reminded)" in json.dumps(home)
    assert "uptake.reminded" in signoff.cli("history", "LAC-014").stdout
