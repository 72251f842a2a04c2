"""Block Kit as terminal text: pure functions, so the transcript can be read and tested."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Button = tuple[str, str]  # (label, action_id)

_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
_BARE_LINK = re.compile(r"<(https?://[^>]+)>")
_MENTION = re.compile(r"<@([A-Z0-9]+)>")


def mrkdwn(text: str, name_of: Callable[[str], str]) -> str:
    text = _MENTION.sub(lambda m: "@" + name_of(m.group(1)), text)
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text)
    text = _BARE_LINK.sub(lambda m: m.group(1), text)
    text = re.sub(r":[a-z_0-9+-]+:\s?", "", text)  # emoji shortcodes
    text = re.sub(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])", r"\1", text)  # *bold*
    text = re.sub(r"(?<![\w_])_([^_\n]+)_(?![\w_])", r"\1", text)  # _italic_
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _text(obj: dict[str, Any] | None, name_of: Callable[[str], str]) -> str:
    if not obj:
        return ""
    return mrkdwn(obj.get("text", ""), name_of) if obj.get("type") == "mrkdwn" else obj["text"]


def blocks_to_lines(
    blocks: list[dict[str, Any]], name_of: Callable[[str], str], number: Callable[[str, str], int]
) -> list[str]:
    """Lines for the blocks; each button is numbered through `number(label, action_id)`."""
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(f"== {block['text']['text']} ==")
        elif kind == "section":
            lines.extend(_text(block.get("text"), name_of).splitlines())
            accessory = block.get("accessory") or {}
            if accessory.get("type") == "button":
                label = accessory["text"]["text"]
                lines.append(f"  [{number(label, accessory['action_id'])}] {label}")
        elif kind == "context":
            lines.append("   " + " \u00b7 ".join(_text(e, name_of) for e in block["elements"]))
        elif kind == "divider":
            lines.append("-" * 40)
        elif kind == "actions":
            lines.append(
                "  "
                + "  ".join(
                    f"[{number(e['text']['text'], e['action_id'])}] {e['text']['text']}"
                    for e in block["elements"]
                    if e.get("type") == "button"
                )
            )
        elif kind == "input":
            element = block["element"]
            initial = element.get("initial_value") or ""
            optional = " (optional)" if block.get("optional") else ""
            lines.append(f"  {block['label']['text']}{optional}: {initial}")
    return lines
