"""`signoff import` and `signoff export` over real CSV and XLSX files."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from bot.cli import main
from db.models import AuditEvent, Document, Person

HEADER = (
    "reference,title,type,service_area,owner_email,approver_email,review_cycle_months,"
    "last_approved,next_review_due,version,link"
)

GOOD = f"""{HEADER}
LAC-014,Looked After Children Reviews,Procedure,Children in Care,ro.one@example.org,rsm.one@example.org,,04/03/2026,,3.9,https://manual.example.org/lac-014
CP-001,Child Protection Conferences,Policy,Safeguarding,,rsm.two@example.org,36,,2027-01-31,1.0,
PG-007,Recording in Case Files,Practice Guidance,Quality Assurance,ro.two@example.org,rsm.one@example.org,6,14 Mar 2026,,2,
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(*args: str) -> int:
    return main(list(args))


def count(runtime, model) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def documents(runtime) -> dict[str, Document]:
    with runtime.sessions() as session:
        return {d.reference: d for d in session.scalars(select(Document))}


def test_a_good_register_is_imported_with_uk_dates_read_day_first(runtime, tmp_path, capsys):
    assert run("import", str(write(tmp_path, "register.csv", GOOD))) == 0
    assert "3 added" in capsys.readouterr().out
    docs = documents(runtime)
    lac = docs["LAC-014"]
    assert lac.last_approved == date(2026, 3, 4)  # 4 March, not 3 April
    assert lac.next_review_due == date(2027, 3, 4)  # procedure: 12 months by default
    assert lac.doc_type == "procedure"
    assert docs["CP-001"].review_cycle_months == 36
    assert docs["CP-001"].owner_id is None
    assert docs["PG-007"].doc_type == "practice_guidance"
    assert docs["PG-007"].next_review_due == date(2026, 9, 14)
    assert count(runtime, Person) == 4


BAD = f"""{HEADER},colour
LAC-014,Looked After Children Reviews,Procedure,Children in Care,ro.one@example.org,rsm.one@example.org,,04/03/2026,,3.9,,red
CP-001,,Leaflet,Safeguarding,,rsm.two@example.org,36,,31/02/2027,1.0,,
PG-007,Recording in Case Files,practice guidance,QA,ro.two(at)example.org,,0,,,2,,
LAC-014,Duplicate,procedure,,,rsm.one@example.org,12,,2027-01-01,,,
"Multi,
line",Spans two lines,procedure,,,rsm.one@example.org,twelve,03/14/2027,,,,
"""


def test_every_problem_is_reported_with_its_line_and_nothing_is_written(runtime, tmp_path, capsys):
    path = write(tmp_path, "bad.csv", BAD)
    assert run("import", str(path)) == 1
    err = capsys.readouterr().err.splitlines()
    expected = [
        "1: colour: unknown column",
        "3: title: required",
        "3: type: unknown type 'Leaflet'",
        "3: next_review_due: '31/02/2027' is not a real date",
        "4: owner_email: 'ro.two(at)example.org' is not an e-mail address",
        "4: approver_email: required",
        "4: review_cycle_months: must be a positive number of months, not 0",
        "4: next_review_due: give next_review_due or last_approved",
        "5: reference: LAC-014 appears twice in the file (first on line 2)",
        "6: review_cycle_months: 'twelve' is not a whole number of months",
        "6: last_approved: '03/14/2027' is not a real date",
    ]
    for problem in expected:
        assert any(line.startswith(f"signoff: {path}:{problem}") for line in err), (problem, err)
    assert all(line.startswith("signoff: ") for line in err), err
    assert err[-1] == f"signoff: {len(expected)} problems in {path}; nothing was imported."
    assert count(runtime, Document) == 0
    assert count(runtime, Person) == 0
    assert count(runtime, AuditEvent) == 0


