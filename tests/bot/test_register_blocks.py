"""The messages of the register as a whole, built from plain data without Slack: the question
to a linked document's owner and the note to staff, before and after they answer."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.platforms.slack.blocks.register import (
    LATER,
    NO_IMPACT,
    READ_IT,
    REVIEW_NOW,
    impact_question,
    uptake_note,
)
from bot.platforms.slack.blocks.reviews import Render
from workflow.links import QuestionView
from workflow.uptake import NoteView

RENDER = Render(date(2026, 11, 23), ZoneInfo("Europe/London"), {})
AT = datetime(2026, 11, 23, 10, 15, tzinfo=UTC)
QUESTION = QuestionView(
    id=7,
    review_id=3,
    changed_reference="LAC-014",
    changed_title="Looked After Children Policy",
    changed_link="https://manual.example.org/lac-014",
    version="3.3",
    summary="Care plans <reviewed> at every LAC review & more.",
    linked_reference="CP-012",
    linked_title="Care Planning",
    linked_link=None,
    relation="follows",
    times_asked=1,
    asked_at=AT,
    answer=None,
    answered_by=None,
    answered_at=None,
    ask_again_on=None,
    opened_review_id=None,
)


def shown(blocks: list[dict]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def buttons(blocks: list[dict]) -> list[tuple[str, str, str]]:
    return [
        (e["text"]["text"], e["action_id"], e["value"])
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
    ]


def test_the_question_says_what_changed_and_offers_the_three_answers():
    msg = impact_question(QUESTION, RENDER)
    assert msg.text == (
        "LAC-014 has changed (Care plans <reviewed> at every LAC review & more.). Does CP-012 "
        "need to change too?"
    )
    said = shown(msg.blocks)
    assert "&lt;reviewed&gt;" in said and "&amp; more" in said  # escaped for mrkdwn
    assert "*CP-012 Care Planning* follows it." in said
    assert buttons(msg.blocks) == [
        ("No impact", NO_IMPACT, "3:7"),
        ("Review now", REVIEW_NOW, "3:7"),
        ("Later", LATER, "3:7"),
    ]


def test_an_answer_takes_the_buttons_place_but_later_leaves_them_to_answer_sooner():
    answered = QuestionView(
        **{**QUESTION.__dict__, "answer": "no_impact", "answered_by": "Bea", "answered_at": AT}
    )
    msg = impact_question(answered, RENDER)
    assert buttons(msg.blocks) == []
    assert "Answered: *No impact* \u2014 Bea, 23 Nov 2026, 10:15" in shown(msg.blocks)
    later = QuestionView(
        **{**QUESTION.__dict__, "answer": "later", "ask_again_on": date(2026, 12, 7)}
    )
    msg = impact_question(later, RENDER)
    assert len(buttons(msg.blocks)) == 3
    assert "I will ask again on Mon 7 Dec 2026." in shown(msg.blocks)
    governs = QuestionView(**{**QUESTION.__dict__, "relation": "governs", "times_asked": 2})
    said = shown(impact_question(governs, RENDER).blocks)
    assert "It follows *CP-012 Care Planning*" in said and "(asked again)" in said


def test_the_note_to_staff_and_the_reminder_and_once_read_no_button():
    note = NoteView(
        uptake_id=12,
        reference="LAC-014",
        title="Looked After Children Reviews",
        version="3.10",
        link="https://manual.example.org/lac-014",
        summary="x" * 5000,  # a long summary is cut to what Slack takes, not refused
        published_on=date(2026, 11, 23),
    )
    msg = uptake_note(note, RENDER)
    assert buttons(msg.blocks) == [("I have read this", READ_IT, "12")]
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in msg.blocks)
    assert "Version 3.10 was published on Mon 23 Nov 2026." in shown(msg.blocks)
    reminder = uptake_note(NoteView(**{**note.__dict__, "reminder": True}), RENDER)
    assert reminder.text.startswith("Reminder: LAC-014")
    read = uptake_note(NoteView(**{**note.__dict__, "acknowledged_at": AT}), RENDER)
    assert buttons(read.blocks) == []
    assert "You said you read it on 23 Nov 2026, 10:15." in shown(read.blocks)
