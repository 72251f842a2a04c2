"""Migration 0006, on a database with people and posted messages in it: every message posted
so far was posted in Slack and stays where it was; people gain room for their Teams ids; and it
goes back down as it came."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from sqlalchemy import MetaData, select, text

from db.engine import make_engine
from db.migrate import alembic_config, upgrade

AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC).replace(tzinfo=None)


def test_posted_messages_stay_slacks_and_people_get_teams_ids(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0005")
    tables = MetaData()
    tables.reflect(engine)
    t = tables.tables
    with engine.begin() as c:
        c.execute(
            t["people"].insert(),
            {
                "id": 1,
                "email": "owner@example.org",
                "slack_lookup": "found",
                "active": True,
                "created_at": AT,
                "slack_user_id": "UOWNER",
            },
        )
        c.execute(
            t["posted_messages"].insert(),
            {
                "id": 1,
                "person_id": 1,
                "kind": "reminder",
                "channel": "DUOWNER",
                "ts": "1800000001.000100",
                "posted_at": AT,
            },
        )
    upgrade(engine)
    with engine.begin() as c:
        row = c.execute(text("SELECT platform, channel, ts, room FROM posted_messages")).one()
        assert tuple(row) == ("slack", "DUOWNER", "1800000001.000100", None)
        c.execute(
            text("UPDATE people SET teams_aad_object_id = 'aad-1', teams_conversation_id = 'a:1'")
        )
        c.execute(
            text(
                "INSERT INTO posted_messages (person_id, kind, platform, room, message_id, "
                "service_url, posted_at) VALUES (1, 'reminder', 'teams', 'a:1', '1000', "
                "'https://smba.trafficmanager.net/teams/', :at)"
            ),
            {"at": AT},
        )
    command.downgrade(alembic_config(engine), "0005")
    tables = MetaData()
    tables.reflect(engine)
    assert "teams_aad_object_id" not in tables.tables["people"].columns
    with engine.begin() as c:
        kept = c.execute(select(tables.tables["posted_messages"].c.channel)).scalars().all()
    assert kept == ["DUOWNER"]  # the Teams message went with the columns that held it
    engine.dispose()
