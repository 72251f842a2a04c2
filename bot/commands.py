"""What each `signoff` subcommand does: parse little, call a use case, print the answer."""

from __future__ import annotations

import argparse
import gc
import sys
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.clock import BadMoment, Clock, FixedClock, RunningClock, SystemClock, parse_moment
from bot.runtime import Runtime
from bot.settings import Settings, SettingsError
from db.engine import DatabaseMissing, open_database
from db.migrate import heads, upgrade
from db.models import AuditEvent, Document, Meeting, Person
from workflow import links
from workflow.context import SYSTEM, Ctx
from workflow.errors import InputProblem
from workflow.governance import Governance
from workflow.governance import load as governance_load
from workflow.register import (
    EXPORT_COLUMNS,
    Problem,
    check_governed_by,
    name_committees,
    validate,
)
from workflow.register_files import read_register, write_register
from workflow.register_sync import export_register, import_register
from workflow.reviews import find_document
from workflow.words import counted


def clock_for(args: argparse.Namespace, settings: Settings) -> Clock:
    """The system clock, or the moment `--now` names: standing still, or with `--clock-runs`
    running on from there."""
    text = getattr(args, "tick_now", None) or getattr(args, "now", None)
    if not text:
        if getattr(args, "clock_runs", False):
            raise SettingsError("--clock-runs needs --now MOMENT, e.g. --now 2027-03-01T09:00")
        return SystemClock()
    try:
        moment = parse_moment(text, settings.timezone)
    except BadMoment as error:
        raise SettingsError(f"--now: {error}") from None
    return RunningClock(moment) if getattr(args, "clock_runs", False) else FixedClock(moment)


def start(args: argparse.Namespace, settings: Settings) -> Runtime:
    return Runtime.start(settings, clock=clock_for(args, settings))


def db(args: argparse.Namespace, settings: Settings) -> int:
    if args.db_command == "upgrade":
        engine = open_database(settings.database_url, create=True)
        print(upgrade(engine).describe())
        return 0
    try:
        engine = open_database(settings.database_url)
    except DatabaseMissing as missing:
        print(f"No database at {missing.path} yet: `signoff db upgrade` creates it.")
        return 0
    current, latest = heads(engine)
    if not current:
        state = "no signoff tables yet: run `signoff db upgrade`"
    elif current == latest:
        state = "up to date"
    else:
        state = f"behind {', '.join(sorted(latest))}: run `signoff db upgrade`"
    print(f"Database at migration {', '.join(sorted(current)) or 'none'} ({state}).")
    return 0


def import_file(args: argparse.Namespace, settings: Settings) -> int:
    runtime = start(args, settings)
    records, problems = read_register(args.file)
    rows, row_problems = validate(records)
    rules = runtime.rules
    rows, committee_problems = name_committees(
        rows, {key: (body.name or "", body.short or "") for key, body in rules.bodies.items()}
    )
    with runtime.sessions() as session:
        known = links.governed_by(session)
    problems += row_problems + committee_problems + check_governed_by(rows, known)
    if problems:
        raise InputProblem(problem_lines(args.file, problems, "nothing was imported"))
    result = import_register(runtime.ctx(runtime.command_line_actor()), rows)
    print(result.summary())
    return 0


def problem_lines(file: str, problems: list[Problem], so: str) -> list[str]:
    """One line per problem in the order of the file, `FILE:LINE: column: problem`, then how
    many there were and what was (not) done about it."""
    ordered = sorted(problems, key=lambda p: p.line)
    return [
        *(f"{file}:{p.line}: {p.column}: {p.message}" for p in ordered),
        f"{counted(len(problems), 'problem')} in {file}; {so}.",
    ]


def export_file(args: argparse.Namespace, settings: Settings) -> int:
    runtime = start(args, settings)
    rows = export_register(runtime.ctx(runtime.command_line_actor()))
    more = ()
    if getattr(args, "archive", False):
        from workflow.archive import ARCHIVE_COLUMNS, archive_rows

        kept = archive_rows(
            runtime.ctx(runtime.command_line_actor()),
            retention_years=settings.retention_years,
        )
        more = (("Archive", kept, ARCHIVE_COLUMNS),)
    written = write_register(args.file, rows, EXPORT_COLUMNS, more=more)
    if args.file != "-":
        what = counted(len(rows), "document")
        if more:
            what += f" and {counted(len(more[0][1]), 'archived version')}"
        where = " and ".join(str(path) for path in written)
        print(f"Exported {what} to {where}.", file=sys.stderr)
    return 0


