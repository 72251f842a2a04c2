"""`signoff tick` as cron runs it: real processes, a real database, the Slack stand-in.
Once per period, nothing lost when killed mid-delivery, nothing twice from two copies."""

from __future__ import annotations

import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.platforms.slack.standin import SlackStandin
from tests.conftest import POSTGRES_URL, _with_search_path
from tests.e2e.conftest import DIGEST_CHANNEL, USERS, base_env
from tests.launcher import Launcher

MONDAY = date(2026, 11, 23)
HEADER = (
    "reference,title,type,service_area,owner_email,approver_email,review_cycle_months,"
    "last_approved,next_review_due,version,link"
)


@pytest.fixture
def slack():  # type: ignore[no-untyped-def]
    standin = SlackStandin(users=list(USERS.values()))
    standin.start()
    yield standin
    standin.stop()


@pytest.fixture
def env(database_url: str, slack: SlackStandin) -> dict[str, str]:
    return base_env(database_url, slack.base_url)


def cli(launcher: Launcher, env: dict[str, str], cwd: Path, *args: str) -> str:
    result = launcher.run(list(args), env=env, cwd=cwd, timeout=180)
    assert result.returncode == 0, result.stderr
    return result.stdout


def row(reference: str, due: date, owner: str = "owner@example.org") -> str:
    return (
        f"{reference},{reference} procedure,procedure,Children in Care,{owner},"
        f"approver@example.org,12,,{due:%d/%m/%Y},1.0,"
    )


def import_rows(launcher: Launcher, env: dict[str, str], tmp_path: Path, rows: list[str]) -> None:
    path = tmp_path / "register.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    cli(launcher, env, tmp_path, "import", str(path))


@pytest.mark.clock  # run again with the machine's clock moved: .ci/clock-check
def test_the_morning_run_reminds_escalates_and_digests_exactly_once(env, slack, tmp_path, launcher):
    import_rows(
        launcher,
        env,
        tmp_path,
        [
            row("DUE-42", MONDAY + timedelta(days=42)),
            row("DUE-200", MONDAY + timedelta(days=200)),
            row("LATE-70", MONDAY - timedelta(days=70)),
        ],
    )
    first = cli(launcher, env, tmp_path, "tick", "--now", f"{MONDAY}T09:05")
    assert "daily" in first and "digest" in first
    owner = slack.dms_to(USERS["owner"].id)
    assert any("DUE-42" in m.text and "in 42 days" in m.text for m in owner)
    assert not any("DUE-200" in m.text for m in owner)
    escalations = [m for m in slack.dms_to(USERS["hoqa"].id) if "Escalation" in m.text]
    assert len(escalations) == 1 and "LATE-70" in escalations[0].text
    assert "70 days overdue" in escalations[0].text
    assert any("Escalation" in m.text for m in slack.dms_to(USERS["approver"].id))
    digests = slack.messages_in(DIGEST_CHANNEL)
    assert len(digests) == 1 and "LATE-70" in str(digests[0].blocks)

    posted = len(slack.posted_keys())
    for at in ("09:05", "11:30", "17:45"):
        assert "daily" not in cli(launcher, env, tmp_path, "tick", "--now", f"{MONDAY}T{at}")
    assert len(slack.posted_keys()) == posted
    assert len(slack.messages_in(DIGEST_CHANNEL)) == 1

    # Before nine the next day nothing is due; at nine the day's run finds nothing new to say.
    cli(launcher, env, tmp_path, "tick", "--now", f"{MONDAY + timedelta(days=1)}T08:00")
    cli(launcher, env, tmp_path, "tick", "--now", f"{MONDAY + timedelta(days=1)}T09:00")
    assert len(slack.posted_keys()) == posted


@pytest.mark.clock  # run again with the machine's clock moved: .ci/clock-check
def test_after_three_weeks_off_only_what_is_due_now_is_sent(env, slack, tmp_path, launcher):
    import_rows(launcher, env, tmp_path, [row("DOC-1", MONDAY + timedelta(days=20))])
    cli(launcher, env, tmp_path, "tick", "--now", f"{MONDAY}T09:30")
    assert [k for k in slack.posted_keys() if k.startswith("reminder:")] == ["reminder:1:42"]
    # Off for three weeks: the 14-, 7- and 0-day stages and two Mondays' digests were missed.
    back = MONDAY + timedelta(days=21)
    cli(launcher, env, tmp_path, "tick", "--now", f"{back}T09:30")
    keys = slack.posted_keys()
    assert [k for k in keys if k.startswith("reminder:")] == ["reminder:1:42", "reminder:1:0"]
    assert "reminder_note:1:overdue" in keys  # it became overdue while signoff was off
    assert [k for k in keys if k.startswith("digest:")] == [
        "digest:2026-11-23:digest",
        "digest:2026-12-14:digest",
    ]


