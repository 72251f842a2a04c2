"""The admins' notice that Slack will not take some of signoff's messages until something is
fixed: what is wrong, what to do, and that nothing is lost meanwhile."""

from __future__ import annotations

from typing import Any

from bot.platforms.slack.blocks.kit import Msg, context, escape, message, section


def parked_notice(payload: dict[str, Any]) -> Msg:
    problem, fix = payload["problem"], payload["fix"]
    then = "Then run `signoff outbox retry --all` to send what is waiting."
    return message(
        f"signoff cannot deliver some messages: {problem}. To fix it: {fix}. {then}",
        [
            section(f":warning: *{escape(problem)}*, so signoff is holding back messages."),
            section(f"*To fix it:* {escape(fix)}.\n{then}"),
            context(
                "Nothing is lost: what could not be sent waits in the outbox "
                "(`signoff outbox` lists it). You are told once about this, however many "
                "messages it stops."
            ),
        ],
    )