def test_a_file_with_one_bad_row_changes_nothing_already_there(runtime, tmp_path, capsys):
    assert run("import", str(write(tmp_path, "good.csv", GOOD))) == 0
    changed = GOOD.replace("Looked After Children Reviews", "LAC Reviews (2026)").replace(
        "2027-01-31", "2027-02-30"
    )
    path = write(tmp_path, "changed.csv", changed)
    assert run("import", str(path)) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"signoff: {path}:3: next_review_due: '2027-02-30' is not a real date "
        "(day first: 2027-03-14, 14/03/2027, 14-03-2027 or 14 Mar 2027)",
        f"signoff: 1 problem in {path}; nothing was imported.",
    ]
    assert documents(runtime)["LAC-014"].title == "Looked After Children Reviews"


def test_headers_match_case_insensitively_in_any_order(runtime, tmp_path):
    text = (
        "Approver Email,Reference,TITLE,Next Review Due,Type\n"
        "rsm@example.org,HR-1,Allegations against staff,01/06/2027,protocol\n"
    )
    assert run("import", str(write(tmp_path, "r.csv", text))) == 0
    doc = documents(runtime)["HR-1"]
    assert (doc.next_review_due, doc.review_cycle_months) == (date(2027, 6, 1), 36)


def test_missing_required_columns_are_named(runtime, tmp_path, capsys):
    assert run("import", str(write(tmp_path, "r.csv", "reference,title\nA-1,A\n"))) == 1
    err = capsys.readouterr().err
    assert f"signoff: {tmp_path / 'r.csv'}:1: approver_email: required column is missing" in err
    assert ":1: next_review_due: the register needs next_review_due or last_approved" in err
    assert f"signoff: 4 problems in {tmp_path / 'r.csv'}; nothing was imported." in err


def test_round_trip_export_then_import_changes_nothing_and_says_so(runtime, tmp_path, capsys):
    assert run("import", str(write(tmp_path, "register.csv", GOOD))) == 0
    for name in ("out.csv", "out.xlsx"):
        assert run("export", str(tmp_path / name)) == 0
        capsys.readouterr()
        events = count(runtime, AuditEvent)
        before = {
            ref: (d.title, d.version, d.next_review_due, d.updated_at)
            for ref, d in documents(runtime).items()
        }
        assert run("import", str(tmp_path / name)) == 0
        assert capsys.readouterr().out.strip() == (
            "No changes: all 3 documents already match the register."
        )
        after = {
            ref: (d.title, d.version, d.next_review_due, d.updated_at)
            for ref, d in documents(runtime).items()
        }
        assert after == before
        assert count(runtime, AuditEvent) == events + 1  # the import itself, and nothing else


def test_export_has_the_import_columns_then_status_target_and_publication(
    runtime, tmp_path, capsys
):
    assert run("import", str(write(tmp_path, "register.csv", GOOD))) == 0
    capsys.readouterr()
    assert run("export", "-") == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert list(rows[0]) == [
        *HEADER.split(","),
        "approving_committee",
        "governed_by",
        "status",
        "target_date",
        "publication",
    ]
    lac = next(r for r in rows if r["reference"] == "LAC-014")
    assert lac["last_approved"] == "2026-03-04"
    assert lac["next_review_due"] == "2027-03-04"
    assert (lac["status"], lac["target_date"], lac["publication"]) == ("current", "", "")
    assert lac["version"] == "3.9"


