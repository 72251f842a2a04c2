"""The bench runner's sections (bench/run.py): each measures, then prints its figures beside
their targets, one line of method with each."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from measure import timed_signoff
from sqlalchemy import create_engine, event, text

from bot.platforms.slack.standin import SlackStandin, SlackUser

HEADER = (
    "reference,title,type,service_area,owner_email,approver_email,review_cycle_months,"
    "last_approved,next_review_due,version,link"
)
# Monday 23 November 2026; the ticks run on the days after it.
TODAY = date(2026, 11, 23)
# Documents whose review is due within the reminders' window, whatever the register's size:
# what the tick must do grows with these, not with the rest.
DUE = 300
PROFILED = Path(__file__).with_name("profiled.py")
PEOPLE = [SlackUser(f"U{n:05d}", f"person{n}@example.org", f"Person {n}") for n in range(60)]
ADMIN = SlackUser("UPPO", "ppo@example.org", "Pat Officer")


def line(figure: str, value: str, target: str, method: str, ok: bool | None = None) -> None:
    verdict = "" if ok is None else ("  ok" if ok else "  MISSED")
    print(f"  {figure:<44} {value:>22}   target {target:<18}{verdict}")
    print(f"      method: {method}")


def yardstick() -> float:
    """Milliseconds a fixed pure-Python workload takes here, best of 5: what the machine itself
    contributes, so that figures measured on different machines, or on one machine on
    different days, can be compared."""
    import timeit

    rows = [
        {"reference": f"DOC-{n:06d}", "title": f"Document {n}", "due": n % 365} for n in range(2000)
    ]

    def work() -> None:
        for _ in range(5):
            json.loads(json.dumps(rows))
        sorted(rows, key=lambda row: (row["due"], row["reference"]))
        sum(i * i for i in range(200_000))

    return min(timeit.repeat(work, number=1, repeat=5)) * 1000


def register_csv(path: Path, documents: int, *, due: int = DUE) -> None:
    """`documents` rows; the first `due` fall due between 60 days ago and 42 days ahead (the
    window of reminders), the rest 400 days or more ahead, out of every window this bench
    moves through."""
    rows = [HEADER]
    for n in range(documents):
        days = (n % 103) - 60 if n < due else 400 + n % 700
        rows.append(
            f"DOC-{n:06d},Document {n},procedure,Area {n % 9},person{n % 50}@example.org,"
            f"person{50 + n % 10}@example.org,12,,{TODAY + timedelta(days=days)},1.{n % 9},"
        )
    path.write_text("\n".join(rows) + "\n")


@dataclass
class Bench:
    postgres: str

    @contextlib.contextmanager
    def database(self, kind: str, folder: Path) -> Iterator[str]:
        """A fresh, empty database of `kind`; its URL."""
        if kind == "sqlite":
            yield f"sqlite:///{folder / 'bench.db'}"
            return
        name = f"signoff_bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(self.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield self.postgres.rsplit("/", 1)[0] + "/" + name
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            admin.dispose()


def signoff_env(database_url: str, api_url: str, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SIGNOFF_", "SLACK_")) and k != "DATABASE_URL"
    }
    env.update(
        DATABASE_URL=database_url,
        SLACK_BOT_TOKEN="xoxb-bench",
        SLACK_API_URL=api_url,
        SIGNOFF_DIGEST_CHANNEL="CDIGEST",
        SIGNOFF_ADMIN_EMAILS=ADMIN.email,
        SIGNOFF_LOG_LEVEL="WARNING",
        **extra,
    )
    return env


class StatementCounter:
    """Counts the SQL statements an engine runs (SQLAlchemy's before_cursor_execute), and
    keeps each statement's time so that the most costly can be named."""

    def __init__(self, engine) -> None:  # type: ignore[no-untyped-def]
        self.engine = engine
        self.count = 0
        self.costs: dict[str, list[float]] = {}
        self._started: list[float] = []
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        self.count += 1
        self._started.append(time.perf_counter())

    def _after(self, conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        took = time.perf_counter() - self._started.pop()
        self.costs.setdefault(" ".join(statement.split()), []).append(took)

    def reset(self) -> None:
        self.count = 0
        self.costs.clear()

    def top(self, n: int = 3) -> list[tuple[float, int, str]]:
        ranked = sorted(((sum(t), len(t), s) for s, t in self.costs.items()), reverse=True)
        return ranked[:n]


# --- ticks --------------------------------------------------------------------------------


def ticks(bench: Bench, database: str, sizes: list[int]) -> None:
    print(f"\nTicks on {database} (a register of N documents, {DUE} of them due in the window)")
    quiet: dict[int, float] = {}
    for size in sizes:
        with (
            tempfile.TemporaryDirectory() as folder,
            SlackStandin(users=[*PEOPLE, ADMIN]) as slack,
            bench.database(database, Path(folder)) as url,
        ):
            env = signoff_env(url, slack.base_url)
            register = Path(folder) / "register.csv"
            register_csv(register, size)
            timed_signoff(env, "db", "upgrade")
            took, peak = timed_signoff(env, "import", str(register))
            print(f"  {size:,} documents imported in {took:.1f} s (peak RSS {peak:.0f} MiB)")
            figures = []
            # Tuesday: the first morning opens a review for each due document and reminds its
            # owner. Wednesday: only the stages that turn today. Monday: the same, and the digest.
            for label, day in (
                ("busy morning (first, Tue)", TODAY + timedelta(days=1)),
                ("quiet morning (next day, Wed)", TODAY + timedelta(days=2)),
                ("Monday: daily and digest", TODAY + timedelta(days=7)),
            ):
                before = len(slack.calls_of("chat.postMessage"))
                statements = Path(folder) / "statements.json"
                took, peak = timed_signoff(
                    {**env, "SIGNOFF_BENCH_STATEMENTS": str(statements)},
                    "tick",
                    "--now",
                    f"{day}T09:30",
                    program=(str(PROFILED),),
                )
                posted = len(slack.calls_of("chat.postMessage")) - before
                figures.append((label, took, peak, posted, json.loads(statements.read_text())))
                drain(env, slack, day)
            home_took, home_statements = admin_home(url, slack, TODAY + timedelta(days=7))
            export_took, export_peak = timed_signoff(env, "export", str(Path(folder) / "out.csv"))
        for label, took, peak, posted, statements in figures:
            quiet_one = label.startswith("quiet")
            if quiet_one:
                quiet[size] = took
            target = "<= 2 s, 150 MiB" if quiet_one and size >= 100_000 else "-"
            ok = (took <= 2 and peak <= 150) if target != "-" else None
            line(
                f"{size:>7,} {label}",
                f"{took:5.2f} s {peak:4.0f} MiB {posted:4d} posts",
                target,
                "`signoff tick --now` as its own process, wall time and peak RSS "
                "(/usr/bin/time); posts counted at the Slack stand-in",
                ok,
            )
            top_queries(statements)
        line(
            f"{size:>7,} admin's App Home",
            f"{home_took * 1000:6.0f} ms {home_statements:4d} SQL",
            "-",
            "app_home_opened for the admin dispatched to the Bolt app in-process, until "
            "views.publish; statements by before_cursor_execute",
        )
        line(
            f"{size:>7,} signoff export (CSV)",
            f"{export_took:5.2f} s {export_peak:4.0f} MiB",
            "-",
            "`signoff export out.csv` as its own process, wall time and peak RSS",
        )
    if len(quiet) > 1:
        smallest, largest = min(quiet), max(quiet)
        growth = quiet[largest] / quiet[smallest]
        line(
            f"quiet morning, {largest:,} vs {smallest:,}",
            f"x{growth:.2f} for x{largest // smallest} docs",
            "flat (same due)",
            f"the quiet tick's time at each size, the same {DUE} documents due at every size",
            growth < 2,
        )


def top_queries(statements: dict) -> None:  # type: ignore[type-arg]
    """The costliest statements of a command run by bench/profiled.py."""
    print(f"      {statements['statements']} SQL statements; the costliest:")
    for seconds, count, statement in statements["top"][:3]:
        print(f"        {seconds:6.3f} s {count:5d}x  {statement[:96]}")


def drain(env: dict[str, str], slack: SlackStandin, day: date) -> None:
    """Later the same day, ticks that only deliver (a run sends at most 500), until nothing is
    left: so that the next morning measured starts with an empty outbox, as it would."""
    for hour in range(10, 18):
        before = len(slack.calls_of("chat.postMessage"))
        timed_signoff(env, "tick", "--now", f"{day}T{hour}:30")
        if len(slack.calls_of("chat.postMessage")) == before:
            return


def admin_home(url: str, slack: SlackStandin, day: date) -> tuple[float, int]:
    """The admin opening signoff's Home tab: seconds until it is published, and statements."""
    with in_process(url, slack, datetime.combine(day, datetime.min.time(), UTC)) as bolt:
        counter = StatementCounter(bolt.services.runtime.engine)
        bolt.event({"type": "app_home_opened", "user": ADMIN.id, "tab": "home"})  # warm-up
        counter.reset()
        before = len(slack.calls_of("views.publish"))
        started = time.perf_counter()
        bolt.event({"type": "app_home_opened", "user": ADMIN.id, "tab": "home"})
        took = time.perf_counter() - started
        assert len(slack.calls_of("views.publish")) == before + 1, "no Home was published"
        return took, counter.count


# --- signoff in this process, for counting --------------------------------------------------


@dataclass
class InProcess:
    """signoff's Bolt app in this process, handed signed requests as Slack sends them, each
    run to its end (listener and delivery) before dispatch returns."""

    services: object
    app: object
    slack: SlackStandin
    secret: str

    def send(self, body: bytes, content_type: str) -> int:
        from slack_bolt import BoltRequest

        from bot.platforms.slack.simulator import signed_headers

        headers = {"content-type": content_type, **signed_headers(self.secret, body)}
        response = self.app.dispatch(BoltRequest(body=body.decode(), headers=headers))  # type: ignore[attr-defined]
        return response.status

    def event(self, event: dict, event_id: str | None = None) -> int:  # type: ignore[type-arg]
        import json

        payload = {
            "token": "unused",
            "team_id": self.slack.team_id,
            "api_app_id": "ASIGNOFF",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:12]}",
            "event_time": int(time.time()),
        }
        return self.send(json.dumps(payload).encode(), "application/json")

    def simulator(self):  # type: ignore[no-untyped-def]
        """Slack's gestures (bot.platforms.slack.simulator), handed to this app directly."""
        from bot.platforms.slack.simulator import Response, SlackSimulator

        bolt = self

        class Direct(SlackSimulator):
            def send(self, body: bytes, content_type: str, **kwargs):  # type: ignore[no-untyped-def]
                return Response(bolt.send(body, content_type), "")

        return Direct("in-process", self.secret, self.slack)