def test_a_tick_killed_while_delivering_loses_nothing_and_duplicates_nothing(
    env, slack, tmp_path, launcher
):
    import_rows(
        launcher,
        env,
        tmp_path,
        [row(f"DOC-{n}", MONDAY + timedelta(days=14 + n)) for n in range(6)],
    )
    slack.delay("chat.postMessage", 1.5)
    process = launcher.start(
        ["tick", "--now", f"{MONDAY}T09:30"], env=env, cwd=tmp_path, output=tmp_path / "tick.log"
    )
    # Kill it while Slack has taken a post but not yet answered it.
    slack.wait_for(lambda: len(slack.calls_of("chat.postMessage")) >= 2, timeout=60)
    time.sleep(0.3)
    process.kill()
    process.wait()
    made = slack.posted_keys()
    assert 2 <= len(made) < 13  # some posted, not all
    slack.delay("chat.postMessage", 0)
    cli(launcher, env, tmp_path, "tick", "--now", f"{MONDAY}T09:40")
    keys = slack.posted_keys()
    assert max(Counter(keys).values()) == 1, Counter(keys).most_common(3)
    reminded = [k.split(":")[1] for k in keys if k.startswith("reminder:")]
    assert sorted(reminded) == ["1", "2", "3", "4", "5", "6"]  # every review, once
    assert any(k.startswith("digest:") for k in keys)
    # The post whose answer the killed process never read was found by reading Slack back.
    assert slack.calls_of("conversations.history")


def test_two_ticks_at_the_same_moment_post_every_message_once(env, slack, tmp_path, launcher):
    import_rows(
        launcher,
        env,
        tmp_path,
        [
            row(f"DOC-{n}", MONDAY + timedelta(days=n % 50), owner="owner@example.org")
            for n in range(40)
        ],
    )
    slack.delay("chat.postMessage", 0.02)
    args = ["tick", "--now", f"{MONDAY}T09:30"]
    both = launcher.run_together(args, args, env=env, cwd=tmp_path)
    assert all(code == 0 for code, _ in both), both
    keys = slack.posted_keys()
    assert max(Counter(keys).values()) == 1, Counter(keys).most_common(3)
    assert len([k for k in keys if k.startswith("reminder:")]) == 40
    assert len([k for k in keys if k.startswith("digest:")]) == 1


@pytest.mark.clock  # run again with the machine's clock moved: .ci/clock-check
def test_serve_runs_the_due_jobs_itself_and_a_bad_schedule_stops_it(env, slack, tmp_path, launcher):
    import signal

    from tests.e2e.conftest import free_port

    import_rows(launcher, env, tmp_path, [row("DUE-NOW", MONDAY + timedelta(days=42))])
    # Started at 09:30 with the daily run at 09:00: it catches up on the morning's run at once.
    env = {**env, "SIGNOFF_DAILY_AT": "09:00"}
    serve = launcher.start(
        ["--now", f"{MONDAY}T09:30", "serve", "--port", str(free_port())],
        env=env,
        cwd=tmp_path,
        output=tmp_path / "serve.log",
    )
    try:
        slack.wait_for(
            lambda: [k for k in slack.posted_keys() if k.startswith("reminder:")], timeout=60
        )
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=20)
    # A schedule that cannot be read stops start-up with one line naming it.
    (tmp_path / "signoff.toml").write_text('slt_meetings = "every other blue moon"\n')
    bad = launcher.run(
        ["serve", "--port", str(free_port())],
        env={k: v for k, v in env.items() if k != "SIGNOFF_SLT_MEETINGS"},
        cwd=tmp_path,
        timeout=60,
    )
    assert bad.returncode == 1
    assert bad.stderr.strip().startswith("signoff: SIGNOFF_SLT_MEETINGS: 'every other blue moon'")
    assert len(bad.stderr.strip().splitlines()) == 1


@pytest.mark.skipif(not POSTGRES_URL, reason="advisory locks are PostgreSQL's")
def test_a_signoff_in_another_schema_does_not_hold_up_this_ones_jobs(
    env, slack, tmp_path, launcher
):
    from slack_sdk import WebClient

    from bot.platforms.slack.app import Services
    from bot.runtime import Runtime
    from bot.settings import Settings
    from db.engine import make_engine, make_sessionmaker
    from scheduler.runner import runner_lock

    import_rows(launcher, env, tmp_path, [row("DUE-42", MONDAY + timedelta(days=42))])
    # Another signoff on the same database, in a schema of its own, is running its jobs.
    url = _with_search_path(POSTGRES_URL or "", "public")
    engine = make_engine(url)
    other = Services(
        Runtime(Settings(database_url=url, _env_file=None), engine, make_sessionmaker(engine)),
        WebClient(token="xoxb-other", base_url=slack.base_url),
    )
    try:
        with runner_lock(other) as held:
            assert held
            said = cli(launcher, env, tmp_path, "tick", "--now", f"{MONDAY}T09:30")
    finally:
        engine.dispose()
    assert "another signoff is running the jobs" not in said
    assert f"daily {MONDAY}: 2 new messages" in said
    assert any(k.startswith("reminder:") for k in slack.posted_keys())
