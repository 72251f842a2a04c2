"""`signoff demo --platform teams`: the same demo, in Microsoft Teams' shape. The real
application takes signed activities on /api/messages from the Teams simulator and writes
through the Bot Connector stand-in (bot/platforms/teams/), the one the end-to-end tests use;
its Adaptive Cards are drawn here as terminal text."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import Clock, FixedClock, SystemClock
from bot.demo import seed
from bot.demo.loopback import LoopbackServer
from bot.demo.session import DemoError
from bot.platforms.teams.activities import TeamsBot
from bot.platforms.teams.delivery import TeamsPlatform
from bot.platforms.teams.simulator import Form, TeamsSimulator, actions_of
from bot.platforms.teams.standin import Activity, BotConnectorStandin, TeamsUser
from bot.runtime import Runtime
from bot.server import wsgi_app
from bot.settings import Settings
from db.engine import make_engine
from db.migrate import upgrade
from scheduler.runner import run_due_jobs

DIGEST = "19:demo-digest@thread.tacv2"
SLT = "19:demo-slt@thread.tacv2"
CHANNELS = {"digest": DIGEST, "slt": SLT}

HELP = """\
/as NAME            act as someone (/as alone lists everyone and their role)
/advance 7d         move the clock on (d days, w weeks) and run the jobs that fall due
/channel digest|slt read the digest or the SLT channel in Teams
/press LABEL or N   press a card's button (its label, or the number shown beside it);
                    /press LABEL for REF picks the card about that document
