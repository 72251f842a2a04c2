"""Every Block Kit builder, without Bolt or a database: plain data in, blocks that Slack will take
out, including the longest titles and texts a register and a tired approver can produce, and
the longest names a governance file can give its bodies."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.platforms.slack.blocks import meetings, modals, periodic, replies
from bot.platforms.slack.blocks.home import HomeData, Listed, home_view
from bot.platforms.slack.blocks.kit import clip, render, section
from bot.platforms.slack.blocks.registry import BUILDERS
from bot.platforms.slack.blocks.reviews import Render
from bot.platforms.words import outcome_words
from workflow.consultations import ConsultationView, Response
from workflow.states import WITH_A_BODY, State
from workflow.summaries import (
    BodyRef,
    DecisionView,
    DocumentView,
    PersonRef,
    ReviewSummary,
    StageView,
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
LONG_NAME = "Extended Children's Services Leadership Team and Partners " * 3  # ~180 characters

THE_APPROVER = BodyRef("approver", "the approver", "approver", "Defer")
SLT = BodyRef("slt", "Senior Leadership Team", "SLT")
# A body whose name and short name are longer than any button, title or option allows.
PPP = BodyRef("ppp", LONG_NAME.strip(), LONG_NAME.strip()[:90])
HEADS = BodyRef("heads_of_service", LONG_NAME.strip(), LONG_NAME.strip()[:80])
DIRECTORS = BodyRef("directors", "Directors", "Directors")
BOARD = BodyRef("board", LONG_NAME.strip() + " Board", LONG_NAME.strip()[:78] + " Board")

# Where a draft may stand, as the governance makes it: with the approver (who may defer to the
# SLT), with the SLT once referred (it may ask for the redraft back), or on the agenda of a
# group that meets, with interim approval and approval outright allowed, referring to two bodies.
STAGES = {
    "approver": StageView(
        "1.approver",
        1,
        1,
        THE_APPROVER,
        False,
        ("approve", "approve_with_conditions", "refer"),
        (SLT,),
        "Defer",
        False,
        False,
    ),
    "slt": StageView(
        "1.slt", 1, 1, SLT, True, ("approve", "approve_with_conditions"), (), "Refer", True, False
    ),
    "meeting": StageView(
        "2.ppp",
        2,
        3,
        PPP,
        False,
        ("approve", "approve_with_conditions", "refer"),
        (SLT, BOARD),
        "Refer",
        False,
        True,
        meeting=date(2027, 3, 9),
        agenda_kind="decision",
        meeting_note=HUGE[:400],
        interim_by=HEADS,
        information_by=DIRECTORS,
    ),
}

CONSULTATION = ConsultationView(
    31,
    date(2027, 2, 20),
    date(2027, 3, 6),
    True,
    False,
    True,
    [f"Consultee {n} " + "with a very long name " * 5 for n in range(40)],
    [
        Response(
            f"Consultee {n} " + "with a very long name " * 5,
            kind,
            HUGE if kind == "comment" else None,
            kind == "silent",
            AT,
        )
        for n, kind in enumerate(["comment", "no_comments", "silent"] * 12)
    ],
)


def summary(
    state: State = State.AWAITING_APPROVAL, stage: str | None = "slt", **changes: object
) -> ReviewSummary:
    submission = SubmissionView(11, 2, "draft", "https://drafts.example.org/v4", HUGE, AT, OWNER)
    decisions = [
        DecisionView(
            21, 10, 1, THE_APPROVER, "approved_with_conditions", HUGE, False, AT, APPROVER
        ),
        DecisionView(22, 11, 1, THE_APPROVER, "referred", HUGE, False, AT, APPROVER, SLT),
        DecisionView(23, 11, 2, HEADS, "interim_approved", None, False, AT, APPROVER),
        DecisionView(24, 11, 2, PPP, "referred", HUGE, False, AT, None, BOARD),
        DecisionView(25, 11, 1, SLT, "approved_with_conditions", HUGE, True, AT, OWNER),
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
        history=[Step(AT, "Olive Owner", "review.submitted", HUGE, LONG_NAME)] * 40,
        pending_publication_version="3.10",
        next_review_due=date(2028, 3, 1),
        approvers=[APPROVER, OWNER],
        requested_by=OWNER,
        reason=HUGE,
        stage=STAGES[stage] if stage and state in WITH_A_BODY else None,
        consultation=CONSULTATION,
        back_to=SLT if state is State.CHANGES_REQUESTED else None,
    )
    return replace(base, **changes)


def check_message(msg) -> list[dict]:  # type: ignore[no-untyped-def]
    assert msg.text and len(msg.text) <= 3000
    assert 0 < len(msg.blocks) <= 50
    for block in msg.blocks:
        Block.parse(block).to_dict()  # Slack's limits, checked by slack_sdk's models
        text = (block.get("text") or {}).get("text", "")
        assert len(text) <= 3000
        for element in block.get("elements", []):
            if element.get("type") == "button":
                assert len(element["text"]["text"]) <= 75
                assert len(element["value"]) <= 2000
        assert len(block.get("elements", [])) <= 25
    return msg.blocks


def buttons(blocks: list[dict]) -> list[str]:
    return [e["text"]["text"] for b in blocks if b["type"] == "actions" for e in b["elements"]]


PAYLOADS = {
    "reminder": {"stage": "overdue-4"},
    "reminder_note": {},
    "approval_request": {"submission_id": 11, "level": 1, "body": "slt"},
    "conditions": {"decision_id": 25},
    "outcome": {"decision_id": 22},
    "target_agreement": {"target_date": "2027-03-20", "event_id": 99},
    "publication_request": {"version": "3.10"},
    "escalation": {},
    "nudge": {"working_days": 12, "body": "slt", "level": 1},
    "target_declined": {"target_date": "2027-03-20", "reason": HUGE},
    "update_request": {"round": "Spring 2027", "deadline": "2027-03-15", "amendment": HUGE},
    "round_note": {"round": "Spring 2027", "deadline": "2027-03-15", "amendment": HUGE},
    "round_warning": {"round": "Spring 2027", "deadline": "2027-03-15"},
    "review_requested": {},
    "no_changes_explained": {"copy": True},
    "new_document": {},
    "scheduled": {"item_id": 41, "meeting_id": 51},
    "moved_on": {"decision_id": 22},
    "interim_approved": {"decision_id": 23},
    "interim_request": {"how": "interim", "submission_id": 11},
    "consultation_request": {"consultation_id": 31},
    "consultation_comment": {"consultation_id": 31, "person_id": 1},
    "consultation_closed": {"consultation_id": 31},
}


def test_every_builder_has_a_payload_here():
    assert set(BUILDERS) == set(PAYLOADS)


@pytest.mark.parametrize("stage", sorted(STAGES))
@pytest.mark.parametrize("kind", sorted(BUILDERS))
@pytest.mark.parametrize("state", list(State))
def test_every_review_message_is_valid_in_every_state(kind: str, state: State, stage: str):
    closed = {"closed_at": AT, "outcome": "approved"} if state is State.CURRENT else {}
    msg = BUILDERS[kind](summary(state, stage, **closed), Render(TODAY, ZONE, PAYLOADS[kind]))
    check_message(msg)


def test_an_interim_request_for_approval_outright_is_valid_too():
    render = Render(TODAY, ZONE, {"how": "information", "submission_id": 11})
    msg = BUILDERS["interim_request"](summary(stage="meeting"), render)
    assert buttons(check_message(msg)) == ["Approve (for information)"]
    render = Render(TODAY, ZONE, {"how": "interim", "submission_id": 11})
    msg = BUILDERS["interim_request"](summary(stage="meeting"), render)
    assert buttons(check_message(msg)) == ["Approve in the interim"]


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
    render = Render(TODAY, ZONE, {"submission_id": 11, "level": 1, "body": "approver"})
    live = BUILDERS["approval_request"](summary(stage="approver"), render)
    assert buttons(live.blocks) == ["Approve", "Approve with conditions", "Defer to SLT"]
    assert "https://drafts.example.org/v4" in json.dumps(live.blocks)
    old = BUILDERS["approval_request"](
        summary(stage="approver"),
        Render(TODAY, ZONE, {"submission_id": 10, "level": 1, "body": "approver"}),
    )
    assert buttons(old.blocks) == []
    assert "Approved with conditions" in json.dumps(old.blocks)
    # The approver's request, once the draft is with the SLT, has no buttons left.
    moved = BUILDERS["approval_request"](summary(stage="slt"), render)
    assert buttons(moved.blocks) == []
    slt = BUILDERS["approval_request"](
        summary(stage="slt"), Render(TODAY, ZONE, {"submission_id": 11, "level": 1, "body": "slt"})
    )
    assert buttons(slt.blocks) == ["Approve", "Approve with conditions"]
    assert "Why it comes to the SLT" in json.dumps(slt.blocks)


def test_a_referral_is_spelt_as_the_body_says_it():
    deferred = DecisionView(22, 11, 1, THE_APPROVER, "referred", "x", False, AT, APPROVER, SLT)
    referred = DecisionView(24, 11, 2, PPP, "referred", "x", False, AT, None, DIRECTORS)
    assert outcome_words(deferred) == "Deferred to the SLT"
    assert outcome_words(referred) == "Referred to the Directors"


def test_conditions_reach_the_owner_word_for_word_within_the_limits():
    conditions = "1. Add the IRO's role.\n2. Cite the 2015 regulations.\n3. Fix the flowchart."
    s = summary(
        State.CHANGES_REQUESTED,
        decisions=[
            DecisionView(21, 11, 1, SLT, "approved_with_conditions", conditions, True, AT, APPROVER)
        ],
    )
    msg = BUILDERS["conditions"](s, Render(TODAY, ZONE, {"decision_id": 21}))
    text = json.dumps(msg.blocks)
    for line in conditions.splitlines():
        assert json.dumps(line)[1:-1].replace("'", "'") in text
    assert "It will go back to the SLT for approval." in text
    assert buttons(msg.blocks) == ["Submit draft"]


def test_mentions_are_used_where_slack_knows_the_person_and_text_is_escaped():
    render = Render(TODAY, ZONE, {"submission_id": 11, "level": 1, "body": "approver"})
    msg = BUILDERS["approval_request"](summary(stage="approver"), render)
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


MODALS = {
    "submit_draft": modals.submit_draft,
    "no_changes": modals.no_changes,
    "approve_with_conditions": modals.approve_with_conditions,
    "refer": modals.refer,
    "comment": modals.comment,
    "decline_target": modals.decline_target,
    "agree_due": modals.agree_due,
}


@pytest.mark.parametrize("option", [None, "slt", "board"])
@pytest.mark.parametrize("stage", [None, *sorted(STAGES)])
@pytest.mark.parametrize("name", sorted(MODALS))
def test_every_modal_is_valid_with_the_longest_title(name, stage, option):
    state = State.AWAITING_APPROVAL if stage else State.CHANGES_REQUESTED
    view = MODALS[name](summary(state, stage), "{}", option)
    View(**view).to_dict()
    assert len(view["title"]["text"]) <= 24
    assert len(view["blocks"]) <= 100
    labels = [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
    assert labels and all(len(label) <= 2000 for label in labels)
    for block in view["blocks"]:
        for option_ in (block.get("element") or {}).get("options", []):
            assert len(option_["text"]["text"]) <= 75


def test_modal_labels_are_the_ones_people_are_told_about():
    approver, slt = summary(stage="approver"), summary(stage="slt")
    meeting = replace(
        summary(stage="meeting"), stage=replace(STAGES["meeting"], refer_to=(SLT, DIRECTORS))
    )
    labels = {
        name: [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
        for name, view in {
            "draft": modals.submit_draft(summary(State.IN_REVIEW), "{}"),
            "second": modals.submit_draft(meeting, "{}"),
            "none": modals.no_changes(summary(State.IN_REVIEW), "{}"),
            "rsm": modals.approve_with_conditions(approver, "{}"),
            "slt": modals.approve_with_conditions(slt, "{}"),
            "defer": modals.refer(approver, "{}", "slt"),
            "refer": modals.refer(meeting, "{}"),
            "comment": modals.comment(meeting, "{}"),
        }.items()
    }
    assert labels == {
        "draft": ["Link to draft", "Summary of changes"],
        "second": ["Link to draft", "Summary of changes"],
        "none": ["Statement"],
        "rsm": ["Conditions"],
        "slt": ["Conditions", "Return to SLT for approval"],
        "defer": ["Reason"],
        "refer": ["Refer to", "Reason"],
        "comment": ["Comment"],
    }
    assert modals.refer(approver, "{}", "slt")["title"]["text"] == "Defer to SLT"
    assert modals.submit_draft(meeting, "{}")["title"]["text"] == "Submit second draft"
    statement = modals.no_changes(summary(), "{}")["blocks"][1]["element"]["initial_value"]
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
    many = [summary(review_id=n, stage="meeting") for n in range(60)]
    bodies = [(f"{LONG_NAME} {n}", Listed.of(many)) for n in range(8)]
    view = home_view(
        HomeData(
            to_review=Listed.of(many),
            to_decide=Listed.of(many),
            with_bodies=bodies,
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


def test_the_agenda_of_what_waits_for_a_body_and_the_monthly_report_are_valid():
    render = Render(TODAY, ZONE, {})
    waiting = [summary(stage="slt")] * 60
    blocks = check_message(meetings.agenda(SLT, date(2027, 3, 9), waiting, render))
    assert "SLT agenda: " in json.dumps(blocks[0])
    assert "more blocks" in json.dumps(blocks[-1])
    assert "deferred by" in json.dumps(blocks[2])  # the approver's word for it
    check_message(meetings.agenda(BOARD, date(2027, 3, 9), waiting, render))
    empty = check_message(meetings.agenda(SLT, date(2027, 3, 9), [], render))
    assert len(empty) == 1 and "no policy items" in json.dumps(empty)
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
    missing = check_message(replies.no_such_document("LAC-999", None, ["LAC-014"] * 30))
    assert "no document LAC-999" in json.dumps(missing) and "LAC-014" in json.dumps(missing)
    check_message(replies.status([summary(review_id=n) for n in range(60)], render))


# --- meetings, consultation, interim approval ------------------------------------------------

OUTCOMES = [None, "approved", "approved_with_conditions", "referred", "noted", "rolled"]


def meeting_view(count: int, *, closed: bool = False) -> meetings.MeetingView:
    items = [
        meetings.Item(
            100 + n,
            ["decision", "ratification", "information"][n % 3],
            OUTCOMES[n % len(OUTCOMES)],
            HUGE[:600] if n % 2 else None,
            summary(stage="meeting", review_id=n),
            recorded_by=LONG_NAME,
        )
        for n in range(count)
    ]
    return meetings.MeetingView(51, PPP, date(2027, 3, 9), LONG_NAME, closed, items, reports_to=SLT)


@pytest.mark.parametrize("count", [0, 1, 19, 20, 21, 60])
@pytest.mark.parametrize("for_chair", [True, False])
def test_the_papers_fit_one_message_and_keep_the_chairs_close_button(count, for_chair):
    render = Render(TODAY, ZONE, {})
    blocks = check_message(meetings.papers(meeting_view(count), render, for_chair=for_chair))
    shown = min(count, meetings.ITEMS_PER_MESSAGE)
    text = json.dumps(blocks)
    if count > shown:
        assert f"and {count - shown} more items" in text
    assert "more blocks" not in text  # nothing was cut off by the fifty-block limit
    labels = buttons(blocks)
    if for_chair:
        assert labels[-1] == "Close the meeting and post the minutes"
    else:
        assert labels == []


def test_the_papers_put_each_open_items_buttons_under_it():
    render = Render(TODAY, ZONE, {})
    view = meeting_view(
        3
    )  # for decision (open), ratification (approved), information (with conditions)
    open_only = replace(
        view,
        items=[
            replace(view.items[0], outcome=None),
            replace(view.items[2], outcome=None),
        ],
    )
    labels = buttons(check_message(meetings.papers(open_only, render)))
    assert labels[:2] == ["Approve", "Approve with conditions"]
    assert labels[2].startswith("Refer to ") and labels[3].startswith("Refer to ")
    assert "Noted" in labels
    closed = check_message(meetings.papers(meeting_view(3, closed=True), render))
    assert buttons(closed) == [] and "*Closed*" in json.dumps(closed)


@pytest.mark.parametrize("count", [0, 1, 60])
def test_the_minutes_and_the_report_after_a_meeting_are_valid_however_long(count):
    render = Render(TODAY, ZONE, {})
    view = meeting_view(count, closed=True)
    minutes = check_message(meetings.minutes(view, render))
    assert "Minutes: " in json.dumps(minutes[0])
    report = check_message(meetings.meeting_report(view, render))
    approved = sum(1 for i in view.items if i.outcome in ("approved", "noted"))
    assert f"*{approved}* new and revised documents approved" in json.dumps(report)
    assert f"*{count - approved}* exceptions" in json.dumps(report)


def test_the_owner_is_told_which_meeting_and_may_ask_for_interim_approval():
    render = Render(TODAY, ZONE, PAYLOADS["scheduled"])
    msg = BUILDERS["scheduled"](summary(stage="meeting"), render)
    labels = buttons(check_message(msg))
    assert len(labels) == 2
    assert labels[0].startswith("Ask Extended Children")  # the long name, clipped to fit
    assert labels[1] == "Ask Directors to approve"
    assert "09 Mar 2027" in msg.text or "9 Mar 2027" in msg.text
    # Once interim approval has made it an item for ratification, there is nothing to ask.
    ratifying = replace(STAGES["meeting"], agenda_kind="ratification")
    again = BUILDERS["scheduled"](replace(summary(stage="meeting"), stage=ratifying), render)
    assert buttons(check_message(again)) == []


def test_the_consulted_are_asked_only_while_the_consultation_runs():
    render = Render(TODAY, ZONE, PAYLOADS["consultation_request"])
    live = BUILDERS["consultation_request"](summary(State.IN_CONSULTATION, "meeting"), render)
    assert buttons(check_message(live)) == ["Comment", "No comments"]
    assert "counts as agreement" in json.dumps(live.blocks)
    done = replace(CONSULTATION, closed=True)
    closed = BUILDERS["consultation_request"](
        summary(State.AWAITING_APPROVAL, "meeting", consultation=done), render
    )
    assert buttons(check_message(closed)) == []
    assert "The consultation has closed." in json.dumps(closed.blocks)


def test_the_owner_may_send_a_second_draft_once_the_consultation_closes():
    render = Render(TODAY, ZONE, PAYLOADS["consultation_closed"])
    done = replace(CONSULTATION, closed=True)
    # Nobody at level 2 has decided on the latest draft yet (decision 24 is the PPP group's).
    undecided = [d for d in summary().decisions if d.body.key != "ppp"]
    msg = BUILDERS["consultation_closed"](
        summary(stage="meeting", consultation=done, decisions=undecided), render
    )
    assert buttons(check_message(msg)) == ["Submit a second draft"]
    text = json.dumps(msg.blocks)
    assert "Consultee 0" in text and "silent (taken as agreement)" in text
    decided = BUILDERS["consultation_closed"](summary(stage="meeting", consultation=done), render)
    assert buttons(check_message(decided)) == []


def header_of(msg) -> str:  # type: ignore[no-untyped-def]
    return next(b["text"]["text"] for b in msg.blocks if b["type"] == "header")


def test_a_reminder_re_rendered_later_is_headed_with_where_the_review_is_now():
    late = Render(TODAY, ZONE, {"stage": "overdue-4"})
    early = Render(date(2027, 1, 20), ZONE, {"stage": "14"})
    headers = {
        state: header_of(BUILDERS["reminder"](summary(state), late))
        for state in State
        if state is not State.CURRENT
    }
    assert header_of(BUILDERS["reminder"](summary(State.REVIEW_DUE), early)) == (
        "Review due: LAC-014"
    )
    assert headers[State.REVIEW_DUE] == "Review overdue: LAC-014"
    assert headers[State.IN_REVIEW] == "Review overdue: LAC-014"
    assert headers[State.AWAITING_APPROVAL] == "Review submitted: LAC-014"
    assert headers[State.IN_CONSULTATION] == "Review submitted: LAC-014"
    with_the_approver = BUILDERS["reminder"](summary(State.AWAITING_APPROVAL, "approver"), late)
    assert header_of(with_the_approver) == "Review submitted: LAC-014"
    assert headers[State.CHANGES_REQUESTED] == "Changes requested: LAC-014"
    done = summary(State.CURRENT, closed_at=AT, outcome="approved")
    assert header_of(BUILDERS["reminder"](done, late)) == "Review complete: LAC-014"
    moved_on = BUILDERS["reminder"](summary(State.AWAITING_APPROVAL), late)
    assert "submitted" in moved_on.text and "overdue" not in header_of(moved_on)


def test_days_overdue_are_counted_to_the_day_of_rendering_and_say_which_day_that_is():
    # Due Mon 1 Feb 2027. A message is rendered once and read for days after, so each figure
    # names the day it was counted on, and a later rendering counts to its own day.
    for today, days in ((date(2027, 3, 1), 28), (date(2027, 3, 6), 33)):
        render = Render(today, ZONE, {"stage": "overdue-4"})
        on = f"{today:%a} {today.day} {today:%b %Y}"
        for kind in ("reminder", "reminder_note", "escalation"):
            msg = BUILDERS[kind](summary(State.REVIEW_DUE), render)
            words = json.dumps(msg.blocks)
            assert f"{days} days" in words and on in words, (kind, words)
            assert f"{days} days" in msg.text, (kind, msg.text)
        status = BUILDERS["approval_request"](
            summary(), replace(render, payload={"submission_id": 11})
        )
        assert f"{days} days overdue* as of {on}" in json.dumps(status.blocks)


def test_a_document_past_due_before_its_review_is_opened_is_listed_as_overdue():
    view = replace(document(1), state=State.CURRENT, review_id=None)
    lines = replies.document_lines([view], date(2027, 1, 11))
    assert "10 days overdue" in lines[0]


def test_an_approver_acting_as_owner_is_told_once_in_words_that_fit():
    render = Render(TODAY, ZONE, {"stage": "overdue-4"})
    both = summary(State.REVIEW_DUE, owner=APPROVER)
    reminder = json.dumps(BUILDERS["reminder"](both, render).blocks)
    assert "You are its approver and act as its owner too" in reminder
    assert "You are its owner." not in reminder
    note = BUILDERS["reminder_note"](both, render)
    assert "has been reminded" not in note.text + json.dumps(note.blocks)
    assert "you now act as its owner" in note.text.lower()


def test_a_signoff_word_it_does_not_know_is_called_unknown_before_the_help():
    msg = check_message(replies.help_message("dacne"))
    assert "Unknown command `/signoff dacne`" in msg[0]["text"]["text"]
    assert "Unknown command" not in json.dumps(replies.help_message().blocks)
