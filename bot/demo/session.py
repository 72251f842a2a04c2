"""`signoff demo`: the real application (listeners, use cases, jobs, delivery) on loopback, with
the Slack stand-in in place of Slack and a fresh SQLite file. What you do travels to it as the
signed requests Slack would send, through the same simulator the end-to-end tests use."""

from __future__ import annotations

import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.app import Services, build_app, build_client
from bot.demo import seed
from bot.demo.render import blocks_to_lines
from bot.runtime import Runtime
from bot.server import wsgi_app
from bot.settings import Settings
from bot.slack_simulator import SlackSimulator, find_button
from bot.slack_standin import Message, SlackStandin, SlackUser
from db.engine import make_engine
from db.migrate import upgrade
from scheduler.runner import run_due_jobs

SLT_CHANNEL = "CSLT"
DIGEST_CHANNEL = "CDIGEST"
CHANNELS = {"slt": SLT_CHANNEL, "digest": DIGEST_CHANNEL}

HELP = """\
/as NAME            act as someone (/as alone lists everyone and their role)
/advance 7d         move the clock on (d days, w weeks) and run the jobs that fall due
/home               open your App Home
/channel digest|slt read the digest or the SLT channel
/press LABEL or N   press a button (its label, or the number shown beside it);
                    /press LABEL for REF picks the message about that document
Label: value        fill a field of the open form, then /submit (or /cancel)
/signoff WORDS      the slash command (help, mine, due, overdue, find TEXT, show REF)
anything else       a message to signoff in your DM
/help, /quit"""


class DemoError(Exception):
    """A step that cannot be done, said in a sentence."""