@contextlib.contextmanager
def in_process(url: str, slack: SlackStandin, now: datetime) -> Iterator[InProcess]:
    from bot.clock import FixedClock
    from bot.platforms.slack.app import Services, build_app, build_client
    from bot.runtime import Runtime
    from bot.settings import Settings

    secret = "bench-signing-secret"
    settings = Settings(
        _env_file=None,
        DATABASE_URL=url,
        SLACK_BOT_TOKEN="xoxb-bench",
        SLACK_SIGNING_SECRET=secret,
        SLACK_API_URL=slack.base_url,
        SIGNOFF_DIGEST_CHANNEL="CDIGEST",
        SIGNOFF_ADMIN_EMAILS=ADMIN.email,
    )
    runtime = Runtime.start(settings, clock=FixedClock(now))
    services = Services(runtime, build_client(runtime))
    app = build_app(services, process_before_response=True)
    try:
        yield InProcess(services, app, slack, secret)
    finally:
        runtime.engine.dispose()


# --- SQL statements per click -------------------------------------------------------------

OWNER = SlackUser("UOWNER", "owner@example.org", "Olive Owner")
APPROVER = SlackUser("UAPPROVER", "approver@example.org", "Amir Approver")
CLICK_USERS = [*PEOPLE, ADMIN, OWNER, APPROVER]


