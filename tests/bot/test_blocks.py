"""Every Block Kit builder, without Bolt or a database: plain data in, blocks that Slack will take
out, including the longest titles and texts a register and a tired approver can produce."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.blocks import modals, periodic, replies
from bot.blocks.home import HomeData, home_view
from bot.blocks.kit import clip, render, section
from bot.blocks.registry import BUILDERS
from bot.blocks.reviews import Render
from workflow.states import State
from workflow.summaries import (
    DecisionView,
    DocumentView,
    PersonRef,
    ReviewSummary,
    Step,
    SubmissionView,
)

ZONE = ZoneInfo("Europe/London")
TODAY = date(2027, 3, 1)
AT = datetime(2027, 2, 20, 10, 0, tzinfo=UTC)
OWNER = PersonRef(1, "owner@example.org", "Olive Owner", "UOWNER")
APPROVER = PersonRef(2, "approver@example.org", None, None)
LONG_TITLE = "Procedure for " + "the Management of Allegations Against Staff and Volunteers " * 9
HUGE = ("Paragraph 4.2 now reflects Working Together 2023 & <the> LADO's role. " * 200).strip()


def summary(state: State = State.AWAITING_APPROVAL, **changes: object) -> ReviewSummary:
    submission = SubmissionView(11, 2, "draft", "https://drafts.example.org/v4", HUGE, AT, OWNER)
    decisions = [
        DecisionView(21, 10, "rsm", "approved_with_conditions", HUGE, False, AT, APPROVER),
        DecisionView(22, 11, "rsm", "deferred_to_slt", "Two services.", False, AT, APPROVER),
    ]
    base = ReviewSummary(
        review_id=5,
        document_id=7,
        reference="LAC-014",
        title=LONG_TITLE,
        doc_type="procedure",
        service_area="Children in Care",
        version="3.9",
        link="https://manual.example.org/x",
        route="scheduled_review",
        state=state,
        due_date=date(2027, 2, 1),
        target_date=date(2027, 3, 20),
        opened_at=AT,
        closed_at=None,
        outcome=None,
        owner=OWNER,
        approver=APPROVER,
        latest=submission,
        decisions=decisions,
        history=[Step(AT, "Olive Owner", "review.submitted", HUGE)] * 40,
        pending_publication_version="3.10",
        next_review_due=date(2028, 3, 1),
        approvers=[APPROVER, OWNER],
        requested_by=OWNER,
        reason=HUGE,
    )
    return replace(base, **changes)


def check_message(msg) -> list[dict]:  # type: ignore[no-untyped-def]
    assert msg.text and len(msg.text) <= 3000
    assert 0 < len(msg.blocks) <= 50
    for block in msg.blocks:
        Block.parse(block).to_dict()  # Slack's limits, checked by slack_sdk's models
        text = (block.get("text") or {}).get("text", "")
        assert len(text) <= 3000
    return msg.blocks


def buttons(blocks: list[dict]) -> list[str]:
    return [e["text"]["text"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


PAYLOADS = {
    "reminder": {"stage": "overdue-4"},
    "reminder_note": {},
    "approval_request": {"submission_id": 11},
    "slt_request": {"submission_id": 11},
    "conditions": {"decision_id": 21},
    "outcome": {"decision_id": 22},
    "target_agreement": {"target_date": "2027-03-20", "event_id": 99},
    "publication_request": {"version": "3.10"},
    "escalation": {},
    "nudge": {"working_days": 12, "slt": False},
    "target_declined": {"target_date": "2027-03-20", "reason": HUGE},
    "update_request": {"round": "Spring 2027", "deadline": "2027-03-15", "amendment": HUGE},
    "round_note": {"round": "Spring 2027", "deadline": "2027-03-15", "amendment": HUGE},
    "round_warning": {"round": "Spring 2027", "deadline": "2027-03-15"},
    "review_requested": {},
    "no_changes_explained": {"copy": True},
    "new_document": {},
}


@pytest.mark.parametrize("kind", sorted(BUILDERS))
@pytest.mark.parametrize("state", list(State))
def test_every_review_message_is_valid_in_every_state(kind: str, state: State):
    closed = {"closed_at": AT, "outcome": "approved"} if state is State.CURRENT else {}
    msg = BUILDERS[kind](summary(state, **closed), Render(TODAY, ZONE, PAYLOADS[kind]))
    check_message(msg)


def test_the_reminder_offers_the_owners_three_buttons_only_while_they_apply():
    render = Render(TODAY, ZONE, {"stage": "14"})
    assert buttons(BUILDERS["reminder"](summary(State.REVIEW_DUE), render).blocks) == [
        "Start review",
        "No changes needed",
        "Submit draft",
    ]
    assert buttons(BUILDERS["reminder"](summary(State.IN_REVIEW), render).blocks) == [
        "No changes needed",
        "Submit draft",
    ]
    assert buttons(BUILDERS["reminder"](summary(State.AWAITING_APPROVAL), render).blocks) == []


def test_the_approval_request_has_its_buttons_only_for_the_submission_awaiting_a_decision():
    render = Render(TODAY, ZONE, {"submission_id": 11})
    live = BUILDERS["approval_request"](summary(), render)
    assert buttons(live.blocks) == ["Approve", "Approve with conditions", "Defer to SLT"]
    assert "https://drafts.example.org/v4" in json.dumps(live.blocks)
    old = BUILDERS["approval_request"](summary(), Render(TODAY, ZONE, {"submission_id": 10}))
    assert buttons(old.blocks) == []
    assert "Approved with conditions" in json.dumps(old.blocks)
    slt = BUILDERS["slt_request"](summary(State.AWAITING_SLT), render)
    assert buttons(slt.blocks) == ["Approve", "Approve with conditions"]
    assert "Two services." in json.dumps(slt.blocks)


def test_conditions_reach_the_owner_word_for_word_within_the_limits():
    conditions = "1. Add the IRO's role.\n2. Cite the 2015 regulations.\n3. Fix the flowchart."
    s = summary(
        State.CHANGES_REQUESTED,
        decisions=[
            DecisionView(21, 11, "rsm", "approved_with_conditions", conditions, False, AT, APPROVER)
        ],
    )
    msg = BUILDERS["conditions"](s, Render(TODAY, ZONE, {"decision_id": 21}))
    text = json.dumps(msg.blocks)
    for line in conditions.splitlines():
        assert json.dumps(line)[1:-1].replace("'", "'") in text
    assert buttons(msg.blocks) == ["Submit draft"]


def test_mentions_are_used_where_slack_knows_the_person_and_text_is_escaped():
    msg = BUILDERS["approval_request"](summary(), Render(TODAY, ZONE, {"submission_id": 11}))
    text = json.dumps(msg.blocks)
    assert "<@UOWNER>" in text and "approver@example.org" in text
    assert "&lt;the&gt;" in text and "&amp;" in text


def test_clip_cuts_at_a_word_and_never_inside_a_link():
    cut = clip("see <https://example.org/" + "x" * 80 + "|the draft> now", 40)
    assert cut.endswith("\u2026") and "<https" not in cut
    assert clip("short", 10) == "short"


def test_more_than_fifty_blocks_end_with_a_note_of_how_many_were_left_out():
    blocks = render([section(f"item {n}") for n in range(80)], more="See the export.")
    assert len(blocks) == 50
    assert "and 31 more" in json.dumps(blocks[-1]) and "See the export." in json.dumps(blocks[-1])


@pytest.mark.parametrize(
    "build",
    [
        lambda s: modals.submit_draft(s, "{}"),
        lambda s: modals.no_changes(s, "{}"),
        lambda s: modals.approve_with_conditions(s, "{}", slt=False),
        lambda s: modals.approve_with_conditions(s, "{}", slt=True),
        lambda s: modals.defer_to_slt(s, "{}"),
        lambda s: modals.decline_target(s, "{}"),
    ],
)
def test_every_modal_is_valid_with_the_longest_title(build):
    view = build(summary())
    View(**view).to_dict()
    assert len(view["title"]["text"]) <= 24
    labels = [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
    assert labels and all(len(label) <= 2000 for label in labels)


def test_modal_labels_are_the_ones_people_are_told_about():
    s = summary()
    labels = {
        name: [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
        for name, view in {
            "draft": modals.submit_draft(s, "{}"),
            "none": modals.no_changes(s, "{}"),
            "rsm": modals.approve_with_conditions(s, "{}", slt=False),
            "slt": modals.approve_with_conditions(s, "{}", slt=True),
            "defer": modals.defer_to_slt(s, "{}"),
        }.items()
    }
    assert labels == {
        "draft": ["Link to draft", "Summary of changes"],
        "none": ["Statement"],
        "rsm": ["Conditions"],
        "slt": ["Conditions", "Return to SLT for approval"],
        "defer": ["Reason"],
    }
    statement = modals.no_changes(s, "{}")["blocks"][1]["element"]["initial_value"]
    assert statement.startswith("The Procedure for") and statement.endswith(
        "has been reviewed and no changes are required."
    )


def document(n: int, area: str = "Children in Care") -> DocumentView:
    return DocumentView(
        f"DOC-{n:04d}",
        LONG_TITLE,
        "policy",
        area,
        OWNER,
        APPROVER,
        date(2027, 1, 1),
        None,
        "1.0",
        None,
        State.REVIEW_DUE,
        n,
        None,
        None,
    )


def test_the_home_tab_fits_in_a_hundred_blocks_for_the_busiest_admin():
    many = [summary(review_id=n) for n in range(60)]
    view = home_view(
        HomeData(
            to_review=many,
            to_decide=many,
            for_slt=many,
            recent=many,
            is_admin=True,
            counts={"current": 300, "review_due": 60},
            overdue=[document(n) for n in range(200)],
        ),
        Render(TODAY, ZONE, {}),
    )
    View(**view).to_dict()
    assert len(view["blocks"]) <= 100


def test_the_digest_counts_first_groups_by_area_and_stays_within_fifty_blocks():
    areas = [f"Area {n}" for n in range(30)]
    data = periodic.DigestData(
        overdue=[document(n, areas[n % 30]) for n in range(300)],
        due_soon=[document(n, areas[n % 7]) for n in range(40)],
        awaiting=[summary(review_id=n) for n in range(20)],
        without_owner=[document(1)],
        not_in_slack=[("gone@example.org", ["LAC-1", "LAC-2"])],
        due_soon_days=14,
    )
    msg = periodic.digest(data, Render(TODAY, ZONE, {}))
    blocks = check_message(msg)
    assert "*300* overdue" in json.dumps(blocks[1])
    shown = sum(
        json.dumps(b).count("DOC-") for b in blocks if "Register problems" not in json.dumps(b)
    )
    assert f"and {340 - shown} more documents" in json.dumps(blocks[-1])
    assert "/signoff overdue" in json.dumps(blocks[-1])


def test_an_empty_week_is_a_short_all_clear():
    msg = periodic.digest(periodic.DigestData([], [], [], [], [], 14), Render(TODAY, ZONE, {}))
    assert len(check_message(msg)) == 1 and "All clear" in msg.blocks[0]["text"]["text"]


def test_the_agenda_and_the_monthly_report_are_valid():
    render = Render(TODAY, ZONE, {})
    check_message(periodic.slt_agenda(date(2027, 3, 9), [summary(State.AWAITING_SLT)] * 60, render))
    check_message(periodic.slt_agenda(date(2027, 3, 9), [], render))
    check_message(
        periodic.monthly_report(
            "2027-02", [summary(State.CURRENT)] * 70, [document(n) for n in range(70)], render
        )
    )


def test_replies_are_valid_and_say_what_works():
    render = Render(TODAY, ZONE, {})
    check_message(replies.help_message())
    check_message(replies.refusal("Only the approver can approve it.", summary(), render))
    check_message(
        replies.document_list("Overdue", [document(n) for n in range(300)], TODAY, empty="none")
    )
    bad = replies.bad_date("31/02", "LAC-014")
    assert "in 2 weeks" in bad.text and "31/02" in bad.text
    check_message(replies.status([summary(review_id=n) for n in range(60)], render))
