"""The headline chart, for Slack: the overdue rate at each month's end, to the month reported.

The monthly report uploads it as a file. The App Home shows it as an image block, and Slack
fetches that from a public URL: `signoff serve` answers `/charts/overdue-2026-11-<sig>.png`
under SIGNOFF_PUBLIC_URL. The signature (an HMAC of the name with the app's secret) means only
charts signoff itself linked to are drawn; a past month's chart never changes, so any replica
can draw it again and Slack may cache it."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from workflow import figures as F

PREFIX = "/charts/"
_NAME = re.compile(r"^/charts/overdue-(\d{4}-\d{2})-([0-9a-f]{24})\.png$")


def last_month(today: date) -> str:
    """The last month that is over: the one a report on `today` is about."""
    return (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def _key(settings: Any) -> bytes | None:
    secret = settings.slack_signing_secret or settings.slack_bot_token
    return secret.encode() if secret else None


def _signature(key: bytes, name: str) -> str:
    return hmac.new(key, name.encode(), hashlib.sha256).hexdigest()[:24]


def chart_path(settings: Any, month: str) -> str | None:
    key = _key(settings)
    if key is None:
        return None
    name = f"overdue-{month}"
    return f"{PREFIX}{name}-{_signature(key, name)}.png"


def chart_url(settings: Any, month: str) -> str | None:
    """Where Slack can fetch the month's chart; None without SIGNOFF_PUBLIC_URL."""
    path = chart_path(settings, month)
    if not settings.public_url or path is None:
        return None
    return settings.public_url.rstrip("/") + path


def month_of(settings: Any, path: str) -> str | None:
    """The month a chart path names, if signoff signed it; else None."""
    found = _NAME.match(path)
    key = _key(settings)
    if not found or key is None:
        return None
    name = f"overdue-{found.group(1)}"
    if not hmac.compare_digest(_signature(key, name), found.group(2)):
        return None
    try:
        F.month(found.group(1))
    except ValueError:
        return None
    return found.group(1)


def title(month: str) -> str:
    return f"Overdue at each month's end, to {F.month(month).label}"


def alt_text(figures: F.Figures) -> str:
    points = ", ".join(f"{m.day:%b %y} {100 * m.rate:.1f}%" for m in figures.trend)
    return f"Overdue rate at each month's end: {points}."[:2000]


def png(session: Session, month: str, zone: ZoneInfo) -> tuple[bytes, F.Figures]:
    """The month's headline chart as PNG, and the figures it shows."""
    from bot.reports import charts

    figures = F.figures(session, F.month(month), zone)
    return charts.png(charts.overdue_trend(figures.trend, title=title(month))), figures


@lru_cache(maxsize=32)
def cached_png(database_url: str, month: str, zone_name: str, made: Any) -> bytes:
    """A past month's chart never changes: draw it once per process."""
    with made() as session:
        return png(session, month, ZoneInfo(zone_name))[0]
