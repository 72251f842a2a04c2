"""The `signoff` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.settings import SettingsError, load_settings
from db.migrate import DatabaseNotReady
from workflow.errors import InputProblem, Refused


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="signoff",
        description="Runs the review and approval of an organisation's policies and procedures.",
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

    hist = commands.add_parser("history", help="print everything that happened to a document")
    hist.add_argument("reference", help="the document's reference, e.g. LAC-014")

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

    demo = commands.add_parser("demo", help="try signoff in a terminal, no Slack needed")
    demo.add_argument("--script", help="run the steps in FILE and print the transcript")

    tick = commands.add_parser("tick", help="run once every periodic job that is due, and exit")
    tick.add_argument(
        "--now",
        help="the moment to run at (ISO 8601; naive means SIGNOFF_TIMEZONE), for cron and tests",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from bot import commands

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
    }[args.command]
    try:
        return handler(args, load_settings())
    except (SettingsError, DatabaseNotReady) as error:
        print(f"signoff: {error}", file=sys.stderr)
        return 1
    except InputProblem as problem:
        for line in problem.problems:
            print(line, file=sys.stderr)
        return 1
    except Refused as refusal:
        print(f"signoff: {refusal.message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
