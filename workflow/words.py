"""Numbers and days said in English: "1 document", "2 documents", "Tue 12 Jan 2027"."""

from __future__ import annotations

from datetime import date


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """`number` followed by `noun`, made plural (by adding an s, or as given) unless it is 1."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"


def day(value: date) -> str:
    """A day as messages write it: "Tue 12 Jan 2027"."""
    return f"{value:%a} {value.day} {value:%b %Y}"


def past(verb: str) -> str:
    """ "defer" -> "deferred", "refer" -> "referred", "escalate" -> "escalated"."""
    verb = verb.lower()
    if verb.endswith("e"):
        return verb + "d"
    if verb.endswith("er") and not verb.endswith("ter"):
        return verb + "red"
    return verb + "ed"


def gerund(verb: str) -> str:
    """ "defer" -> "deferring", "escalate" -> "escalating"."""
    verb = verb.lower()
    if verb.endswith("e"):
        return verb[:-1] + "ing"
    if verb.endswith("er") and not verb.endswith("ter"):
        return verb + "ring"
    return verb + "ing"
