"""When Slack answers with something retrying cannot change (signoff is not in the channel, a
permission is missing, its token was revoked), the message is parked, not retried forever; the
admins are told once per cause what to fix; nothing is lost; and after the fix `signoff outbox
retry` posts each parked message exactly once. What `signoff tick` says is what happened."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date, timedelta

from bot.platforms.slack.standin import SlackChannel
from tests.e2e.conftest import DIGEST_CHANNEL, LONDON, Signoff
from tests.e2e.test_review_path import lac_014, register, tick
from workflow.words import counted

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def digest_on(signoff: Signoff, day: date) -> None:
    """Make `day` the digest's day, so that a tick at 09:30 that day posts one."""
    signoff.env["SIGNOFF_DIGEST_DAY"] = WEEKDAYS[day.weekday()]


def attempts_in(signoff: Signoff, channel: str) -> int:
    return len(
        [c for c in signoff.slack.calls_of("chat.postMessage") if c.args["channel"] == channel]
    )


def dms_saying(signoff: Signoff, role: str, words: str) -> list:  # type: ignore[type-arg]
    return [m for m in signoff.slack.dms_to(signoff.user(role)) if words in m.text]


def outbox_lines(signoff: Signoff) -> list[str]:
    return signoff.cli("outbox").stdout.splitlines()


def listed(lines: list[str], state: str) -> list[str]:
    """The rows of `signoff outbox` in `state` (parked, failed, waiting)."""
    return [line for line in lines if line[:1].isdigit() and line.split()[1].startswith(state)]


def run_together(signoff: Signoff, *commands: list[str]) -> list[subprocess.CompletedProcess[str]]:
    now = signoff.clock.now().isoformat()
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "--now", now, *command],
            env=signoff.env,
            cwd=signoff.workdir,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command in commands
    ]
    results = []
    for process, command in zip(processes, commands, strict=True):
        out, err = process.communicate(timeout=120)
        results.append(subprocess.CompletedProcess(command, process.returncode, out, err))
    return results


def test_a_channel_signoff_is_not_in_parks_its_posts_and_tells_the_admins_once(signoff: Signoff):
    slack = signoff.slack
    slack.channels.append(SlackChannel(DIGEST_CHANNEL, "policy-digest", bot_member=False))
    day = signoff.today + timedelta(days=1)
    digest_on(signoff, day)
    register(signoff, [lac_014(day + timedelta(days=42))])

    said = tick(signoff, day).splitlines()[-1]
    # The reminder, the approver's note and the admins' notice went; the digest (and the
    # monthly report, on its day) did not.
    stopped = attempts_in(signoff, DIGEST_CHANNEL)
    assert stopped >= 1
    assert said == (
        f"delivery: sent {counted(len(slack.posted_keys()), 'message')}; {stopped} parked until "
        "`signoff outbox retry` (signoff is not in #policy-digest)"
    ), said
    assert len(slack.posted_keys()) >= 3
    notices = dms_saying(signoff, "admin", "#policy-digest")
    assert len(notices) == 1
    assert "signoff is not in #policy-digest" in notices[0].text
    assert "invite it with /invite @signoff in #policy-digest" in notices[0].text
    assert "signoff outbox retry --all" in notices[0].text

    # A week on: not retried meanwhile; the next digest (and a monthly report, when the month
    # turns) is parked by the same cause, and the admins are not told again.
    for later in range(1, 8):
        tick(signoff, day + timedelta(days=later))
    assert attempts_in(signoff, DIGEST_CHANNEL) > stopped  # next week's digest, at least
    stopped = attempts_in(signoff, DIGEST_CHANNEL)
    assert len(slack.messages_in(DIGEST_CHANNEL)) == 0
    assert len(dms_saying(signoff, "admin", "#policy-digest")) == 1

    # Nothing is lost: they wait in the outbox, with who, what and why.
    lines = outbox_lines(signoff)
    assert lines[0].split() == ["ID", "STATE", "KEY", "KIND", "TO", "ATTEMPTS", "LAST", "ERROR"]
    parked = listed(lines, "parked")
    assert len(parked) == stopped
    for line in parked:
        assert re.search(
            r"\S+:\S+\s+(digest|monthly_report)\s+digest channel CDIGEST01\s+1\s", line
        )
        assert line.endswith("not_in_channel: signoff is not in #policy-digest")
    assert lines[-2] == f"{stopped} messages not sent: {stopped} parked (until retried)."
    assert lines[-1] == "Fix what the last error says, then: signoff outbox retry --all"
    first_id = parked[0].split()[0]

    # Someone invites signoff. The first is retried by its ID while a tick runs; then all of
    # them, by two people at once, and again. Each is posted once.
    slack.channel(DIGEST_CHANNEL).bot_member = True  # type: ignore[union-attr]
    retried, ticked = run_together(signoff, ["outbox", "retry", first_id], ["tick"])
    assert retried.returncode == 0, retried.stderr
    assert ticked.returncode == 0, ticked.stderr
    assert retried.stdout.startswith("Retrying 1 message now.\n")
    both = run_together(signoff, ["outbox", "retry", "--all"], ["outbox", "retry", "--all"])
    assert all(result.returncode == 0 for result in both), [r.stderr for r in both]
    assert sorted(r.stdout.splitlines()[0] for r in both) == [
        "Nothing to retry: no message is parked or failed.",
        f"Retrying {counted(stopped - 1, 'message')} now.",
    ]
    again = signoff.cli("outbox", "retry", "--all").stdout
    assert again == "Nothing to retry: no message is parked or failed.\n"
    posted = [
        m.metadata["event_payload"]["outbox_key"]
        for m in slack.messages_in(DIGEST_CHANNEL)
        if not m.files  # a monthly report's chart is a file shared beside it
    ]
    assert len(posted) == stopped == len(set(posted)), posted
    charts = [f["name"] for f in slack.files_in(DIGEST_CHANNEL)]
    assert len(charts) == len(set(charts)) == sum(k.startswith("monthly_report") for k in posted)
    assert outbox_lines(signoff) == ["The outbox is empty: every message has been sent."]

    # A message already sent cannot be retried, and says so.
    refused = signoff.cli("outbox", "retry", first_id, check=False)
    assert refused.returncode == 1
    assert refused.stderr.startswith(f"signoff: Message {first_id} (digest:")
    assert refused.stderr.rstrip().endswith("was already sent; there is nothing to retry.")
    missing = signoff.cli("outbox", "retry", "9999", check=False)
    assert missing.stderr == (
        "signoff: There is no message 9999 in the outbox; `signoff outbox` lists them.\n"
    )


