"""End to end: `signoff serve` started on loopback as its own process, a Slack Web API stand-in
recording every call, and requests signed as Slack signs them.

The server and every command run at the tests' clock (`signoff --now`): the server's clock
stands where the test put it when the server started, and `restart()` moves it on."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.clock import FixedClock
from bot.platforms.slack.simulator import SlackSimulator
from bot.platforms.slack.standin import SlackStandin, SlackUser
from tests.launcher import Launched, Launcher

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
LONDON = ZoneInfo("Europe/London")
SLT_CHANNEL = "CSLT0001"
DIGEST_CHANNEL = "CDIGEST01"

USERS = {
    "owner": SlackUser("UOWNER", "owner@example.org", "Olive Owner"),
    "approver": SlackUser("UAPPROVER", "approver@example.org", "Amir Approver"),
    "slt": SlackUser("USLT1", "slt.one@example.org", "Sita Leader"),
    "slt2": SlackUser("USLT2", "slt.two@example.org", "Sam Leader"),
    "admin": SlackUser("UPPO", "ppo@example.org", "Pat Officer"),
    "hoqa": SlackUser("UHOQA", "hoqa@example.org", "Hana Quality"),
    "stranger": SlackUser("USTRANGER", "stranger@example.org", "Stan Ranger"),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Signoff:
    """A running signoff and the means to drive it."""

    url: str
    env: dict[str, str]
    slack: SlackStandin
    sim: SlackSimulator
    workdir: Path
    clock: FixedClock
    server: Server | None = field(default=None, repr=False)
    launcher: Launcher | None = field(default=None, repr=False)

    @property
    def today(self) -> date:
        return self.clock.now().astimezone(LONDON).date()

    def restart(self) -> None:
        """Start the server again at the clock's now: its own clock stands where it started."""
        assert self.server is not None
        self.server.stop()
        self.server.start(self.clock.now())

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """`signoff ARGS` at the tests' clock, as a process of its own (tests/launcher.py)."""
        assert self.launcher is not None, "this signoff was made without a launcher"
        result = self.launcher.run(
            ["--now", self.clock.now().isoformat(), *args], env=self.env, cwd=self.workdir
        )
        if check and result.returncode != 0:
            raise AssertionError(f"signoff {' '.join(args)} failed:\n{result.stderr}")
        return result

    def user(self, role: str) -> str:
        return USERS[role].id


def base_env(database_url: str, api_url: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SIGNOFF_", "SLACK_")) and k != "DATABASE_URL"
    }
    env.update(
        {
            "DATABASE_URL": database_url,
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": api_url,
            "SIGNOFF_SLT_CHANNEL": SLT_CHANNEL,
            "SIGNOFF_DIGEST_CHANNEL": DIGEST_CHANNEL,
            "SIGNOFF_ADMIN_EMAILS": "ppo@example.org",
            "SIGNOFF_SLT_EMAILS": "slt.one@example.org,slt.two@example.org",
            "SIGNOFF_ESCALATION_EMAILS": "hoqa@example.org",
            "PYTHONUNBUFFERED": "1",
            "SIGNOFF_LOG_LEVEL": os.environ.get("SIGNOFF_LOG_LEVEL", "INFO"),
        }
    )
    return env


@pytest.fixture
def slack() -> Iterator[SlackStandin]:
    standin = SlackStandin(users=list(USERS.values()))
    standin.start()
    yield standin
    standin.stop()


@dataclass
class Server:
    """`signoff serve` (or `run`) as its own process, on a port of its own, at a moment of the
    test's."""

    env: dict[str, str]
    workdir: Path
    # Starts the server as a process of its own without paying Python's start-up each time.
    launcher: Launcher
    port: int = field(default_factory=free_port)
    process: Launched | None = None
    # The periodic jobs stay with `signoff tick` unless a test wants the server's own.
    scheduler: bool = False
    log_name: str = "serve.log"
    clock_runs: bool = False
    # "run": Socket Mode, its health check and metrics on `port`.
    command: str = "serve"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / self.log_name

    def start(self, now: datetime) -> None:
        log_path = self.log_path
        self.process = self.launcher.start(
            [
                "--now",
                now.isoformat(),
                *(["--clock-runs"] if self.clock_runs else []),
                self.command,
                "--health-port" if self.command == "run" else "--port",
                str(self.port),
                *([] if self.scheduler else ["--no-scheduler"]),
            ],
            env=self.env,
            cwd=self.workdir,
            output=log_path,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(
                    f"signoff {self.command} did not start:\n" + log_path.read_text()
                )
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


@pytest.fixture
def signoff(
    database_url: str,
    slack: SlackStandin,
    tmp_path: Path,
    clock: FixedClock,
    launcher: Launcher,
) -> Iterator[Signoff]:
    env = base_env(database_url, slack.base_url)
    server = Server(env, tmp_path, launcher)
    server.start(clock.now())
    sim = SlackSimulator(server.url + "/slack/events", SECRET, slack)
    try:
        yield Signoff(server.url, env, slack, sim, tmp_path, clock, server, launcher)
    finally:
        server.stop()


@pytest.fixture
def start_signoff(
    database_url: str,
    slack: SlackStandin,
    tmp_path: Path,
    clock: FixedClock,
    launcher: Launcher,
) -> Iterator[Callable[..., Signoff]]:
    """`signoff serve` with settings of the test's own: `start_signoff(SIGNOFF_X="1")`; with
    `started=False` the test starts it (after importing a register, say)."""
    servers: list[Server] = []

    def start(
        *, scheduler: bool = False, started: bool = True, clock_runs: bool = False, **settings: str
    ) -> Signoff:
        env = {**base_env(database_url, slack.base_url), **settings}
        server = Server(
            env,
            tmp_path,
            launcher,
            scheduler=scheduler,
            log_name=f"serve-{len(servers)}.log",
            clock_runs=clock_runs,
        )
        servers.append(server)
        if started:
            server.start(clock.now())
        sim = SlackSimulator(server.url + "/slack/events", SECRET, slack)
        return Signoff(server.url, env, slack, sim, tmp_path, clock, server, launcher)

    try:
        yield start
    finally:
        for server in servers:
            server.stop()
