"""The register's `governed_by`: imported and exported, refused with every cycle and unknown
reference named by line, and `signoff impact` printing the tree of what depends on a document."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sqlalchemy import select

from bot.cli import main
from db.models import DocumentLink
from tests.factories import ADMIN, OWNER, Register
from workflow.errors import Refused
from workflow.links import link

HEADER = (
    "reference,title,type,service_area,owner_email,approver_email,review_cycle_months,"
    "last_approved,next_review_due,version,link,governed_by"
)
# A policy, two procedures that follow it, a form that follows one of them (written before the
# procedure it names), and a practice guidance that follows both procedures.
WEB = f"""{HEADER}
FRM-003,Care Plan form,form,Children in Care,olive@example.org,amir@example.org,,,01/06/2027,1.0,,CP-012
LAC-014,Looked After Children Policy,policy,Children in Care,pat@example.org,amir@example.org,,,01/06/2027,3.2,,
CP-012,Care Planning,procedure,Children in Care,olive@example.org,amir@example.org,,,01/06/2027,2.0,,LAC-014
CP-013,Placement Moves,procedure,Children in Care,bea@example.org,amir@example.org,,,01/06/2027,1.4,,lac-014
PG-001,Recording Visits,practice guidance,Children in Care,bea@example.org,amir@example.org,,,01/06/2027,1,,CP-012; CP-013
"""


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def exported(capsys) -> dict[str, dict[str, str]]:
    capsys.readouterr()
    assert main(["export", "-"]) == 0
    return {r["reference"]: r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}


def links(runtime) -> int:
    with runtime.sessions() as session:
        return len(session.scalars(select(DocumentLink)).all())


def test_governed_by_is_imported_exported_and_read_back_unchanged(runtime, tmp_path, capsys):
    path = write(tmp_path, "register.csv", WEB)
    assert main(["import", path]) == 0
    rows = exported(capsys)
    assert {ref: row["governed_by"] for ref, row in rows.items()} == {
        "CP-012": "LAC-014",
        "CP-013": "LAC-014",
        "FRM-003": "CP-012",
        "LAC-014": "",
        "PG-001": "CP-012; CP-013",
    }
    assert links(runtime) == 5

    # The export read back changes nothing; a file without the column leaves the links alone.
    exported_file = tmp_path / "export.csv"
    assert main(["export", str(exported_file)]) == 0
    assert main(["import", str(exported_file)]) == 0
    assert "No changes: all 5 documents already match" in capsys.readouterr().out
    without = "\n".join(line.rsplit(",", 1)[0] for line in WEB.strip().splitlines()) + "\n"
    assert main(["import", write(tmp_path, "old.csv", without)]) == 0
    assert "No changes" in capsys.readouterr().out
    assert links(runtime) == 5

    # A link dropped in the file is dropped, and the history says so.
    dropped = WEB.replace("CP-012; CP-013", "CP-013")
    assert main(["import", write(tmp_path, "dropped.csv", dropped)]) == 0
    assert "1 updated" in capsys.readouterr().out
    assert main(["history", "PG-001"]) == 0
    assert "governed_by: CP-012; CP-013 -> CP-013" in capsys.readouterr().out


def test_a_cycle_and_an_unknown_reference_are_refused_naming_their_lines(runtime, tmp_path, capsys):
    assert main(["import", write(tmp_path, "register.csv", WEB)]) == 0
    capsys.readouterr()
    bad = WEB.replace(
        "Looked After Children Policy,policy,Children in Care,pat@example.org,amir@example.org,"
        ",,01/06/2027,3.2,,",
        "Looked After Children Policy,policy,Children in Care,pat@example.org,amir@example.org,"
        ",,01/06/2027,3.2,,FRM-003",
    ).replace("CP-012; CP-013", "CP-012; CP-099")
    path = write(tmp_path, "bad.csv", bad)
    assert main(["import", path]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"signoff: {path}:2: governed_by: a cycle: CP-012 follows LAC-014, which follows "
        "FRM-003, which follows CP-012 (lines 2, 3, 4); a document cannot follow itself, even "
        "through others",
        f"signoff: {path}:6: governed_by: 'CP-099' is neither in the register nor in this file; "
        "give the references of the documents PG-001 follows, separated by ; "
        "(e.g. LAC-014; CP-012)",
        f"signoff: 2 problems in {path}; nothing was imported.",
    ]
    assert exported(capsys)["PG-001"]["governed_by"] == "CP-012; CP-013"
    # A document following itself is a problem of its own line.
    selfish = WEB.replace(",1.4,,lac-014", ",1.4,,CP-013")
    assert main(["import", write(tmp_path, "self.csv", selfish)]) == 1
    assert "self.csv:5: governed_by: CP-013 cannot follow itself" in capsys.readouterr().err


def test_a_cycle_through_the_register_already_kept_is_named_at_the_files_line(
    runtime, tmp_path, capsys
):
    assert main(["import", write(tmp_path, "register.csv", WEB)]) == 0
    capsys.readouterr()
    # Only the policy, now said to follow the form: the cycle closes through links signoff has.
    one = f"{HEADER}\nLAC-014,Looked After Children Policy,policy,,pat@example.org,amir@example.org,,,01/06/2027,3.2,,FRM-003\n"
    path = write(tmp_path, "one.csv", one)
    assert main(["import", path]) == 1
    assert (
        f"{path}:2: governed_by: a cycle: CP-012 follows LAC-014, which follows FRM-003, which "
        "follows CP-012 (line 2)" in capsys.readouterr().err
    )


def test_impact_prints_the_tree_of_what_depends_on_a_document(runtime, tmp_path, capsys):
    assert main(["import", write(tmp_path, "register.csv", WEB)]) == 0
    capsys.readouterr()
    assert main(["impact", "LAC-014"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "LAC-014  Looked After Children Policy (policy)",
        "├─ CP-012  Care Planning (procedure v2.0)  owner olive@example.org",
        "│  ├─ FRM-003  Care Plan form (form v1.0)  owner olive@example.org",
        "│  └─ PG-001  Recording Visits (practice guidance v1)  owner bea@example.org",
        "└─ CP-013  Placement Moves (procedure v1.4)  owner bea@example.org",
        "   └─ PG-001  Recording Visits (practice guidance v1)  owner bea@example.org  "
        "(shown above)",
        "4 documents depend on LAC-014.",
    ]
    assert main(["impact", "FRM-003"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "FRM-003  Care Plan form (form)",
        "  follows CP-012 Care Planning (procedure)",
        "Nothing follows FRM-003: a change to it affects no other.",
    ]


def test_an_admin_links_and_unlinks_documents_and_a_cycle_is_refused(runtime, tmp_path, capsys):
    assert main(["import", write(tmp_path, "register.csv", WEB)]) == 0
    register = Register(runtime)
    try:
        link(register.ctx(OWNER), "FRM-003", "LAC-014")
    except Refused as refusal:
        assert "Only an admin" in refusal.message
    else:
        raise AssertionError("an owner linked documents")
    said = link(register.ctx(ADMIN), "FRM-003", "LAC-014")
    assert said == "FRM-003 now follows CP-012; LAC-014."
    for follower, governing, words in (
        ("LAC-014", "PG-001", "PG-001 already follows LAC-014, directly or through others"),
        ("CP-012", "CP-012", "CP-012 cannot follow itself"),
        ("CP-012", "LAC-014", "CP-012 already follows LAC-014"),
        ("CP-012", "NOPE-1", "There is no document NOPE-1"),
    ):
        try:
            link(register.ctx(ADMIN), follower, governing)
        except Refused as refusal:
            assert words in refusal.message
        else:
            raise AssertionError(f"{follower} -> {governing} was linked")
    assert link(register.ctx(ADMIN), "FRM-003", "CP-012", linked=False) == (
        "FRM-003 now follows LAC-014."
    )
    assert exported(capsys)["FRM-003"]["governed_by"] == "LAC-014"
