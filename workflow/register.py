"""The register's columns and the validation of one row, as a policy officer's spreadsheet has it.

Pure: values in (text from a CSV, or typed cells from a workbook), a `RegisterRow` or the list of
everything wrong with it out. Every problem names the file's own line and the column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from workflow.dates import DATE_EXAMPLES, add_months, parse_uk_date
from workflow.people import normalise_email

COLUMNS = (
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
    "approving_committee",
    "governed_by",
)
# Written by `signoff export` and read back without complaint, but never imported: they are
# what signoff knows, not what the register says.
EXPORT_COLUMNS = (*COLUMNS, "status", "target_date", "publication")
REQUIRED_COLUMNS = ("reference", "title", "approver_email")

DOC_TYPES = (
    "policy",
    "procedure",
    "practice_standard",
    "practice_guidance",
    "protocol",
    "guideline",
    "strategy",
    "form",
)
_LONG_CYCLE_TYPES = {"policy", "protocol", "strategy"}

# The longest text the database keeps in each column: refused here, by line and column, rather
# than cut short or failing the whole import at the database.
MAX_LENGTHS = {
    "reference": 64,
    "title": 500,
    "service_area": 200,
    "version": 32,
    "approving_committee": 64,
}
# What a spreadsheet takes for a formula: refused on import (signoff reads values, and a formula
# in the register is someone's mistake or someone's attack), and written with a leading ' on
# export, as OWASP recommends against CSV injection, so that Excel shows it as text.
FORMULA_STARTS = ("=", "@")
NEUTRALISED_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """A cell's text as export writes it: one that a spreadsheet would run is prefixed with '."""
    return "'" + text if text.startswith(NEUTRALISED_STARTS) else text


def _unneutralise(text: str) -> str:
    """The text that export neutralised, as it was: a file exported then imported round-trips."""
    return text[1:] if text[:1] == "'" and text[1:2] in NEUTRALISED_STARTS and text[1:] else text


# Headings officers use for the same columns.
_ALIASES = {
    "ref": "reference",
    "document_reference": "reference",
    "document_title": "title",
    "document_type": "type",
    "doc_type": "type",
    "service": "service_area",
    "ro_email": "owner_email",
    "responsible_officer_email": "owner_email",
    "rsm_email": "approver_email",
    "responsible_strategic_manager_email": "approver_email",
    "review_cycle": "review_cycle_months",
    "cycle_months": "review_cycle_months",
    "last_approved_date": "last_approved",
    "date_of_approval": "last_approved",
    "next_review": "next_review_due",
    "review_date": "next_review_due",
    "next_review_date": "next_review_due",
    "committee": "approving_committee",
    "approved_by": "approving_committee",
    "follows": "governed_by",
    "governing_documents": "governed_by",
    "parent_documents": "governed_by",
}


def default_cycle(doc_type: str) -> int:
    return 36 if doc_type in _LONG_CYCLE_TYPES else 12


@dataclass(frozen=True)
class Problem:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.line}: {self.column}: {self.message}"


@dataclass(frozen=True)
class RegisterRow:
    line: int
    reference: str
    title: str
    doc_type: str
    service_area: str | None
    owner_email: str | None
    approver_email: str
    review_cycle_months: int
    last_approved: date | None
    next_review_due: date
    version: str | None
    link: str | None
    # The approving committee the governance should take it to: a body's name, as written.
    committee: str | None = None
    # The references of the documents it follows; None where the file has no such column (the
    # links signoff knows then stay as they are).
    governed_by: tuple[str, ...] | None = None


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(text).strip().lower()).strip("_")


def column_for_header(header: Any) -> str | None:
    key = _key(header) if header is not None else ""
    key = _ALIASES.get(key, key)
    return key if key in EXPORT_COLUMNS else None


def map_headers(headers: list[Any]) -> tuple[dict[int, str], list[Problem]]:
    """Which column each position holds, and the problems with the header row (line 1)."""
    positions: dict[int, str] = {}
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, header in enumerate(headers):
        if header is None or str(header).strip() == "":
            continue
        column = column_for_header(header)
        if column is None:
            problems.append(
                Problem(
                    1, str(header).strip(), "unknown column; the columns are " + ", ".join(COLUMNS)
                )
            )
        elif column in seen:
            problems.append(Problem(1, str(header).strip(), f"the {column} column appears twice"))
        else:
            seen.add(column)
            positions[index] = column
    for column in REQUIRED_COLUMNS:
        if column not in seen:
            problems.append(Problem(1, column, "required column is missing"))
    if "next_review_due" not in seen and "last_approved" not in seen:
        problems.append(
            Problem(1, "next_review_due", "the register needs next_review_due or last_approved")
        )
    return positions, problems


def normalise_type(value: str) -> str | None:
    key = _key(value)
    if key in DOC_TYPES:
        return key
    singular = re.sub(r"ies$", "y", key)
    singular = re.sub(r"(?<=[a-z])s$", "", singular) if singular == key else singular
    singular = singular.replace("practice_standards", "practice_standard")
    return singular if singular in DOC_TYPES else None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return parse_uk_date(_text(value))


def parse_row(line: int, values: Mapping[str, Any]) -> RegisterRow | list[Problem]:
    problems: list[Problem] = []
    # A column already refused says so once, not again as "required" or "not a date".
    refused: set[str] = set()

    def problem(column: str, message: str) -> None:
        if column not in refused:
            problems.append(Problem(line, column, message))

    cells: dict[str, Any] = {}
    for column, raw in values.items():
        if isinstance(raw, str):
            text = raw.strip()
            if text.startswith(FORMULA_STARTS):
                problem(
                    column,
                    f"'{_clip(text)}' is a spreadsheet formula; signoff reads values, so give "
                    "the value itself",
                )
                refused.add(column)
                raw = None
            else:
                raw = _unneutralise(text)
            limit = MAX_LENGTHS.get(column)
            if raw is not None and limit is not None and len(" ".join(raw.split())) > limit:
                problem(column, f"{len(raw):,} characters is too long; at most {limit}")
                refused.add(column)
        cells[column] = raw
    values = cells

    reference = _text(values.get("reference"))
    if not reference:
        problem("reference", "required; give the document's reference (e.g. LAC-014)")
    title = " ".join(_text(values.get("title")).split())
    if not title:
        problem("title", "required; give the document's title")

    raw_type = _text(values.get("type"))
    doc_type = normalise_type(raw_type) if raw_type else "procedure"
    if doc_type is None:
        problem("type", f"unknown type '{raw_type}'; use one of " + ", ".join(DOC_TYPES))

    emails: dict[str, str | None] = {}
    for column, required in (("owner_email", False), ("approver_email", True)):
        raw = _text(values.get(column))
        if not raw:
            emails[column] = None
            if required:
                problem(
                    column,
                    "required; every document needs an approver (e.g. jane.smith@example.org)",
                )
            continue
        try:
            emails[column] = normalise_email(raw)
        except ValueError as error:
            problem(column, str(error))

    raw_cycle = _text(values.get("review_cycle_months"))
    cycle: int | None
    if not raw_cycle:
        cycle = default_cycle(doc_type) if doc_type else None
    else:
        try:
            cycle = int(raw_cycle)
        except ValueError:
            cycle = None
            problem(
                "review_cycle_months", f"'{raw_cycle}' is not a whole number of months (e.g. 12)"
            )
        else:
            if cycle <= 0:
                problem("review_cycle_months", f"must be a positive number of months, not {cycle}")

    parsed: dict[str, date | None] = {}
    for column in ("last_approved", "next_review_due"):
        raw = values.get(column)
        if raw is None or _text(raw) == "":
            parsed[column] = None
            continue
        try:
            parsed[column] = _date(raw)
        except ValueError as error:
            problem(column, str(error))
            parsed[column] = None
    last_approved, next_due = parsed["last_approved"], parsed["next_review_due"]
    column_failed = {p.column for p in problems}
    if next_due is None and "next_review_due" not in column_failed:
        if last_approved is not None and cycle is not None and cycle > 0:
            next_due = add_months(last_approved, cycle)
        elif last_approved is None and "last_approved" not in column_failed:
            problem(
                "next_review_due",
                f"give next_review_due or last_approved (dates like {DATE_EXAMPLES})",
            )

    governed_by = None
    if "governed_by" in values:
        governed_by = split_references(_text(values.get("governed_by")))
        if reference and reference.upper() in {ref.upper() for ref in governed_by}:
            problem("governed_by", f"{reference} cannot follow itself")

    if problems:
        return problems
    assert doc_type is not None and cycle is not None and next_due is not None
    approver = emails["approver_email"]
    assert approver is not None
    return RegisterRow(
        line=line,
        reference=reference,
        title=title,
        doc_type=doc_type,
        service_area=" ".join(_text(values.get("service_area")).split()) or None,
        owner_email=emails["owner_email"],
        approver_email=approver,
        review_cycle_months=cycle,
        last_approved=last_approved,
        next_review_due=next_due,
        version=_text(values.get("version")) or None,
        link=_text(values.get("link")) or None,
        committee=" ".join(_text(values.get("approving_committee")).split()) or None,
        governed_by=governed_by,
    )


def _clip(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def split_references(text: str) -> tuple[str, ...]:
    """`LAC-014; CP-012` as references, each once, in the order written."""
    found: dict[str, str] = {}
    for part in text.split(";"):
        reference = part.strip()
        if reference:
            found.setdefault(reference.upper(), reference)
    return tuple(found.values())


def check_governed_by(
    rows: Sequence[RegisterRow], known: Mapping[str, Sequence[str]]
) -> list[Problem]:
    """The problems with the rows' `governed_by`, each on its line: a reference neither in the
    file nor in the register, and every cycle (a document that, through others, would follow
    itself). `known` is what the register holds already: each reference and what it follows,
    which a row of the file replaces when the file has the column."""
    problems: list[Problem] = []
    line_of = {row.reference.upper(): row.line for row in rows}
    name = {ref.upper(): ref for ref in known}
    name |= {row.reference.upper(): row.reference for row in rows}
    follows: dict[str, list[str]] = {
        ref.upper(): [g.upper() for g in governing] for ref, governing in known.items()
    }
    for row in rows:
        follows.setdefault(row.reference.upper(), [])
        if row.governed_by is None:
            continue
        kept = []
        for reference in row.governed_by:
            if reference.upper() not in name:
                problems.append(
                    Problem(
                        row.line,
                        "governed_by",
                        f"'{reference}' is neither in the register nor in this file; give the "
                        f"references of the documents {row.reference} follows, separated by ; "
                        "(e.g. LAC-014; CP-012)",
                    )
                )
            elif reference.upper() != row.reference.upper():
                kept.append(reference.upper())
        follows[row.reference.upper()] = kept
    for cycle in _cycles(follows):
        lines = sorted({line_of[ref] for ref in cycle if ref in line_of})
        if not lines:
            continue  # the register's own links, untouched by this file
        names = [name.get(ref, ref) for ref in [*cycle, cycle[0]]]
        path = f"{names[0]} follows {names[1]}" + "".join(
            f", which follows {later}" for later in names[2:]
        )
        where = f"line {lines[0]}" if len(lines) == 1 else "lines " + ", ".join(map(str, lines))
        problems.append(
            Problem(
                lines[0],
                "governed_by",
                f"a cycle: {path} ({where}); a document cannot follow itself, even through others",
            )
        )
    return problems


def _cycles(follows: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """One cycle through each strongly connected group of documents that has one, as the
    references in order (Tarjan's algorithm, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0
    for root in sorted(follows):
        if root in index:
            continue
        work = [(root, iter(follows.get(root, ())))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            advanced = False
            for child in edges:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(follows.get(child, ()))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(group)
    return [_path_within(set(group), follows) for group in groups]


def _path_within(group: set[str], follows: Mapping[str, Sequence[str]]) -> list[str]:
    """A cycle through the group's first member, by the shortest way back to it."""
    start = min(group)
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in follows.get(node, ()):
                if child not in group:
                    continue
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return list(reversed(path))
                if child not in came_from:
                    came_from[child] = node
                    following.append(child)
        frontier = following
    return sorted(group)


def validate(
    records: Iterable[tuple[int, Mapping[str, Any]]],
) -> tuple[list[RegisterRow], list[Problem]]:
    """Every row parsed, every problem found, duplicates of a reference included."""
    rows: list[RegisterRow] = []
    problems: list[Problem] = []
    first_line: dict[str, int] = {}
    for line, values in records:
        result = parse_row(line, values)
        if isinstance(result, list):
            problems.extend(result)
            reference = _text(values.get("reference"))
        else:
            rows.append(result)
            reference = result.reference
        if reference:
            key = reference.upper()
            if key in first_line:
                problems.append(
                    Problem(
                        line,
                        "reference",
                        f"{reference} appears twice in the file (first on line {first_line[key]})",
                    )
                )
            else:
                first_line[key] = line
    return rows, problems


def name_committees(
    rows: list[RegisterRow], bodies: Mapping[str, Sequence[str]]
) -> tuple[list[RegisterRow], list[Problem]]:
    """Each row's approving committee as the governance's key for it. A register names a
    committee as people do ("Executive Committee"); `bodies` maps each key to the names it goes
    by. A committee the governance does not know is a problem on that line."""
    known = {_key(name): key for key, names in bodies.items() for name in (key, *names) if name}
    named, problems = [], []
    for row in rows:
        if row.committee is None:
            named.append(row)
            continue
        key = known.get(_key(row.committee))
        if key is None:
            listing = ", ".join(sorted(bodies)) or "none: the governance has no bodies"
            problems.append(
                Problem(
                    row.line,
                    "approving_committee",
                    f"'{row.committee}' is not a body of the governance; use one of {listing}",
                )
            )
            continue
        named.append(replace(row, committee=key))
    return named, problems
