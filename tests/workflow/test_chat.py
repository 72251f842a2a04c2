"""What an owner's chat reply is taken to mean, without Slack."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from workflow.chat import understand

KNOWN = {"LAC-014", "LAC-021", "CP-001"}
TODAY = date(2026, 11, 23)


def meant(text: str):  # type: ignore[no-untyped-def]
    return understand(text, today=TODAY, zone=ZoneInfo("Europe/London"), known=KNOWN)


def test_a_reference_that_is_not_in_the_register_is_named_as_such_with_the_nearest_one():
    missing = meant("LAC-999 by 30/04")
    assert (missing.kind, missing.phrase, missing.reference) == (
        "no_such_document",
        "LAC-999",
        None,
    )
    near = meant("I'll finish lac-14 by the end of next month")
    assert (near.kind, near.phrase, near.did_you_mean) == ("no_such_document", "LAC-14", "LAC-014")
    assert meant("cp-9 is waiting for legal").kind == "no_such_document"


def test_words_that_merely_look_like_references_are_not_taken_for_one():
    assert meant("LAC-014 by 30/04").kind == "date"
    assert meant("Covid-19 guidance changed, by Friday").kind == "date"
    assert meant("Talked it through with the IRO team").kind == "note"
    # A known reference named beside an unknown one is what the reply is about.
    assert meant("LAC-014 replaces LAC-999, done by Friday").reference == "LAC-014"
