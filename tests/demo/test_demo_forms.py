"""The demo does what it offers: every /signoff word and its form, forms that keep what was
typed, cancel when asked and survive Ctrl-C, replies in a thread, and buttons pressed only
where the person is."""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console

from bot.demo.session import Demo
from bot.demo.terminal import interact
from tests.demo.test_demo import after, run_demo
from tests.launcher import Launcher

pytestmark = pytest.mark.clock

LONDON = ZoneInfo("Europe/London")


def uk(when) -> str:  # type: ignore[no-untyped-def]
    return f"{when:%d/%m/%Y}"


def script(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "steps.txt"
    path.write_text(text)
    return path


def clean_env() -> dict[str, str]:
    import os

    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SIGNOFF_", "SLACK_")) and k != "DATABASE_URL"
    }


def typed_into_demo(
    launcher: Launcher, text: str, tmp_path: Path, now: datetime
) -> subprocess.CompletedProcess[str]:
    """The demo as someone types into it, field by field, with what they type on its input."""
    return launcher.run(
        ["--now", now.isoformat(), "demo"],
        input=text,
        timeout=300,
        cwd=tmp_path,
        env=clean_env(),
    )


def test_every_signoff_word_answers_and_opens_its_form(tmp_path, clock, launcher):
    today = clock.now().astimezone(LONDON).date()
    steps = f"""\
/signoff dacne
/signoff show LAC-999
/signoff away {uk(today + timedelta(days=7))} {uk(today + timedelta(days=14))} @Sam
/signoff round
Name: Spring rounds
Deadline: {uk(today + timedelta(days=42))}
Plan: LAC-021, Update paragraph 4
LAC-040, Add the Staying Close guidance
/submit
/signoff new
Reference: LAC-014
Title: Sibling Contact
Type: procedure
Owner: Olive
Approver: Amir Approver
Due date: {uk(today + timedelta(days=60))}
/submit
Reference: LAC-050
/submit
/signoff reassign
From: Yusuf
To: Priya
Role: Owner only
/submit
/as Owen
/signoff request LC-007
Reason: Confirmed gap
Details: Nothing on young people staying close.
/submit
/as Nobdy
"""
    lines = run_demo(launcher, script(tmp_path, steps), tmp_path, clock.now())
    assert "Unknown command" in after(lines, "/signoff dacne")
    assert "LAC-999" in after(lines, "/signoff show LAC-999")
    away = next(line for line in lines if line.startswith("> /signoff away"))
    assert "sam.senior@example.org, and you are copied" in after(lines, away[2:])
    assert "--- Open an update round ---" in after(lines, "/signoff round")
    sent = lines[lines.index("> /signoff round") :]
    assert "(form sent)" in after(sent, "/submit")
    new = lines[lines.index("> /signoff new") :]
    assert "--- New document ---" in after(new, "/signoff new")
    refused = after(new, "/submit")
    assert "LAC-014 is already in the register" in refused
    # Shown again with what was kept, the error beside its field.
    assert "Title: Sibling Contact" in refused and "Approver: Amir Approver" in refused
    fixed = new[new.index("> Reference: LAC-050") :]
    assert "(form sent)" in after(fixed, "/submit")
    reassign = lines[lines.index("> /signoff reassign") :]
    assert "(form sent)" in after(reassign, "/submit")
    request = lines[lines.index("> /signoff request LC-007") :]
    assert "--- Ask for a review ---" in after(request, "/signoff request LC-007")
    sent = after(request, "/submit")
    assert "(form sent)" in sent and "already has a review open" not in sent
    assert "There is no one called 'Nobdy'" in after(lines, "/as Nobdy")


def test_a_number_presses_a_button_only_where_the_person_is(tmp_path, clock, launcher):
    steps = "/as Olive\n/as Sita\n/press 1\n/as Olive\n/press 1\n"
    lines = run_demo(launcher, script(tmp_path, steps), tmp_path, clock.now())
    sita = lines[lines.index("> /as Sita") :]
    assert "There is no button 1 here" in after(sita, "/press 1")
    olive = sita[sita.index("> /as Olive") :]
    assert "(you pressed Start review)" in after(olive, "/press 1")


def test_a_reply_in_the_thread_of_a_message_is_about_its_review(tmp_path, clock, launcher):
    steps = "/as Owen\n/reply LAC-030 by the end of next month\n/help\n"
    lines = run_demo(launcher, script(tmp_path, steps), tmp_path, clock.now())
    said = after(lines, "/reply LAC-030 by the end of next month")
    assert "(in thread)" in said and "Noted: you will finish LAC-030 by" in said
    assert "/reply" in after(lines, "/help")


def test_typed_forms_cancel_when_asked_and_take_label_value_as_the_value(tmp_path, clock, launcher):
    typed = "\n".join(
        [
            "/as Carl",
            "/press Approve with conditions for FC-010",
            "/cancel",
            "/press Approve with conditions for FC-010",
            "Conditions: Name the kinship lead.",
            "/as Fay",
            "/as Bea",
            "/press Defer to SLT for LC-002",
            # Ctrl-D inside the form: the input ends at its first field
        ]
    )
    result = typed_into_demo(launcher, typed + "\n", tmp_path, clock.now())
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    out = result.stdout
    assert out.count("(form closed)") == 2
    assert "--- Defer to SLT ---" in out
    assert out.count("(form sent)") == 1
    fay = out[out.index("You are now Fay Carter") :]
    assert "Name the kinship lead." in fay and "Conditions: Name the kinship lead." not in fay
    assert out.rstrip().endswith("Bye.")


class Typing(Console):
    """A terminal whose person types `answers`, one per prompt; an exception is a key."""

    def __init__(self, answers: list[str | type[BaseException]]) -> None:
        super().__init__(highlight=False, record=True, width=200)
        self.answers = list(answers)

    def input(self, *args, **kwargs) -> str:  # type: ignore[no-untyped-def, override]
        answer = self.answers.pop(0) if self.answers else EOFError
        if isinstance(answer, type):
            raise answer()
        return answer


def test_ctrl_c_inside_a_form_leaves_the_form_not_the_demo(tmp_path, clock):
    demo = Demo(tmp_path, clock=clock)
    try:
        console = Typing(
            [
                "/as Carl",
                "/press Approve with conditions for FC-010",
                KeyboardInterrupt,
                "/press Defer to SLT for FC-010",
                EOFError,
                "/home",
            ]
        )
        interact(demo, console)
        shown = console.export_text()
        assert shown.count("(form closed)") == 2
        assert "Awaiting your decision" in shown  # /home ran after both
        assert demo.form is None
    finally:
        demo.close()
