"""Two `signoff tick` processes started together, again and again, as the clock moves a day at a
time over a small register: every job runs once per period and every message is posted once,
and nothing is left unsent."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, select

from bot.platforms.slack.standin import SlackStandin
from db.models import OutboxMessage
from tests.adversarial.conftest import report
from tests.conftest import POSTGRES_URL
from tests.e2e.conftest import base_env
from tests.launcher import Launcher

# The race that matters is PostgreSQL's (replicas share one server), so it runs the hundred
# pairs; SQLite takes one writer at a time, and twenty pairs show the same there.
# SIGNOFF_ADVERSARIAL_TICK_PAIRS sets another count.
PAIRS = int(os.environ.get("SIGNOFF_ADVERSARIAL_TICK_PAIRS") or (100 if POSTGRES_URL else 20))
HEADER = (
    "reference,title,type,service_area,owner_email,approver_email,review_cycle_months,"
    "last_approved,next_review_due,version,link"
)


def test_two_ticks_at_once_over_a_moving_clock_post_nothing_twice(
    database_url: str, slack: SlackStandin, tmp_path: Path, clock
):
    env = base_env(database_url, slack.base_url)
    start = clock.now()
    rows = [
        f"TT-{n},Procedure {n},procedure,Children in Care,owner@example.org,"
        f"approver@example.org,12,,{start.date() + timedelta(days=3 + 9 * n):%d/%m/%Y},1.0,"
        for n in range(6)
    ]
    (tmp_path / "register.csv").write_text("\n".join([HEADER, *rows]) + "\n")
    subprocess.run(
        [sys.executable, "-m", "bot", "--now", start.isoformat(), "import", "register.csv"],
        env=env,
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    failed = 0
    with Launcher(env, tmp_path) as launcher:
        for day in range(PAIRS):
            clock.set(start + timedelta(days=day))
            tick = ["--now", clock.now().isoformat(), "tick"]
            for code, said in launcher.run_together(tick, tick):
                if code != 0 or "Traceback" in said:
                    failed += 1
                    print(said[-2000:])
    keys = [k for k in slack.posted_keys() if k]
    repeats = {k: n for k, n in Counter(keys).items() if n > 1}
    engine = create_engine(database_url)
    with engine.connect() as connection:
        unsent = connection.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None), OutboxMessage.parked_at.is_(None))
        )
    engine.dispose()
    kinds = Counter(k.split(":", 1)[0] for k in keys)
    report(
        "two ticks at once",
        {
            "pairs": PAIRS,
            "days": f"{start.date()}..{clock.now().date()}",
            "ticks failed": failed,
            "messages posted": len(keys),
            "by kind": dict(kinds),
            "posted twice": len(repeats),
            "left unsent": unsent,
        },
    )
    assert failed == 0
    assert repeats == {}
    assert unsent == 0
    # The register's six reviews were each reminded, and digests went out: the ticks did work.
    assert kinds["reminder"] >= 6 and kinds["digest"] >= 1, kinds
