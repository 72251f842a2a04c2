"""The demo in a terminal: rich for colour, plain input for typing, and a form filled field by
field. `--script FILE` runs the same steps from a file and prints the transcript."""

from __future__ import annotations

import tempfile
from pathlib import Path

from rich.console import Console
from rich.markup import escape

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


def run_script(path: Path, console: Console | None = None) -> int:
    console = console or Console(highlight=False, soft_wrap=True)
    lines = path.read_text().splitlines()
    with tempfile.TemporaryDirectory() as folder:
        demo = Demo(Path(folder))
        try:
            for line in transcript(demo, lines):
                console.print(style(line))
        finally:
            demo.close()
    return 0


def run_interactive() -> int:
    console = Console(highlight=False)
    with tempfile.TemporaryDirectory() as folder:
        console.print("[dim]Starting signoff\u2026[/]")
        demo = Demo(Path(folder))
        try:
            console.print(BANNER)
            for line in demo.run("/as Pat"):
                console.print(style(line))
            while True:
                try:
                    typed = console.input(f"[bold]{escape(demo.me.name)}>[/] ")
                except (EOFError, KeyboardInterrupt):
                    break
                if typed.strip() in ("/quit", "/exit"):
                    break
                try:
                    for line in demo.run(typed):
                        console.print(style(line))
                    if demo.form is not None:
                        _fill_form(console, demo)
                except DemoError as error:
                    console.print(f"[red]! {escape(str(error))}[/]")
        finally:
            demo.close()
    console.print("Bye.")
    return 0


def _fill_form(console: Console, demo: Demo) -> None:
    """Ask for each field in turn; an empty answer keeps what is there."""
    for label in demo.form_labels():
        value = console.input(f"  {escape(label)}: ")
        if value.strip():
            demo.run(f"{label}: {value}")
    for line in demo.run("/submit"):
        console.print(style(line))
    if demo.form is not None:  # the form said what was wrong: try again
        _fill_form(console, demo)


__all__ = ["HELP", "run_interactive", "run_script"]
