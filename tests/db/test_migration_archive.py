"""Migration 0005 keeps, as archived versions, what was approved before it: the archive it
backfills from the reviews, decisions and audit events of a database at 0004 is the one signoff
itself records when the same approvals happen after it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, text

from bot.runtime import Runtime
from bot.settings import Settings
from db.engine import make_engine
from db.migrate import upgrade
from db.models import DocumentVersion
from tests.db.test_migration_governance import empty_database  # noqa: F401 (a fixture)
from tests.factories import NOW, Register, row
from tests.workflow.test_archive import review_three_times
from workflow.context import SYSTEM
from workflow.reviews import decide, interim_approve, open_review, submit_draft
from workflow.states import Action

DORSET = Path(__file__).resolve().parents[2] / "examples" / "governance" / "dorset.toml"
NEW_TABLES = (
    "uptake_recipients",
    "uptakes",
    "impact_questions",
    "document_versions",
    "document_links",
)


def kept(runtime: Runtime) -> list[tuple[object, ...]]:
    with runtime.sessions() as session:
        return [
            (
                v.document_id,
                v.review_id,
                v.submission_id,
                v.version,
                v.link,
                v.outcome,
                v.deciders,
                v.summary,
                v.submitted_on,
                v.approved_on,
                v.published_on,
            )
            for v in session.scalars(select(DocumentVersion).order_by(DocumentVersion.id))
        ]


def test_a_database_at_0004_gets_the_archive_signoff_would_have_kept(
    empty_database,  # noqa: F811
    monkeypatch,
    clock,
):
    engine = make_engine(empty_database)
    upgrade(engine)
    for name in ("SIGNOFF_GOVERNANCE", "SLACK_BOT_TOKEN", "SIGNOFF_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(
        _env_file=None,
        DATABASE_URL=empty_database,
        SIGNOFF_ADMIN_EMAILS="ppo@example.org",
        SIGNOFF_GOVERNANCE=str(DORSET),
    )
    runtime = Runtime.start(settings, clock=clock)
    register = Register(runtime)
    register.add(
        row(version="3.9"),
        row("CP-001", version="1.0", approver_email="amir.approver@example.org"),
        row("PG-002", version="2", approver_email="amir.approver@example.org"),
    )
    # Under Dorset's governance the PPP group decides: three reviews of LAC-014 ...
    review_three_times(register, approver="pat.officer@example.org")
    # ... a draft approved in the interim by a Head of Service, then ratified by the group ...
    ratified = draft(register, "CP-001")
    interim_approve(register.ctx("bea.manager@example.org"), ratified)
    decide(
        register.ctx("pat.officer@example.org", NOW + timedelta(days=20)), ratified, Action.APPROVE
    )
    # ... and one approved in the interim that the group has yet to ratify.
    interim_approve(register.ctx("carl.lead@example.org"), draft(register, "PG-002"))
    live = kept(runtime)
    assert [entry[5] for entry in live] == [
        "approved",
        "approved_no_changes",
        "approved",
        "approved",
        "interim_approved",
    ]

    # The same database as it was before 0005: no archive, nothing else of 0005's (and what
    # came after it undone the way it is undone).
    _down_to(engine, "0005")
    with engine.begin() as connection:
        for table in NEW_TABLES:
            connection.execute(text(f"DROP TABLE {table}"))
        connection.execute(text("UPDATE alembic_version SET version_num = '0004'"))
    said = upgrade(engine).describe()
    assert said == "Migrated the database from migration 0004 to 0007."

    backfilled = kept(runtime)
    assert [entry[:6] + entry[7:] for entry in backfilled] == [
        entry[:6] + entry[7:] for entry in live
    ]
    # The deciders, by the bodies' keys (the migration does not read the governance file).
    assert [entry[6] for entry in backfilled] == [
        "pat.officer@example.org (ppp)",
        "pat.officer@example.org (ppp)",
        "pat.officer@example.org (ppp)",
        "bea.manager@example.org (heads_of_service); pat.officer@example.org (ppp)",
        "carl.lead@example.org (heads_of_service)",
    ]
    assert live[3][6] == (
        "bea.manager@example.org (Heads of Service in the interim); "
        "pat.officer@example.org (Practice, Policy and Procedures group)"
    )
    runtime.engine.dispose()
    engine.dispose()


def draft(register: Register, reference: str) -> int:
    review = open_review(register.ctx(SYSTEM), reference)
    submit_draft(
        register.ctx("owner@example.org"),
        review.id,
        link=f"https://drafts.example.org/{reference.lower()}",
        summary=f"Changes to {reference}.",
    )
    return review.id


def _down_to(engine, revision: str) -> None:  # type: ignore[no-untyped-def]
    from alembic import command

    from db.migrate import alembic_config

    command.downgrade(alembic_config(engine), revision)