def history(args: argparse.Namespace, settings: Settings) -> int:
    runtime = start(args, settings)
    with runtime.sessions() as session:
        document = find_document(
            Ctx(session, SYSTEM, runtime.now(), settings.timezone), args.reference
        )
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.document_id == document.id)
            .order_by(AuditEvent.at, AuditEvent.id)
        ).all()
        names = {p.id: p.email for p in session.scalars(select(Person))}
        print(f"{document.reference}  {document.title}")
        for event in events:
            print(format_event(event, names, settings.timezone, runtime.rules))
        from bot.register_commands import history_lines

        today = runtime.now().astimezone(settings.timezone).date()
        for line in history_lines(session, document, settings, today):
            print(line)
    return 0


def format_event(
    event: AuditEvent, names: dict[int, str], zone: ZoneInfo, rules: Governance | None = None
) -> str:
    when = event.at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    who = event.actor_label
    if event.on_behalf_of_id:
        who += f" for {names.get(event.on_behalf_of_id, '?')}"
    what = ("REFUSED " if event.refused else "") + event.action
    after = dict(event.after or {})
    decided = after.pop("decided_at", None)
    if isinstance(decided, dict) and decided.get("body") not in (None, "approver"):
        # Which body took a decision, as the governance names it.
        body = str(decided["body"])
        what += f" ({rules.name_of(body) if rules and body in rules.bodies else body})"
    changes = ""
    if event.before or after:
        before = event.before or {}
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


def _slack(args: argparse.Namespace, settings: Settings, *, socket_mode: bool = False):  # type: ignore[no-untyped-def]
    from bot import error_reports, logs, metrics
    from bot.platforms.slack.app import build_app

    if settings.serves_slack or socket_mode:
        settings.require(
            "slack_bot_token", "slack_app_token" if socket_mode else "slack_signing_secret"
        )
    logs.configure(settings.log_level, settings.log_format)
    error_reports.start(settings)
    runtime = start(args, settings)
    metrics.watch(runtime)
    services = services_for(runtime)
    _stop_on_sigterm()
    app = (
        build_app(services, socket_mode=socket_mode)
        if settings.serves_slack or socket_mode
        else None
    )
    return runtime, services, app


def services_for(runtime: Runtime):  # type: ignore[no-untyped-def]
    """What listeners, jobs and delivery need, for the platforms the deployment serves."""
    from bot.platforms.slack.services import Services, build_client

    settings = runtime.settings
    if settings.serves_slack:
        settings.require("slack_bot_token")
    teams = None
    if settings.serves_teams:
        from bot.platforms.teams.delivery import TeamsPlatform

        teams = TeamsPlatform(runtime)
    client = build_client(runtime) if settings.serves_slack else None
    return Services(runtime, client, teams=teams)


def teams_bot(services):  # type: ignore[no-untyped-def]
    """The Teams endpoint's handler, where the deployment serves Teams."""
    if services.teams is None:
        return None
    from bot.platforms.teams.activities import TeamsBot

    return TeamsBot(services.runtime, services.teams, lambda: services.delivery.run(services.now()))


def _stop_on_sigterm() -> None:
    """SIGTERM (a container stopping, a deploy) ends the process the way Ctrl-C does, so that
    the scheduler stops and the lead is handed on at once. Also needed as a container's first
    process, which the kernel otherwise spares SIGTERM."""
    import signal

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)


def serve(args: argparse.Namespace, settings: Settings) -> int:
    from bot.server import serve as serve_http

    runtime, services, app = _slack(args, settings)
    teams = teams_bot(services)
    scheduler = None if args.no_scheduler else _start_scheduler(services)
    try:
        serve_http(runtime, app, host=args.host, port=args.port, teams=teams)
    finally:
        if scheduler is not None:
            scheduler.shutdown()
    return 0


