"""Which of Slack's answers retrying cannot change, and the words the admins get for each."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.slack_response import SlackResponse

from bot.parking import Channel
from bot.platforms.slack.parking import explain, permanent_error, request_arg


def refused(error: str, *, status: int = 200, **request: object) -> SlackApiError:
    """The SlackApiError slack_sdk raises for Slack's answer, as WebClient builds it."""
    response = SlackResponse(
        client=None,
        http_verb="POST",
        api_url="https://slack.com/api/chat.postMessage",
        req_args={"json": dict(request)},
        data={"ok": False, "error": error},
        headers={},
        status_code=status,
    )
    with pytest.raises(SlackApiError) as raised:
        response.validate()
    return raised.value


@pytest.mark.parametrize(
    "code",
    [
        "channel_not_found",
        "not_in_channel",
        "missing_scope",
        "invalid_auth",
        "account_inactive",
        "is_archived",
        "user_not_found",
        "channel_is_archived",
        "restricted_action",
        "restricted_action_read_only_channel",
        "token_revoked",
        "not_authed",
        "invalid_blocks",
        "msg_too_long",
    ],
)
def test_errors_that_retrying_cannot_change_are_permanent(code):
    assert permanent_error(refused(code, channel="C1")) == code


@pytest.mark.parametrize(
    "code",
    [
        "ratelimited",
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
        "team_added_to_org",
        "something_new",
    ],
)
def test_slacks_own_faults_and_unknown_errors_are_retried(code):
    assert permanent_error(refused(code)) is None


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_a_429_or_5xx_is_never_permanent_whatever_it_says(status):
    assert permanent_error(refused("not_in_channel", status=status)) is None


def test_a_lost_connection_is_not_permanent():
    assert permanent_error(SlackClientError("connection reset")) is None
    assert permanent_error(ConnectionResetError()) is None


def test_the_refused_request_names_its_channel():
    assert request_arg(refused("not_in_channel", channel="CSLT0001"), "channel") == "CSLT0001"
    assert request_arg(refused("not_in_channel"), "channel") is None


def test_the_words_for_a_channel_say_what_is_wrong_and_how_to_fix_it():
    slt = Channel("CSLT0001", "slt-decisions", "SIGNOFF_SLT_CHANNEL")
    cause = explain("not_in_channel", kind="slt_request", channel=slt)
    assert cause.problem == "signoff is not in #slt-decisions"
    assert cause.fix == "invite it with /invite @signoff in #slt-decisions"
    assert cause.key == "not_in_channel:CSLT0001"

    hidden = explain(
        "channel_not_found", kind="digest", channel=Channel("CSLT0001", None, "SIGNOFF_SLT_CHANNEL")
    )
    assert hidden.problem == "signoff cannot find the channel CSLT0001 (SIGNOFF_SLT_CHANNEL)"
    assert "invite signoff with /invite @signoff" in hidden.fix
    assert "correct SIGNOFF_SLT_CHANNEL" in hidden.fix

    archived = explain("is_archived", kind="digest", channel=slt)
    assert archived.problem == "#slt-decisions is archived"
    assert archived.fix == "unarchive it, or set SIGNOFF_SLT_CHANNEL to another channel"
    # Two channels, two causes; the same channel and error, one.
    other = explain("not_in_channel", kind="digest", channel=Channel("CDIGEST01", "digest"))
    assert other.key != cause.key
    assert explain("not_in_channel", kind="digest", channel=slt).key == cause.key


def test_the_words_for_the_app_its_token_a_person_and_a_malformed_message():
    scope = explain("missing_scope", kind="digest", needed="groups:history")
    assert scope.problem == "signoff's Slack app lacks the permission groups:history"
    assert "slack-manifest.yml" in scope.fix and "reinstall" in scope.fix

    token = explain("invalid_auth", kind="reminder", person="owner@example.org")
    assert token.key == "invalid_auth"  # one cause, whoever the message was for
    assert "SLACK_BOT_TOKEN" in token.fix

    person = explain("user_not_found", kind="reminder", person="owner@example.org")
    assert person.problem == "signoff cannot write to owner@example.org in Slack (user_not_found)"
    assert "signoff reassign" in person.fix

    broken = explain("invalid_blocks", kind="approval_request", channel=Channel("D1"))
    assert broken.problem == (
        "Slack refused signoff's approval request message as it was built (invalid_blocks)"
    )
    assert broken.key == "invalid_blocks:approval_request"
