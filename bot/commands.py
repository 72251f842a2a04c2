"""What each `signoff` subcommand does: parse little, call a use case, print the answer."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.runtime import Runtime
from bot.settings import Settings
from db.engine import make_engine
from db.migrate import heads, upgrade
from db.models import AuditEvent, Document, Person
from workflow.context import SYSTEM, Ctx
from workflow.errors import InputProblem
from workflow.register import EXPORT_COLUMNS, validate
from workflow.register_files import read_register, write_register
from workflow.register_sync import export_register, import_register
from workflow.reviews import find_document


def db(args: argparse.Namespace, settings: Settings) -> int:
    engine = make_engine(settings.database_url)
    if args.db_command == "upgrade":
        upgrade(engine)
    current, latest = heads(engine)
    state = "up to date" if current == latest else "behind: run `signoff db upgrade`"
    print(f"Database at migration {', '.join(sorted(current)) or 'none'} ({state}).")
    return 0


def import_file(args: argparse.Namespace, settings: Settings) -> int:
    runtime = Runtime.start(settings)
    records, problems = read_register(args.file)
    rows, row_problems = validate(records)
    problems += row_problems
    if problems:
        problems.sort(key=lambda problem: problem.line)
        raise InputProblem(
            [str(problem) for problem in problems]
            + [f"{len(problems)} problem(s) in {args.file}; nothing was imported."]
        )
    result = import_register(runtime.ctx(runtime.command_line_actor()), rows)
    print(result.summary())
    return 0


def export_file(args: argparse.Namespace, settings: Settings) -> int:
    runtime = Runtime.start(settings)
    rows = export_register(runtime.ctx(runtime.command_line_actor()))
    write_register(args.file, rows, EXPORT_COLUMNS)
    if args.file != "-":
        print(f"Exported {len(rows)} documents to {args.file}.", file=sys.stderr)
    return 0


def history(args: argparse.Namespace, settings: Settings) -> int:
    runtime = Runtime.start(settings)
    with runtime.sessions() as session:
        document = find_document(
            Ctx(session, SYSTEM, datetime.now(UTC), settings.timezone), args.reference
        )
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.document_id == document.id)
            .order_by(AuditEvent.at, AuditEvent.id)
        ).all()
        names = {p.id: p.email for p in session.scalars(select(Person))}
        print(f"{document.reference}  {document.title}")
        for event in events:
            print(format_event(event, names, settings.timezone))
    return 0


def format_event(event: AuditEvent, names: dict[int, str], zone: ZoneInfo) -> str:
    when = event.at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    who = event.actor_label
    if event.on_behalf_of_id:
        who += f" for {names.get(event.on_behalf_of_id, '?')}"
    what = ("REFUSED " if event.refused else "") + event.action
    changes = ""
    if event.before or event.after:
        before, after = event.before or {}, event.after or {}
        keys = [k for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]
        changes = "  " + "; ".join(
            f"{k}: {_show(before.get(k))} -> {_show(after.get(k))}" for k in keys
        )
    detail = f"  \u201c{_clip(event.detail)}\u201d" if event.detail else ""
    return f"{when}  {who}  {what}{changes}{detail}"


def _show(value: object) -> str:
    return "(none)" if value is None or value == "" else str(value)


def _clip(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _slack(settings: Settings, *, socket_mode: bool = False):  # type: ignore[no-untyped-def]
    from bot.app import Services, build_app, build_client

    settings.require(
        "slack_bot_token", "slack_app_token" if socket_mode else "slack_signing_secret"
    )
    runtime = Runtime.start(settings)
    services = Services(runtime, build_client(runtime))
    return runtime, services, build_app(services, socket_mode=socket_mode)


def serve(args: argparse.Namespace, settings: Settings) -> int:
    from bot.server import serve as serve_http

    _logging()
    runtime, services, app = _slack(settings)
    scheduler = None if args.no_scheduler else _start_scheduler(services)
    try:
        serve_http(runtime, app, host=args.host, port=args.port)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
    return 0


def run_socket_mode(args: argparse.Namespace, settings: Settings) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    _logging()
    _runtime, services, app = _slack(settings, socket_mode=True)
    scheduler = None if args.no_scheduler else _start_scheduler(services)
    try:
        SocketModeHandler(app, settings.slack_app_token).start()
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
    return 0


def tick(args: argparse.Namespace, settings: Settings) -> int:
    from bot.app import Services, build_client
    from scheduler.runner import parse_now, run_due_jobs

    settings.require("slack_bot_token")
    runtime = Runtime.start(settings)
    now = parse_now(args.now, settings.timezone)
    services = Services(runtime, build_client(runtime), clock=lambda: now)
    report = run_due_jobs(services, now)
    for line in report:
        print(line)
    return 0


def _start_scheduler(services):  # type: ignore[no-untyped-def]
    from scheduler.wiring import start_scheduler

    return start_scheduler(services)


def _logging() -> None:
    import logging
    import os

    level = os.environ.get("SIGNOFF_LOG_LEVEL", "INFO").upper()
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def demo(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from bot.demo.terminal import run_interactive, run_script

    if args.script:
        return run_script(Path(args.script))
    return run_interactive()


def round_command(args: argparse.Namespace, settings: Settings) -> int:
    from workflow.dates import parse_uk_date
    from workflow.register_files import read_rows
    from workflow.rounds import find_round, open_round, round_export_rows, statuses, validate_plan

    runtime = Runtime.start(settings)
    ctx = runtime.ctx(runtime.command_line_actor())
    if args.round_command == "open":
        try:
            deadline = parse_uk_date(args.deadline)
        except ValueError as error:
            raise InputProblem([f"--deadline: {error}"]) from None
        headers, rows = read_rows(args.plan, "the plan")
        with runtime.sessions() as session:
            known = set(session.scalars(select(Document.reference)))
        items, problems = validate_plan(headers, rows, known)
        if problems:
            raise InputProblem(
                [str(p) for p in sorted(problems, key=lambda p: p.line)]
                + [f"{len(problems)} problem(s) in {args.plan}; no round was opened."]
            )
        round_ = open_round(ctx, args.name, deadline, items)
        print(
            f"Opened update round {round_.name}: {len(items)} documents, deadline "
            f"{deadline:%d %B %Y}. Their owners and approvers will be told."
        )
        return 0
    if args.round_command == "status":
        with ctx.session.begin():
            round_ = find_round(ctx, args.name)
            print(f"{round_.name}: deadline {round_.deadline:%d %B %Y}")
            for status in statuses(round_, ctx.today, ctx.timezone):
                print(f"  {status.reference:<12} {status.status:<20} {status.title}")
        return 0
    rows_out = round_export_rows(ctx, args.name)
    write_register(
        args.file, rows_out, ("reference", "title", "version", "approved_on", "amendment")
    )
    if args.file != "-":
        print(f"Exported {len(rows_out)} approved items to {args.file}.", file=sys.stderr)
    return 0


def reassign(args: argparse.Namespace, settings: Settings) -> int:
    from workflow.responsibilities import reassign_all

    runtime = Runtime.start(settings)
    moved = reassign_all(
        runtime.ctx(runtime.command_line_actor()),
        from_email=args.from_email,
        to_email=args.to_email,
        role=args.role,
    )
    print(
        f"Moved {len(moved)} documents from {args.from_email} to {args.to_email}: "
        + ", ".join(moved)
    )
    return 0
