"""`signoff demo`: the real application (listeners, use cases, jobs, delivery) on loopback, with
the Slack stand-in in place of Slack and a fresh SQLite file. What you do travels to it as the
signed requests Slack would send, through the same simulator the end-to-end tests use."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import Clock, FixedClock, SystemClock
from bot.demo import seed
from bot.demo.loopback import LoopbackServer
from bot.demo.render import blocks_to_lines, mrkdwn
from bot.platforms.slack.app import Services, build_app, build_client
from bot.platforms.slack.simulator import SlackSimulator, find_button
from bot.platforms.slack.standin import Message, SlackStandin, SlackUser
from bot.runtime import Runtime
from bot.server import wsgi_app
from bot.settings import Settings
from db.engine import make_engine
from db.migrate import upgrade
from scheduler.runner import run_due_jobs
from workflow.dates import parse_uk_date

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
Label: value        fill a field of the open form, then /submit (or /cancel); a line
                    with no label goes on, as a new line, the field filled last
/signoff WORDS      the slash command: help, mine, due, overdue, find TEXT, show REF,
                    request REF, away FROM TO @NAME; for the admin round, new, reassign
/reply [REF] TEXT   reply in the thread of the latest message here (the latest about REF)
anything else       a message to signoff in your DM
/help, /quit"""
SCRIPT_HINT = "Fill it with 'Label: value' lines, then /submit (or /cancel)."
# A reference as the register writes them, to tell `/reply LAC-014 ...` from `/reply by ...`.
_REFERENCE = re.compile(r"[A-Za-z]+-?\d+[A-Za-z0-9]*")
_MENTION = re.compile(r"(?<!\S)@([A-Za-z][\w.'-]*)(\s+[A-Za-z][\w.'-]*)?")


class DemoError(Exception):
    """A step that cannot be done, said in a sentence."""