def clicked_register(path: Path, documents: int, clicked: int, *, due_in_days: int = 42) -> None:
    """A register of `documents` whose first `clicked` rows are the owner's and approver's,
    due in six weeks (so that the morning's tick reminds the owner of them); the rest as
    register_csv has them."""
    register_csv(path, documents - clicked)
    due = TODAY + timedelta(days=due_in_days)
    rows = [
        f"CLK-{n:04d},Clicked {n},policy,Area 1,{OWNER.email},{APPROVER.email},12,,{due},2.{n},"
        for n in range(clicked)
    ]
    header, *rest = path.read_text().splitlines()
    path.write_text("\n".join([header, *rows, *rest]) + "\n")


def about(slack: SlackStandin, user: SlackUser, reference: str, needle: str = ""):  # type: ignore[no-untyped-def]
    """The latest DM to `user` about `reference` (and saying `needle`)."""
    import json

    found = [
        m
        for m in slack.dms_to(user.id)
        if reference in m.text + json.dumps(m.blocks) and needle in json.dumps(m.blocks) + m.text
    ]
    assert found, f"no DM to {user.name} about {reference} {needle!r}"
    return found[-1]


def sql_per_click(bench: Bench, database: str, sizes: list[int]) -> None:
    begin = "its BEGIN IMMEDIATE counts as one" if database == "sqlite" else "BEGIN is no statement"
    print(f"\nSQL statements per click, on {database} ({begin})")
    counts: dict[str, dict[int, tuple[int, int]]] = {}
    for size in sizes:
        with (
            tempfile.TemporaryDirectory() as folder,
            SlackStandin(users=CLICK_USERS) as slack,
            bench.database(database, Path(folder)) as url,
        ):
            env = signoff_env(url, slack.base_url)
            register = Path(folder) / "register.csv"
            clicked_register(register, size, 4)
            timed_signoff(env, "db", "upgrade")
            timed_signoff(env, "import", str(register))
            timed_signoff(env, "tick", "--now", f"{TODAY}T09:30")
            drain(env, slack, TODAY)
            now = datetime.combine(TODAY, datetime.min.time(), UTC) + timedelta(hours=10)
            with in_process(url, slack, now) as bolt:
                counted = count_clicks(bolt)
            for kind, (to_commit, whole) in counted.items():
                counts.setdefault(kind, {})[size] = (to_commit, whole)
    for kind, by_size in counts.items():
        commits = [c for c, _ in by_size.values()]
        wholes = [w for _, w in by_size.values()]
        line(
            f"{kind}: to the commit",
            " / ".join(f"{c} at {s:,}" for s, (c, _) in by_size.items()),
            "<= 10, same",
            "before_cursor_execute events from the signed request's arrival until the use "
            "case has committed (who clicked, the rules, state, audit and outbox rows)",
            max(commits) <= 10 and len(set(commits)) == 1,
        )
        line(
            f"{kind}: whole request",
            " / ".join(f"{w} at {s:,}" for s, (_, w) in by_size.items()),
            "same at both",
            "the same, on to the end: delivery of what it queued and the clicker's Home tab "
            "refreshed (in-process Bolt, process_before_response, after one warm-up click)",
            len(set(wholes)) == 1,
        )


