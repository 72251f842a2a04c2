"""Document version numbers: an amended draft moves the last number on (3.2 -> 3.3, 3.9 -> 3.10)."""

from __future__ import annotations

import re

_LAST_NUMBER = re.compile(r"(\d+)(?!.*\d)")


def next_version(version: str | None) -> str:
    if not version or not version.strip():
        return "1.0"
    version = version.strip()
    match = _LAST_NUMBER.search(version)
    if match is None:
        return f"{version}.1"
    if "." not in version:
        # A whole number ("3") gains a minor part rather than jumping a major version.
        return f"{version}.1"
    number = int(match.group(1)) + 1
    return f"{version[: match.start(1)]}{number}{version[match.end(1) :]}"
