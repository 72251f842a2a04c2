"""Block Kit as terminal text: pure functions, so the transcript can be read and tested."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
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
    blocks: list[dict[str, Any]],
    name_of: Callable[[str], str],
    number: Callable[[str, str], int],
    *,
    typed: Mapping[str, str] | None = None,
) -> list[str]:
    """Lines for the blocks; each button is numbered through `number(label, action_id)`. A
    form's fields show what was `typed` into them, by label, or else their first value."""
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
            label = block["label"]["text"]
            optional = " (optional)" if block.get("optional") else ""
            value = (typed or {}).get(label)
            if value is None:
                value = _initial(block["element"], name_of)
            shown = value.replace("\n", "\n      ")
            lines.append(f"  {label}{optional}: {shown}{_choices(block['element'])}")
    return lines


def _initial(element: dict[str, Any], name_of: Callable[[str], str]) -> str:
    if element.get("initial_date"):
        return f"{date.fromisoformat(element['initial_date']):%d/%m/%Y}"
    if element.get("initial_option"):
        return str(element["initial_option"]["text"]["text"])
    if element.get("initial_user"):
        return name_of(element["initial_user"])
    return str(element.get("initial_value") or "")


def _choices(element: dict[str, Any]) -> str:
    """What a field takes, where typing it is not obvious."""
    kind = element.get("type")
    if kind in ("static_select", "radio_buttons"):
        return "   (one of: " + ", ".join(o["text"]["text"] for o in element["options"]) + ")"
    if kind == "users_select":
        return "   (a person's name)"
    if kind == "datepicker":
        return "   (a date: 15/03/2027)"
    if kind == "checkboxes":
        return "   (yes or no)"
    return ""