Label: value        fill a field of the open form (a Teams dialog), then /submit (or /cancel)
anything else       a message to signoff in your chat with it
/help, /quit"""


def card_lines(card: dict[str, Any], number: Any) -> list[str]:
    """An Adaptive Card as terminal text; each button numbered through `number(action)`."""
    lines: list[str] = []
    for element in card.get("body", []):
        kind = element.get("type")
        if kind == "TextBlock":
            text = _markdown(element.get("text", ""))
            if element.get("weight") == "Bolder":
                lines.append(f"== {text} ==")
            else:
                lines += [
                    ("  " if element.get("isSubtle") else "") + line
                    for line in text.splitlines()
                    if line.strip()
                ]
        elif kind == "FactSet":
            lines += [f"{f['title']}: {_markdown(f['value'])}" for f in element.get("facts", [])]
        elif kind == "ActionSet":
            lines.append("  ".join(_button(a, number) for a in element.get("actions", [])))
        elif str(kind).startswith("Input."):
            value = element.get("value")
            lines.append(
                f"{element.get('label') or element.get('title')}: [{value if value else ''}]"
            )
    if card.get("actions"):
        lines.append("  ".join(_button(a, number) for a in card["actions"]))
    return lines


def _button(action: dict[str, Any], number: Any) -> str:
    shown = number(action)
    return f"[{shown}: {action.get('title')}]" if shown else f"[{action.get('title')}]"


def _markdown(text: str) -> str:
    text = re.sub(r"\[([^\]]+)\]\((https?://[^)]+)\)", r"\1 (\2)", text)
    text = text.replace("**", "")
    text = re.sub(r"(?<![\w_])_([^_\n]+)_(?![\w_])", r"\1", text)
    return re.sub(r"\\([\\*_\[\]`])", r"\1", text)


def _user(person: seed.DemoPerson) -> TeamsUser:
    aad = str(uuid.uuid5(uuid.NAMESPACE_DNS, person.email))
    return TeamsUser(aad, person.email, person.name)


@dataclass
class TeamsDemo:
    folder: Path
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/London"))
    clock: Clock = field(default_factory=SystemClock)
    governance: Path | None = None
    form_hint: str = ""  # the terminal asks field by field; a script writes 'Label: value'

    def __post_init__(self) -> None:
        self.standin = BotConnectorStandin(users=[_user(p) for p in seed.PEOPLE])
        self.standin.start()
        settings = Settings(
            _env_file=None,
            DATABASE_URL=f"sqlite:///{self.folder / 'demo.db'}",
            SIGNOFF_TIMEZONE=str(self.zone),
            SIGNOFF_PLATFORMS="teams",
            TEAMS_DIGEST_CHANNEL=DIGEST,
            TEAMS_SLT_CHANNEL=SLT,
            SIGNOFF_ADMIN_EMAILS=",".join(seed.ADMINS),
            SIGNOFF_SLT_EMAILS=",".join(seed.SLT),
            SIGNOFF_ESCALATION_EMAILS=",".join(seed.ESCALATION),
            **self.standin.settings(),
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
        from bot.commands import services_for

        self.services = services_for(self.runtime)
        platform: TeamsPlatform = self.services.teams
        # Each step's effects are delivered before it is answered, so the transcript is whole.
        bot = TeamsBot(
            self.runtime,
            platform,
            lambda: self.services.delivery.run(self.runtime.now()),
            synchronous=True,
        )
        self.server = LoopbackServer(wsgi_app(self.runtime, None, teams=bot))
        url = f"{self.server.base_url}/api/messages"
        self.sim = TeamsSimulator(url, self.standin, self.runtime.now)
        for person in seed.PEOPLE:  # the app installed for everyone, by an app setup policy
            self._check(self.sim.install(person.email).status)
        for channel in (DIGEST, SLT):
            self._check(self.sim.install_in_team(seed.PEOPLE[0].email, channel).status)
        seed.seed(self.runtime, self.now, self.folder)
        run_due_jobs(self.services, self.now)
        self.me = seed.PEOPLE[0]
        self.place = "chat"
        self.shown: dict[str, int] = {}
        self.buttons: list[tuple[Activity, dict[str, Any]]] = []
        self.form: Form | None = None
        self.filled: dict[str, str] = {}

    @property
    def now(self) -> datetime:
        return self.time.now()

    def close(self) -> None:
        self.server.close()
        self.standin.stop()
        self.runtime.engine.dispose()

    def run(self, line: str) -> list[str]:
        line = line.strip()
        if not line or line.startswith("#"):
            return []
        word, _, rest = line.partition(" ")
        if self.form is not None and not line.startswith("/"):
            return self._fill(line)
        handlers = {
            "/as": self._as,
            "/advance": self._advance,
            "/channel": self._channel,
            "/press": self._press,
            "/submit": self._submit,
            "/cancel": self._cancel,
            "/help": lambda _: HELP.split("\n"),
        }
        if word in handlers:
            return handlers[word](rest.strip())
        if word.startswith("/"):
            raise DemoError(f"There is no {word} here. /help lists what there is.")
        self._check(self.sim.message(self.me.email, line).status)
        return self._news()

    def _as(self, name: str) -> list[str]:
        wanted = name.lower()
        found = [
            p
            for p in seed.PEOPLE
            if wanted and wanted in (p.name.lower(), p.name.split()[0].lower(), p.email)
        ]
        if not found:
            return ["Who would you like to be?", *[f"  {p.name:<14} {p.role}" for p in seed.PEOPLE]]
        self.me, self.place, self.form, self.shown = found[0], "chat", None, {}
        return [f"You are now {self.me.name}, {self.me.role}.", *self._news()]

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

    def _channel(self, name: str) -> list[str]:
        if name not in CHANNELS:
            raise DemoError("Say /channel digest or /channel slt.")
        self.place = name
        out = [f"--- {name} channel ---"]
        for activity in self.standin.in_conversation(CHANNELS[name])[-3:]:
            out += self._activity(activity)
        return out if len(out) > 1 else [*out, "(nothing posted yet)"]

    def _conversation(self) -> str:
        return CHANNELS.get(self.place) or self.standin.user(self.me.email).conversation

    def _press(self, what: str) -> list[str]:
        where, action = self._find(what)
        label = action.get("title", "")
        nth = [a.get("title") for a in actions_of(where.card or {})].index(label)
        titles = [a.get("title") for a in actions_of(where.card or {})][:nth]
        answer = self.sim.click(self.me.email, where, label, nth=titles.count(label))
        out = [f"(you pressed {label})"]
        if isinstance(answer, Form):
            self.form, self.filled = answer, {}
            return [
                *out,
                f"--- {answer.title} ---",
                *card_lines(answer.card, lambda _a: 0),
                "Fill it with 'Label: value' lines, then /submit (or /cancel).",
            ]
        self._check(answer.status)
        said = answer.json() or {}
        if said.get("type") == "application/vnd.microsoft.activity.message":
            out.append(f"(only you) {said.get('value')}")
        task = (said.get("task") or {}) if isinstance(said, dict) else {}
        if task.get("type") == "message":
            out.append(f"(only you) {task.get('value')}")
        return out + self._news()

    def form_labels(self) -> list[str]:
        if self.form is None:
            return []
        return [
            e.get("label") or e.get("title")
            for e in self.form.card.get("body", [])
            if str(e.get("type", "")).startswith("Input.")
        ]

    def fill(self, label: str, value: str) -> None:
        """One field of the open form, as the terminal asks for it."""
        self._fill(f"{label}: {value}")

    def is_multiline(self, label: str) -> bool:
        assert self.form is not None
        return any(
            (e.get("label") or e.get("title")) == label and e.get("isMultiline")
            for e in self.form.card.get("body", [])
        )

    def _fill(self, line: str) -> list[str]:
        label, sep, value = line.partition(":")
        if not sep or label.strip() not in self.form_labels():
            raise DemoError(
                f"The form's fields are {', '.join(self.form_labels())}; write 'Label: value'."
            )
        self.filled[label.strip()] = value.strip()
        return []

    def _submit(self, _: str) -> list[str]:
        if self.form is None:
            raise DemoError("No form is open.")
        answer = self.sim.submit(self.me.email, self.form, self.filled)
        self._check(answer.status)
        task = (answer.json() or {}).get("task") or {}
        if task.get("type") == "continue":  # the form again, saying what was wrong
            self.form = Form(
                task["value"]["card"]["content"], task["value"]["title"], self.form.where
            )
            return [
                f"  ! {line}"
                for line in card_lines(self.form.card, lambda _a: 0)
                if "\u26a0" in line
            ]
        self.form = None
        return [f"(form sent: {task.get('value', '')})", *self._news()]

    def _cancel(self, _: str) -> list[str]:
        self.form = None
        return ["(form closed)"]

    def _news(self) -> list[str]:
        out: list[str] = []
        for activity in self.standin.in_conversation(self._conversation()):
            if self.shown.get(activity.id) != activity.edited:
                out += self._activity(activity, updated=activity.id in self.shown)
        return out

    def _activity(self, activity: Activity, *, updated: bool = False) -> list[str]:
        self.shown[activity.id] = activity.edited

        def number(action: dict[str, Any]) -> int:
            self.buttons.append((activity, action))
            return len(self.buttons)

        head = "[signoff]" + (" (updated)" if updated else "")
        body = card_lines(activity.card, number) if activity.card else [activity.text]
        return [head, *["  " + line for line in body]]

    def _find(self, what: str) -> tuple[Activity, dict[str, Any]]:
        if what.isdigit() and 0 < int(what) <= len(self.buttons):
            return self.buttons[int(what) - 1]
        label, _, about = what.partition(" for ")
        for activity in reversed(self.standin.in_conversation(self._conversation())):
            if about and about.strip().upper() not in activity.words().upper():
                continue
            for action in actions_of(activity.card or {}):
                if action.get("title") == label:
                    return activity, action
        raise DemoError(
            f"There is no '{label}' button here" + (f" for {about.strip()}." if about else ".")
        )

    @staticmethod
    def _check(status: int) -> None:
        if status != 200:
            raise DemoError(f"signoff answered HTTP {status}.")
