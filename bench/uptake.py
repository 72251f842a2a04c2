"""A publication to a staff group of N members (5,000 unless told): how fast signoff sends the
notes, against Slack's limit, and the time and memory it takes.

    python bench/uptake.py [MEMBERS] [--slack-limit PER_SECOND] [--per-minute N]

The Slack stand-in runs in a process of its own, answering a user group of MEMBERS and taking
chat.postMessage at PER_SECOND at most (default 50): past that it answers 429 with Retry-After,
as Slack does, and slack_sdk's retry handler waits. signoff runs here: the policy officer marks
the document published, then delivery runs as the scheduler's beat runs it, the clock moved a
minute between runs, so that SIGNOFF_UPTAKE_PER_MINUTE (here --per-minute, default: all in one
minute) admits that many a run. Prints figures; asserts nothing. SQLite in a temporary folder,
or DATABASE_URL if set.
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import os
import resource
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.clock import FixedClock
from bot.delivery import Outcome
from bot.platforms.slack.app import Services, build_client
from bot.platforms.slack.standin import SlackStandin, SlackUser
from bot.runtime import Runtime
from bot.settings import Settings
from db.engine import make_engine
from db.migrate import upgrade
from db.models import Person
from workflow.context import SYSTEM
from workflow.register import RegisterRow
from workflow.register_sync import import_register
from workflow.reviews import decide, mark_published, open_review, submit_draft
from workflow.states import Action

GROUP = "SBENCH01"
RUN_ROWS = 500  # Delivery.run's limit
START = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
DOCUMENT = RegisterRow(
    line=2,
    reference="LAC-014",
    title="Looked After Children Reviews",
    doc_type="policy",
    service_area="Children in Care",
    owner_email="owner@example.org",
    approver_email="approver@example.org",
    review_cycle_months=36,
    last_approved=None,
    next_review_due=date(2026, 12, 1),
    version="3.9",
    link="https://manual.example.org/lac-014",
)
PEOPLE = [
    SlackUser("UOWNER", "owner@example.org", "Olive Owner"),
    SlackUser("UAPPROVER", "approver@example.org", "Amir Approver"),
    SlackUser("UPPO", "ppo@example.org", "Pat Officer"),
]


def slack_process(members: int, limit: float, ready, stop, retry_after: int = 1) -> None:  # type: ignore[no-untyped-def]
    """The stand-in, in its own process; sends back what it saw when told to stop."""
    standin = SlackStandin(users=list(PEOPLE))
    standin.usergroups[GROUP] = [f"U{n:06d}" for n in range(members)]
    if limit:
        standin.rate_limit("chat.postMessage", limit, retry_after=retry_after)
    ready.send(standin.start())
    stop.recv()
    calls = standin.calls_of("chat.postMessage")
    notes = [m for m in standin.messages if "I have read this" in str(m.blocks)]
    keys = [k for k in standin.posted_keys() if k.startswith("uptake:")]
    # When Slack took the first and the last note, by its own clock.
    taken = [c.at for c in calls if "I have read this" in str(c.args.get("blocks"))]
    notes_posted = [c for c in calls if "I have read this" in str(c.args.get("blocks"))]
    # The most posts any one conversation was sent within a second (Slack allows about one),
    # and posts sent sooner after a 429 than its Retry-After said (delivery posts one at a time).
    by_channel: dict[str, list[float]] = {}
    for call in notes_posted:
        by_channel.setdefault(str(call.args.get("channel")), []).append(call.at)
    busiest = max(
        (
            sum(1 for t in times if first <= t < first + 1)
            for times in by_channel.values()
            for first in times
        ),
        default=0,
    )
    early = sum(
        1
        for refused, following in itertools.pairwise(calls)
        if refused.status == 429 and following.at - refused.at < retry_after
    )
    ready.send(
        {
            "notes": len(notes),
            "distinct": len(set(keys)),
            "rate_limited": standin.rate_limited,
            "calls": len(calls),
            "seconds": (max(taken) - min(taken)) if taken else 0.0,
            "busiest_channel": busiest,
            "early_retries": early,
        }
    )
    standin.stop()


def publication(members: int, slack_limit: float, per_minute: int) -> dict:  # type: ignore[type-arg]
    """Publish to a group of `members` against a stand-in taking `slack_limit` posts a second;
    what the stand-in saw, with signoff's notes sent, delivery runs, seconds and peak RSS."""

    ready, child_ready = multiprocessing.Pipe()
    stop_parent, stop_child = multiprocessing.Pipe()
    slack = multiprocessing.Process(
        target=slack_process, args=(members, slack_limit, child_ready, stop_child)
    )
    slack.start()
    api_url = ready.recv()
    with tempfile.TemporaryDirectory() as folder:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade(make_engine(url))
        settings = Settings(
            _env_file=None,
            DATABASE_URL=url,
            SLACK_BOT_TOKEN="xoxb-bench",
            SLACK_API_URL=api_url,
            SIGNOFF_ADMIN_EMAILS="ppo@example.org",
            SIGNOFF_UPTAKE_GROUPS=f"Children in Care={GROUP}",
            SIGNOFF_UPTAKE_PER_MINUTE=str(per_minute),
        )
        clock = FixedClock(START)
        runtime = Runtime.start(settings, clock=clock)
        services = Services(runtime, build_client(runtime))

        def ctx(email: str):  # type: ignore[no-untyped-def]
            if email == "system":
                return runtime.ctx(SYSTEM)
            with runtime.sessions.begin() as session:
                if session.query(Person).filter_by(email=email).one_or_none() is None:
                    session.add(Person(email=email, created_at=clock.now()))
            return runtime.ctx(runtime.actor_for_email(email))

        import_register(ctx("ppo@example.org"), [DOCUMENT])
        review = open_review(ctx("system"), "LAC-014")
        submit_draft(ctx("owner@example.org"), review.id, link=None, summary="Second reviews.")
        decide(ctx("approver@example.org"), review.id, Action.APPROVE)
        services.delivery.run(clock.now())  # the owner's and approver's messages, first

        started = time.perf_counter()
        mark_published(ctx("ppo@example.org"), "LAC-014")
        sent = runs = 0
        while True:
            done = services.delivery.run(clock.now())
            sent += done[Outcome.SENT]
            runs += 1
            if not done.did_anything and not done[Outcome.HANDED_ON]:
                break
            clock.advance(timedelta(minutes=1))  # the scheduler's next beat
        took = time.perf_counter() - started
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        runtime.engine.dispose()
    stop_parent.send("stop")
    seen = ready.recv()
    slack.join()

    return {**seen, "sent": sent, "runs": runs, "took": took, "peak_mib": peak_mib}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("members", nargs="?", type=int, default=5000)
    parser.add_argument(
        "--slack-limit",
        type=float,
        default=50.0,
        metavar="PER_SECOND",
        help="chat.postMessage calls the stand-in takes a second before it answers 429 (0: "
        "no limit, to see how fast signoff itself goes)",
    )
    parser.add_argument("--per-minute", type=int, default=None, metavar="N")
    args = parser.parse_args()
    per_minute = args.per_minute or args.members
    seen = publication(args.members, args.slack_limit, per_minute)
    sent, runs, took, peak_mib = seen["sent"], seen["runs"], seen["took"], seen["peak_mib"]

    rate = (seen["notes"] - 1) / seen["seconds"] if seen["seconds"] else 0.0
    print(f"publication to a group of {args.members} members (SQLite unless DATABASE_URL)")
    print(
        f"  notes sent            {sent} ({seen['distinct']} distinct keys, "
        f"{seen['notes'] - seen['distinct']} sent twice)"
    )
    print(
        f"  delivery runs         {runs}, at most {min(per_minute, RUN_ROWS)} notes a run (the "
        f"smaller of SIGNOFF_UPTAKE_PER_MINUTE={per_minute} and a run's {RUN_ROWS} rows; one "
        "run a minute in production)"
    )
    print(f"  time                  {took:.1f} s from Mark published to the last note")
    against = (
        f"against Slack's limit here of {args.slack_limit:g} a second "
        f"({100 * rate / args.slack_limit:.0f}% of it)"
        if args.slack_limit
        else "with no limit set on the stand-in"
    )
    print(f"  messages per second   {rate:.1f} reached, {against}")
    print(
        f"  429s from Slack       {seen['rate_limited']} (each waited out by its Retry-After, "
        f"then sent; {seen['calls']} calls in all)"
    )
    print(f"  peak memory           {peak_mib:.1f} MiB (RSS of signoff's process)")
    default = 300
    print(
        f"  in production         at SIGNOFF_UPTAKE_PER_MINUTE={default}, {args.members} notes "
        f"take {args.members / default:.0f} minutes: {default / 60:.0f} a second, under "
        "Slack's one a second in each conversation (each note is its own DM) and its "
        "unpublished workspace-wide limit"
    )


if __name__ == "__main__":
    main()