def test_a_private_channel_and_then_a_missing_permission_are_each_told_once(signoff: Signoff):
    slack = signoff.slack
    slack.channels.append(
        SlackChannel(DIGEST_CHANNEL, "slt-digest", private=True, bot_member=False)
    )
    day = signoff.today + timedelta(days=1)
    digest_on(signoff, day)
    register(signoff, [lac_014(day + timedelta(days=42))])
    said = tick(signoff, day).splitlines()[-1]
    stopped = attempts_in(signoff, DIGEST_CHANNEL)  # the digest, and a monthly report on its day
    assert said.endswith(
        f"; {stopped} parked until `signoff outbox retry` "
        "(signoff cannot find the channel CDIGEST01 (SIGNOFF_DIGEST_CHANNEL))"
    ), said
    hidden = dms_saying(signoff, "admin", "cannot find the channel CDIGEST01")
    assert len(hidden) == 1
    assert "if it is a private channel, invite signoff with /invite @signoff" in hidden[0].text

    # Invited, but the app was installed without groups:history, so it cannot read the
    # private channel back before posting again: a new cause, told once.
    slack.channel(DIGEST_CHANNEL).bot_member = True  # type: ignore[union-attr]
    slack.fail("conversations.history", error="missing_scope", needed="groups:history", times=9)
    retried = signoff.cli("outbox", "retry", "--all", check=False)
    assert retried.returncode == 1  # still stuck, and the exit status says so
    assert retried.stdout.splitlines()[-1] == (  # the one message sent: the admins' notice
        f"delivery: sent 1 message; {stopped} parked until `signoff outbox retry` "
        "(signoff's Slack app lacks the permission groups:history)"
    )
    scope = dms_saying(signoff, "admin", "groups:history")
    assert len(scope) == 1 and "slack-manifest.yml" in scope[0].text
    assert slack.messages_in(DIGEST_CHANNEL) == []

    slack.fail("conversations.history", times=0)  # the app is reinstalled with the scope
    assert signoff.cli("outbox", "retry", "--all").stdout.splitlines()[-1] == (
        f"delivery: sent {counted(stopped, 'message')}"
    )
    assert len(slack.messages_in(DIGEST_CHANNEL)) == stopped
    assert len(dms_saying(signoff, "admin", "cannot find the channel")) == 1