def test_an_xlsx_register_reads_date_cells_as_dates_and_sheet_rows_as_lines(
    runtime, tmp_path, capsys
):
    book = Workbook()
    sheet = book.active
    sheet.append(
        [
            "Reference",
            "Title",
            "Type",
            "Approver_Email",
            "Last_Approved",
            "Next_Review_Due",
            "Version",
        ]
    )
    sheet.append(
        [
            "LAC-014",
            "Looked After Children Reviews",
            "procedure",
            "rsm@example.org",
            datetime(2026, 3, 4),
            None,
            "3.10",
        ]
    )
    sheet.append(["LAC-015", "Placements", "procedure", "rsm@example.org", None, "31/02/2027", "1"])
    path = tmp_path / "register.xlsx"
    book.save(path)
    assert run("import", str(path)) == 1
    assert f"signoff: {path}:3: next_review_due: '31/02/2027' is not a real date" in (
        capsys.readouterr().err
    )

    sheet["F3"] = "28/02/2027"
    book.save(path)
    assert run("import", str(path)) == 0
    docs = documents(runtime)
    assert docs["LAC-014"].next_review_due == date(2027, 3, 4)
    assert docs["LAC-014"].version == "3.10"
    assert docs["LAC-015"].next_review_due == date(2027, 2, 28)

    assert run("export", str(tmp_path / "out.xlsx")) == 0
    exported = load_workbook(tmp_path / "out.xlsx").active
    headers = [cell.value for cell in exported[1]]
    version = exported.cell(row=2, column=headers.index("version") + 1).value
    assert version == "3.10"  # text, so Excel cannot turn it into 3.1


def test_files_that_are_not_registers_get_a_clear_answer(runtime, tmp_path, capsys):
    assert run("import", str(write(tmp_path, "register.txt", GOOD))) == 1
    assert "must be a .csv or .xlsx file" in capsys.readouterr().err
    assert run("import", str(tmp_path / "missing.csv")) == 1
    assert "no such file" in capsys.readouterr().err
    assert run("import", str(write(tmp_path, "fake.xlsx", "not a workbook"))) == 1
    assert "cannot be read as an Excel workbook" in capsys.readouterr().err
    assert run("import", str(write(tmp_path, "empty.csv", ""))) == 1
    assert "the file is empty" in capsys.readouterr().err


