"""The app manifest is valid by Slack's own schema, and asks for what signoff uses and no more."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT.parent / "shared" / "slack" / "manifest.schema.json"


def manifest() -> dict:
    return yaml.safe_load((ROOT / "slack-manifest.yml").read_text())


def test_the_manifest_is_valid_by_slacks_schema():
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text()))
    assert [error.message for error in validator.iter_errors(manifest())] == []
    broken = {**manifest(), "oauth_config": {"scopes": {"bot": "chat:write"}}}
    assert list(validator.iter_errors(broken))  # the schema does catch a wrong manifest


def test_the_manifest_has_the_home_the_command_interactivity_and_the_events_used():
    m = manifest()
    assert m["features"]["app_home"]["home_tab_enabled"] is True
    assert m["features"]["app_home"]["messages_tab_enabled"] is True
    assert [c["command"] for c in m["features"]["slash_commands"]] == ["/signoff"]
    assert m["settings"]["interactivity"]["is_enabled"] is True
    # Every event signoff listens for, and only those.
    from handlers import events, home

    listened = {"message.im", "app_home_opened", "app_mention", "user_change"}
    assert set(m["settings"]["event_subscriptions"]["bot_events"]) == listened
    assert events.register and home.register
    urls = {
        m["settings"]["event_subscriptions"]["request_url"],
        m["settings"]["interactivity"]["request_url"],
        m["features"]["slash_commands"][0]["url"],
    }
    assert len(urls) == 1 and urls.pop().endswith("/slack/events")


# The bot scopes each Web API method needs, as Slack's method reference lists them. A method
# missing here fails the test below: every new call needs its scope decided.
METHOD_SCOPES = {
    "auth.test": set(),
    "chat.postMessage": {"chat:write"},
    "chat.postEphemeral": {"chat:write"},
    "chat.update": {"chat:write"},
    # Public channel, private channel, DM: signoff reads back all three before posting again.
    "conversations.history": {"channels:history", "groups:history", "im:history"},
    "conversations.info": {"channels:read", "groups:read"},
    "conversations.open": {"im:write"},
    # WebClient.files_upload_v2: files.getUploadURLExternal, then files.completeUploadExternal.
    "files.upload.v2": {"files:write"},
    # A staff group's members: a channel's (public or private), or a user group's.
    "conversations.members": {"channels:read", "groups:read"},
    "usergroups.users.list": {"usergroups:read"},
    "users.info": {"users:read"},
    "users.lookupByEmail": {"users:read.email"},
    "views.open": set(),
    "views.publish": set(),
    "views.update": set(),
}
# Scopes that no method call needs, but the events and the command do.
FOR_EVENTS = {"app_mentions:read", "commands", "im:history", "users:read"}
WEB_API_CALL = re.compile(
    r"\.(auth|chat|conversations|usergroups|users|views|reactions|team|files)_(\w+)\("
)


def methods_called() -> set[str]:
    """Every Web API method signoff's own code calls through slack_sdk's WebClient."""
    found = set()
    for folder in ("bot", "handlers", "scheduler", "workflow"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.name in ("slack_standin.py", "slack_simulator.py"):
                continue  # Slack's side, not signoff's
            for family, method in WEB_API_CALL.findall(path.read_text()):
                # usergroups_users_list is usergroups.users.list
                found.add(f"{family}.{method.replace('_', '.')}")
    return found


def test_every_web_api_method_called_has_its_scopes_and_no_scope_is_spare():
    called = methods_called()
    assert {"chat.postMessage", "conversations.history", "conversations.info"} <= called
    assert called <= set(METHOD_SCOPES), called - set(METHOD_SCOPES)
    needed = set().union(*(METHOD_SCOPES[method] for method in called))
    scopes = set(manifest()["oauth_config"]["scopes"]["bot"])
    assert needed - scopes == set()
    assert scopes - needed - FOR_EVENTS == set()
    # Reading back a private SLT channel needs groups:history, not only channels:history.
    assert {"channels:history", "groups:history"} <= scopes


def test_the_scopes_are_the_least_that_work():
    scopes = set(manifest()["oauth_config"]["scopes"]["bot"])
    assert scopes == {
        "app_mentions:read",
        "channels:history",
        "channels:read",
        "chat:write",
        "commands",
        "files:write",
        "groups:history",
        "groups:read",
        "im:history",
        "im:write",
        "users:read",
        "users:read.email",
        "usergroups:read",
    }
    # Posting into a channel signoff was not invited to, writing as people, administering:
    # never. The admins are told to invite signoff instead.
    assert not scopes & {"chat:write.public", "admin", "users:write", "channels:join"}
