"""Slack failing and signoff dying: storms of 429s and 5xxs, then recovery; and `signoff tick`
and `signoff serve` each killed (SIGKILL) at twenty random moments while they deliver, then run
again. Every message is posted, and none twice."""

from __future__ import annotations

import random
import subprocess
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, func, select

from bot.platforms.slack.standin import SlackStandin
from db.models import OutboxMessage
from tests.adversarial.conftest import report
from tests.e2e.conftest import base_env, free_port
from tests.launcher import Launched, Launcher

HEADER = (
    "reference,title,type,service_area,owner_email,approver_email,review_cycle_months,"
    "last_approved,next_review_due,version,link"
)
KILLS = 20
# Claims lapse quickly, so that a post a killed tick claimed is taken up by the next one.
FAST = {"SIGNOFF_OUTBOX_CLAIM_SECONDS": "4"}


def setup(  # type: ignore[no-untyped-def]
    launcher: Launcher, database_url: str, slack: SlackStandin, tmp_path: Path, clock, count: int
):
    env = {**base_env(database_url, slack.base_url), **FAST}
    start = clock.now()
    rows = [
        f"FT-{n:03d},Procedure {n},procedure,Children in Care,owner@example.org,"
        f"approver@example.org,12,,{start.date() + timedelta(days=14):%d/%m/%Y},1.0,"
        for n in range(count)
    ]
    (tmp_path / "register.csv").write_text("\n".join([HEADER, *rows]) + "\n")
    run(launcher, env, tmp_path, clock, "import", "register.csv")
    return env


def run(launcher: Launcher, env, cwd: Path, clock, *args: str) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    """`signoff ARGS` at the clock's now, a process of its own (tests/launcher.py)."""
    return launcher.run(["--now", clock.now().isoformat(), *args], env=env, cwd=cwd, timeout=180)


def unsent(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.sent_at.is_(None), OutboxMessage.parked_at.is_(None))
            )
    finally:
        engine.dispose()


def reminders(slack: SlackStandin) -> Counter[str]:
    return Counter(k for k in slack.posted_keys() if k.startswith("reminder:"))


def test_storms_of_429s_and_5xxs_then_recovery_lose_and_double_nothing(
    database_url: str, slack: SlackStandin, tmp_path: Path, clock, launcher: Launcher
):
    env = setup(launcher, database_url, slack, tmp_path, clock, 20)
    ticks = []
    for status, times in ((429, 12), (503, 12), (500, 12)):
        slack.fail("chat.postMessage", status=status, times=times, retry_after=1)
        ticks.append(run(launcher, env, tmp_path, clock, "tick"))
        clock.set(clock.now() + timedelta(minutes=30))  # past the retry's backoff
    failed_calls = len(slack.calls_of("chat.postMessage"))
    posted_in_storm = sum(reminders(slack).values())
    slack.fail("chat.postMessage", status=200, times=0)  # the storm is over
    for _ in range(3):
        ticks.append(run(launcher, env, tmp_path, clock, "tick"))
        clock.set(clock.now() + timedelta(minutes=30))
    posted = reminders(slack)
    report(
        "429 and 5xx storms",
        {
            "calls during the storms": failed_calls,
            "reminders posted during the storms": posted_in_storm,
            "reminders posted": sum(posted.values()),
            "distinct": len(posted),
            "posted twice": sum(1 for n in posted.values() if n > 1),
            "left unsent": unsent(database_url),
            "tracebacks": sum(t.stderr.count("Traceback") for t in ticks),
        },
    )
    assert all(t.returncode == 0 for t in ticks), [t.stderr[-1000:] for t in ticks]
    assert not any("Traceback" in t.stderr for t in ticks)
    assert posted_in_storm < 20  # the storm did stop delivery
    assert len(posted) == 20 and set(posted.values()) == {1}
    assert unsent(database_url) == 0


