"""End to end: `signoff serve` started on loopback as its own process, a Slack Web API stand-in
recording every call, and requests signed as Slack signs them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.slack_simulator import SlackSimulator
from bot.slack_standin import SlackStandin, SlackUser

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
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

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "bot", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=self.workdir,
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


@pytest.fixture
def signoff(database_url: str, slack: SlackStandin, tmp_path: Path) -> Iterator[Signoff]:
    env = base_env(database_url, slack.base_url)
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", str(port), "--no-scheduler"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as reply:
                if reply.status == 200:
                    break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            log.close()
            raise AssertionError(
                "signoff serve did not start:\n" + (tmp_path / "serve.log").read_text()
            )
        time.sleep(0.1)
    sim = SlackSimulator(url + "/slack/events", SECRET, slack)
    try:
        yield Signoff(url, env, slack, sim, tmp_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
