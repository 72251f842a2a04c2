"""The edges: signatures, Slack's own payloads, bad input, chat replies, retries, two clicks at
once, commands, the Home tab, people Slack does not know, and Slack saying "slow down"."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from bot.platforms.slack.simulator import signed_headers, slack_timestamp
from tests.e2e.conftest import Signoff
from tests.e2e.test_review_path import (
    export,
    lac_014,
    latest_dm,
    open_modal,
    register,
    texts,
    tick,
    wait_for_dm,
)

PAYLOADS = Path(__file__).resolve().parents[3] / "shared" / "slack" / "payloads"


def reminded(signoff: Signoff, days: int = 42):  # type: ignore[no-untyped-def]
    register(signoff, [lac_014(signoff.today + timedelta(days=days))])
    tick(signoff)
    return latest_dm(signoff, "owner")


def submitted(signoff: Signoff):  # type: ignore[no-untyped-def]
    reminder = reminded(signoff)
    view = open_modal(signoff, "owner", reminder, "Submit draft")
    signoff.sim.submit(signoff.user("owner"), view, {"Summary of changes": "New timescales."})
    return wait_for_dm(signoff, "approver", "Approval needed")


# --- requests that are not Slack's ---------------------------------------------------------


def test_a_wrong_signature_and_a_request_ten_minutes_old_are_refused_with_401(signoff: Signoff):
    body = {
        "type": "event_callback",
        "event_id": "EvX",
        "event": {"type": "app_home_opened", "user": "UOWNER"},
    }
    assert signoff.sim.send_json(body, secret="not-the-secret").status == 401
    assert signoff.sim.send_json(body, timestamp=slack_timestamp(seconds_ago=600)).status == 401
    assert signoff.slack.calls_of("views.publish") == []
    assert signoff.sim.send_json(body).status == 200


def test_the_health_check_answers_when_the_database_is_reachable(signoff: Signoff):
    import urllib.request

    with urllib.request.urlopen(signoff.url + "/healthz") as reply:
        assert reply.status == 200 and reply.read() == b"ok\n"


def test_slacks_own_signing_vector_verifies_with_the_clock_frozen():
    vector = json.loads((PAYLOADS / "slash_command_signing_vector.json").read_text())
    body = (PAYLOADS / vector["body_file"]).read_bytes().strip()
    headers = signed_headers(
        vector["signing_secret"], body, int(vector["x_slack_request_timestamp"])
    )
    assert headers["X-Slack-Signature"] == vector["x_slack_signature"]


@pytest.mark.parametrize(
    "name",
    [
        "event_message_im.json",
        "app_home_opened.json",
        "app_home_opened_messages_tab.json",
        "event_app_mention.json",
    ],
)
def test_slacks_real_event_payloads_are_taken_without_error(signoff: Signoff, name: str):
    payload = json.loads((PAYLOADS / name).read_text())
    reply = signoff.sim.send_json(payload)
    assert reply.status == 200
    # Slack retries the same delivery: acted on once.
    assert signoff.sim.send_json(payload, headers={"X-Slack-Retry-Num": "1"}).status == 200


def test_slacks_real_interactive_payloads_get_an_answer(signoff: Signoff):
    for name in ("block_actions.json", "view_submission.json"):
        payload = (PAYLOADS / name).read_text()
        reply = signoff.sim.send_form({"payload": payload})
        # Not signoff's buttons or modals: Bolt answers that nothing handles them, no crash.
        assert reply.status in (200, 404), (name, reply)


# --- bad input -----------------------------------------------------------------------------


def test_bad_modal_input_is_answered_on_the_field_and_nothing_is_recorded(signoff: Signoff):
    reminder = reminded(signoff)
    view = open_modal(signoff, "owner", reminder, "Submit draft")
    reply = signoff.sim.submit(
        signoff.user("owner"),
        view,
        {"Link to draft": "S:\\Policies\\LAC-014 draft.docx", "Summary of changes": "x"},
    )
    assert reply.status == 200, reply
    assert (reply.json() or {}).get("response_action") == "errors", (reply, export(signoff))
    assert "http" in reply.json()["errors"]["link"]
    reply = signoff.sim.submit(signoff.user("owner"), view, {"Summary of changes": "   "})
    assert list(reply.json()["errors"]) == ["summary"]
    assert export(signoff)["LAC-014"]["status"] == "review_due"
    assert signoff.slack.dms_to(signoff.user("approver"))[-1].text.startswith(
        "For your information"
    )  # no approval request was sent


def test_an_empty_requirement_in_a_decision_modal_is_refused_inline(signoff: Signoff):
    request = submitted(signoff)
    view = open_modal(signoff, "approver", request, "Defer to SLT")
    reply = signoff.sim.submit(signoff.user("approver"), view, {"Reason": " "})
    assert reply.json()["errors"] == {"text": "Give the reason for deferring to the SLT."}
    assert export(signoff)["LAC-014"]["status"] == "awaiting_approval"


# --- chat replies --------------------------------------------------------------------------


@pytest.mark.clock  # run again with the machine's clock moved: .ci/clock-check
def test_an_owner_names_a_date_in_words_and_the_approver_agrees_or_declines(signoff: Signoff):
    reminded(signoff, days=10)
    sim, slack = signoff.sim, signoff.slack
    assert sim.message(signoff.user("owner"), "I'll finish LAC-014 in 2 weeks").status == 200
    answer = wait_for_dm(signoff, "owner", "Noted")
    assert (signoff.today + timedelta(days=14)).strftime("%b %Y") in answer.text
    assert (
        export(signoff)["LAC-014"]["target_date"]
        == (signoff.today + timedelta(days=14)).isoformat()
    )
    ask = wait_for_dm(signoff, "approver", "Do you agree")
    view = open_modal(signoff, "approver", ask, "Decline")
    sim.submit(signoff.user("approver"), view, {"Reason": "The inspection is next week."})
    told = wait_for_dm(signoff, "owner", "declined your target date")
    assert "The inspection is next week." in texts(told)
    assert export(signoff)["LAC-014"]["target_date"] == ""
    slack.wait_for(
        lambda: (
            "Declined"
            in texts(next(m for m in slack.dms_to(signoff.user("approver")) if m.ts == ask.ts))
        )
    )

    # A reply in the thread of the reminder places itself; this time the approver agrees.
    sim.message(
        signoff.user("owner"),
        "by the end of next month",
        thread_ts=slack.dms_to(signoff.user("owner"))[0].ts,
    )
    thread_answer = slack.wait_for(
        lambda: [
            m for m in slack.dms_to(signoff.user("owner")) if m.thread_ts and "Noted" in m.text
        ]
    )
    assert thread_answer
    ask = wait_for_dm(signoff, "approver", "Do you agree", count=2)
    sim.click(signoff.user("approver"), ask, "Agree")
    slack.wait_for(
        lambda: (
            "Agreed"
            in texts(next(m for m in slack.dms_to(signoff.user("approver")) if m.ts == ask.ts))
        )
    )
    assert export(signoff)["LAC-014"]["target_date"] != ""


def test_status_help_notes_and_replies_it_cannot_read(signoff: Signoff):
    reminded(signoff)
    sim, owner = signoff.sim, signoff.user("owner")
    sim.message(owner, "status")
    assert "LAC-014" in texts(wait_for_dm(signoff, "owner", "open reviews"))
    sim.message(owner, "help")
    wait_for_dm(signoff, "owner", "runs the review")
    sim.message(owner, "LAC-014 by 31/02")
    bad = wait_for_dm(signoff, "owner", "could not read")
    assert "31/02" in bad.text and "in 2 weeks" in bad.text
    sim.message(owner, "Talked it through with the IRO team")
    unplaced = wait_for_dm(signoff, "owner", "could not tell which review")
    assert "LAC-014" in unplaced.text
    sim.message(owner, "LAC-014: waiting for legal to confirm the new regulation")
    wait_for_dm(signoff, "owner", "kept that on the history")
    assert "review.note" in signoff.cli("history", "LAC-014").stdout
    assert export(signoff)["LAC-014"]["target_date"] == ""


def test_a_reply_naming_a_document_that_does_not_exist_says_so_and_changes_nothing(
    signoff: Signoff,
):
    reminder = reminded(signoff)
    sim, slack, owner = signoff.sim, signoff.slack, signoff.user("owner")
    # In the thread of LAC-014's reminder: not taken as LAC-014's date.
    sim.message(owner, "LAC-999 by 30/04", thread_ts=reminder.ts)
    answer = slack.wait_for(
        lambda: [m for m in slack.dms_to(owner) if m.thread_ts and "LAC-999" in m.text]
    )[0]
    assert "There is no document LAC-999" in answer.text
    sim.message(owner, "I'll finish lac-14 by the end of next month")
    wrong = wait_for_dm(signoff, "owner", "There is no document", count=2)
    assert "LAC-14" in wrong.text and "Did you mean LAC-014?" in wrong.text
    assert export(signoff)["LAC-014"]["target_date"] == ""
    assert "review.note" not in signoff.cli("history", "LAC-014").stdout


def test_a_retried_event_is_acted_on_once(signoff: Signoff):
    reminded(signoff)
    owner = signoff.user("owner")
    for retry in (None, 1, 2):
        assert (
            signoff.sim.message(
                owner, "LAC-014 in 3 weeks", event_id="Ev0RETRY", retry=retry
            ).status
            == 200
        )
    wait_for_dm(signoff, "owner", "Noted")
    time.sleep(0.5)
    assert len([m for m in signoff.slack.dms_to(owner) if "Noted" in m.text]) == 1
    assert signoff.cli("history", "LAC-014").stdout.count("target_date_set") == 1


# --- once only -----------------------------------------------------------------------------


def test_two_people_clicking_approve_at_once_record_one_decision(signoff: Signoff):
    request = submitted(signoff)
    clicks = [
        threading.Thread(target=signoff.sim.click, args=(signoff.user(who), request, "Approve"))
        for who in ("approver", "admin", "approver")
    ]
    for click in clicks:
        click.start()
    for click in clicks:
        click.join()
    signoff.slack.wait_for(
        lambda: (
            len(signoff.slack.ephemerals_to(signoff.user("approver")))
            + len(signoff.slack.ephemerals_to(signoff.user("admin")))
            >= 2
        )
    )
    history = signoff.cli("history", "LAC-014").stdout
    assert history.count("review.approved") == 1
    assert history.count("REFUSED decide") == 2
    outcome_posts = [
        c
        for c in signoff.slack.calls_of("chat.postMessage")
        if "approved: no changes" in c.args.get("text", "")
        or "was approved" in c.args.get("text", "")
    ]
    assert len(outcome_posts) == 2  # one to the owner, one to the approver


def test_slack_saying_slow_down_delays_a_message_but_sends_it_once(signoff: Signoff):
    signoff.slack.fail("chat.postMessage", status=429, retry_after=1, times=1)
    register(signoff, [lac_014(signoff.today + timedelta(days=42))])
    tick(signoff)
    reminders = [m for m in signoff.slack.dms_to(signoff.user("owner")) if "LAC-014" in m.text]
    assert len(reminders) == 1


def test_a_person_slack_does_not_know_is_reported_to_the_admins_once(signoff: Signoff):
    rows = [
        lac_014(signoff.today + timedelta(days=42)).replace(
            "owner@example.org", "gone@example.org"
        ),
        lac_014(signoff.today + timedelta(days=14))
        .replace("LAC-014", "LAC-015")
        .replace("owner@example.org", "gone@example.org"),
    ]
    register(signoff, rows)
    tick(signoff)
    tick(signoff, signoff.today + timedelta(days=1))
    reports = [
        m for m in signoff.slack.dms_to(signoff.user("admin")) if "gone@example.org" in m.text
    ]
    assert len(reports) == 1
    assert "LAC-014" in texts(reports[0]) and "LAC-015" in texts(reports[0])


# --- commands and the Home tab -------------------------------------------------------------


def test_the_slash_command_answers_the_person_only(signoff: Signoff):
    reminded(signoff)
    sim = signoff.sim
    for text, needle in [
        ("help", "runs the review"),
        ("mine", "LAC-014"),
        ("due", "LAC-014"),
        ("overdue", "Nothing is overdue"),
        ("find looked after", "LAC-014"),
        ("show lac-014", "review due"),
        ("show NOPE-1", "no document NOPE-1"),
        ("dance", "runs the review"),
    ]:
        reply = sim.command(signoff.user("owner"), text)
        assert reply.status == 200, (text, reply)
        body = reply.json()
        assert body["response_type"] == "ephemeral"
        assert needle in json.dumps(body), (text, body)


@pytest.mark.clock  # run again with the machine's clock moved: .ci/clock-check
def test_the_home_tab_shows_what_to_review_and_decide_and_admins_see_the_register(signoff: Signoff):
    submitted(signoff)
    register(
        signoff,
        [
            lac_014(signoff.today + timedelta(days=42)),
            lac_014(signoff.today - timedelta(days=20)).replace("LAC-014", "LAC-099"),
        ],
    )
    sim, slack = signoff.sim, signoff.slack
    sim.home_opened(signoff.user("approver"))
    home = slack.wait_for(lambda: slack.homes.get(signoff.user("approver")))
    assert "Awaiting your decision" in json.dumps(home) and "Approve" in json.dumps(home)
    sim.home_opened(signoff.user("admin"))
    home = slack.wait_for(lambda: slack.homes.get(signoff.user("admin")))
    assert "The register" in json.dumps(home) and "LAC-099" in json.dumps(home)
    assert "20 days overdue" in json.dumps(home)
    # Buttons on the Home tab work like the ones in messages.
    sim.click(signoff.user("approver"), slack.homes[signoff.user("approver")], "Approve")
    slack.wait_for(lambda: export(signoff)["LAC-014"]["status"] == "current")
