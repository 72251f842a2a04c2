"""Migration 0004, from a database at 0002 with reviews in every state the fixed chain had: the
approver's, the SLT's, conditions the SLT asked to see again, and messages still waiting to go.
Nothing is lost: each lands where the default governance puts it, and signoff goes on from there.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, select, text

from bot.runtime import Runtime
from bot.settings import Settings
from db.engine import make_engine
from db.migrate import upgrade
from db.models import Decision, OutboxMessage, PostedMessage, Review
from tests.conftest import POSTGRES_URL, _with_search_path
from workflow.reviews import decide, submit_draft
from workflow.states import Action, State

AT = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
# Each review of the old chain, and where the default governance must find it.
STATES = {
    "DOC-DUE": ("review_due", State.REVIEW_DUE, None),
    "DOC-IN": ("in_review", State.IN_REVIEW, None),
    "DOC-RSM": ("awaiting_approval", State.AWAITING_APPROVAL, "approver"),
    "DOC-SLT": ("awaiting_slt", State.AWAITING_APPROVAL, "slt"),
    "DOC-COND": ("changes_requested", State.CHANGES_REQUESTED, None),
    "DOC-BACK": ("changes_requested", State.CHANGES_REQUESTED, None),
    "DOC-DONE": ("current", State.CURRENT, None),
}


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it: a new SQLite file, or a PostgreSQL schema of its own."""
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    schema = f"signoff_migration_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _with_search_path(POSTGRES_URL, schema)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def old_register(url: str) -> None:
    """Rows as signoff at migration 0002 wrote them."""
    engine = make_engine(url)
    upgrade(engine, "0002")
    tables = MetaData()
    tables.reflect(engine)
    t = tables.tables
    with engine.begin() as c:
        for n, email in enumerate(
            ("owner@example.org", "approver@example.org", "slt.one@example.org"), start=1
        ):
            c.execute(
                t["people"].insert(),
                {
                    "id": n,
                    "email": email,
                    "slack_lookup": "unknown",
                    "active": True,
                    "created_at": AT,
                },
            )
        for n, (reference, (state, _, _)) in enumerate(STATES.items(), start=1):
            c.execute(
                t["documents"].insert(),
                {
                    "id": n,
                    "reference": reference,
                    "title": f"Document {n}",
                    "doc_type": "procedure",
                    "owner_id": 1,
                    "approver_id": 2,
                    "review_cycle_months": 12,
                    "next_review_due": date(2026, 12, 1),
                    "version": "1.0",
                    "created_at": AT,
                    "updated_at": AT,
                },
            )
            closed = state == "current"
            c.execute(
                t["reviews"].insert(),
                {
                    "id": n,
                    "document_id": n,
                    "route": "scheduled_review",
                    "state": state,
                    "due_date": date(2026, 12, 1),
                    "back_to_slt": reference == "DOC-BACK",
                    "opened_at": AT,
                    "state_changed_at": AT,
                    "closed_at": AT if closed else None,
                    "outcome": "approved" if closed else None,
                },
            )
            if state in ("review_due", "in_review"):
                continue
            c.execute(
                t["submissions"].insert(),
                {
                    "id": n,
                    "review_id": n,
                    "seq": 1,
                    "kind": "draft",
                    "link": "https://drafts.example.org/x",
                    "summary": "Changes",
                    "submitted_by_id": 1,
                    "submitted_at": AT,
                },
            )
            decisions = {
                "DOC-SLT": [("rsm", "deferred_to_slt", "Spans two services", False, 2)],
                "DOC-COND": [("rsm", "approved_with_conditions", "Add the IRO", False, 2)],
                "DOC-BACK": [
                    ("rsm", "deferred_to_slt", "Spans two services", False, 2),
                    ("slt", "approved_with_conditions", "Add the IRO", True, 3),
                ],
                "DOC-DONE": [
                    ("rsm", "deferred_to_slt", "Spans two services", False, 2),
                    ("slt", "approved", None, False, 3),
                ],
            }.get(reference, [])
            for level, outcome, words, back, by in decisions:
                c.execute(
                    t["decisions"].insert(),
                    {
                        "submission_id": n,
                        "level": level,
                        "outcome": outcome,
                        "text": words,
                        "back_to_slt": back,
                        "slot": 0,
                        "decided_by_id": by,
                        "decided_at": AT,
                    },
                )
        # Messages still waiting: an SLT request to its channel, and an SLT nudge; and one the
        # SLT was already shown, which must still render as it is updated in place.
        outbox = t["outbox"]
        c.execute(
            outbox.insert(),
            {
                "id": 1,
                "key": "slt_request:4",
                "kind": "slt_request",
                "review_id": 4,
                "audience": "slt",
                "payload": {"submission_id": 4},
                "created_at": AT,
                "attempts": 0,
                "next_attempt_at": AT,
            },
        )
        c.execute(
            outbox.insert(),
            {
                "id": 2,
                "key": "slt_nudge:4:4:0",
                "kind": "nudge",
                "review_id": 4,
                "audience": "slt",
                "payload": {"working_days": 11, "slt": True},
                "created_at": AT,
                "attempts": 0,
                "next_attempt_at": AT,
            },
        )
        c.execute(
            outbox.insert(),
            {
                "id": 3,
                "key": "slt_request:7",
                "kind": "slt_request",
                "review_id": 7,
                "audience": "slt",
                "payload": {"submission_id": 7},
                "created_at": AT,
                "attempts": 1,
                "next_attempt_at": AT,
                "sent_at": AT,
            },
        )
        c.execute(
            t["posted_messages"].insert(),
            {
                "outbox_id": 3,
                "review_id": 7,
                "kind": "slt_request",
                "channel": "CSLT0001",
                "ts": "1700000000.000100",
                "posted_at": AT,
            },
        )
        if engine.dialect.name == "postgresql":
            # The rows above were given their ids: the sequences carry on after them.
            for table in ("people", "documents", "reviews", "submissions", "decisions", "outbox"):
                c.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
    engine.dispose()


