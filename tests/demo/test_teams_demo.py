"""`signoff demo --platform teams`: the same app, over the Bot Connector stand-in the Teams
end-to-end tests use, its Adaptive Cards drawn as text."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest

from tests.demo.test_demo import after
from tests.launcher import Launcher

pytestmark = pytest.mark.clock

WALKTHROUGH = Path(__file__).with_name("teams_walkthrough.txt")


def test_the_teams_demo_walks_a_review_from_draft_to_the_slt(
    tmp_path: Path, clock, launcher: Launcher
):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SIGNOFF_", "SLACK_", "TEAMS_")) and k != "DATABASE_URL"
    }
    now: datetime = clock.now()
    result = launcher.run(
        [
            "--now",
            now.isoformat(),
            "demo",
            "--platform",
            "teams",
            "--script",
            str(WALKTHROUGH),
        ],
        timeout=300,
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert "parked" not in result.stderr  # the app is installed for everyone first
    lines = result.stdout.splitlines()
    pressed = after(lines, "/press Submit draft for LAC-014")
    assert "--- Submit draft ---" in pressed and "Summary of changes: []" in pressed
    assert "Awaiting approval by Amir Approver" in after(lines, "/submit")
    deferred = "\n".join(lines[lines.index("> /as Amir") :])
    assert "== Approval needed: LAC-014 ==" in deferred and "[" in deferred
    slt = after(lines, "/press Approve for LAC-014")
    assert "(you pressed Approve)" in slt and "(updated)" in slt
    back = "\n".join(lines[lines.index("> /as Olive", 1) :])
    assert "approved as version 3.10" in back
    assert "Your open reviews" in after(lines, "status")
