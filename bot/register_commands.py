"""The `signoff` subcommands about the register as a whole: what depends on a document
(`impact`), its archive of approved versions (`archive`), the staff who read what was
published (`uptake`), and what `history` and `export --archive` add of them."""

from __future__ import annotations

import argparse
from datetime import date

from sqlalchemy.orm import Session

from bot.commands import start
from bot.runtime import Runtime
from bot.settings import Settings
from db.models import Document
from workflow import archive, links, uptake
from workflow.context import SYSTEM, Ctx
from workflow.reviews import find_document
from workflow.words import counted


def _document(runtime: Runtime, session: Session, reference: str) -> Document:
    return find_document(Ctx(session, SYSTEM, runtime.now(), runtime.settings.timezone), reference)


def _today(runtime: Runtime) -> date:
    return runtime.now().astimezone(runtime.settings.timezone).date()


def impact(args: argparse.Namespace, settings: Settings) -> int:
    runtime = start(args, settings)
    with runtime.sessions() as session:
        document = _document(runtime, session, args.reference)
        for line in impact_lines(session, document):
            print(line)
    return 0


def impact_lines(session: Session, document: Document) -> list[str]:
    """The tree of what depends on `document`, and what it follows itself."""
    above, below = links.impact_tree(session, document)
    lines = [f"{document.reference}  {document.title} ({_kind(document.doc_type)})"]
    if above:
        lines.append(
            "  follows "
            + ", ".join(f"{n.reference} {n.title} ({_kind(n.doc_type)})" for n in above)
        )
    if not below:
        lines.append(f"Nothing follows {document.reference}: a change to it affects no other.")
        return lines
    # Tree lines: each node's own connector, then the rails of the ancestors still to come.
    for n, node in enumerate(below):
        later = below[n + 1 :]
        last = not any(other.depth == node.depth for other in _until_shallower(later, node.depth))
        rails = "".join(
            "   " if not any(o.depth == d for o in _until_shallower(later, d)) else "\u2502  "
            for d in range(1, node.depth)
        )
        connector = "\u2514\u2500 " if last else "\u251c\u2500 "
        owner = f"  owner {node.owner}" if node.owner else ""
        version = f" v{node.version}" if node.version else ""
        again = "  (shown above)" if node.seen_above else ""
        lines.append(
            f"{rails}{connector}{node.reference}  {node.title} ({_kind(node.doc_type)}"
            f"{version}){owner}{again}"
        )
    lines.append(
        f"{counted(len({n.reference for n in below}), 'document')} depend on {document.reference}."
    )
    return lines


def _until_shallower(nodes: list[links.Node], depth: int) -> list[links.Node]:
    """The nodes that follow, up to the first that is shallower than `depth`."""
    taken = []
    for node in nodes:
        if node.depth < depth:
            break
        taken.append(node)
    return taken


def _kind(doc_type: str) -> str:
    return doc_type.replace("_", " ")


def archive_command(args: argparse.Namespace, settings: Settings) -> int:
    runtime = start(args, settings)
    with runtime.sessions() as session:
        document = _document(runtime, session, args.reference)
        print(f"{document.reference}  {document.title}")
        for line in archive_lines(session, document, settings.retention_years, _today(runtime)):
            print(line)
    return 0


def archive_lines(
    session: Session, document: Document, retention_years: int | None, today: date
) -> list[str]:
    kept = archive.versions(session, [document.id], retention_years=retention_years)
    if not kept:
        return ["No approved version kept yet: the archive starts with the first approval."]
    lines = []
    for view in kept:
        published = f", published {view.published_on:%d %b %Y}" if view.published_on else ""
        lines.append(
            f"  {view.version or '(no version)':<8} {view.decision} on "
            f"{view.approved_on:%d %b %Y}{published}"
        )
        if view.deciders:
            lines.append(f"           by {view.deciders}")
        if view.summary:
            lines.append(f"           \u201c{_clip(view.summary)}\u201d")
        if view.link:
            lines.append(f"           {view.link}")
        if view.superseded_on is None:
            lines.append("           current")
        elif view.due_for_disposal is not None and view.due_for_disposal <= today:
            lines.append(
                f"           superseded {view.superseded_on:%d %b %Y}; DUE FOR DISPOSAL since "
                f"{view.due_for_disposal:%d %b %Y} (SIGNOFF_RETENTION_YEARS={retention_years})"
            )
        elif view.due_for_disposal is not None:
            lines.append(
                f"           superseded {view.superseded_on:%d %b %Y}; kept until "
                f"{view.due_for_disposal:%d %b %Y}"
            )
        else:
            lines.append(f"           superseded {view.superseded_on:%d %b %Y}")
    lines.append(f"{counted(len(kept), 'version')} kept; nothing is ever deleted.")
    return lines


def uptake_command(args: argparse.Namespace, settings: Settings) -> int:
    runtime = start(args, settings)
    with runtime.sessions() as session:
        document = _document(runtime, session, args.reference)
        print(f"{document.reference}  {document.title}")
        for line in uptake_lines(session, document):
            print(line)
        area = next(
            (
                rate
                for rate in uptake.rates_by_area(session)
                if rate.service_area == document.service_area
            ),
            None,
        )
        if area is not None:
            print(
                f"{document.service_area or 'No service area'}, every document: {area.percent} "
                f"({area.read} of {area.sent} have read the latest versions)"
            )
    return 0


def uptake_lines(session: Session, document: Document) -> list[str]:
    rates = uptake.rates_of(session, document.id)
    if not rates:
        return ["Not sent to staff to read: no version has been published to a staff group."]
    return [
        f"  version {rate.version or '(none)'}, published "
        f"{rate.published_on:%d %b %Y}: {rate.percent} read ({rate.read} of {rate.sent}; "
        f"{rate.reminded} reminded)"
        for rate in rates
        if rate.published_on is not None
    ]


def history_lines(
    session: Session, document: Document, settings: Settings, today: date
) -> list[str]:
    """What `signoff history` shows after the events: the versions kept, the questions asked
    about linked documents, and what staff read."""
    lines = ["", "Versions kept (signoff archive):"]
    lines += archive_lines(session, document, settings.retention_years, today)
    questions = links.question_views(session, document_id=document.id)
    if questions:
        lines += ["", "Linked documents asked after a change:"]
        for q in questions:
            answer = q.answer_words or "not answered yet"
            if q.answered_by and q.answered_at:
                when = q.answered_at.astimezone(settings.timezone)
                answer += f" ({q.answered_by}, {when:%d %b %Y})"
            if q.answer == "later" and q.ask_again_on:
                answer += f", asked again {q.ask_again_on:%d %b %Y}"
            lines.append(
                f"  {q.changed_reference} {q.version or ''} changed; {q.linked_reference}: {answer}"
            )
    rates = uptake_lines(session, document)
    if uptake.rates_of(session, document.id):
        lines += ["", "Read by staff (signoff uptake):", *rates]
    return lines


def _clip(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"
