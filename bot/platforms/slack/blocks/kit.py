"""Block Kit primitives, built through slack_sdk's models so that Slack's limits are checked
here rather than discovered as an `invalid_blocks` error in production."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.platforms.words import Markup, day, moment  # noqa: F401  (builders take them from the kit)
from workflow.summaries import PersonRef

SECTION_LIMIT = 3000
MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
HEADER_LIMIT = 150
BUTTON_LIMIT = 75
FALLBACK_LIMIT = 3000


@dataclass(frozen=True)
class Msg:
    """A message: the fallback text Slack shows in notifications, and its blocks."""

    text: str
    blocks: list[dict[str, Any]] = field(default_factory=list)

    def as_kwargs(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self.blocks}


def clip(text: str, limit: int) -> str:
    """Cut `text` to `limit` characters at a word where one is near, marking the cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ", max(0, limit - 40))
    if space > 0:
        cut = cut[:space]
    # Never leave half of a Slack link or mention (<...|...>) dangling.
    if cut.rfind("<") > cut.rfind(">"):
        cut = cut[: cut.rfind("<")]
    return cut.rstrip() + "\u2026"


def escape(text: str) -> str:
    """Text from people or the register, made safe for mrkdwn (Slack's three escapes)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def sections(
    lines: list[str], *, heading: str = "", limit: int = SECTION_LIMIT - 100
) -> list[Block]:
    """Lines packed into as few sections as hold them whole: a list is never cut mid-line."""
    blocks: list[Block] = []
    chunk: list[str] = [heading] if heading else []
    size = len(heading)
    for line in lines:
        if chunk and size + len(line) + 1 > limit:
            blocks.append(section("\n".join(chunk)))
            chunk, size = [], 0
        chunk.append(clip(line, limit))
        size += len(line) + 1
    if chunk:
        blocks.append(section("\n".join(chunk)))
    return blocks


def header(text: str) -> Block:
    return HeaderBlock(text=clip(text, HEADER_LIMIT))


def section(markdown: str, *, accessory: ButtonElement | None = None) -> Block:
    return SectionBlock(
        text=MarkdownTextObject(text=clip(markdown, SECTION_LIMIT)), accessory=accessory
    )


def context(*markdown: str) -> Block:
    return ContextBlock(
        elements=[MarkdownTextObject(text=clip(m, SECTION_LIMIT)) for m in markdown if m][:10]
    )


def divider() -> Block:
    return DividerBlock()


def button(label: str, action_id: str, value: str, *, style: str | None = None) -> ButtonElement:
    return ButtonElement(
        text=clip(label, BUTTON_LIMIT), action_id=action_id, value=value, style=style
    )


def actions(block_id: str, *buttons: ButtonElement) -> Block:
    return ActionsBlock(block_id=block_id, elements=list(buttons))


def render(
    blocks: list[Block | None], *, limit: int = MESSAGE_BLOCK_LIMIT, more: str = ""
) -> list[dict[str, Any]]:
    """Blocks as dicts, validated; past `limit`, the last block says how many were left out."""
    kept = [b for b in blocks if b is not None]
    if len(kept) > limit:
        left_out = len(kept) - (limit - 1)
        kept = [
            *kept[: limit - 1],
            context(f"_\u2026and {left_out} more blocks. {more}_".replace("  ", " ")),
        ]
    return [block.to_dict() for block in kept]


def message(text: str, blocks: list[Block | None], *, more: str = "") -> Msg:
    return Msg(clip(" ".join(text.split()), FALLBACK_LIMIT), render(blocks, more=more))


def mention(person: PersonRef | None) -> str:
    if person is None:
        return "nobody"
    if person.slack_user_id:
        return f"<@{person.slack_user_id}>"
    return escape(person.display)


def doc_link(reference: str, title: str, link: str | None) -> str:
    name = f"{escape(reference)} {escape(title)}"
    if link and link.startswith(("http://", "https://")):
        return f"*<{link}|{name}>*"
    return f"*{name}*"


MARKUP = Markup(
    bold=lambda text: f"*{text}*",
    escape=escape,
    mention=mention,
    bullet="\u2022 ",
    gap="\n",
    icons={
        "done": ":white_check_mark:",
        "due": ":calendar:",
        "writing": ":pencil2:",
        "back": ":leftwards_arrow_with_hook:",
        "waiting": ":hourglass:",
        "body": ":classical_building:",
        "consultation": ":speech_balloon:",
    },
)


def quote(text: str) -> str:
    return "\n".join("> " + escape(line) for line in text.strip().splitlines() or [""])
