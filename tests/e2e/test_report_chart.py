"""The monthly report in Slack: its figures in words and its headline chart uploaded beside it
through files.upload v2 (the stand-in's three steps), once however often delivery retries; and
the same chart on the admin's App Home, fetched by Slack from `signoff serve`."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import date, datetime, time, timedelta

import pytest

from tests.e2e.conftest import DIGEST_CHANNEL, LONDON, Signoff
from tests.e2e.test_review_path import register, tick
from workflow.dates import is_working_day

PNG = b"\x89PNG\r\n\x1a\n"


def report_day(today: date) -> date:
    """The first working day of the month after `today`'s: when last month's report goes out."""
    day = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def rows(signoff: Signoff, month_end: date | None = None) -> list[str]:
    """Four documents: two overdue at `month_end`, two due well after it."""
    month_end = month_end or date(2026, 11, 30)
    dues = [month_end - timedelta(days=60), month_end - timedelta(days=28)]
    dues += [month_end + timedelta(days=63), month_end + timedelta(days=183)]
    return [
        f"DOC-{n},Document {n},procedure,Safeguarding,owner@example.org,approver@example.org,"
        f"12,,{due:%d/%m/%Y},1.0,https://manual.example.org/doc-{n}"
        for n, due in enumerate(dues)
    ]


@pytest.mark.clock  # run again with the machine's clock moved: .ci/clock-check
def test_the_monthly_report_posts_its_chart_once_with_the_figures_in_words(signoff: Signoff):
    slack = signoff.slack
    day = report_day(signoff.today)  # whatever the clock's date: the next report's morning
    month_end = day.replace(day=1) - timedelta(days=1)
    month = f"{month_end:%B}"
    register(signoff, rows(signoff, month_end))
    tick(signoff, day)
    report = slack.wait_for(
        lambda: [m for m in slack.messages_in(DIGEST_CHANNEL) if m.text.startswith(month)]
    )[-1]
    words = json.dumps(report.blocks)
    assert f"overdue on {month_end.day} {month_end:%b}" in words and "*2* overdue" in words
    assert report.text.startswith(f"{month_end:%B %Y}: 0 reviews completed")

    # Three steps each, for the digest channel and the admin's DM.
    assert len(slack.calls_of("files.getUploadURLExternal")) == 2
    assert len(slack.calls_of("upload")) == 2
    completed = slack.calls_of("files.completeUploadExternal")
    assert {c.args["channel_id"] for c in completed} == {
        DIGEST_CHANNEL,
        slack.dm_channel(signoff.user("admin")),
    }
    for channel in (DIGEST_CHANNEL, signoff.user("admin")):
        (chart,) = slack.files_in(channel)
        assert chart["data"].startswith(PNG) and len(chart["data"]) == chart["length"] > 5_000
        assert chart["title"] == f"Overdue at each month's end, to {month_end:%B %Y}"
        assert f"{month_end:%b %y} 50.0%" in chart["alt_txt"]
    shared = [m for m in slack.messages_in(DIGEST_CHANNEL) if m.files]
    assert f"50.0% (2 of 4) on {month_end.day} {month_end:%B %Y}" in shared[0].text

    # Ticks again the same day and the next: nothing more is posted or uploaded.
    tick(signoff)
    tick(signoff, day + timedelta(days=1))
    assert len(slack.calls_of("files.completeUploadExternal")) == 2
    keys = slack.posted_keys()
    assert len(keys) == len(set(keys))


def test_a_report_whose_upload_failed_is_posted_again_without_a_second_message(signoff: Signoff):
    slack = signoff.slack
    register(signoff, rows(signoff))
    slack.fail("files.completeUploadExternal", error="internal_error", times=2)
    said = tick(signoff, date(2026, 12, 1))
    assert "failed and will be retried" in said
    assert not any(m.files for m in slack.messages_in(DIGEST_CHANNEL))
    signoff.clock.set(datetime.combine(date(2026, 12, 1), time(11, 0), tzinfo=LONDON))
    said = tick(signoff)  # the retry, after its backoff
    assert "delivery: sent 2 messages" in said
    reports = [m for m in slack.messages_in(DIGEST_CHANNEL) if m.text.startswith("November")]
    assert len(reports) == 1, "the report's message was posted twice"
    assert len(slack.files_in(DIGEST_CHANNEL)) == 1


def test_the_admins_home_shows_the_chart_served_by_signoff(signoff: Signoff):
    slack, sim = signoff.slack, signoff.sim
    register(signoff, rows(signoff))
    signoff.env["SIGNOFF_PUBLIC_URL"] = signoff.url + "/"
    signoff.restart()
    sim.home_opened(signoff.user("admin"))
    home = slack.wait_for(lambda: slack.homes.get(signoff.user("admin")))
    (image,) = [b for b in home["blocks"] if b["type"] == "image"]
    url = image["image_url"]
    assert url.startswith(signoff.url + "/charts/overdue-2026-10-") and url.endswith(".png")
    assert image["title"]["text"] == "Overdue at each month's end, to October 2026"
    with urllib.request.urlopen(url, timeout=60) as reply:
        assert reply.headers["Content-Type"] == "image/png"
        assert reply.read().startswith(PNG)
    forged = url.replace("2026-10", "2026-09")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(forged, timeout=30)
    assert refused.value.code == 404
    # Owners and approvers see no chart.
    sim.home_opened(signoff.user("owner"))
    owner_home = slack.wait_for(lambda: slack.homes.get(signoff.user("owner")))
    assert not [b for b in owner_home["blocks"] if b["type"] == "image"]


def test_without_a_public_address_the_home_says_what_to_set(signoff: Signoff):
    signoff.sim.home_opened(signoff.user("admin"))
    home = signoff.slack.wait_for(lambda: signoff.slack.homes.get(signoff.user("admin")))
    assert "SIGNOFF_PUBLIC_URL" in json.dumps(home)
