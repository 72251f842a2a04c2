"""The demo in a terminal: rich for colour, plain input for typing, and a form filled field by
field. `--script FILE` runs the same steps from a file and prints the transcript."""

from __future__ import annotations

import tempfile
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from bot.clock import Clock, SystemClock
from bot.demo.session import HELP, Demo, DemoError, transcript

BANNER = """signoff demo: the real app, a stand-in for Slack, and a sample register of 28 documents.
You are Pat, the Policy and Procedures Officer. Try: /as Olive, /press Submit draft,
/as Amir, /home, /advance 7d, /channel digest. /help lists everything."""


def style(line: str) -> str:
    text = escape(line)
    if line.lstrip().startswith("=="):
        return f"[bold]{text}[/]"
    if line.startswith("[signoff]") or line.startswith("---"):
        return f"[cyan]{text}[/]"
    if line.lstrip().startswith("!"):
        return f"[red]{text}[/]"
    if line.startswith(">"):
        return f"[dim]{text}[/]"
    return text


def _demo(  # type: ignore[no-untyped-def]
    folder: str,
    clock: Clock | None,
    governance: Path | None,
    platform: str,
    *,
    form_hint: str | None = None,
):
    hint = {"form_hint": form_hint} if form_hint else {}
    if platform == "teams":
        from bot.demo.teams_session import TeamsDemo

        return TeamsDemo(Path(folder), clock=clock or SystemClock(), governance=governance, **hint)
    return Demo(Path(folder), clock=clock or SystemClock(), governance=governance, **hint)


def run_script(
    path: Path,
    console: Console | None = None,
    *,
    clock: Clock | None = None,
    governance: Path | None = None,
    platform: str = "slack",
) -> int:
    console = console or Console(highlight=False, soft_wrap=True)
    lines = path.read_text().splitlines()
    with tempfile.TemporaryDirectory() as folder:
        demo = _demo(folder, clock, governance, platform)
        try:
            for line in transcript(demo, lines):
                console.print(style(line))
        finally:
            demo.close()
    return 0


def run_interactive(
    *, clock: Clock | None = None, governance: Path | None = None, platform: str = "slack"
) -> int:
    console = Console(highlight=False)
    with tempfile.TemporaryDirectory() as folder:
        console.print("[dim]Starting signoff\u2026[/]")
        demo = _demo(folder, clock, governance, platform, form_hint=FORM_HINT)
        try:
            console.print(BANNER)
            interact(demo, console, first="/as Pat")
        finally:
            demo.close()
    console.print("Bye.")
    return 0


FORM_HINT = (
    "Answer each field in turn: Enter keeps what is shown, a line ending in \\ goes on to the "
    "next. /submit sends it as it is, /cancel or Ctrl-C leaves it."
)


def interact(demo: Demo, console: Console, *, first: str | None = None) -> None:
    """Read and do steps until /quit or the end of input. A form opened by a step is filled
    there and then, field by field."""
    if first:
        _show(console, demo.run(first))
    while True:
        try:
            typed = console.input(f"[bold]{escape(demo.me.name)}>[/] ")
        except (EOFError, KeyboardInterrupt):
            return
        if typed.strip() in ("/quit", "/exit"):
            return
        try:
            _show(console, demo.run(typed))
            if demo.form is not None:
                _fill_form(console, demo)
        except DemoError as error:
            console.print(f"[red]! {escape(str(error))}[/]")


def _show(console: Console, lines: list[str]) -> None:
    for line in lines:
        console.print(style(line))


def _fill_form(console: Console, demo: Demo) -> None:
    """Ask for each field in turn until the form is sent or left. Ctrl-C, Ctrl-D or /cancel
    leave the form, never the demo; what was typed before a refusal is kept and shown."""
    try:
        while demo.form is not None:
            for label in demo.form_labels():
                answer = _ask(console, demo, label)
                if answer == "/cancel":
                    _show(console, demo.run("/cancel"))
                    return
                if answer == "/submit":
                    break
            # A refusal leaves the form open, shown again with what it kept: go round again.
            _show(console, demo.run("/submit"))
    except (KeyboardInterrupt, EOFError):
        console.print()
        _show(console, demo.run("/cancel"))


def _ask(console: Console, demo: Demo, label: str) -> str | None:
    """One field: its value is put into the form; /submit or /cancel is returned as said."""
    while True:
        typed = console.input(f"  {escape(label)}: ").strip()
        if typed.startswith("/"):
            word = typed.split()[0]
            if word in ("/submit", "/cancel"):
                return word
            console.print("[red]! Finish the form first: /submit sends it, /cancel leaves it.[/]")
            continue
        if not typed:
            return None
        lines = []
        while typed.endswith("\\") and demo.is_multiline(label):
            lines.append(typed[:-1].rstrip())
            typed = console.input("  \u2026 ").strip()
        demo.fill(label, "\n".join([*lines, typed]))
        return None


__all__ = ["HELP", "interact", "run_interactive", "run_script"]