def count_clicks(bolt: InProcess) -> dict[str, tuple[int, int]]:
    """Statements of each kind of click: (until the use case committed, the whole request).
    The first click of each kind warms the process (people looked up, caches filled); the
    second is counted, as every click after the first costs."""
    sim = bolt.simulator()
    services = bolt.services
    engine = services.runtime.engine  # type: ignore[attr-defined]
    counter = StatementCounter(engine)
    commits: list[int] = []
    at_commit: list[int] = []
    deliver = services.deliver  # type: ignore[attr-defined]
    event.listen(engine, "commit", lambda _connection: commits.append(counter.count))

    def marked() -> None:
        # Delivery starts once the use case has committed: the click's count is the count at
        # the last commit before it (what it read after, to answer, is the whole request's).
        at_commit.append(commits[-1] if commits else counter.count)
        deliver()

    services.deliver = marked  # type: ignore[attr-defined]
    # Each gesture does what comes before it (not counted: the form opened) and returns the
    # gesture itself, to be counted.
    gestures = {
        "Submit draft": lambda ref: submit(sim, bolt.slack, ref),
        "Approve": lambda ref: lambda: sim.click(APPROVER.id, approval(bolt.slack, ref), "Approve"),
        "chat reply": lambda ref: (
            lambda: sim.message(
                OWNER.id, "by the end of next month", thread_ts=about(bolt.slack, OWNER, ref).ts
            )
        ),
    }
    documents = {
        "Submit draft": ("CLK-0000", "CLK-0001"),
        "Approve": ("CLK-0000", "CLK-0001"),
        "chat reply": ("CLK-0002", "CLK-0003"),
    }
    counted = {}
    for kind, gesture in gestures.items():
        for n, reference in enumerate(documents[kind]):
            act = gesture(reference)
            counter.reset()
            commits.clear()
            at_commit.clear()
            assert act().status == 200
            if n:
                counted[kind] = (at_commit[0] if at_commit else counter.count, counter.count)
    return counted