def run_socket_mode(args: argparse.Namespace, settings: Settings) -> int:
    from bot.platforms.slack.socket_mode import SocketMode
    from bot.server import serve_health_in_background

    runtime, services, app = _slack(args, settings, socket_mode=True)
    socket = SocketMode(app, settings)
    health_port = args.health_port or settings.health_port
    if health_port:
        serve_health_in_background(
            runtime, host=args.host, port=health_port, checks=[socket.problem]
        )
    scheduler = None if args.no_scheduler else _start_scheduler(services)
    try:
        socket.run()
    finally:
        socket.close()
        if scheduler is not None:
            scheduler.shutdown()
    return 0


def tick(args: argparse.Namespace, settings: Settings) -> int:
    from scheduler.runner import run_due_jobs

    runtime = start(args, settings)
    services = services_for(runtime)
    # What is loaded by now (modules, models, the engine) lives as long as this process: out of
    # the collector's sight, it is not walked by every full collection, nor once more at exit,
    # which took longer than the quiet morning's own work.
    gc.freeze()
    report = run_due_jobs(services, runtime.now())
    for line in report:
        print(line)
    return 0


def _start_scheduler(services):  # type: ignore[no-untyped-def]
    from scheduler.wiring import start_scheduler

    return start_scheduler(services)


def demo(args: argparse.Namespace, settings: Settings) -> int:
    from bot.demo.terminal import run_interactive, run_script

    clock = clock_for(args, settings)
    rules = governance_file(args.governance) if args.governance else None
    if rules is not None:
        # Checked before the demo starts, so that a mistake is one clear answer.
        governance_load(rules, today=clock.now().astimezone(settings.timezone).date())
    platform = getattr(args, "platform", "slack")
    if args.script:
        return run_script(Path(args.script), clock=clock, governance=rules, platform=platform)
    return run_interactive(clock=clock, governance=rules, platform=platform)


def round_command(args: argparse.Namespace, settings: Settings) -> int:
    from workflow.dates import parse_uk_date
    from workflow.register_files import read_rows
    from workflow.rounds import find_round, open_round, round_export_rows, statuses, validate_plan

    runtime = start(args, settings)
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
            raise InputProblem(problem_lines(args.plan, problems, "no round was opened"))
        round_ = open_round(ctx, args.name, deadline, items)
        print(
            f"Opened update round {round_.name}: {counted(len(items), 'document')}, deadline "
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
        print(
            f"Exported {counted(len(rows_out), 'approved item')} to {args.file}.", file=sys.stderr
        )
    return 0


def reassign(args: argparse.Namespace, settings: Settings) -> int:
    from workflow.responsibilities import reassign_all

    runtime = start(args, settings)
    moved = reassign_all(
        runtime.ctx(runtime.command_line_actor()),
        from_email=args.from_email,
        to_email=args.to_email,
        role=args.role,
    )
    print(
        f"Moved {counted(len(moved), 'document')} from {args.from_email} to {args.to_email}"
        + (": " + ", ".join(moved) if moved else ".")
    )
    return 0


def outbox(args: argparse.Namespace, settings: Settings) -> int:
    from workflow.outbox import unsent

    if args.outbox_command == "retry":
        if bool(args.ids) == args.all:
            raise InputProblem(
                [
                    "outbox retry: give the messages' IDs as `signoff outbox` lists them, or "
                    "--all (e.g. signoff outbox retry 12, or signoff outbox retry --all)"
                ]
            )
        return _retry(args, settings)
    runtime = start(args, settings)
    now = runtime.now()
    with runtime.sessions() as session:
        waiting = unsent(session, now)
    if not waiting:
        print("The outbox is empty: every message has been sent.")
        return 0
    zone = settings.timezone
    rows = [("ID", "STATE", "KEY", "KIND", "TO", "ATTEMPTS", "LAST ERROR")]
    for item in waiting:
        state = item.state
        if state == "failed":
            state = f"failed, retry {item.next_attempt_at.astimezone(zone):%d %b %H:%M:%S}"
        rows.append(
            (
                str(item.id),
                state,
                item.key,
                item.kind,
                _recipient(item.to, settings),
                str(item.attempts),
                item.last_error or "",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]]))
    states = Counter(item.state for item in waiting)
    print(
        f"{counted(len(waiting), 'message')} not sent: "
        + ", ".join(f"{n} {STATE_WORDS[state]}" for state, n in sorted(states.items()))
        + "."
    )
    if states["parked"]:
        print("Fix what the last error says, then: signoff outbox retry --all")
    elif states["failed"]:
        print("Failed messages are retried by themselves; signoff outbox retry --all sends now.")
    return 0


