"""Adaptive Card primitives, built through microsoft-teams-cards' models so that a card is
checked as it is made, and Teams' limits kept: Adaptive Cards 1.5, a card's payload at most
28 KB, buttons that act (`Action.Execute`, so that the card is updated for everyone who sees it)
and buttons that open a form (a task module, fetched from signoff with `task/fetch`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from microsoft_teams.cards import (
    ActionSet,
    AdaptiveCard,
    ExecuteAction,
    Fact,
    FactSet,
    SubmitAction,
    TextBlock,
)

from bot.platforms.words import Markup, day, moment  # noqa: F401  (builders take them from the kit)
from workflow.summaries import PersonRef

VERSION = "1.5"
PAYLOAD_LIMIT = 28 * 1024  # Teams refuses a message whose card is larger
TEXT_LIMIT = 4000
TITLE_LIMIT = 60
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"


@dataclass(frozen=True)
class Card:
    """A message for Teams: the text shown in notifications, and its card (a dict, as sent)."""

    text: str
    card: dict[str, Any]

    def size(self) -> int:
        return len(json.dumps(self.card, ensure_ascii=False).encode())


def clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ", max(0, limit - 40))
    return (cut[:space] if space > 0 else cut).rstrip() + "\u2026"


def escape(text: str) -> str:
    """Text from people or the register, kept from being read as markdown."""
    out = text
    for char in ("\\", "*", "_", "[", "]", "`"):
        out = out.replace(char, "\\" + char)
    return out


def bold(text: str) -> str:
    return f"**{text}**"


def heading(text: str) -> TextBlock:
    return TextBlock(text=clip(text, 200), weight="Bolder", size="Medium", wrap=True)


def para(text: str, *, separator: bool = False) -> TextBlock:
    return TextBlock(text=clip(text, TEXT_LIMIT), wrap=True, separator=separator or None)


def note(text: str) -> TextBlock:
    return TextBlock(text=clip(text, TEXT_LIMIT), wrap=True, is_subtle=True, size="Small")


def facts(pairs: list[tuple[str, str]]) -> FactSet:
    return FactSet(facts=[Fact(title=clip(k, 100), value=clip(v, 500)) for k, v in pairs])


def act(title: str, verb: str, value: str, *, primary: bool = False) -> ExecuteAction:
    """A button that acts at once: Teams sends `adaptiveCard/action` with its verb and value."""
    return ExecuteAction(
        title=clip(title, TITLE_LIMIT),
        verb=verb,
        data={"value": value},
        style="positive" if primary else None,
    )


def form(title: str, verb: str, value: str, *, primary: bool = False) -> SubmitAction:
    """A button that opens a form: Teams asks signoff for it with `task/fetch`."""
    return SubmitAction(
        title=clip(title, TITLE_LIMIT),
        data={"msteams": {"type": "task/fetch"}, "verb": verb, "value": value},
        style="positive" if primary else None,
    )


def buttons(*actions: Any) -> ActionSet | None:
    kept = [a for a in actions if a is not None]
    return ActionSet(actions=kept) if kept else None


def card(text: str, body: list[Any], *, more: str = "") -> Card:
    """A card of `body` (None elements left out), its fallback text, within Teams' limits: past
    them, the last elements give way to a line saying how many were left out."""
    kept = [element for element in body if element is not None]
    fallback = clip(" ".join(text.split()), 1000)
    built = _dump(kept)
    left_out = 0
    while len(json.dumps(built).encode()) > PAYLOAD_LIMIT - 512 and len(kept) > 2:
        kept.pop()
        left_out += 1
        built = _dump([*kept, note(f"\u2026and {left_out} more. {more}".strip())])
    return Card(fallback, built)


def _dump(body: list[Any]) -> dict[str, Any]:
    model = AdaptiveCard(version=VERSION, body=body)
    data = model.model_dump(by_alias=True, exclude_none=True)
    data["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json"
    return data


def mention(person: PersonRef | None) -> str:
    return escape(person.display) if person else "nobody"


def doc_link(reference: str, title: str, link: str | None) -> str:
    name = f"{escape(reference)} {escape(title)}"
    if link and link.startswith(("http://", "https://")):
        return f"**[{name}]({link})**"
    return f"**{name}**"


MARKUP = Markup(
    bold=bold,
    escape=escape,
    mention=mention,
    bullet="- ",
    gap="\n\n",
    icons={
        "done": "\u2705",
        "due": "\U0001f4c5",
        "writing": "\u270f\ufe0f",
        "back": "\u21a9\ufe0f",
        "waiting": "\u231b",
        "body": "\U0001f3db\ufe0f",
        "consultation": "\U0001f4ac",
    },
)


def quote(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return "\n\n".join(f"\u201c{escape(line)}\u201d" for line in lines) or "\u2014"
