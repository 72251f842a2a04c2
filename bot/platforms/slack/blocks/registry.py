"""Every message about a review, by the outbox kind that asks for it."""

from __future__ import annotations

from bot.platforms.slack.blocks import meetings, reviews, routes

BUILDERS = {**reviews.BUILDERS, **routes.BUILDERS, **meetings.BUILDERS}