STATE_WORDS = {
    "waiting": "waiting",
    "sending": "being sent",
    "failed": "failed (will retry)",
    "parked": "parked (until retried)",
}


def _recipient(to: str, settings: Settings) -> str:
    if to == "digest":
        return f"digest channel {settings.digest_channel or '(not set)'}"
    if to.startswith(("body:", "members:")):
        kind, key = to.split(":", 1)
        return f"{key} {'members' if kind == 'members' else 'channel or members'}"
    return to


def _retry(args: argparse.Namespace, settings: Settings) -> int:
    from bot.delivery import Outcome
    from workflow.outbox import retry

    if settings.serves_slack:
        settings.require("slack_bot_token")
    runtime = start(args, settings)
    chosen = retry(runtime.ctx(runtime.command_line_actor()), None if args.all else args.ids)
    if not chosen:
        print("Nothing to retry: no message is parked or failed.")
        return 0
    print(f"Retrying {counted(len(chosen), 'message')} now.")
    now = runtime.now()
    delivered = services_for(runtime).delivery.run(now)
    print(f"delivery: {delivered.describe(settings.timezone, now)}")
    # Still stuck: say so in the exit status too, for whoever scripts this.
    return 1 if delivered[Outcome.PARKED] or delivered[Outcome.FAILED] else 0


# --- the governance and its meetings --------------------------------------------------------

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "governance"


def governance_file(name: str) -> Path:
    """A governance file by path, or one of the shipped examples by name."""
    path = Path(name)
    if path.suffix == ".toml" or path.exists():
        return path
    example = EXAMPLES / f"{name.lower()}.toml"
    if example.exists():
        return example
    known = ", ".join(sorted(p.stem for p in EXAMPLES.glob("*.toml"))) or "none here"
    raise SettingsError(f"--governance: no file {name} and no example of that name ({known})")


def governance_command(args: argparse.Namespace, settings: Settings) -> int:
    today = clock_for(args, settings).now().astimezone(settings.timezone).date()
    if args.governance_command == "check":
        if args.file:
            rules = governance_load(governance_file(args.file), today=today)
        else:
            rules = settings.governance(today)
        for line in rules.describe():
            print(line)
        return 0
    runtime = start(args, settings)
    for line in explain(runtime, args.reference):
        print(line)
    return 0


def explain(runtime: Runtime, reference: str) -> list[str]:
    """One document's route in words, and where its review stands on it."""
    from workflow import chain
    from workflow.reviews import open_review_of, state_of
    from workflow.states import WITH_A_BODY
    from workflow.summaries import review_summary

    rules = runtime.rules
    ctx = runtime.ctx(runtime.command_line_actor())
    with ctx.session:
        document = find_document(ctx, reference)
        route = chain.route_of(rules, document)
        review = open_review_of(ctx, document)
        area = f", {document.service_area}" if document.service_area else ""
        lines = [
            f"{document.reference}  {document.title} ({document.doc_type.replace('_', ' ')}{area})",
            f"Governance: {rules.organisation or 'built in'} ({rules.source})",
            f"Route: {route.name or 'the route for its type'}",
        ]
        if document.committee:
            lines.append(f"Approving committee: {rules.name_of(document.committee)}")
        stage = (
            chain.stage_of(rules, review)
            if review is not None and state_of(review) in WITH_A_BODY
            else None
        )
        for number, level in enumerate(route.levels, start=1):
            described = rules.describe_level(level)
            if level.body == "committee":
                described = [
                    f"The {rules.name_of(rules.level_body(level, document.committee))} decides "
                    "(the register's approving committee for it).",
                    *described[1:],
                ]
            here = stage is not None and stage.number == number
            marker = "\u2192" if here else " "
            lines.append(f"{marker} {number}. {described[0]}")
            lines += [f"     {text}" for text in described[1:]]
        if review is None:
            lines.append(
                f"No review open: last approved {_when(document.last_approved)}, next review "
                f"due {document.next_review_due:%d %b %Y}."
            )
            return lines
        summary = review_summary(ctx.session, review.id, rules)
        where = f"Review open since {review.opened_at.astimezone(ctx.timezone):%d %b %Y}: "
        where += summary.state.label
        if summary.stage is not None:
            where += (
                f" at level {summary.stage.number} of {summary.stage.levels}, "
                f"with the {summary.stage.body.name}"
            )
            if summary.stage.referred:
                where += " (referred)"
            if summary.stage.meeting:
                where += f", on the agenda of its meeting on {summary.stage.meeting:%a %d %b %Y}"
        lines.append(where + f"; due {review.due_date:%d %b %Y}.")
        if summary.consultation is not None:
            c = summary.consultation
            lines.append(
                f"Consultation {c.opens_on:%d %b} to {c.closes_on:%d %b %Y}: {c.in_words()}."
            )
    return lines