def submit(sim, slack: SlackStandin, reference: str):  # type: ignore[no-untyped-def]
    """The owner submits a draft of `reference`: the form opened from the reminder (done
    here, before what is counted), and its sending (returned, to be counted)."""
    reminder = about(slack, OWNER, reference, "Submit draft")
    assert sim.click(OWNER.id, reminder, "Submit draft").status == 200
    view = slack.open_view_for(OWNER.id)
    assert view is not None, "no form opened"
    fields = {
        "Link to draft": f"https://drafts.example.org/{reference.lower()}",
        "Summary of changes": "Timescales updated.",
    }
    return lambda: sim.submit(OWNER.id, view, fields)


def approval(slack: SlackStandin, reference: str):  # type: ignore[no-untyped-def]
    return about(slack, APPROVER, reference, "Approve")


# --- click to acknowledgement ---------------------------------------------------------------

SECRET = "bench-signing-secret"
# After each signoff request, the rest of its work (delivery, the Home tab) must finish before
# the next sample, so that no sample waits behind the one before: signoff is taken to be done
# once its outbox holds nothing unsent and Slack has heard nothing from it for this long.
SETTLE = float(os.environ.get("SIGNOFF_BENCH_SETTLE", "0.15"))


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def process(args: list[str], env: dict[str, str], port: int, log: Path) -> Iterator[str]:
    """A server as its own process, once its /healthz answers; its base URL."""
    import subprocess
    import sys
    import urllib.request

    with log.open("w") as out:
        child = subprocess.Popen([sys.executable, *args], env=env, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=2):
                    break
            except OSError:
                if child.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"{args} did not start:\n{log.read_text()}") from None
                time.sleep(0.05)
        yield url
    finally:
        child.terminate()
        child.wait(timeout=10)


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def spread(seconds: list[float]) -> str:
    return f"p50 {percentile(seconds, 50) * 1000:5.1f} p99 {percentile(seconds, 99) * 1000:5.1f} ms"


def wait_idle(database, slack: SlackStandin) -> None:  # type: ignore[no-untyped-def]
    """Until signoff has sent everything it queued (a post the stand-in rate-limited waits
    for its Retry-After, silent, then goes) and Slack has then heard nothing for SETTLE."""
    unsent = "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND parked_at IS NULL"
    wait_until(lambda: database.execute(unsent).fetchone()[0] == 0)
    wait_quiet(slack)


def wait_quiet(slack: SlackStandin, quiet: float = SETTLE, timeout: float = 10.0) -> None:
    """Until the stand-in has had no call for `quiet` seconds."""
    deadline = time.perf_counter() + timeout
    calls, since = len(slack.calls), time.perf_counter()
    while time.perf_counter() < deadline:
        time.sleep(0.005)
        if len(slack.calls) != calls:
            calls, since = len(slack.calls), time.perf_counter()
        elif time.perf_counter() - since >= quiet:
            return


def wait_until(predicate, timeout: float = 10.0) -> float:  # type: ignore[no-untyped-def]
    """Poll every millisecond until `predicate()`; when it became true (perf_counter)."""
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise AssertionError(f"timed out waiting for {predicate}")
        time.sleep(0.001)
    return time.perf_counter()