def test_a_notice_that_cannot_be_delivered_itself_is_parked_and_does_not_loop(signoff: Signoff):
    slack = signoff.slack
    slack.fail("chat.postMessage", error="token_revoked", times=1000)
    day = signoff.today + timedelta(days=1)
    digest_on(signoff, day)
    register(signoff, [lac_014(day + timedelta(days=42))])
    said = tick(signoff, day).splitlines()[-1]
    # The reminder, the approver's note, the digest (and the monthly report, on its day), and
    # the notice to the one admin: each post refused once; no notice about the notice.
    refused = len(slack.calls_of("chat.postMessage"))
    assert refused >= 4
    assert said == (
        f"delivery: sent 0 messages; {refused} parked until `signoff outbox retry` "
        "(Slack no longer accepts signoff's token (token_revoked))"
    ), said
    for _ in range(3):
        assert tick(signoff).splitlines()[-1] == "delivery: nothing to send"
    assert len(slack.calls_of("chat.postMessage")) == refused
    lines = outbox_lines(signoff)
    parked = listed(lines, "parked")
    assert len(parked) == refused
    assert len([line for line in parked if "delivery_parked" in line]) == 1
    assert all("token_revoked: Slack no longer accepts" in line for line in parked)

    # A new token: everything waiting goes, the notice included, once each.
    slack.fail("chat.postMessage", times=0)
    assert signoff.cli("outbox", "retry", "--all").stdout.splitlines()[-1] == (
        f"delivery: sent {refused} messages"
    )
    keys = slack.posted_keys()
    assert len(keys) == refused == len(set(keys))


def test_when_slack_fails_tick_says_so_and_retries_later_without_parking(signoff: Signoff):
    slack = signoff.slack
    register(
        signoff,
        [
            lac_014(signoff.today + timedelta(days=42)).replace("LAC-014", f"LAC-01{n}")
            for n in range(3)
        ],
    )
    slack.fail("chat.postMessage", error="internal_error", times=1000)
    said = tick(signoff).splitlines()[-1]
    failed = len(slack.calls_of("chat.postMessage"))
    assert failed >= 6  # three reminders and three notes to the approver, at least
    retry_at = (signoff.clock.now() + timedelta(seconds=30)).astimezone(LONDON)
    assert said == (
        f"delivery: sent 0 messages; {failed} failed and will be retried from {retry_at:%H:%M:%S}"
    ), said
    lines = outbox_lines(signoff)
    assert len(listed(lines, "failed")) == failed
    assert listed(lines, "parked") == []
    assert dms_saying(signoff, "admin", "holding back") == []

    # Slack recovers; a minute later the next tick sends them all, once.
    slack.fail("chat.postMessage", times=0)
    signoff.clock.advance(timedelta(minutes=1))
    assert tick(signoff).splitlines()[-1] == f"delivery: sent {failed} messages"
    assert len(set(slack.posted_keys())) == failed == len(slack.posted_keys())


def test_a_channel_setting_left_unset_parks_its_posts_until_it_is_set(signoff: Signoff):
    del signoff.env["SIGNOFF_DIGEST_CHANNEL"]
    day = signoff.today + timedelta(days=1)
    digest_on(signoff, day)
    register(signoff, [lac_014(day + timedelta(days=42))])
    said = tick(signoff, day).splitlines()[-1]
    assert said.endswith(
        "parked until `signoff outbox retry` (SIGNOFF_DIGEST_CHANNEL is not set, so signoff has "
        "nowhere to post the digest channel's messages)"
    ), said
    told = dms_saying(signoff, "admin", "SIGNOFF_DIGEST_CHANNEL is not set")
    assert len(told) == 1 and "set SIGNOFF_DIGEST_CHANNEL to the channel's ID" in told[0].text
    tick(signoff, day + timedelta(days=1))
    assert len(dms_saying(signoff, "admin", "SIGNOFF_DIGEST_CHANNEL is not set")) == 1
    parked = listed(outbox_lines(signoff), "parked")
    assert parked and all("digest channel (not set)" in line for line in parked)

    signoff.env["SIGNOFF_DIGEST_CHANNEL"] = DIGEST_CHANNEL
    signoff.cli("outbox", "retry", "--all")
    assert len(signoff.slack.messages_in(DIGEST_CHANNEL)) == len(parked)
