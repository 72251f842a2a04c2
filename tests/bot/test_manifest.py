"""The app manifest is valid by Slack's own schema, and asks for what signoff uses and no more."""

from __future__ import annotations

import json
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


def test_the_scopes_are_the_least_that_work():
    scopes = set(manifest()["oauth_config"]["scopes"]["bot"])
    assert scopes == {
        "app_mentions:read",
        "channels:history",
        "chat:write",
        "commands",
        "im:history",
        "im:write",
        "users:read",
        "users:read.email",
    }
    assert not scopes & {"chat:write.public", "channels:read", "admin", "users:write"}