def test_a_cp1252_csv_from_excel_is_read(runtime, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(
        "reference,title,approver_email,next_review_due\n"
        "SG-1,Children\u2019s Safeguarding \u2013 Thresholds,rsm@example.org,"
        "01/12/2027\n".encode("cp1252")
    )
    assert run("import", str(path)) == 0
    assert documents(runtime)["SG-1"].title == "Children\u2019s Safeguarding \u2013 Thresholds"


def test_five_thousand_rows_import_in_one_transaction(runtime, tmp_path, capsys):
    lines = [HEADER]
    for n in range(5000):
        lines.append(
            f"DOC-{n:05d},Document {n},procedure,Area {n % 12},ro{n % 300}@example.org,"
            f"rsm{n % 40}@example.org,12,{1 + n % 28:02d}/0{1 + n % 9}/2026,,1.{n % 10},"
        )
    path = write(tmp_path, "big.csv", "\n".join(lines) + "\n")
    assert run("import", str(path)) == 0
    assert "5000 added" in capsys.readouterr().out
    assert count(runtime, Document) == 5000
    # One bad row in 5,000 and not one of the other 4,999 changes.
    lines[2500] = lines[2500].replace("procedure", "pamphlet")
    lines = [line.replace(",Document ", ",Renamed ") for line in lines]
    assert run("import", str(write(tmp_path, "big2.csv", "\n".join(lines)))) == 1
    with runtime.sessions() as session:
        renamed = session.scalar(
            select(func.count(Document.id)).where(Document.title.like("Renamed%"))
        )
    assert renamed == 0


def test_the_console_script_runs_outside_this_process(runtime, tmp_path, settings):
    path = write(tmp_path, "register.csv", GOOD)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "import", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "3 added" in result.stdout
    again = subprocess.run(
        [sys.executable, "-m", "bot", "history", "LAC-014"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert "document.created" in again.stdout


@pytest.mark.parametrize("command", [["import", "x.csv"], ["export", "-"], ["history", "X"]])
def test_commands_refuse_a_database_that_is_not_migrated(tmp_path, monkeypatch, capsys, command):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    assert run(*command) == 1
    assert "Run `signoff db upgrade` first" in capsys.readouterr().err


def test_db_upgrade_says_whether_it_created_migrated_or_found_it_current(
    tmp_path, monkeypatch, capsys
):
    from db.engine import make_engine
    from db.migrate import heads, upgrade

    latest = sorted(heads(make_engine("sqlite://"))[1])[0]
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    assert run("db", "upgrade") == 0
    assert capsys.readouterr().out == f"Created the tables (migration {latest}).\n"
    assert run("export", "-") == 0
    capsys.readouterr()
    assert run("db", "upgrade") == 0
    assert capsys.readouterr().out == f"The database is already up to date (migration {latest}).\n"

    # A database left at the first migration is taken forward, and says from where to where.
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(make_engine(f"sqlite:///{tmp_path / 'old.db'}"), "0001")
    assert run("db", "status") == 0
    assert capsys.readouterr().out == (
        f"Database at migration 0001 (behind {latest}: run `signoff db upgrade`).\n"
    )
    assert run("db", "upgrade") == 0
    assert capsys.readouterr().out == f"Migrated the database from migration 0001 to {latest}.\n"


def test_a_bad_setting_stops_with_one_line_naming_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    monkeypatch.setenv("SIGNOFF_TIMEZONE", "Mars/Olympus")
    assert run("db", "upgrade") == 1
    err = capsys.readouterr().err.strip()
    assert err == "signoff: SIGNOFF_TIMEZONE: unknown time zone 'Mars/Olympus' (e.g. Europe/London)"


@pytest.mark.parametrize(
    ("command", "missing"), [(["tick"], "SLACK_BOT_TOKEN"), (["serve"], "SLACK_BOT_TOKEN")]
)
def test_a_command_needing_a_missing_setting_names_it_in_one_line(
    database_url, monkeypatch, capsys, command, missing
):
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    assert run(*command) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"signoff: {missing} is not set") and "\n" not in err


def test_counts_read_as_english_for_one_and_for_many(runtime, tmp_path, capsys):
    one = "\n".join(GOOD.splitlines()[:2]) + "\n"
    assert run("import", str(write(tmp_path, "one.csv", one))) == 0
    assert capsys.readouterr().out == (
        "Imported the register (1 document): 1 added, 0 updated, 0 unchanged, 2 new people.\n"
    )
    assert run("export", str(tmp_path / "out.csv")) == 0
    assert capsys.readouterr().err == f"Exported 1 document to {tmp_path / 'out.csv'}.\n"
    assert run("import", str(tmp_path / "out.csv")) == 0
    assert capsys.readouterr().out == "No changes: the 1 document already matches the register.\n"
    three = GOOD.replace("rsm.two@example.org", "rsm.one@example.org")
    assert run("import", str(write(tmp_path, "three.csv", three))) == 0
    assert capsys.readouterr().out == (
        "Imported the register (3 documents): 2 added, 0 updated, 1 unchanged, 1 new person.\n"
    )


def test_export_marks_a_document_past_its_due_date_overdue_before_any_tick(
    runtime, tmp_path, capsys, clock
):
    today = clock.now().date()
    late = (
        f"{HEADER}\nLAC-090,Late Procedure,procedure,,ro.one@example.org,rsm.one@example.org,"
        f",,{today - timedelta(days=30):%d/%m/%Y},1.0,\n"
        f"LAC-091,Early Procedure,procedure,,ro.one@example.org,rsm.one@example.org,"
        f",,{today + timedelta(days=30):%d/%m/%Y},1.0,\n"
    )
    assert run("import", str(write(tmp_path, "register.csv", late))) == 0
    capsys.readouterr()
    assert run("--now", clock.now().isoformat(), "export", "-") == 0
    rows = {r["reference"]: r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert rows["LAC-090"]["status"] == "overdue"
    assert rows["LAC-091"]["status"] == "current"
