"""Every Teams card signoff draws, for every outbox kind Slack has, in the states a review passes
through, is valid by the Adaptive Card 1.5 schema and within Teams' 28 KB; a card's buttons are
Action.Execute (acting at once) or open a task module (a form)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.parking import NOTICE_KIND
from bot.platforms.slack.blocks.notices import KINDS as NOTICE_KINDS
from bot.platforms.slack.blocks.registry import BUILDERS as SLACK_BUILDERS
from bot.platforms.teams import forms, render
from bot.platforms.teams.cards import FORM_VERBS
from bot.platforms.teams.simulator import actions_of
from bot.runtime import Runtime
from db.models import (
    AgendaItem,
    AuditEvent,
    Deputy,
    Document,
    ImpactQuestion,
    Meeting,
    Person,
    Uptake,
)
from tests.factories import APPROVER, OWNER, SLT, Register, row
from tests.teams.schemas import card_problems
from workflow.context import SYSTEM
from workflow.reviews import decide, open_review, start_review, submit_draft
from workflow.rounds import PlanItem, open_round
from workflow.states import Action
from workflow.summaries import review_summary

HUGE = "A long paragraph of changes to the procedure, as some summaries are. " * 60


def test_teams_has_a_card_for_every_kind_slack_has():
    assert set(SLACK_BUILDERS) | set(NOTICE_KINDS) | {NOTICE_KIND} <= render.KINDS


@pytest.fixture
def world(runtime: Runtime) -> dict[str, Any]:
    """Reviews in each state, and the rows the notices are drawn from."""
    register = Register(runtime)
    today = runtime.now().astimezone(runtime.settings.timezone).date()
    rows = [row(f"DOC-{n:03d}", next_review_due=today + timedelta(days=n - 30)) for n in range(6)]
    rows += [
        row(f"OLD-{n:03d}", title=HUGE[:400], next_review_due=today - timedelta(days=n + 1))
        for n in range(120)
    ]
    register.add(*rows)
    ids: dict[str, int] = {}
    ids["review_due"] = open_review(register.ctx(SYSTEM), "DOC-000").id
    ids["in_review"] = open_review(register.ctx(SYSTEM), "DOC-001").id
    start_review(register.ctx(OWNER), ids["in_review"])
    for name, ref in (
        ("awaiting", "DOC-002"),
        ("conditions", "DOC-003"),
        ("referred", "DOC-004"),
        ("current", "DOC-005"),
    ):
        review = open_review(register.ctx(SYSTEM), ref).id
        submit_draft(register.ctx(OWNER), review, link="https://drafts.example.org/1", summary=HUGE)
        ids[name] = review
    decide(register.ctx(APPROVER), ids["conditions"], Action.APPROVE_WITH_CONDITIONS, text=HUGE)
    decide(
        register.ctx(APPROVER),
        ids["referred"],
        Action.REFER,
        text="Spans two services",
        refer_to="slt",
    )
    decide(register.ctx(APPROVER), ids["current"], Action.APPROVE)
    round_ = open_round(
        register.ctx(register.actor("ppo@example.org")),
        "Spring 2027",
        today + timedelta(days=40),
        [PlanItem(2, "OLD-000", "Add the new statutory guidance.", ())],
    )
    now = runtime.now()
    slt = register.actor(SLT)
    with runtime.sessions.begin() as session:
        meeting = Meeting(
            body="slt",
            held_on=today + timedelta(days=20),
            agenda_closes_on=today + timedelta(days=10),
            papers_on=today + timedelta(days=17),
            created_at=now,
        )
        session.add(meeting)
        session.flush()
        session.add(
            AgendaItem(
                meeting_id=meeting.id, review_id=ids["referred"], kind="decision", added_at=now
            )
        )
        owner = session.scalar(select(Person).where(Person.email == OWNER))
        document = session.scalar(select(Document).where(Document.reference == "DOC-000"))
        event = AuditEvent(
            at=now,
            actor_label="cli",
            action="document.owner_changed",
            document_id=document.id,
            before={"owner": OWNER},
            after={"owner": APPROVER},
        )
        deputy = Deputy(
            person_id=owner.id,
            deputy_id=slt.person_id,
            starts_on=today,
            ends_on=today + timedelta(days=7),
            created_at=now,
        )
        current = session.scalar(select(Document).where(Document.reference == "DOC-005"))
        question = ImpactQuestion(
            review_id=ids["current"],
            document_id=current.id,
            linked_document_id=document.id,
            relation="follows",
            summary=HUGE,
            version="3.10",
            asked_at=now,
            times_asked=2,
        )
        published = Uptake(
            document_id=current.id,
            version="3.10",
            published_on=today,
            summary=HUGE,
            created_at=now,
        )
        session.add_all([event, deputy, question, published])
        session.flush()
        notices = {
            "impact_question": {"question_id": question.id},
            "uptake_note": {"uptake_id": published.id},
            "uptake_reminder": {"uptake_id": published.id, "reminder": True},
            "digest": {"due_soon_days": 14},
            "agenda": {"body": "slt", "meeting": (today + timedelta(days=20)).isoformat()},
            "papers": {"meeting_id": meeting.id},
            "minutes": {"meeting_id": meeting.id},
            "meeting_report": {"meeting_id": meeting.id},
            "monthly_report": {"month": f"{today:%Y-%m}"},
            "round_status": {"round_id": round_.id},
            "round_report": {"round_id": round_.id},
            "unknown_person": {"person_id": owner.id, "email": OWNER},
            "reassigned": {"event_id": event.id, "document_id": document.id},
            "person_left": {"email": OWNER, "documents": ["DOC-000", "DOC-001"]},
            "handover": {"from": OWNER, "to": APPROVER, "documents": ["DOC-000"], "role": "owner"},
            "deputy_named": {"deputy_row": deputy.id},
            NOTICE_KIND: {"problem": "signoff is not in the channel", "fix": "add it"},
        }
    return {"ids": ids, "today": today, "notices": notices}


def review_payload(runtime: Runtime, review_id: int, today: date) -> dict[str, Any]:
    with runtime.sessions() as session:
        summary = review_summary(session, review_id, runtime.rules)
    return {
        "stage": 14,
        "submission_id": summary.latest.id if summary.latest else None,
        "decision_id": summary.last_decision.id if summary.last_decision else None,
        "body": summary.stage.body.key if summary.stage else "approver",
        "level": 1,
        "working_days": 5,
        "target_date": (today + timedelta(days=60)).isoformat(),
        "event_id": 1,
        "reason": HUGE,
        "round": "Spring 2027",
        "deadline": (today + timedelta(days=40)).isoformat(),
        "amendment": HUGE,
        "version": summary.version,
        "how": "interim",
        "consultation_id": None,
    }


def draw(runtime: Runtime, kind: str, review_id: int | None, payload: dict[str, Any]) -> Any:
    zone = runtime.settings.timezone
    with runtime.sessions() as session:
        return render.build(
            kind,
            review_id,
            payload,
            session,
            today=runtime.now().astimezone(zone).date(),
            zone=zone,
            rules=runtime.rules,
        )


def test_every_card_is_valid_and_within_teams_limits(runtime: Runtime, world: dict[str, Any]):
    drawn = 0
    for state, review_id in world["ids"].items():
        payload = review_payload(runtime, review_id, world["today"])
        for kind in sorted(render.KINDS - set(world["notices"])):
            for extra in ({}, {"deputy_of": 1}, {"copy": True}):
                card = draw(runtime, kind, review_id, {**payload, **extra})
                assert card_problems(card.card) == [], (kind, state)
                assert card.text and len(card.text) <= 1000
                for action in actions_of(card.card):
                    verb = action.get("verb") or action["data"]["verb"]
                    if action["type"] == "Action.Submit":
                        assert action["data"]["msteams"] == {"type": "task/fetch"}
                        assert verb in FORM_VERBS
                    else:
                        assert action["type"] == "Action.Execute" and verb not in FORM_VERBS
                drawn += 1
    for kind, payload in world["notices"].items():
        card = draw(runtime, kind, None, payload)
        assert card_problems(card.card) == [], kind
        drawn += 1
    assert drawn > 200


def test_a_digest_too_long_for_one_card_is_cut_within_28_kb(
    runtime: Runtime, world: dict[str, Any]
):
    card = draw(runtime, "digest", None, {"due_soon_days": 14})
    assert card_problems(card.card) == []
    said = " ".join(e.get("text", "") for e in card.card["body"])
    assert "more: `signoff export` lists them" in said  # says what was left out


def test_every_form_is_a_valid_card(runtime: Runtime, world: dict[str, Any]):
    for review_id in world["ids"].values():
        with runtime.sessions() as session:
            summary = review_summary(session, review_id, runtime.rules)
        for verb in FORM_VERBS:
            for problem in (None, "Fill in the summary of changes."):
                shown = forms.form(verb, f"{review_id}:1:1.approver:slt", summary, problem=problem)
                assert shown is not None
                content = shown["card"]["content"]
                assert card_problems(content) == [], verb
                assert [a["type"] for a in content["actions"]] == ["Action.Submit"]
