"""Validly signed clicks by the wrong people: everyone but the approver on an approval request,
the owner (and everyone else outside the SLT) on the SLT's buttons, people Slack does not know,
and button values edited to point at another review or document. Nothing may change, and every
refusal must be on the audit log."""

from __future__ import annotations

import copy
from collections import Counter
from datetime import timedelta

from sqlalchemy import create_engine, func, select

from bot.platforms.slack.simulator import find_button
from bot.platforms.slack.standin import Message, SlackUser
from db.models import AuditEvent
from tests.adversarial.conftest import changed, report, settled, tracebacks
from tests.e2e.conftest import SLT_CHANNEL, USERS, Signoff
from tests.e2e.test_review_path import lac_014, register, texts, tick

OWNER2 = SlackUser("UOWNER2", "owner.two@example.org", "Omar Owner")
APPROVER2 = SlackUser("UAPPROVER2", "approver.two@example.org", "Ada Approver")
# Rows that only record what came in (Slack's deliveries, seen once) and who Slack says a user
# is: looked at, not state a wrong click could change.
BOOKKEEPING = ("audit_events", "inbound_deliveries", "people")
ROUNDS = 7


def refusals(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.refused.is_(True))
            )
    finally:
        engine.dispose()


def submit_draft(signoff: Signoff, user: str, reminder: Message, summary: str) -> None:
    before = len(signoff.slack.calls_of("views.open"))
    assert signoff.sim.click(user, reminder, "Submit draft").status == 200
    signoff.slack.wait_for(lambda: len(signoff.slack.calls_of("views.open")) > before)
    view = signoff.slack.open_view_for(user)
    assert signoff.sim.submit(user, view, {"Summary of changes": summary}).status == 200


def dm_saying(signoff: Signoff, user: str, needle: str) -> Message:
    return signoff.slack.wait_for(
        lambda: [m for m in signoff.slack.dms_to(user) if needle in texts(m)]
    )[-1]


def with_value(message: Message, label: str, value: str) -> Message:
    """The message as someone who edited its button's value would send it back."""
    edited = copy.deepcopy(message)
    _, button = find_button(edited.blocks, label)
    button["value"] = value
    return edited


def test_three_hundred_clicks_by_the_wrong_people_change_nothing_and_are_audited(
    signoff: Signoff,
):
    slack, sim = signoff.slack, signoff.sim
    slack.users.extend([OWNER2, APPROVER2])
    due = signoff.today + timedelta(days=42)
    register(
        signoff,
        [
            lac_014(due),
            f"CP-001,Child Protection Conferences,policy,Safeguarding,{OWNER2.email},"
            f"{APPROVER2.email},36,,{due:%d/%m/%Y},1.0,",
        ],
    )
    tick(signoff)
    owner, approver = USERS["owner"].id, USERS["approver"].id
    submit_draft(signoff, owner, dm_saying(signoff, owner, "LAC-014"), "New timescales.")
    submit_draft(signoff, OWNER2.id, dm_saying(signoff, OWNER2.id, "CP-001"), "New forms.")
    request = dm_saying(signoff, approver, "Approval needed")
    other = dm_saying(signoff, APPROVER2.id, "Approval needed")
    before_views = len(slack.calls_of("views.open"))
    assert sim.click(APPROVER2.id, other, "Defer to SLT").status == 200
    slack.wait_for(lambda: len(slack.calls_of("views.open")) > before_views)
    view = slack.open_view_for(APPROVER2.id)
    assert sim.submit(APPROVER2.id, view, {"Reason": "It changes practice."}).status == 200
    slt_request = slack.wait_for(lambda: slack.messages_in(SLT_CHANNEL))[-1]
    # As first seen: the stand-in updates its messages in place, as Slack does on screens.
    request, slt_request = copy.deepcopy(request), copy.deepcopy(slt_request)

    lac_value = find_button(request.blocks, "Approve")[1]["value"]
    cp_value = find_button(slt_request.blocks, "Approve")[1]["value"]
    lac_review = lac_value.split(":")[0]
    cp_review, cp_submission = cp_value.split(":")[:2]
    assert lac_review != cp_review

    # Not the admin: the policy officer may record a decision on the approver's behalf.
    others = ["owner", "slt", "slt2", "hoqa", "stranger"]
    clicks: list[tuple[str, str, Message, str]] = []  # (kind, user, message, label)
    for role in others:
        for label in ("Approve", "Approve with conditions", "Defer to SLT"):
            clicks.append(("not the approver", USERS[role].id, request, label))
    for user in (OWNER2.id, APPROVER2.id):
        for label in ("Approve", "Approve with conditions", "Defer to SLT"):
            clicks.append(("another document's people", user, request, label))
    for user in (OWNER2.id, APPROVER2.id, owner, approver, USERS["hoqa"].id, USERS["stranger"].id):
        for label in ("Approve", "Approve with conditions"):
            kind = "owner on the SLT's button" if user == OWNER2.id else "not the SLT"
            clicks.append((kind, user, slt_request, label))
    for n in range(3):
        clicks.append(("unknown user", f"UNKNOWN{n:04d}", request, "Approve"))
        clicks.append(("unknown user", f"UNKNOWN{n:04d}", slt_request, "Approve"))
    for value in (
        f"{cp_review}:{cp_submission}",  # the other document's review, at the SLT
        cp_review,
        f"{lac_review}:{cp_submission}",  # this review, another document's submission
        "999999:1",  # no such review
        "LAC-014",  # not a button signoff made
        "",
    ):
        clicks.append(
            ("tampered value", approver, with_value(request, "Approve", value), "Approve")
        )
    slt = USERS["slt"].id
    clicks.append(("tampered value", slt, with_value(slt_request, "Approve", lac_value), "Approve"))

    url = signoff.env["DATABASE_URL"]
    before = settled(url, leave_out=BOOKKEEPING)
    refused_before = refusals(url)
    ephemerals_before = len(slack.calls_of("chat.postEphemeral"))
    sent: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    for _ in range(ROUNDS):
        for kind, user, message, label in clicks:
            # Each a click of its own (a new action_ts): none is taken for a repeat.
            statuses[sim.click(user, message, label).status] += 1
            sent[kind] += 1
    total = sum(sent.values())
    slack.wait_for(lambda: refusals(url) >= refused_before + total, timeout=120)
    after = settled(url, leave_out=BOOKKEEPING)
    audited = refusals(url) - refused_before
    answered = len(slack.calls_of("chat.postEphemeral")) - ephemerals_before
    report(
        "wrong people",
        {
            "clicks": total,
            **dict(sent),
            "answers": dict(statuses),
            "refusals audited": audited,
            "refusals told": answered,
            "tables changed": changed(before, after),
            "tracebacks": len(tracebacks(signoff.server.log_path)),
        },
    )
    assert tracebacks(signoff.server.log_path) == []
    assert total >= 300
    assert statuses == Counter({200: total})
    assert changed(before, after) == {}
    assert audited == total
    assert answered == total

    # The approver's own click, untampered, does approve: the refusals were about who clicked.
    assert sim.click(approver, request, "Approve").status == 200
    slack.wait_for(lambda: changed(after, settled(url, leave_out=BOOKKEEPING)))