@dataclass
class Demo:
    folder: Path
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/London"))
    # Where the demo's day begins: the system clock's today at 09:30, or the moment `--now` names.
    clock: Clock = field(default_factory=SystemClock)
    # Another organisation's governance (examples/governance/), instead of the built-in chain.
    governance: Path | None = None
    # What to say when a form opens: a script fills it with 'Label: value' lines, a terminal
    # asks for each field in turn.
    form_hint: str = SCRIPT_HINT

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
            **({"SIGNOFF_GOVERNANCE": str(self.governance)} if self.governance else {}),
        )
        migrating = make_engine(settings.database_url)
        upgrade(migrating)
        # Its connection closed now, not whenever the collector reaches it on whatever thread.
        migrating.dispose()
        if isinstance(self.clock, FixedClock):
            start = self.clock.now()
        else:
            today = self.clock.now().astimezone(self.zone).date()
            start = datetime.combine(today, time(9, 30), tzinfo=self.zone)
        self.time = FixedClock(start)
        self.runtime = Runtime.start(settings, clock=self.time)
        self.services = Services(self.runtime, build_client(self.runtime))
        # Listeners finish before the request is answered, so each step's transcript is whole.
        app = build_app(self.services, process_before_response=True)
        self.server = LoopbackServer(wsgi_app(self.runtime, app))
        url = f"{self.server.base_url}/slack/events"
        self.sim = SlackSimulator(url, secret, self.slack)
        seed.seed(self.runtime, self.now, self.folder)
        run_due_jobs(self.services, self.now)
        self.me = seed.PEOPLE[0]
        self.place = "dm"  # dm | home | slt | digest
        self.shown: dict[tuple[str, str], int] = {}
        # The buttons numbered so far in what this person sees here: (message or view, label).
        self.buttons: list[tuple[Message | dict[str, Any], str]] = []
        self.form: dict[str, Any] | None = None
        self.filled: dict[str, str] = {}  # what was typed into the open form, by label
        self.last_filled: str | None = None
        self.form_errors: dict[str, str] = {}

    @property
    def now(self) -> datetime:
        return self.time.now()

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
            "/reply": self._reply,
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
        found = self.person(name) if name else None
        if found is not None:
            self.me, self.place = found, "dm"
            self._close_form()
            self.shown, self.buttons = {}, []
            return [f"You are now {self.me.name}, {self.me.role}.", *self._news()]
        typo = [f"  ! There is no one called '{name}' here."] if name else []
        return [
            *typo,
            "Who would you like to be?",
            *[f"  {p.name:<14} {p.role}" for p in seed.PEOPLE],
        ]

    @staticmethod
    def person(name: str) -> seed.DemoPerson | None:
        """Someone by their name, first name or e-mail address, as people call them."""
        wanted = " ".join(name.lower().split())
        return next(
            (
                p
                for p in seed.PEOPLE
                if wanted
                in (p.name.lower(), p.name.split()[0].lower(), p.email, p.email.split("@")[0])
            ),
            None,
        )

    def _advance(self, amount: str) -> list[str]:
        match = re.fullmatch(r"(\d+)\s*([dw]?)", amount or "1d")
        if not match:
            raise DemoError(f"'{amount}' is not a length of time: try 7d or 2w.")
        days = int(match.group(1)) * (7 if match.group(2) == "w" else 1)
        for _ in range(days):
            day = self.now.astimezone(self.zone).date() + timedelta(days=1)
            self.time.set(datetime.combine(day, time(9, 30), tzinfo=self.zone))
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
        try:
            response = self.sim.click(self.me.slack_id, where, label)
        except LookupError:
            raise DemoError(
                f"The '{label}' button is no longer there: its message changed."
            ) from None
        self._check(response.status)
        out = [f"(you pressed {label})", *self._form_opened(before)]
        if self.place == "home":
            out += self._home("")
        return out + self._news()

    def _form_opened(self, views_before: int) -> list[str]:
        """The form signoff opened for this person, if it opened one since `views_before`."""
        if len(self.slack.calls_of("views.open")) <= views_before:
            return []
        self.form = self.slack.open_view_for(self.me.slack_id)
        self.filled, self.last_filled, self.form_errors = {}, None, {}
        if self.form is None:
            return []
        return [*self.form_lines(), self.form_hint]

    def form_lines(self) -> list[str]:
        """The open form as it stands: what was typed (or its first value), and what was
        wrong with it."""
        assert self.form is not None
        return [
            f"--- {self.form['title']['text']} ---",
            *self._lines(self.form["blocks"], self.form, typed=self.filled),
            *[f"  ! {label}: {problem}" for label, problem in self.form_errors.items()],
        ]

    def _fill(self, line: str) -> list[str]:
        label, sep, value = line.partition(":")
        named = self._label(label) if sep else None
        if named is not None:
            self.fill(named, value)
        elif self.last_filled is not None and self.is_multiline(self.last_filled):
            # A field of several lines (an update round's plan) is written over several.
            self.filled[self.last_filled] += "\n" + line.strip()
        else:
            labels = ", ".join(self.form_labels())
            raise DemoError(f"The form's fields are {labels}; write 'Label: value'.")
        return []

    def fill(self, label: str, typed: str) -> None:
        """Put what was typed into a field; 'Label: value', as the form asks, is the value."""
        named, sep, value = typed.partition(":")
        other = self._label(named) if sep else None
        if other is not None:
            label, typed = other, value
        self.filled[label] = typed.strip()
        self.last_filled = label
        self.form_errors.pop(label, None)

    def _label(self, text: str) -> str | None:
        wanted = " ".join(text.lower().split())
        return next((label for label in self.form_labels() if label.lower() == wanted), None)

    def form_labels(self) -> list[str]:
        return [label for label, _ in self._inputs()]

    def is_multiline(self, label: str) -> bool:
        element = dict(self._inputs()).get(label) or {}
        return bool(element.get("type") == "plain_text_input" and element.get("multiline"))

    def _inputs(self) -> list[tuple[str, dict[str, Any]]]:
        if self.form is None:
            return []
        return [
            (b["label"]["text"], b["element"])
            for b in self.form["blocks"]
            if b.get("type") == "input"
        ]

    def _submit(self, _: str) -> list[str]:
        if self.form is None:
            raise DemoError("No form is open.")
        values: dict[str, Any] = {}
        problems: dict[str, str] = {}
        for label, element in self._inputs():
            if self.filled.get(label):
                try:
                    values[label] = self._value(label, element, self.filled[label])
                except DemoError as problem:
                    problems[label] = str(problem)
        if not problems:
            response = self.sim.submit(self.me.slack_id, self.form, values)
            self._check(response.status)
            answer = response.json() or {}
            if answer.get("response_action") != "errors":
                self._close_form()
                return ["(form sent)", *self._news()]
            labels = {
                b.get("block_id"): label
                for b in self.form["blocks"]
                if (label := b.get("label", {}).get("text"))
            }
            problems = {labels.get(k, k): v for k, v in answer["errors"].items()}
        # As Slack does, the form stays open with what was typed, each problem on its field.
        self.form_errors = problems
        return self.form_lines()

    def _value(self, label: str, element: dict[str, Any], typed: str) -> Any:
        """What a person typed, as the field's element holds it."""
        kind = element["type"]
        if kind == "datepicker":
            try:
                return parse_uk_date(typed).isoformat()
            except ValueError as error:
                raise DemoError(f"{error}; write a date as 15/03/2027.") from None
        if kind in ("static_select", "radio_buttons"):
            options = [o["text"]["text"] for o in element.get("options", [])]
            by_word = {o.lower(): o for o in options}
            by_word.update(
                {o["value"].lower(): o["text"]["text"] for o in element.get("options", [])}
            )
            if typed.lower() not in by_word:
                raise DemoError(f"choose one of {', '.join(options)}.")
            return by_word[typed.lower()]
        if kind == "users_select":
            person = self.person(typed.lstrip("@"))
            if person is None:
                raise DemoError(f"there is no one called '{typed}' here; /as lists everyone.")
            return person.slack_id
        if kind == "checkboxes":
            return [label] if typed.lower() in ("yes", "y", "x", "true") else []
        return typed

    def _cancel(self, _: str) -> list[str]:
        self._close_form()
        return ["(form closed)"]

    def _close_form(self) -> None:
        self.form, self.filled, self.last_filled, self.form_errors = None, {}, None, {}

    def _command(self, words: str) -> list[str]:
        before = len(self.slack.calls_of("views.open"))
        response = self.sim.command(self.me.slack_id, self._mentions(words))
        self._check(response.status)
        body = response.json() or {}
        answer = (
            self._lines(body["blocks"], None)
            if body.get("blocks")
            else [self._mrkdwn(line) for line in (body.get("text") or "").splitlines()]
        )
        out = ["(only you can see this)", *answer] if answer else []
        return [*out, *self._form_opened(before), *self._news()]

    def _mentions(self, words: str) -> str:
        """@Name, as Slack writes a mention into a command's text: <@U...>."""

        def mention(match: re.Match[str]) -> str:
            first, second = match.group(1), match.group(2) or ""
            whole = self.person(first + second) if second else None
            if whole is not None:
                return f"<@{whole.slack_id}>"
            person = self.person(first)
            if person is None:
                raise DemoError(f"There is no one called '{first}' here: /as lists everyone.")
            return f"<@{person.slack_id}>{second}"

        return _MENTION.sub(mention, words)

    def _reply(self, words: str) -> list[str]:
        """Write in the thread of a message here: the latest one, or the latest about the
        reference the words begin with."""
        if not words:
            raise DemoError("Say what to reply, e.g. /reply LAC-014 by the end of next month.")
        if self.place == "home":
            raise DemoError("App Home has no threads: /reply in your DM or a channel.")
        channel = self._here_channel()
        messages = [
            m for m in self.slack.messages_in(channel) if m.user is None and m.thread_ts is None
        ]
        first, _, rest = words.partition(" ")
        about = [
            m for m in messages if _REFERENCE.fullmatch(first) and first.upper() in m.text.upper()
        ]
        if about and rest.strip():
            where, text = about[-1], rest.strip()
        elif messages:
            where, text = messages[-1], words
        else:
            raise DemoError("There is no message here to reply to.")
        response = self.sim.message(
            self.me.slack_id,
            text,
            thread_ts=where.ts,
            channel=None if self.place == "dm" else channel,
        )
        self._check(response.status)
        return self._news()

    # --- reading what came ------------------------------------------------------------

    def _here_channel(self) -> str:
        return CHANNELS.get(self.place) or self.slack.dm_channel(self.me.slack_id)

    def _news(self) -> list[str]:
        """Messages new or changed since last shown, where the person is."""
        channel = self._here_channel()
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
        when = (
            ("(updated) " if updated else "")
            + ("(in thread) " if message.thread_ts else "")
            + ("(only you) " if message.ephemeral_to else "")
        )
        head = f"[signoff] {when}".rstrip()
        body = self._lines(message.blocks, message) if message.blocks else [message.text]
        return [head, *["  " + line for line in body]]

    def _lines(
        self,
        blocks: list[dict[str, Any]],
        where: Message | dict[str, Any] | None,
        *,
        typed: dict[str, str] | None = None,
    ) -> list[str]:
        def number(label: str, _action: str) -> int:
            if where is None:
                return 0
            self.buttons.append((where, label))
            return len(self.buttons)

        return blocks_to_lines(blocks, self._name, number, typed=typed)

    def _mrkdwn(self, text: str) -> str:
        return mrkdwn(text, self._name)

    def _name(self, user_id: str) -> str:
        return next((p.name for p in seed.PEOPLE if p.slack_id == user_id), user_id)

    def _find(self, what: str) -> tuple[Message | dict[str, Any], str]:
        """A button by its number, or by its label on the latest message that has it; `LABEL
        for REF` picks the message about that document."""
        if what.isdigit():
            number = int(what)
            if 0 < number <= len(self.buttons) and self._here(self.buttons[number - 1][0]):
                return self.buttons[number - 1]
            raise DemoError(f"There is no button {number} here.")
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

    def _here(self, where: Message | dict[str, Any]) -> bool:
        """Whether a message or view is in front of the person now."""
        if isinstance(where, Message):
            if where.ephemeral_to is not None:
                return where.ephemeral_to == self.me.slack_id
            return self.place != "home" and where.channel == self._here_channel()
        return self.place == "home"

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
