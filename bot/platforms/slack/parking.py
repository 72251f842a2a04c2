"""Slack's answers that retrying cannot change, and how to tell a policy officer what to do.

Slack documents, for each Web API method, the errors it returns. Most say the request can never
succeed as it stands: the app is not in the channel, lacks a permission, its token was revoked,
the person has gone. Retrying those with backoff only hides them, so delivery parks the message
and the admins are told, once per cause, what to fix. Rate limits (429), Slack's own faults
(5xx, `internal_error`, `fatal_error`, `service_unavailable`) and lost connections are never
permanent: the retry handlers and the outbox's backoff deal with them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.parking import Cause, Channel

# About the channel posted to.
CHANNEL = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "channel_is_archived",
        "restricted_action",
        "restricted_action_read_only_channel",
        "restricted_action_thread_only_channel",
        "restricted_action_non_threadable_channel",
        "no_permission",
    }
)
# About the person written to.
PERSON = frozenset({"user_not_found", "user_disabled", "cannot_dm_bot", "messages_tab_disabled"})
# About signoff's token: nothing can be sent until it is replaced.
TOKEN = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "not_allowed_token_type",
        "team_access_not_granted",
        "access_denied",
        "ekm_access_denied",
    }
)
SCOPE = frozenset({"missing_scope"})
# About the message itself: signoff built something Slack will never take.
MESSAGE = frozenset(
    {
        "msg_too_long",
        "no_text",
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "metadata_too_large",
        "too_many_attachments",
        "invalid_attachments",
        "invalid_arguments",
        "invalid_arg_name",
        "invalid_array_arg",
        "invalid_charset",
        "invalid_form_data",
        "invalid_post_type",
        "missing_post_type",
        "as_user_not_supported",
        "method_deprecated",
        "deprecated_endpoint",
        "unknown_method",
    }
)
PERMANENT = CHANNEL | PERSON | TOKEN | SCOPE | MESSAGE


def permanent_error(error: BaseException) -> str | None:
    """Slack's error code when `error` is one that retrying cannot change, else None."""
    if not isinstance(error, SlackApiError):
        return None
    status = getattr(error.response, "status_code", 200)
    if status == 429 or status >= 500:
        return None
    code = error.response.get("error")
    return code if code in PERMANENT else None


def request_arg(error: SlackApiError, name: str) -> Any:
    """An argument of the request Slack refused (the channel posted to, the user looked up)."""
    args = getattr(error.response, "req_args", None) or {}
    for part in ("json", "data", "params"):
        value = (args.get(part) or {}).get(name)
        if value is not None:
            return value
    return None


def explain(
    code: str,
    *,
    kind: str,
    channel: Channel | None = None,
    person: str | None = None,
    needed: str | None = None,
) -> Cause:
    """The cause behind a permanent error `code`, for a message of `kind` sent to `channel`
    (a channel) or `person` (an e-mail address, for a direct message)."""
    if code in TOKEN:
        return Cause(
            code,
            code,
            f"Slack no longer accepts signoff's token ({code})",
            "reinstall signoff in Slack (api.slack.com/apps, your app, Install App), set "
            "SLACK_BOT_TOKEN to the new Bot User OAuth Token and restart signoff",
        )
    if code in SCOPE:
        scope = needed or "it needs"
        return Cause(
            f"{code}:{needed or ''}",
            code,
            f"signoff's Slack app lacks the permission {scope}",
            "update the app from slack-manifest.yml (api.slack.com/apps, your app, App "
            "Manifest) and reinstall it to the workspace",
        )
    if code in MESSAGE:
        return Cause(
            f"{code}:{kind}",
            code,
            f"Slack refused signoff's {kind.replace('_', ' ')} message as it was built ({code})",
            "this is a fault in signoff itself: report it with the output of `signoff outbox`",
        )
    if person is not None and (code in PERSON or channel is None):
        return Cause(
            f"{code}:{person}",
            code,
            f"signoff cannot write to {person} in Slack ({code})",
            "check that they are still in the workspace and can receive messages from apps, or "
            "move their documents to someone else with `signoff reassign`",
            about_person=code in PERSON,
        )
    # A person's code with no person named: one member of a group, written to by their ID.
    return replace(_channel_cause(code, channel or Channel("?")), about_person=code in PERSON)


def _channel_cause(code: str, channel: Channel) -> Cause:
    where = channel.shown
    other = f"set {channel.setting} to another channel" if channel.setting else "use another"
    if code == "not_in_channel":
        problem = f"signoff is not in {where}"
        fix = f"invite it with /invite @signoff in {where}"
    elif code == "channel_not_found":
        problem = f"signoff cannot find {where}"
        fix = (
            "if it is a private channel, invite signoff with /invite @signoff in it; if not, "
            + (f"correct {channel.setting}" if channel.setting else "correct the channel")
            + " (the channel's ID is at the foot of its About tab)"
        )
    elif code in ("is_archived", "channel_is_archived"):
        problem = f"{where} is archived"
        fix = f"unarchive it, or {other}"
    else:
        problem = f"Slack does not let signoff post in {where} ({code})"
        fix = f"let apps post there (the channel's settings, or a workspace admin), or {other}"
    return Cause(f"{code}:{channel.id}", code, problem, fix)