def _when(day: object) -> str:
    return f"{day:%d %b %Y}" if day else "never"


def meeting_command(args: argparse.Namespace, settings: Settings) -> int:
    from workflow import meetings
    from workflow.dates import parse_uk_date

    runtime = start(args, settings)
    ctx = runtime.ctx(runtime.command_line_actor())
    rules = runtime.rules
    if args.meeting_command == "list":
        with ctx.session:
            query = select(Meeting).order_by(Meeting.held_on, Meeting.body)
            if args.body:
                query = query.where(Meeting.body == args.body)
            found = ctx.session.scalars(query).all()
            if not found:
                print("No meeting has items yet.")
            for meeting in found:
                open_items = sum(1 for item in meeting.items if item.outcome is None)
                state = (
                    "closed"
                    if meeting.closed_at
                    else "papers sent"
                    if meeting.papers_sent_at
                    else f"agenda closes {meeting.agenda_closes_on:%d %b}"
                )
                print(
                    f"{meeting.held_on:%a %d %b %Y}  {rules.name_of(meeting.body)}  "
                    f"{counted(len(meeting.items), 'item')}, {open_items} open  ({state})"
                )
        return 0
    try:
        held_on = parse_uk_date(args.date)
    except ValueError as error:
        raise InputProblem([f"date: {error}"]) from None
    if args.body not in rules.bodies:
        raise InputProblem(
            [
                f"body: no body '{args.body}' in {rules.source}; the bodies are "
                + ", ".join(rules.bodies)
            ]
        )
    if args.meeting_command == "close":
        with ctx.session:
            with ctx.session.begin():
                meeting_id = meetings.find_meeting(ctx, args.body, held_on).id
            rolled = meetings.close_meeting(ctx, meeting_id)
        print(
            f"Closed the {rules.name_of(args.body)} meeting of {held_on:%d %b %Y}: "
            f"{counted(len(rolled), 'item')} rolled to the next meeting; the minutes follow."
        )
        return 0
    with ctx.session:
        minutes = meetings.minutes(ctx, meetings.find_meeting(ctx, args.body, held_on))
    write_minutes(args.file, minutes)
    return 0


