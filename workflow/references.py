"""How a reference is written in a message, and which of the register's references a message
could mean. Kept apart from the chat's reading of dates, so that a query can use it without
loading a date parser."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Letters then digits, as references are written (LAC-014, CP001); which of them are meant as
# references is told by the register's own prefixes.
REFERENCE_LIKE = re.compile(r"\b([A-Za-z]+)[-_/.]?(\d+[A-Za-z0-9]*)\b")
# A word as a reference may be written: letters, digits and the separators between them.
TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9/_.-]*[A-Za-z0-9]")


@dataclass(frozen=True)
class Mentioned:
    """What in a message could name a document: its words, in capitals, and the letters of each
    word written like a reference. Only the register's references among these, or sharing
    these letters, can change how the message is understood."""

    words: frozenset[str]
    prefixes: frozenset[str]

    def could_mean(self, reference: str) -> bool:
        upper = reference.upper()
        match = REFERENCE_LIKE.fullmatch(reference)
        return upper in self.words or bool(match and match.group(1).upper() in self.prefixes)


def mentioned(text: str) -> Mentioned:
    return Mentioned(
        words=frozenset(token.upper() for token in TOKEN.findall(text or "")),
        prefixes=frozenset(m.group(1).upper() for m in REFERENCE_LIKE.finditer(text or "")),
    )
