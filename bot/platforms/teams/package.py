"""`signoff teams package`: the Teams app package an administrator uploads (Teams admin centre,
Manage apps, Upload a custom app; or the Developer Portal): manifest.json and the two icons
Teams asks for (192x192 in colour, 32x32 white on transparent), zipped at the top level.

The manifest asks for the bot only (personal and team scopes), and the two permissions a bot
that writes to people first needs: `identity` and `messageTeamMembers`."""

from __future__ import annotations

import json
import struct
import uuid
import zipfile
import zlib
from pathlib import Path
from typing import Any

MANIFEST_VERSION = "1.29"
SCHEMA = (
    "https://developer.microsoft.com/en-us/json-schemas/teams/v"
    f"{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
)
ACCENT = "#2B5797"
COMMANDS = [
    ("status", "Your open reviews, and where each stands"),
    ("help", "What signoff does, and what you can write to it"),
]


def manifest(
    *,
    bot_id: str,
    version: str,
    domain: str,
    developer: str,
    website: str,
    privacy: str,
    terms: str,
) -> dict[str, Any]:
    """The app manifest: one bot, reached personally and in teams."""
    return {
        "$schema": SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        # The Teams app's own id: stable for a bot, so that an upload replaces the last one.
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"signoff-teams-app:{bot_id}")),
        "developer": {
            "name": developer,
            "websiteUrl": website,
            "privacyUrl": privacy,
            "termsOfUseUrl": terms,
        },
        "name": {"short": "signoff", "full": "signoff: policy and procedure reviews"},
        "description": {
            "short": "Reviews and approvals of your policies and procedures, on time.",
            "full": (
                "signoff runs the review and approval of an organisation's policies and "
                "procedures: owners are reminded before a review falls due and answer in chat, "
                "approvers decide with a button, committees get their papers, and every message "
                "stays true as things move on."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": ACCENT,
        "bots": [
            {
                "botId": bot_id,
                "scopes": ["personal", "team"],
                "supportsFiles": False,
                "isNotificationOnly": False,
                "commandLists": [
                    {
                        "scopes": ["personal"],
                        "commands": [
                            {"title": title, "description": text} for title, text in COMMANDS
                        ],
                    }
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [domain],
    }


def write(path: Path, manifest_: dict[str, Any]) -> list[str]:
    """Write the package; the names of what it holds."""
    files = {
        "manifest.json": json.dumps(manifest_, indent=2).encode(),
        "color.png": _icon(192, colour=True),
        "outline.png": _icon(32, colour=False),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in files.items():
            package.writestr(name, data)
    return list(files)


def _icon(size: int, *, colour: bool) -> bytes:
    """A square PNG: a tick on signoff's colour (192 px), or a white tick outline on
    transparency (32 px), as Teams wants them."""
    background = (0x2B, 0x57, 0x97, 255) if colour else (0, 0, 0, 0)
    mark = (255, 255, 255, 255)
    rows = []
    for y in range(size):
        row = bytearray([0])  # filter: none
        for x in range(size):
            u, v = x / size, y / size
            on_tick = (0.2 < u < 0.45 and abs(v - (u + 0.3)) < 0.07) or (
                0.4 <= u < 0.8 and abs(v - (1.15 - u)) < 0.07
            )
            row += bytes(mark if on_tick else background)
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
