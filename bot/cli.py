"""The `signoff` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.settings import SettingsError, load_settings
from db.engine import BadDatabase, DatabaseMissing
from db.migrate import DatabaseNotReady
from workflow.errors import InputProblem, Refused
from workflow.governance import GovernanceError
from workflow.words import counted


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="signoff",
        description="Runs the review and approval of an organisation's policies and procedures.",
    )
    parser.add_argument(
        "--now",
        metavar="MOMENT",
        help="run as if it were this moment, the clock standing still (ISO 8601, e.g. "
        "2027-03-01T09:00; no zone means SIGNOFF_TIMEZONE): for rehearsals, demos and tests",
    )
    parser.add_argument(
        "--clock-runs",
        action="store_true",
        help="with --now: the clock starts at MOMENT and runs on, as a real one does",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    db = commands.add_parser("db", help="create or migrate the database")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser("upgrade", help="create the tables, or migrate them to the latest")
    db_commands.add_parser("status", help="say which migration the database is at")

    imp = commands.add_parser("import", help="import the register from a CSV or XLSX file")
    imp.add_argument("file", help="a .csv or .xlsx file, header on the first line")

    exp = commands.add_parser("export", help="export the register to CSV or XLSX")
    exp.add_argument("file", help="a .csv or .xlsx file, or - for CSV on standard output")
    exp.add_argument(
        "--archive",
        action="store_true",
        help="with every approved version too: a second sheet (Archive) of an .xlsx file, or "
        "FILE-archive.csv beside a .csv one",
    )

    hist = commands.add_parser("history", help="print everything that happened to a document")
    hist.add_argument("reference", help="the document's reference, e.g. LAC-014")

    impact = commands.add_parser(
        "impact", help="print the tree of documents that depend on one (that follow it)"
    )
    impact.add_argument("reference", help="the document's reference, e.g. LAC-014")

    arch = commands.add_parser("archive", help="list every approved version of a document")
    arch.add_argument("reference", help="the document's reference, e.g. LAC-014")

    upt = commands.add_parser(
        "uptake", help="how many staff said they read each published version of a document"
    )
    upt.add_argument("reference", help="the document's reference, e.g. LAC-014")

    serve = commands.add_parser("serve", help="run the Slack app over HTTP (one Request URL)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=3000)
    serve.add_argument(
        "--no-scheduler", action="store_true", help="do not run the periodic jobs in this process"
    )

    run = commands.add_parser("run", help="run the Slack app over Socket Mode")
    run.add_argument(
        "--no-scheduler", action="store_true", help="do not run the periodic jobs in this process"
    )
    run.add_argument(
        "--health-port",
        type=int,
        metavar="PORT",
        help="serve /healthz and /metrics on this port (default: SIGNOFF_HEALTH_PORT; none)",
    )
    run.add_argument("--host", default="127.0.0.1", help="the address for --health-port")

    round_ = commands.add_parser("round", help="update rounds: the provider's update plan")
    round_actions = round_.add_subparsers(dest="round_command", required=True, metavar="ACTION")
    round_open = round_actions.add_parser("open", help="open a round from a plan file")
    round_open.add_argument("name", help="the round's name, e.g. 'Spring 2027'")
    round_open.add_argument("--deadline", required=True, help="the submission deadline")
    round_open.add_argument(
        "--plan",
        required=True,
        help="CSV or XLSX: reference, amendment, approver_emails (optional, ; between several)",
    )
    round_status = round_actions.add_parser("status", help="where each item of a round stands")
    round_status.add_argument("name")
    round_export = round_actions.add_parser("export", help="the approved items, for the provider")
    round_export.add_argument("name")
    round_export.add_argument(
        "file", nargs="?", default="-", help="a .csv or .xlsx file, or - for CSV on standard output"
    )

    reassign = commands.add_parser("reassign", help="move everything someone holds to someone else")
    reassign.add_argument("--from", dest="from_email", required=True, metavar="EMAIL")
    reassign.add_argument("--to", dest="to_email", required=True, metavar="EMAIL")
    reassign.add_argument(
        "--role", choices=("owner", "approver"), help="only this role (default: both)"
    )

    outbox = commands.add_parser(
        "outbox", help="list the messages not sent yet: waiting, failed (will retry) or parked"
    )
    outbox_actions = outbox.add_subparsers(dest="outbox_command", metavar="ACTION")
    retry = outbox_actions.add_parser(
        "retry", help="send parked or failed messages again now, once their cause is fixed"
    )
    retry.add_argument("ids", nargs="*", type=int, metavar="ID", help="as `signoff outbox` lists")
    retry.add_argument("--all", action="store_true", help="every parked or failed message")

    report = commands.add_parser(
        "report", help="assurance reports: the year, a month, a meeting, what changed"
    )
    kinds = report.add_subparsers(dest="report_command", required=True, metavar="REPORT")
    annual = kinds.add_parser("annual", help="the financial year's report (April to March)")
    annual.add_argument("--year", required=True, help="the financial year, e.g. 2026/27")
    month = kinds.add_parser("month", help="a month's report")
    month.add_argument("month", help="the month, e.g. 2026-11")
    meeting = kinds.add_parser("meeting", help="the report after a meeting of a deciding body")
    meeting.add_argument("body", help="the body that met, e.g. slt")
    meeting.add_argument("date", help="the day it met, e.g. 2026-11-10 or 10/11/2026")
    for each in (annual, month, meeting):
        each.add_argument(
            "--out", default=".", metavar="DIR", help="the folder to write into (default: here)"
        )
        each.add_argument(
            "--no-pdf", action="store_true", help="write the page and the workbook only"
        )
    changes = kinds.add_parser(
        "changes", help="what was approved and published in a month, for a newsletter"
    )
    changes.add_argument("month", help="the month, e.g. 2026-11")
    changes.add_argument("--format", choices=("md", "html"), default="md")
    changes.add_argument(
        "--out", default="-", metavar="FILE", help="a file to write, or - for the terminal"
    )

    demo = commands.add_parser("demo", help="try signoff in a terminal, no Slack needed")
    demo.add_argument("--script", help="run the steps in FILE and print the transcript")
    demo.add_argument(
        "--platform",
        choices=("slack", "teams"),
        default="slack",
        help="show it as Slack (default) or as Microsoft Teams, with Adaptive Cards",
    )
    demo.add_argument(
        "--governance",
        metavar="NAME",
        help="run the demo under one of the example organisations' governance (northamptonshire, "
        "birmingham, dorset, merton) or a governance FILE",
    )

    gov = commands.add_parser("governance", help="who signs off what: check and explain it")
    gov_actions = gov.add_subparsers(dest="governance_command", required=True, metavar="ACTION")
    gov_check = gov_actions.add_parser(
        "check", help="validate a governance file and print each type's chain in words"
    )
    gov_check.add_argument(
        "file", nargs="?", help="the TOML file (default: SIGNOFF_GOVERNANCE, or the built-in chain)"
    )
    gov_explain = gov_actions.add_parser(
        "explain", help="one document's route, and where its review stands on it"
    )
    gov_explain.add_argument("reference", help="the document's reference, e.g. LAC-014")

    meeting = commands.add_parser("meeting", help="the meetings of bodies that decide at them")
    meeting_actions = meeting.add_subparsers(
        dest="meeting_command", required=True, metavar="ACTION"
    )
    meeting_list = meeting_actions.add_parser("list", help="meetings with items, and their state")
    meeting_list.add_argument("body", nargs="?", help="only this body (its name in the file)")
    for name, text in (
        ("close", "close a meeting: what was not decided rolls to the next, minutes follow"),
        ("minutes", "write a meeting's minutes (Markdown, or CSV for a .csv file)"),
    ):
        action = meeting_actions.add_parser(name, help=text)
        action.add_argument("body", help="the body, as the governance file names it (e.g. ppp)")
        action.add_argument("date", help="the meeting's date, e.g. 2027-01-12 or 12/01/2027")
        if name == "minutes":
            action.add_argument(
                "file", nargs="?", default="-", help="a .md or .csv file, or - for the terminal"
            )

    teams = commands.add_parser("teams", help="Microsoft Teams: the app package to upload")
    teams_actions = teams.add_subparsers(dest="teams_command", required=True, metavar="ACTION")
    package = teams_actions.add_parser(
        "package", help="write the Teams app package (manifest and icons, zipped) to upload"
    )
    package.add_argument(
        "--out", default="signoff-teams.zip", help="the zip to write (default: signoff-teams.zip)"
    )
    package.add_argument(
        "--domain",
        required=True,
        help="where signoff serves /api/messages, e.g. signoff.example.org",
    )
    package.add_argument("--developer", default="signoff", help="who publishes the app")
    package.add_argument(
        "--website", help="the developer's website (default: https://DOMAIN/)", default=None
    )
    package.add_argument("--privacy", help="privacy statement URL (default: the website)")
    package.add_argument("--terms", help="terms of use URL (default: the website)")

    tick = commands.add_parser("tick", help="run once every periodic job that is due, and exit")
    tick.add_argument(
        "--now",
        dest="tick_now",
        metavar="MOMENT",
        help="the moment to run at (ISO 8601; naive means SIGNOFF_TIMEZONE), for cron and tests",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from bot import commands, register_commands

    handler = {
        "db": commands.db,
        "import": commands.import_file,
        "export": commands.export_file,
        "history": commands.history,
        "serve": commands.serve,
        "run": commands.run_socket_mode,
        "tick": commands.tick,
        "demo": commands.demo,
        "round": commands.round_command,
        "reassign": commands.reassign,
        "outbox": commands.outbox,
        "governance": commands.governance_command,
        "meeting": commands.meeting_command,
        "report": commands.report,
        "impact": register_commands.impact,
        "archive": register_commands.archive_command,
        "uptake": register_commands.uptake_command,
        "teams": commands.teams_command,
    }[args.command]
    try:
        return handler(args, load_settings())
    except (SettingsError, DatabaseNotReady, DatabaseMissing) as error:
        print(f"signoff: {error}", file=sys.stderr)
        return 1
    except BadDatabase as error:
        print(f"signoff: DATABASE_URL: {error}", file=sys.stderr)
        return 1
    except InputProblem as problem:
        for line in problem.problems:
            print(f"signoff: {line}", file=sys.stderr)
        return 1
    except Refused as refusal:
        print(f"signoff: {refusal.message}", file=sys.stderr)
        return 1
    except GovernanceError as error:
        for line in error.problems:
            print(f"signoff: {line}", file=sys.stderr)
        print(
            f"signoff: {counted(len(error.problems), 'problem')} in {error.source}; "
            "fix them, then check it again with `signoff governance check FILE`.",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