def write_minutes(file: str, minutes) -> None:  # type: ignore[no-untyped-def]
    """Minutes as Markdown (to the terminal or a .md file), or a CSV of the items."""
    columns = (
        "reference",
        "title",
        "kind",
        "outcome",
        "text",
        "referred_to",
        "recorded_by",
        "action",
    )
    if file.lower().endswith(".csv"):
        import csv

        with open(file, "w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(columns)
            for line in minutes.lines:
                writer.writerow([getattr(line, c) or "" for c in columns])
        print(
            f"Wrote the minutes ({counted(len(minutes.lines), 'item')}) to {file}.", file=sys.stderr
        )
        return
    words = {
        "approved": "Approved",
        "approved_with_conditions": "Approved with conditions",
        "referred": "Referred",
        "noted": "Noted",
        "rolled": "Not reached: to the next meeting",
        "": "Not decided",
    }
    text = [
        f"# Minutes: {minutes.body_name}, {minutes.held_on:%A %d %B %Y}",
        "",
        f"Chair: {minutes.chair or 'not named'}." + ("" if minutes.closed else " (Still open.)"),
        "",
    ]
    for number, line in enumerate(minutes.lines, start=1):
        text.append(f"{number}. **{line.reference}** {line.title} ({line.kind})")
        text.append(
            f"   - Decision: {words.get(line.outcome, line.outcome)}"
            + (f", to the {line.referred_to}" if line.referred_to else "")
        )
        if line.text:
            text.append(
                f"   - {'Conditions' if line.outcome.endswith('conditions') else 'Why'}: "
                f"{' '.join(line.text.split())}"
            )
        if line.action:
            text.append(f"   - Action: {line.action}")
        if line.recorded_by:
            text.append(f"   - Recorded by {line.recorded_by}")
    output = "\n".join(text) + "\n"
    if file == "-":
        sys.stdout.write(output)
    else:
        Path(file).write_text(output, encoding="utf-8")
        print(f"Wrote the minutes to {file}.", file=sys.stderr)


def report(args: argparse.Namespace, settings: Settings) -> int:
    """Write an assurance report: figures from the history up to the period's end, or up to
    today for a period not yet over."""
    from pathlib import Path

    from bot import reports
    from bot.reports.pdf import PdfUnavailable
    from workflow import figures
    from workflow.dates import parse_uk_date

    runtime = start(args, settings)
    zone = settings.timezone
    today = runtime.now().astimezone(zone).date()
    try:
        if args.report_command == "annual":
            period = figures.financial_year(args.year)
        elif args.report_command == "meeting":
            on = parse_uk_date(args.date)
        else:
            period = figures.month(args.month)
    except ValueError as error:
        raise InputProblem([f"report {args.report_command}: {error}"]) from None
    if args.report_command == "meeting":
        if on > today:
            raise InputProblem([f"report meeting: {on:%-d %B %Y} is still to come"])
    else:
        if period.first > today:
            raise InputProblem([f"report {args.report_command}: {period.label} has not begun"])
        period = period.until(today)
    with runtime.sessions() as session:
        if args.report_command == "changes":
            found = figures.changes(session, period, zone)
            text = (
                reports.changes_markdown(found)
                if args.format == "md"
                else reports.changes_html(found)
            )
            if args.out == "-":
                sys.stdout.write(text)
            else:
                Path(args.out).write_text(text, encoding="utf-8")
                print(f"Wrote what changed in {period.label} to {args.out}.", file=sys.stderr)
            return 0
        try:
            if args.report_command == "annual":
                made = reports.annual(session, period, zone)
            elif args.report_command == "month":
                made = reports.month(session, period, zone)
            else:
                key = args.body.strip().lower()
                name = runtime.rules.name_of(key) if key in runtime.rules.bodies else None
                made = reports.meeting(session, key, on, zone, name=name)
        except reports.ReportError as error:
            raise InputProblem([str(error)]) from None
    try:
        written = reports.write(made, Path(args.out), pdf=not args.no_pdf)
    except PdfUnavailable as error:
        raise InputProblem([str(error)]) from None
    print(f"{made.title}: wrote " + ", ".join(str(path) for path in written) + ".")
    if made.meeting is not None and not (made.meeting.decided or made.meeting.carried_forward):
        print(
            f"Nothing was decided by or referred to {args.body} by {on:%-d %B %Y}: is the body "
            "named as signoff names it (e.g. slt)?",
            file=sys.stderr,
        )


def teams_command(args: argparse.Namespace, settings: Settings) -> int:
    from importlib.metadata import version

    from bot.platforms.teams import package

    settings.require("teams_app_id")
    domain = args.domain.removeprefix("https://").removeprefix("http://").strip("/")
    website = args.website or f"https://{domain}/"
    written = package.write(
        Path(args.out),
        package.manifest(
            bot_id=settings.teams_app_id or "",
            version=version("signoff"),
            domain=domain,
            developer=args.developer,
            website=website,
            privacy=args.privacy or website,
            terms=args.terms or website,
        ),
    )
    print(
        f"Wrote {args.out} ({', '.join(written)}): upload it in the Teams admin centre "
        "(Teams apps > Manage apps > Upload new app), then add it to an app setup policy so "
        "that it is installed for the people signoff writes to."
    )
    return 0
