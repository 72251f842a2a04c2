"""Staff groups as Slack knows them: a user group (its ID starts with S) or the members of a
channel (C, or G for an old private one). Delivery asks for the members here, so that the rules
only ever see a group's ID and its members' user IDs."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.parking import Cause

# conversations.members answers at most this many a page (Slack asks for no more than 1000).
PAGE = 1000


def is_user_group(group: str) -> bool:
    return group.startswith("S")


def members(client: WebClient, group: str) -> list[str]:
    """Every member's user ID, following Slack's cursor from page to page."""
    found: list[str] = []
    cursor = None
    while True:
        if is_user_group(group):
            # Slack answers a user group whole; a cursor, where it gives one, is followed.
            reply = client.usergroups_users_list(usergroup=group, **_from(cursor))
            found += reply.get("users") or []
        else:
            reply = client.conversations_members(channel=group, limit=PAGE, **_from(cursor))
            found += reply.get("members") or []
        cursor = (reply.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return list(dict.fromkeys(found))


def _from(cursor: str | None) -> dict[str, str]:
    return {"cursor": cursor} if cursor else {}


def no_such_group(group: str) -> Cause:
    """A user group Slack does not know: nobody can be sent the note until the setting names
    one it does."""
    return Cause(
        f"no_such_subteam:{group}",
        "no_such_subteam",
        f"Slack has no user group {group}, named in SIGNOFF_UPTAKE_GROUPS",
        "correct SIGNOFF_UPTAKE_GROUPS (a user group's ID is at the end of its link in Slack's "
        "People, User groups), restart signoff, then run `signoff outbox retry --all`",
    )
