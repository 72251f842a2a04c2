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


def test_the_references_read_for_a_message_understand_it_as_the_whole_register_would(runtime):
    """A message is read against only the references it could mean (so a reply costs the same
    in a register of 300 or 100,000), and is understood exactly as against them all."""
    from tests.factories import Register, row
    from workflow.queries import references_mentioned

    references = ["LAC-014", "LAC-021", "LAC-140", "CP-001", "CP-012", "QA7", "Safeguarding"]
    references += [f"HR-{n:03d}" for n in range(200)]
    Register(runtime).add(*(row(ref, line=n + 2) for n, ref in enumerate(references)))
    messages = [
        "I'll finish lac-14 by the end of next month",
        "LAC-014 by 30/04",
        "lac-021 and CP-12 are with legal",
        "cp-9 is waiting for legal",
        "qa7 done next Friday",
        "safeguarding is fine, 1/12",
        "Q3 2027 for the rest",
        "hr-19 by the end of January",
        "status",
        "I'll have it done by the end of next month",
        "",
    ]
    with runtime.sessions() as session:
        for text in messages:
            read = references_mentioned(session, text)
            # The 200 HR documents are read only for a message that writes an HR reference.
            assert all(r.startswith("HR-") for r in read) if "hr-" in text else len(read) < 8
            everything = understand(
                text, today=TODAY, zone=ZoneInfo("Europe/London"), known=set(references)
            )
            only_these = understand(text, today=TODAY, zone=ZoneInfo("Europe/London"), known=read)
            assert only_these == everything, text