def test_tick_killed_at_twenty_random_moments_loses_and_doubles_nothing(
    database_url: str, slack: SlackStandin, tmp_path: Path, clock, launcher: Launcher
):
    rng = random.Random(15)
    env = setup(launcher, database_url, slack, tmp_path, clock, 40)
    slack.delay("chat.postMessage", 0.15)  # each post made, then answered a moment later
    kills = 0
    for _ in range(KILLS):
        before = len(slack.calls_of("chat.postMessage"))
        process = launcher.start(
            ["--now", clock.now().isoformat(), "tick"],
            env=env,
            cwd=tmp_path,
            output=tmp_path / "tick.log",
        )
        slack.wait_for(
            lambda b=before, p=process: (
                len(slack.calls_of("chat.postMessage")) > b or p.poll() is not None
            ),
            timeout=60,
        )
        # Wall-clock sleep: a random moment of the real process's delivery to kill it at.
        time.sleep(rng.uniform(0, 0.4))
        if process.poll() is None:
            process.kill()
            kills += 1
        process.wait()
        clock.set(clock.now() + timedelta(minutes=1))  # the killed tick's claims lapse
    made_while_killing = sum(reminders(slack).values())
    slack.delay("chat.postMessage", 0)
    final = run(launcher, env, tmp_path, clock, "tick")
    posted = reminders(slack)
    report(
        "tick killed mid-delivery",
        {
            "kills": kills,
            "reminders posted while killing": made_while_killing,
            "reminders posted": sum(posted.values()),
            "distinct": len(posted),
            "posted twice": sum(1 for n in posted.values() if n > 1),
            "left unsent": unsent(database_url),
            "read back from Slack": len(slack.calls_of("conversations.history")),
        },
    )
    assert final.returncode == 0, final.stderr[-2000:]
    assert kills >= KILLS
    assert len(posted) == 40 and set(posted.values()) == {1}, posted.most_common(3)
    assert unsent(database_url) == 0


def test_serve_killed_at_twenty_random_moments_loses_and_doubles_nothing(
    database_url: str, slack: SlackStandin, tmp_path: Path, clock, launcher: Launcher
):
    """`signoff serve` delivering the morning's reminders from its own scheduler, killed
    (SIGKILL) twenty times at random moments and started again a minute later each time."""
    rng = random.Random(16)
    env = setup(launcher, database_url, slack, tmp_path, clock, 60)
    local = clock.now().astimezone(ZoneInfo("Europe/London"))
    daily = max(local - timedelta(minutes=1), local.replace(hour=0, minute=0))
    env |= {
        # The morning's run is due when serve starts, so it starts delivering at once.
        "SIGNOFF_DAILY_AT": f"{daily:%H:%M}",
        "SIGNOFF_SCHEDULER_EVERY_SECONDS": "1",
    }
    slack.delay("chat.postMessage", 0.15)

    def serve() -> Launched:
        now, port = clock.now().isoformat(), str(free_port())
        return launcher.start(
            ["--now", now, "--clock-runs", "serve", "--port", port],
            env=env,
            cwd=tmp_path,
            output=tmp_path / "serve.log",
        )

    kills = 0
    for _ in range(KILLS):
        before = len(slack.calls_of("chat.postMessage"))
        process = serve()
        slack.wait_for(
            lambda b=before: (
                len(slack.calls_of("chat.postMessage")) > b or len(reminders(slack)) == 60
            ),
            timeout=60,
        )
        # Wall-clock sleep: a random moment of the real process's delivery to kill it at.
        time.sleep(rng.uniform(0, 0.4))
        process.kill()
        process.wait()
        kills += 1
        clock.set(clock.now() + timedelta(minutes=1))  # the killed process's claims lapse
    made_while_killing = sum(reminders(slack).values())
    slack.delay("chat.postMessage", 0)
    process = serve()
    try:
        slack.wait_for(lambda: len(reminders(slack)) == 60 and unsent(database_url) == 0, 60)
    finally:
        process.terminate()
        process.wait(timeout=30)
    posted = reminders(slack)
    keys = Counter(k for k in slack.posted_keys() if k)
    report(
        "serve killed mid-delivery",
        {
            "kills": kills,
            "reminders posted while killing": made_while_killing,
            "reminders posted": sum(posted.values()),
            "distinct": len(posted),
            "messages posted twice": sum(1 for n in keys.values() if n > 1),
            "left unsent": unsent(database_url),
        },
    )
    assert kills == KILLS
    assert 0 < made_while_killing < 60  # the kills fell while there was still work to do
    assert len(posted) == 60 and set(keys.values()) == {1}, keys.most_common(3)
    assert unsent(database_url) == 0
