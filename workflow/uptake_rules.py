"""Which published documents staff are asked to read, and which staff groups read them.

Plain data, from the settings: the rules ask it, and never know what a group is in the chat
platform (a Slack user group or channel, to delivery)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

ALL_AREAS = "*"


def area_key(area: str | None) -> str:
    """A service area as compared: case, spaces and punctuation do not matter."""
    return re.sub(r"[^a-z0-9]+", " ", (area or "").lower()).strip()


@dataclass(frozen=True)
class UptakeRules:
    # Document types whose publication staff are asked to read (policy, procedure ...).
    types: frozenset[str] = frozenset()
    # Service area (as the register writes it, or "*" for every area) -> group IDs.
    groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # Those who have not said they read it are reminded after this many working days.
    remind_after_working_days: int = 5

    def groups_for(self, doc_type: str, service_area: str | None) -> tuple[str, ...]:
        """The groups a document of this type and area is sent to when published, each once."""
        if doc_type not in self.types:
            return ()
        wanted = area_key(service_area)
        found: list[str] = []
        for area, groups in self.groups.items():
            if area == ALL_AREAS or (wanted and area_key(area) == wanted):
                found += [g for g in groups if g not in found]
        return tuple(found)
