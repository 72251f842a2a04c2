"""Reading and writing the register as CSV or XLSX, keeping each row's own line number."""

from __future__ import annotations

import csv
import io
import itertools
import sys
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from workflow.errors import InputProblem
from workflow.register import Problem, map_headers, neutralise

Record = tuple[int, dict[str, Any]]


def read_rows(
    path: str | Path, what: str = "the register"
) -> tuple[list[Any], list[tuple[int, list[Any]]]]:
    """A CSV or XLSX file's header and its non-empty rows with their own line numbers.

    Raises InputProblem when the file cannot be read at all."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InputProblem([f"{path.name}: {what} must be a .csv or .xlsx file"])
    if not path.is_file():
        raise InputProblem([f"{path}: no such file"])
    raw = _xlsx_rows(path) if suffix == ".xlsx" else _csv_rows(path)
    try:
        first = next(raw, None)
        if first is None:
            raise InputProblem([f"{path.name}: the file is empty; line 1 must be the header"])
        rows = [
            (line, cells)
            for line, cells in raw
            if any(cell is not None and str(cell).strip() for cell in cells)
        ]
    except (csv.Error, UnicodeDecodeError) as error:
        raise InputProblem([f"{path.name}: cannot be read as CSV ({error})"]) from error
    return first[1], rows


def read_register(path: str | Path) -> tuple[list[Record], list[Problem]]:
    """The file's rows as (line, {column: value}), and the problems with its header."""
    headers, rows = read_rows(path)
    positions, problems = map_headers(headers)
    records = [
        (line, {column: cells[i] if i < len(cells) else None for i, column in positions.items()})
        for line, cells in rows
    ]
    return records, problems


def _csv_rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    data = path.read_bytes()
    # Excel on Windows saves "CSV" as cp1252 unless told otherwise; accept both, and Latin-1
    # (which reads any bytes) for the five that cp1252 leaves undefined.
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    # Where the decimal separator is a comma (most of Europe), Excel's "CSV" separates its
    # cells with semicolons: the header line says which this file is.
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1
    for cells in reader:
        yield line, cells
        line = reader.line_num + 1  # a quoted cell may span lines: report where the row starts


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[Any]]]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        # What Excel shows (a formula's last value), and beside it the formulas themselves: a
        # formula Excel never worked out has no value, and is read as its formula, for the
        # register's checks to refuse rather than take as an empty cell.
        workbook = load_workbook(path, read_only=True, data_only=True)
        formulas = load_workbook(path, read_only=True, data_only=False)
    except (InvalidFileException, BadZipFile, OSError, KeyError, ValueError) as error:
        problem = f"{path.name}: cannot be read as an Excel workbook ({error})"
        raise InputProblem([problem]) from error
    try:
        shown = workbook.worksheets[0].iter_rows(values_only=True)
        written = formulas.worksheets[0].iter_rows(values_only=True)
        for number, (cells, behind) in enumerate(zip(shown, written, strict=False), start=1):
            yield (
                number,
                [
                    formula if value is None and _is_formula(formula) else value
                    for value, formula in itertools.zip_longest(cells, behind)
                ],
            )
    finally:
        workbook.close()
        formulas.close()


def _is_formula(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("=")


Sheet = tuple[str, list[Mapping[str, Any]], tuple[str, ...]]


def write_register(
    target: str | Path,
    rows: list[Mapping[str, Any]],
    columns: tuple[str, ...],
    *,
    more: tuple[Sheet, ...] = (),
) -> list[Path]:
    """CSV or XLSX by extension; `-` writes CSV to standard output. Dates as ISO. `more` are
    further sheets (name, rows, columns): sheets of the workbook after the register's, or for
    CSV files of their own beside it (`register-archive.csv`). The files written."""
    if str(target) == "-":
        if more:
            raise InputProblem(
                [f"-: {more[0][0].lower()} needs a file of its own: give a .csv or .xlsx file"]
            )
        _write_csv(sys.stdout, rows, columns)
        return []
    path = Path(target)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        written = [path]
        with path.open("w", newline="", encoding="utf-8") as handle:
            _write_csv(handle, rows, columns)
        for name, sheet_rows, sheet_columns in more:
            beside = path.with_name(f"{path.stem}-{name.lower()}{path.suffix}")
            with beside.open("w", newline="", encoding="utf-8") as handle:
                _write_csv(handle, sheet_rows, sheet_columns)
            written.append(beside)
        return written
    elif suffix == ".xlsx":
        _write_xlsx(path, rows, columns, more)
        return [path]
    else:
        raise InputProblem(
            [f"{path.name}: export to a .csv or .xlsx file, or - for standard output"]
        )


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(str(value))


def _write_csv(handle: Any, rows: list[Mapping[str, Any]], columns: tuple[str, ...]) -> None:
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell_text(row.get(column)) for column in columns])


def _write_xlsx(
    path: Path,
    rows: list[Mapping[str, Any]],
    columns: tuple[str, ...],
    more: tuple[Sheet, ...] = (),
) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for name, sheet_rows, sheet_columns in (("Register", rows, columns), *more):
        sheet = workbook.create_sheet(name)
        sheet.append(list(sheet_columns))
        for row in sheet_rows:
            cells: list[Any] = []
            for column in sheet_columns:
                value = row.get(column)
                if isinstance(value, (date, int)):
                    cells.append(value)
                else:
                    # Text stays text: a version "3.10" must not come back as the number 3.1.
                    cells.append(_cell_text(value) or None)
            sheet.append(cells)
    workbook.save(path)
