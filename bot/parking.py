"""Parking: a message the chat platform will never take as things stand is set aside, with its
cause, until someone fixes the cause and retries it; the admins are told once per cause, in a
policy officer's words. Each platform names its own causes (bot/platforms/slack/parking.py for
Slack's); what a cause is, and the ones that are no platform's, are here.
"""

from __future__ import annotations

from dataclasses import dataclass

# The kind of outbox message that tells the admins about a parked one. When it cannot be
# delivered itself it is parked too, and nobody is told about that: no notice about a notice.
NOTICE_KIND = "delivery_parked"

RETRY_HINT = "then run `signoff outbox retry --all`"


@dataclass(frozen=True)
class Channel:
    """The channel a refused message was for, as far as signoff can tell."""

    id: str
    name: str | None = None  # from conversations.info, when Slack would say
    setting: str | None = None  # the setting that names it, e.g. SIGNOFF_SLT_CHANNEL

    @property
    def shown(self) -> str:
        if self.name:
            return f"#{self.name}"
        return f"the channel {self.id}" + (f" ({self.setting})" if self.setting else "")


@dataclass(frozen=True)
class Cause:
    """What stops a message, keyed so that every message stopped by it is one cause."""

    key: str
    code: str
    problem: str  # what is wrong, in a policy officer's words
    fix: str  # what to do about it

    # About the person written to (they have left, cannot be written to): where the message was
    # one of many to a group, the others still go, and nobody need be troubled.
    about_person: bool = False

    @property
    def reason(self) -> str:
        return f"{self.code}: {self.problem}"


def unset_setting(setting: str, audience: str) -> Cause:
    """A channel that no setting names: nothing to post to until it is set."""
    return Cause(
        f"unset:{setting}",
        "not_set",
        f"{setting} is not set, so signoff has nowhere to post the {audience} channel's messages",
        f"set {setting} to the channel's ID, invite signoff with /invite @signoff in that "
        "channel, and restart signoff",
    )