def latency(bench: Bench, *, samples: int, warmup: int = 30) -> None:
    import sqlite3

    from bot.platforms.slack.simulator import SlackSimulator

    print(f"\nClick to acknowledgement ({samples} samples a side, {warmup} warm-up, interleaved)")
    clicks = samples + warmup
    replies = 20  # documents whose reminders are answered, in turn, by the DM samples
    with (
        tempfile.TemporaryDirectory() as folder,
        SlackStandin(users=CLICK_USERS) as slack,
    ):
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        env = signoff_env(url, slack.base_url, SLACK_SIGNING_SECRET=SECRET)
        register = Path(folder) / "register.csv"
        clicked_register(register, clicks + replies + 300, clicks + replies)
        timed_signoff(env, "db", "upgrade")
        timed_signoff(env, "import", str(register))
        timed_signoff(env, "tick", "--now", f"{TODAY}T09:30")
        drain(env, slack, TODAY)
        now = datetime.combine(TODAY, datetime.min.time(), UTC) + timedelta(hours=10)
        submitted = [f"CLK-{n:04d}" for n in range(clicks)]
        answered = [f"CLK-{n:04d}" for n in range(clicks, clicks + replies)]
        with in_process(url, slack, now) as bolt:
            submit_all(bolt, submitted)
        # Copies: the stand-in updates a message in place once it is approved, and the bare
        # side is sent the same click as it was first shown.
        buttons = [copy.deepcopy(approval(slack, reference)) for reference in submitted]
        threads = [about(slack, OWNER, reference).ts for reference in answered]

        signoff_port, bare_port = free_port(), free_port()
        with (
            process(
                [
                    "-m",
                    "bot",
                    "--now",
                    now.isoformat(),
                    "serve",
                    "--port",
                    str(signoff_port),
                    "--no-scheduler",
                ],
                env,
                signoff_port,
                Path(folder) / "serve.log",
            ) as signoff_url,
            process(
                [str(Path(__file__).parent / "bare_bolt.py"), str(bare_port), SECRET],
                env,
                bare_port,
                Path(folder) / "bare.log",
            ) as bare_url,
        ):
            sims = {
                "signoff": SlackSimulator(signoff_url + "/slack/events", SECRET, slack),
                "bare Bolt": SlackSimulator(bare_url + "/slack/events", SECRET, slack),
            }
            database = sqlite3.connect(Path(folder) / "bench.db")
            acks: dict[tuple[str, str], list[float]] = {}
            committed: list[float] = []
            updated: list[float] = []
            for n in range(clicks):
                for side in sims if n % 2 else reversed(list(sims)):
                    sim = sims[side]
                    # Every sample, on either side, goes to a machine at rest: signoff's
                    # outbox sent and Slack quiet. A sample sent straight after the last one
                    # finds the caches warm and the cores awake, and would flatter its side.
                    wait_idle(database, slack)
                    decisions = database.execute("SELECT count(*) FROM decisions").fetchone()[0]
                    updates = len(slack.calls_of("chat.update"))
                    started = time.perf_counter()
                    answer = sim.click(APPROVER.id, buttons[n], "Approve")
                    assert answer.status == 200, f"{side}: {answer}"
                    acked = time.perf_counter()
                    if side == "signoff":
                        done = wait_until(
                            lambda d=decisions: (
                                database.execute("SELECT count(*) FROM decisions").fetchone()[0] > d
                            )
                        )
                        shown = wait_until(lambda u=updates: len(slack.calls_of("chat.update")) > u)
                    if n >= warmup:
                        acks.setdefault((side, "Approve"), []).append(acked - started)
                        if side == "signoff":
                            committed.append(done - started)
                            updated.append(shown - started)
                    wait_idle(database, slack)
                    answers = len(slack.calls)
                    started = time.perf_counter()
                    reply = sim.message(
                        OWNER.id, "by the end of next month", thread_ts=threads[n % replies]
                    )
                    acked = time.perf_counter()
                    assert reply.status == 200
                    if side == "signoff":
                        wait_until(lambda a=answers: len(slack.calls) > a)
                    if n >= warmup:
                        acks.setdefault((side, "DM"), []).append(acked - started)
            database.close()
    served = {"signoff": "`signoff serve`", "bare Bolt": "a Bolt app that only acks"}
    for kind in ("Approve", "DM"):
        ours, floor = acks[("signoff", kind)], acks[("bare Bolt", kind)]
        for side, values in (("signoff", ours), ("bare Bolt", floor)):
            line(
                f"{'Approve click' if kind == 'Approve' else 'DM event'} -> ack, {side}",
                spread(values),
                "-",
                f"signed request over loopback HTTP to {served[side]} (waitress, 8 threads), "
                f"time to the HTTP response, every sample on either side sent with signoff idle "
                f"(outbox sent, Slack quiet {SETTLE * 1000:.0f} ms); n={len(values)}",
            )
        ratio = percentile(ours, 99) / percentile(floor, 99)
        line(
            f"{kind}: p99 signoff / p99 bare Bolt",
            f"x{ratio:.2f}",
            "<= x1.5",
            "the two p99s above, sides interleaved (order alternating) in one run",
            ratio <= 1.5,
        )
    for label, values in (
        ("Approve -> decision committed", committed),
        ("Approve -> chat.update at Slack", updated),
    ):
        line(
            label,
            spread(values),
            "-",
            "from sending the click: the decisions table polled every ms / the stand-in's "
            "record of chat.update polled every ms",
        )


