"""The version the start-up check expects is the newest migration Alembic finds."""

from __future__ import annotations

from alembic.script import ScriptDirectory

from db.engine import make_engine
from db.migrate import LATEST, alembic_config


def test_latest_is_alembics_head() -> None:
    script = ScriptDirectory.from_config(alembic_config(make_engine("sqlite://")))
    assert set(script.get_heads()) == {LATEST}
