"""The archive: every approved version kept with its decision, deciders, dates and summary;
nothing deleted; a retention period marks the superseded ones due for disposal."""

from __future__ import annotations

import csv
from datetime import date, timedelta

from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.cli import main
from db.models import DocumentVersion
from tests.factories import ADMIN, APPROVER, NOW, OWNER, Register, row
from workflow.archive import versions
from workflow.context import SYSTEM
from workflow.reviews import (
    decide,
    mark_published,
    open_review,
    start_review,
    submit_draft,
    submit_no_changes,
)
from workflow.states import Action


def review_three_times(register: Register, approver: str = APPROVER) -> None:
    """Three reviews of LAC-014 a year apart: a draft approved and published; a no-changes
    review; a draft approved with conditions, redrafted and approved. `approver` decides."""
    first = NOW
    review = open_review(register.ctx(SYSTEM, first), "LAC-014")
    start_review(register.ctx(OWNER, first), review.id)
    submit_draft(
        register.ctx(OWNER, first),
        review.id,
        link="https://drafts.example.org/lac-014-v4",
        summary="Second reviews within three months.",
    )
    decide(register.ctx(approver, first), review.id, Action.APPROVE)
    mark_published(register.ctx(ADMIN, first + timedelta(days=2)), "LAC-014")

    second = NOW + timedelta(days=365)
    review = open_review(register.ctx(SYSTEM, second), "LAC-014")
    submit_no_changes(register.ctx(OWNER, second), review.id)
    decide(register.ctx(approver, second), review.id, Action.APPROVE)

    third = NOW + timedelta(days=730)
    review = open_review(register.ctx(SYSTEM, third), "LAC-014")
    submit_draft(
        register.ctx(OWNER, third),
        review.id,
        link="https://drafts.example.org/lac-014-v5",
        summary="Names the IRO.",
    )
    decide(
        register.ctx(approver, third),
        review.id,
        Action.APPROVE_WITH_CONDITIONS,
        text="Say who chairs the review.",
    )
    submit_draft(
        register.ctx(OWNER, third + timedelta(days=3)),
        review.id,
        link="https://drafts.example.org/lac-014-v5b",
        summary="Names the IRO, who chairs the review.",
    )
    decide(register.ctx(approver, third + timedelta(days=4)), review.id, Action.APPROVE)


def test_a_document_reviewed_three_times_has_three_versions_with_their_decisions(runtime):
    register = Register(runtime)
    register.add(row(version="3.9"))
    review_three_times(register)

    with runtime.sessions() as session:
        kept = versions(session, retention_years=None)
    assert [(v.version, v.decision, v.approved_on) for v in kept] == [
        ("3.10", "approved", date(2026, 11, 23)),
        ("3.10", "reviewed, no changes", date(2027, 11, 23)),
        ("3.11", "approved", date(2028, 11, 26)),
    ]
    first, second, third = kept
    assert first.deciders == "approver@example.org (approver)"
    assert first.link == "https://drafts.example.org/lac-014-v4"
    assert first.summary == "Second reviews within three months."
    assert first.published_on == date(2026, 11, 25)
    assert (first.submitted_on, first.superseded_on) == (date(2026, 11, 23), date(2027, 11, 23))
    assert second.summary == (
        "The Looked After Children Reviews has been reviewed and no changes are required."
    )
    assert second.link == "https://manual.example.org/lac-014"  # the version in the manual
    # The approval of the redraft is the version: its summary and link, not the first draft's.
    assert (third.summary, third.link) == (
        "Names the IRO, who chairs the review.",
        "https://drafts.example.org/lac-014-v5b",
    )
    assert (third.submitted_on, third.superseded_on) == (date(2028, 11, 25), None)


def test_retention_marks_superseded_versions_and_deletes_nothing(runtime):
    register = Register(runtime)
    register.add(row(version="3.9"))
    review_three_times(register)
    with runtime.sessions() as session:
        kept = versions(session, retention_years=1)
        rows = session.scalar(select(func.count()).select_from(DocumentVersion))
    assert [v.due_for_disposal for v in kept] == [date(2028, 11, 23), date(2029, 11, 26), None]
    assert rows == 3


def test_archive_and_export_with_the_archive_list_the_versions(
    runtime, tmp_path, capsys, monkeypatch
):
    register = Register(runtime)
    register.add(row(version="3.9"))
    review_three_times(register)
    monkeypatch.setenv("SIGNOFF_RETENTION_YEARS", "1")
    now = ["--now", "2029-01-10T09:00"]

    assert main([*now, "archive", "LAC-014"]) == 0
    listed = capsys.readouterr().out
    assert listed.count("approved on") == 2 and listed.count("reviewed, no changes on") == 1
    assert "DUE FOR DISPOSAL since 23 Nov 2028" in listed
    assert "kept until 26 Nov 2029" in listed and "current" in listed
    assert "3 versions kept; nothing is ever deleted." in listed

    assert main([*now, "history", "LAC-014"]) == 0
    assert "Versions kept (signoff archive):" in capsys.readouterr().out

    assert main([*now, "export", "--archive", str(tmp_path / "register.csv")]) == 0
    assert "register-archive.csv" in capsys.readouterr().err
    with (tmp_path / "register-archive.csv").open() as handle:
        archived = list(csv.DictReader(handle))
    assert [(r["version"], r["decision"], r["due_for_disposal"]) for r in archived] == [
        ("3.10", "approved", "2028-11-23"),
        ("3.10", "reviewed, no changes", "2029-11-26"),
        ("3.11", "approved", ""),
    ]

    assert main([*now, "export", "--archive", str(tmp_path / "register.xlsx")]) == 0
    book = load_workbook(tmp_path / "register.xlsx", read_only=True)
    assert book.sheetnames == ["Register", "Archive"]
    sheet = list(book["Archive"].iter_rows(values_only=True))
    assert sheet[0][:4] == ("reference", "title", "version", "decision")
    assert [r[2] for r in sheet[1:]] == ["3.10", "3.10", "3.11"]

    assert main([*now, "export", "--archive", "-"]) == 1
    assert "give a .csv or .xlsx file" in capsys.readouterr().err