def submit_all(bolt: InProcess, references: list[str]) -> None:
    """The owner's drafts of `references`, submitted through the use case, and the approver's
    requests delivered to Slack (the stand-in), where their Approve buttons will be pressed."""
    from bot.delivery import Outcome
    from db.models import Document, Review
    from workflow.reviews import submit_draft

    runtime = bolt.services.runtime  # type: ignore[attr-defined]
    owner = runtime.actor_for_email(OWNER.email)
    with runtime.sessions() as session:
        reviews = dict(session.execute(text_select_reviews(Document, Review, references)).all())
    for reference in references:
        submit_draft(
            runtime.ctx(owner),
            reviews[reference],
            link=f"https://drafts.example.org/{reference.lower()}",
            summary="Timescales updated.",
        )
    while True:
        done = bolt.services.delivery.run(runtime.now())  # type: ignore[attr-defined]
        if not done[Outcome.SENT]:
            return


def text_select_reviews(document, review, references):  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    return (
        select(document.reference, review.id)
        .join(review, review.document_id == document.id)
        .where(document.reference.in_(references), review.closed_at.is_(None))
    )


# --- delivery throughput ------------------------------------------------------------------

# The stand-in's limit on chat.postMessage for the burst: Slack publishes none for it across a
# workspace beyond about one message a second in each conversation and "several hundred a
# minute" overall, so the stand-in refuses past 50 a second with 429 and Retry-After: 1.
BURST_LIMIT = 50.0


def delivery(bench: Bench, burst: int) -> None:
    from uptake import publication

    print(f"\nDelivery: a burst of {burst:,} DMs (a publication to a staff group of {burst:,})")
    seen = publication(burst, BURST_LIMIT, burst)
    lost = burst - seen["distinct"]
    twice = seen["notes"] - seen["distinct"]
    line(
        "DMs delivered / lost / sent twice",
        f"{seen['distinct']:,} / {lost} / {twice}",
        f"{burst:,} / 0 / 0",
        "distinct outbox keys on the messages the stand-in (its own process) kept, against the "
        "group's members",
        lost == 0 and twice == 0,
    )
    line(
        "429s answered / retried before Retry-After",
        f"{seen['rate_limited']:,} / {seen['early_retries']}",
        "any / 0",
        f"the stand-in refuses chat.postMessage past {BURST_LIMIT:g}/s with 429 and "
        "Retry-After: 1; a call following a 429 sooner than that counts as not honoured",
        seen["early_retries"] == 0,
    )
    line(
        "busiest conversation, posts in a second",
        f"{seen['busiest_channel']}",
        "<= 1",
        "each conversation's posts (refused ones too) within any one second, the most of them",
        seen["busiest_channel"] <= 1,
    )
    rate = (seen["notes"] - 1) / seen["seconds"] if seen["seconds"] else 0.0
    line(
        "throughput",
        f"{rate:5.1f} msg/s, {seen['took']:.0f} s",
        f"<= {BURST_LIMIT:g} msg/s",
        "notes over the seconds between the stand-in taking the first and the last; time "
        "from Mark published to the last note, delivery run as the scheduler runs it",
        rate <= BURST_LIMIT * 1.05,
    )
    line(
        "peak RSS of signoff's process",
        f"{seen['peak_mib']:.0f} MiB",
        "-",
        "ru_maxrss of the process running the use cases and delivery",
    )
