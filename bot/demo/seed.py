"""The demo's organisation: fictional people with their roles, the bundled register (its due
dates written as days from today, so it is always fresh), and reviews put in every state
through the ordinary use cases."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path

from bot.runtime import Runtime
from workflow.context import SYSTEM, Actor
from workflow.errors import Refused
from workflow.register import validate
from workflow.register_files import read_register
from workflow.register_sync import import_register
from workflow.reviews import decide, open_review, start_review, submit_draft, submit_no_changes
from workflow.states import Action


@dataclass(frozen=True)
class DemoPerson:
    slack_id: str
    name: str
    email: str
    role: str


PEOPLE = (
    DemoPerson(
        "UPAT", "Pat Officer", "pat.officer@example.org", "Policy and Procedures Officer (admin)"
    ),
    DemoPerson(
        "UOLIVE", "Olive Owner", "olive.owner@example.org", "owner of LAC-014, LAC-021, LAC-040"
    ),
    DemoPerson(
        "UAMIR",
        "Amir Approver",
        "amir.approver@example.org",
        "approver (RSM) for Children in Care and Safeguarding",
    ),
    DemoPerson(
        "UBEA",
        "Bea Manager",
        "bea.manager@example.org",
        "approver (RSM) for Leaving Care, Adoption, QA",
    ),
    DemoPerson(
        "UCARL",
        "Carl Lead",
        "carl.lead@example.org",
        "approver (RSM) for Early Help, Fostering, Youth Justice",
    ),
    DemoPerson("USITA", "Sita Leader", "sita.leader@example.org", "Senior Leadership Team"),
    DemoPerson("USAM", "Sam Senior", "sam.senior@example.org", "Senior Leadership Team"),
    DemoPerson(
        "UHANA",
        "Hana Quality",
        "hana.quality@example.org",
        "Head of Quality Assurance (escalations); owner of QA documents",
    ),
    DemoPerson("UOWEN", "Owen Ward", "owen.ward@example.org", "owner"),
    DemoPerson("UPRIYA", "Priya Patel", "priya.patel@example.org", "owner"),
    DemoPerson("UDEV", "Dev Khan", "dev.khan@example.org", "owner"),
    DemoPerson("UNINA", "Nina Brook", "nina.brook@example.org", "owner"),
    DemoPerson("UFAY", "Fay Carter", "fay.carter@example.org", "owner"),
    DemoPerson("UYUSUF", "Yusuf James", "yusuf.james@example.org", "owner"),
)
ADMINS = ("pat.officer@example.org",)
SLT = ("sita.leader@example.org", "sam.senior@example.org")
ESCALATION = ("hana.quality@example.org",)


def register_file(today: date, folder: Path) -> Path:
    """The bundled register with its relative due dates (+42, -20) made real for `today`."""
    text = resources.files("bot.demo").joinpath("sample_register.csv").read_text()
    lines = text.splitlines()
    header = lines[0].split(",")
    due = header.index("next_review_due")
    out = [lines[0]]
    for line in lines[1:]:
        cells = line.split(",")
        cells[due] = (today + timedelta(days=int(cells[due]))).isoformat()
        out.append(",".join(cells))
    path = folder / "register.csv"
    path.write_text("\n".join(out) + "\n")
    return path


def seed(runtime: Runtime, now: datetime, folder: Path) -> None:
    today = now.astimezone(runtime.settings.timezone).date()
    records, problems = read_register(register_file(today, folder))
    rows, row_problems = validate(records)
    assert not problems and not row_problems, problems + row_problems
    officer = Actor(None, "demo set-up", is_admin=True)
    import_register(runtime.ctx(officer, now=now), rows)

    def ctx(email: str):  # type: ignore[no-untyped-def]
        return runtime.ctx(runtime.actor_for_email(email), now=now)

    def opened(reference: str) -> int:
        return open_review(runtime.ctx(SYSTEM, now=now), reference).id

    # Reviews in every state, a few of them late.
    start_review(ctx("olive.owner@example.org"), opened("LAC-021"))
    start_review(ctx("owen.ward@example.org"), opened("LAC-030"))
    opened("CP-001")
    opened("LAC-033")
    opened("EH-011")
    submit_draft(
        ctx("priya.patel@example.org"),
        opened("LC-002"),
        link="https://drafts.example.org/lc-002-v3-2",
        summary="Pathway plans now reviewed every six months, not yearly.",
    )
    submit_no_changes(ctx("fay.carter@example.org"), opened("FC-010"))
    eh = opened("EH-003")
    submit_draft(
        ctx("nina.brook@example.org"),
        eh,
        link="https://drafts.example.org/eh-003",
        summary="Added the consent section.",
    )
    maybe(
        decide,
        ctx("carl.lead@example.org"),
        eh,
        Action.APPROVE_WITH_CONDITIONS,
        text="Name the Early Help Coordinator as the lead professional.",
    )
    fc = opened("FC-002")
    submit_draft(
        ctx("fay.carter@example.org"),
        fc,
        link="https://drafts.example.org/fc-002",
        summary="Panel membership changed to meet the 2011 regulations.",
    )
    maybe(
        decide,
        ctx("carl.lead@example.org"),
        fc,
        Action.REFER,
        text="Changes the panel's membership: the SLT should decide.",
    )
    qa = opened("QA-003")
    submit_no_changes(ctx("hana.quality@example.org"), qa)
    maybe(decide, ctx("bea.manager@example.org"), qa, Action.APPROVE)


def maybe(use_case, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
    """A decision the demo's governance may not give to that person (a committee decides at
    its meetings, say): the review then waits where that governance puts it."""
    with contextlib.suppress(Refused):
        use_case(*args, **kwargs)
