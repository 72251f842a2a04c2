"""`signoff demo --script`: the real app in a terminal, driven from a file, its transcript read."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import bot.platforms.slack.simulator
import bot.platforms.slack.standin
from bot.demo import session
from tests.e2e import conftest as e2e
from tests.launcher import Launcher

# Run again with the machine's clock moved: .ci/clock-check.
pytestmark = pytest.mark.clock

WALKTHROUGH = Path(__file__).with_name("walkthrough.txt")


def run_demo(
    launcher: Launcher, script: Path, tmp_path: Path, now: datetime, *options: str
) -> list[str]:
    env = {
        k: v
        for k, v in __import__("os").environ.items()
        if not k.startswith(("SIGNOFF_", "SLACK_")) and k != "DATABASE_URL"
    }
    result = launcher.run(
        ["--now", now.isoformat(), "demo", *options, "--script", str(script)],
        timeout=300,
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def after(lines: list[str], step: str) -> str:
    """The transcript of one step: from its '> ' line to the next."""
    start = lines.index(f"> {step}")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("> ")), len(lines))
    return "\n".join(lines[start + 1 : end])


def test_a_review_walks_from_reminder_to_slt_approval_and_publication(tmp_path, clock, launcher):
    lines = run_demo(launcher, WALKTHROUGH, tmp_path, clock.now())
    olive = after(lines, "/as Olive")
    assert "Review due: LAC-014" in olive and "[1] Start review" in olive
    assert "Submit draft" in after(lines, "/press Submit draft for LAC-014")
    assert "Awaiting approval by @Amir Approver" in after(lines, "/submit")
    amir = after(lines, "/as Amir")
    assert "Approval needed: LAC-014" in amir
    assert "Second reviews now within three months." in amir
    # The approver is not the SLT: refused, to him alone, nothing changed.
    refused = after(lines, "/press Approve for LAC-014")
    assert "(only you)" in refused
    assert "Only a member of the Senior Leadership Team" in refused
    sita = lines[lines.index("> /as Sita") :]
    slt = after(sita, "/press Approve for LAC-014")
    assert "Approved by the SLT (@Sita Leader" in slt
    published = after(lines, "/press Mark published for LAC-014")
    assert "Published (version 3.10)" in published
    # A chat reply with a date.
    london = clock.now().astimezone(ZoneInfo("Europe/London")).date()
    next_month_end = (london.replace(day=28) + timedelta(days=40)).replace(day=1) - timedelta(
        days=1
    )
    said = after(lines, "I'll finish LAC-030 by the end of next month")
    assert "Noted: you will finish LAC-030 by" in said
    assert f"{next_month_end.day} {next_month_end:%b %Y}" in said
    # A week on: Monday's digest in its channel, naming what is overdue.
    digest = after(lines, "/channel digest")
    assert "Policies and procedures: week of" in digest and "overdue" in digest
    assert "LAC-033 Children Missing from Care" in digest


def test_a_step_that_cannot_be_done_is_answered_and_the_demo_goes_on(tmp_path, clock, launcher):
    script = tmp_path / "oops.txt"
    script.write_text("/press Approve\n/dance\n/as Nobody\n/as Amir\n/home\n")
    lines = run_demo(launcher, script, tmp_path, clock.now())
    assert "  ! There is no 'Approve' button here." in lines
    assert any("There is no /dance here" in line for line in lines)
    assert "Who would you like to be?" in lines
    assert "== Awaiting your decision ==" in "\n".join(lines)


def test_the_demo_and_the_end_to_end_tests_share_one_stand_in_and_one_simulator():
    assert session.SlackStandin is bot.platforms.slack.standin.SlackStandin
    assert session.SlackSimulator is bot.platforms.slack.simulator.SlackSimulator
    assert e2e.SlackStandin is session.SlackStandin
    assert e2e.SlackSimulator is session.SlackSimulator


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("northamptonshire", "Awaiting approval by @Amir Approver"),
        ("birmingham", "Out for consultation (comments by"),
        ("dorset", "goes to the Practice, Policy and Procedures group's meeting on"),
        ("merton", "Approval needed: LAC-014"),
    ],
)
def test_the_demo_runs_under_each_example_governance(tmp_path, clock, launcher, name, shown):
    """The same steps under each organisation's chain: the draft goes where that chain says."""
    script = tmp_path / "draft.txt"
    script.write_text(
        "/as Olive\n/press Submit draft for LAC-014\n"
        "Link to draft: https://drafts.example.org/lac-014\n"
        "Summary of changes: Second reviews within three months.\n/submit\n/as Amir\n"
    )
    lines = run_demo(launcher, script, tmp_path, clock.now(), "--governance", name)
    assert shown in "\n".join(lines), "\n".join(lines)


def test_the_demo_refuses_a_governance_it_cannot_find(tmp_path, clock, launcher):
    result = launcher.run(
        [
            "--now",
            clock.now().isoformat(),
            "demo",
            "--governance",
            "atlantis",
            "--script",
            str(WALKTHROUGH),
        ],
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("signoff: --governance: no file atlantis and no example")
    assert "birmingham, dorset, merton, northamptonshire" in result.stderr