@dataclass
class Demo:
    folder: Path
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/London"))

    def __post_init__(self) -> None:
        self.slack = SlackStandin(
            users=[SlackUser(p.slack_id, p.email, p.name) for p in seed.PEOPLE]
        )
        self.slack.start()
        secret = secrets.token_hex(16)
        database = self.folder / "demo.db"
        settings = Settings(
            _env_file=None,
            DATABASE_URL=f"sqlite:///{database}",
            SIGNOFF_TIMEZONE=str(self.zone),
            SLACK_BOT_TOKEN="xoxb-demo",
            SLACK_SIGNING_SECRET=secret,
            SLACK_API_URL=self.slack.base_url,
            SIGNOFF_SLT_CHANNEL=SLT_CHANNEL,
            SIGNOFF_DIGEST_CHANNEL=DIGEST_CHANNEL,
            SIGNOFF_ADMIN_EMAILS=",".join(seed.ADMINS),
            SIGNOFF_SLT_EMAILS=",".join(seed.SLT),
            SIGNOFF_ESCALATION_EMAILS=",".join(seed.ESCALATION),
        )
        upgrade(make_engine(settings.database_url))
        self.runtime = Runtime.start(settings)
        today = datetime.now(self.zone).date()
        self.now = datetime.combine(today, time(9, 30), tzinfo=self.zone).astimezone(UTC)
        self.services = Services(self.runtime, build_client(self.runtime), clock=lambda: self.now)
        # Listeners finish before the request is answered, so each step's transcript is whole.
        app = build_app(self.services, process_before_response=True)
        from waitress.server import create_server

        self.server = create_server(
            wsgi_app(self.runtime, app), host="127.0.0.1", port=0, threads=4
        )
        threading.Thread(target=self.server.run, daemon=True).start()
        url = f"http://127.0.0.1:{self.server.effective_port}/slack/events"
        self.sim = SlackSimulator(url, secret, self.slack)
        seed.seed(self.runtime, self.now, self.folder)
        run_due_jobs(self.services, self.now)
        self.me = seed.PEOPLE[0]
        self.place = "dm"  # dm | home | slt | digest
        self.shown: dict[tuple[str, str], int] = {}
        self.buttons: list[tuple[Message | dict[str, Any], str]] = []
        self.form: dict[str, Any] | None = None
        self.filled: dict[str, str] = {}

    def close(self) -> None:
        self.server.close()
        self.slack.stop()
        self.runtime.engine.dispose()

    # --- one step -----------------------------------------------------------------------

    def run(self, line: str) -> list[str]:
        """Do what `line` says; the lines to show for it."""
        line = line.strip()
        if not line or line.startswith("#"):
            return []
        word, _, rest = line.partition(" ")
        if self.form is not None and not line.startswith("/"):
            return self._fill(line)
        handlers = {
            "/as": self._as,
            "/advance": self._advance,
            "/home": self._home,
            "/channel": self._channel,
            "/press": self._press,
            "/submit": self._submit,
            "/cancel": self._cancel,
            "/signoff": self._command,
            "/help": lambda _: HELP.split("\n"),
        }
        if word in handlers:
            return handlers[word](rest.strip())
        if word.startswith("/"):
            raise DemoError(f"There is no {word} here. /help lists what there is.")
        response = self.sim.message(self.me.slack_id, line)
        self._check(response.status)
        return self._news()

    # --- the commands -------------------------------------------------------------------

    def _as(self, name: str) -> list[str]:
        if name:
            wanted = name.lower()
            found = [
                p
                for p in seed.PEOPLE
                if wanted
                in (p.name.lower(), p.name.split()[0].lower(), p.email, p.email.split("@")[0])
            ]
            if found:
                self.me, self.place, self.form = found[0], "dm", None
                self.shown = {}
                return [f"You are now {self.me.name}, {self.me.role}.", *self._news()]
        return ["Who would you like to be?", *[f"  {p.name:<14} {p.role}" for p in seed.PEOPLE]]

    def _advance(self, amount: str) -> list[str]:
        match = re.fullmatch(r"(\d+)\s*([dw]?)", amount or "1d")
        if not match:
            raise DemoError(f"'{amount}' is not a length of time: try 7d or 2w.")
        days = int(match.group(1)) * (7 if match.group(2) == "w" else 1)
        for _ in range(days):
            day = self.now.astimezone(self.zone).date() + timedelta(days=1)
            self.now = datetime.combine(day, time(9, 30), tzinfo=self.zone).astimezone(UTC)
            run_due_jobs(self.services, self.now)
        local = self.now.astimezone(self.zone)
        return [f"It is now {local:%A} {local.day} {local:%B %Y}, {local:%H:%M}.", *self._news()]

    def _home(self, _: str) -> list[str]:
        self._check(self.sim.home_opened(self.me.slack_id).status)
        self.place = "home"
        view = self.slack.homes.get(self.me.slack_id)
        if view is None:
            return ["(Your Home tab is empty.)"]
        self.buttons = []
        return [f"--- App Home of {self.me.name} ---", *self._lines(view["blocks"], view)]

    def _channel(self, name: str) -> list[str]:
        if name not in CHANNELS:
            raise DemoError("Say /channel digest or /channel slt.")
        self.place = name
        self.buttons = []
        out = [f"--- #{name} ---"]
        for message in self.slack.messages_in(CHANNELS[name])[-3:]:
            out += self._message(message)
        return out if len(out) > 1 else [*out, "(nothing posted yet)"]

    def _press(self, what: str) -> list[str]:
        where, label = self._find(what)
        before = len(self.slack.calls_of("views.open"))
        self._check(self.sim.click(self.me.slack_id, where, label).status)
        out = [f"(you pressed {label})"]
        if len(self.slack.calls_of("views.open")) > before:
            self.form = self.slack.open_view_for(self.me.slack_id)
            self.filled = {}
            assert self.form is not None
            out += [
                f"--- {self.form['title']['text']} ---",
                *self._lines(self.form["blocks"], self.form),
                "Fill it with 'Label: value' lines, then /submit (or /cancel).",
            ]
        if self.place == "home":
            out += self._home("")
        return out + self._news()

    def _fill(self, line: str) -> list[str]:
        label, sep, value = line.partition(":")
        labels = self.form_labels()
        if not sep or label.strip() not in labels:
            raise DemoError(f"The form's fields are {', '.join(labels)}; write 'Label: value'.")
        self.filled[label.strip()] = value.strip()
        return []

    def form_labels(self) -> list[str]:
        if self.form is None:
            return []
        return [b["label"]["text"] for b in self.form["blocks"] if b.get("type") == "input"]

    def _submit(self, _: str) -> list[str]:
        if self.form is None:
            raise DemoError("No form is open.")
        values: dict[str, Any] = dict(self.filled)
        for block in self.form["blocks"]:
            label = block.get("label", {}).get("text")
            if block.get("element", {}).get("type") == "checkboxes" and label in values:
                values[label] = (
                    [label] if values[label].lower() in ("yes", "y", "x", "true") else []
                )
        response = self.sim.submit(self.me.slack_id, self.form, values)
        self._check(response.status)
        answer = response.json() or {}
        if answer.get("response_action") == "errors":
            return [f"  ! {message}" for message in answer["errors"].values()]
        self.form = None
        return ["(form sent)", *self._news()]

    def _cancel(self, _: str) -> list[str]:
        self.form = None
        return ["(form closed)"]

    def _command(self, words: str) -> list[str]:
        response = self.sim.command(self.me.slack_id, words)
        self._check(response.status)
        body = response.json() or {}
        return ["(only you can see this)", *self._lines(body.get("blocks") or [], None)]

    # --- reading what came ------------------------------------------------------------

    def _news(self) -> list[str]:
        """Messages new or changed since last shown, where the person is."""
        channel = CHANNELS.get(self.place) or self.slack.dm_channel(self.me.slack_id)
        out: list[str] = []
        for message in self.slack.messages:
            mine = (
                message.channel == channel and message.ephemeral_to is None
            ) or message.ephemeral_to == self.me.slack_id
            key = (message.channel, message.ts)
            if mine and self.shown.get(key) != message.edited:
                updated = key in self.shown
                self.shown[key] = message.edited
                out += self._message(message, updated=updated)
        return out

    def _message(self, message: Message, *, updated: bool = False) -> list[str]:
        self.shown[(message.channel, message.ts)] = message.edited
        when = ("(updated) " if updated else "") + ("(only you) " if message.ephemeral_to else "")
        head = f"[signoff] {when}".rstrip()
        body = self._lines(message.blocks, message) if message.blocks else [message.text]
        return [head, *["  " + line for line in body]]

    def _lines(
        self, blocks: list[dict[str, Any]], where: Message | dict[str, Any] | None
    ) -> list[str]:
        def number(label: str, _action: str) -> int:
            if where is None:
                return 0
            self.buttons.append((where, label))
            return len(self.buttons)

        return blocks_to_lines(blocks, self._name, number)

    def _name(self, user_id: str) -> str:
        return next((p.name for p in seed.PEOPLE if p.slack_id == user_id), user_id)

    def _find(self, what: str) -> tuple[Message | dict[str, Any], str]:
        """A button by its number, or by its label on the latest message that has it; `LABEL
        for REF` picks the message about that document."""
        if what.isdigit() and 0 < int(what) <= len(self.buttons):
            return self.buttons[int(what) - 1]
        what, _, about = what.partition(" for ")
        places: list[Message | dict[str, Any]]
        if self.place == "home":
            places = [self.slack.homes.get(self.me.slack_id) or {}]
        else:
            channel = CHANNELS.get(self.place) or self.slack.dm_channel(self.me.slack_id)
            places = list(reversed(self.slack.messages_in(channel)))
        for where in places:
            blocks = where.blocks if isinstance(where, Message) else where.get("blocks", [])
            if about and about.strip().upper() not in json.dumps(blocks).upper():
                continue
            try:
                find_button(blocks, what)
            except LookupError:
                continue
            return where, what
        raise DemoError(
            f"There is no '{what}' button here" + (f" for {about.strip()}." if about else ".")
        )

    @staticmethod
    def _check(status: int) -> None:
        if status != 200:
            raise DemoError(f"signoff answered HTTP {status}.")


def transcript(demo: Demo, lines: list[str]) -> list[str]:
    out: list[str] = []
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        out.append(f"> {line}")
        try:
            out += demo.run(line)
        except DemoError as error:
            out.append(f"  ! {error}")
    return out


def as_json(lines: list[str]) -> str:
    return json.dumps(lines, indent=1)