def test_a_database_at_0002_migrates_with_every_review_where_the_default_governance_puts_it(
    empty_database, monkeypatch, clock
):
    old_register(empty_database)
    said = upgrade(make_engine(empty_database)).describe()
    assert said == "Migrated the database from migration 0002 to 0007."

    for name in ("SIGNOFF_GOVERNANCE", "SLACK_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(
        _env_file=None,
        DATABASE_URL=empty_database,
        SIGNOFF_SLT_EMAILS="slt.one@example.org",
        SIGNOFF_ADMIN_EMAILS="ppo@example.org",
    )
    runtime = Runtime.start(settings, clock=clock)
    with runtime.sessions() as session:
        reviews = {r.document.reference: r for r in session.scalars(select(Review))}
        for reference, (_, state, body) in STATES.items():
            review = reviews[reference]
            landed = State.CURRENT if review.closed_at else State(review.state)
            assert (landed, review.body) == (state, body), reference
            assert review.level == 1
        assert reviews["DOC-BACK"].back_to == "slt"
        assert reviews["DOC-COND"].back_to is None
        decisions = [
            (
                d.submission.review.document.reference,
                d.level,
                d.body,
                d.outcome,
                d.referred_to,
                d.comes_back,
            )
            for d in session.scalars(select(Decision).order_by(Decision.id))
        ]
        assert decisions == [
            ("DOC-SLT", 1, "approver", "referred", "slt", False),
            ("DOC-COND", 1, "approver", "approved_with_conditions", None, False),
            ("DOC-BACK", 1, "approver", "referred", "slt", False),
            ("DOC-BACK", 1, "slt", "approved_with_conditions", None, True),
            ("DOC-DONE", 1, "approver", "referred", "slt", False),
            ("DOC-DONE", 1, "slt", "approved", None, False),
        ]
        outbox = {m.key: m for m in session.scalars(select(OutboxMessage))}
        assert (outbox["slt_request:4"].kind, outbox["slt_request:4"].audience) == (
            "approval_request",
            "body:slt",
        )
        assert outbox["slt_request:4"].payload == {"submission_id": 4, "body": "slt", "level": 1}
        assert outbox["slt_nudge:4:4:0"].audience == "body:slt"
        assert outbox["slt_nudge:4:4:0"].payload == {"working_days": 11, "body": "slt", "level": 1}
        assert session.scalar(select(PostedMessage.kind)) == "approval_request"

    # signoff goes on from there: the SLT decides the deferred one; the redraft the SLT asked
    # to see goes back to the SLT.
    slt = runtime.actor_for_email("slt.one@example.org")
    owner = runtime.actor_for_email("owner@example.org")
    decide(runtime.ctx(slt), reviews["DOC-SLT"].id, Action.APPROVE)
    submit_draft(runtime.ctx(owner), reviews["DOC-BACK"].id, link=None, summary="Added the IRO")
    with runtime.sessions() as session:
        assert session.get(Review, reviews["DOC-SLT"].id).closed_at is not None
        back = session.get(Review, reviews["DOC-BACK"].id)
        assert (back.state, back.body) == ("awaiting_approval", "slt")
    # The old request, as delivery would render it to update it in place.
    from bot.platforms.slack.blocks.registry import BUILDERS
    from bot.platforms.slack.blocks.reviews import Render
    from workflow.summaries import review_summary

    with runtime.sessions() as session:
        shown = session.scalar(select(OutboxMessage).where(OutboxMessage.key == "slt_request:7"))
        summary = review_summary(session, reviews["DOC-DONE"].id, runtime.rules)
        message = BUILDERS[shown.kind](
            summary, Render(clock.now().date(), settings.timezone, shown.payload)
        )
    assert "SLT decision needed: DOC-DONE" in str(message.blocks)
    assert "Approved by the SLT" in str(message.blocks)
    runtime.engine.dispose()
