"""Error reports to Sentry (or anything that speaks its protocol) when SENTRY_DSN is set.

Errors logged at ERROR, with their traceback and the log context, become reports. What people
wrote never does: no local variables, no request bodies, no personal data."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from bot import logs
from bot.settings import Settings, SettingsError


def start(settings: Settings) -> bool:
    """Start reporting if a DSN is set; True when it did."""
    if not settings.sentry_dsn:
        return False
    try:
        import sentry_sdk
    except ImportError:
        raise SettingsError(
            "SENTRY_DSN is set but sentry-sdk is not installed: pip install 'signoff[sentry]'"
        ) from None
    try:
        release = f"signoff@{version('signoff')}"
    except PackageNotFoundError:
        release = None
    try:
        sentry_sdk.init(
            dsn=settings.sentry_dsn,
            release=release,
            send_default_pii=False,
            include_local_variables=False,
            max_request_body_size="never",
            before_send=_with_context,
        )
    except Exception as error:  # an unreadable DSN, named as the other settings are
        raise SettingsError(f"SENTRY_DSN: {error}") from None
    return True


def _with_context(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
    """Tag the report with what it was about: the Slack event or action, review, outbox key."""
    fields = {k: str(v) for k, v in logs.fields().items() if v is not None}
    record = hint.get("log_record")
    if record is not None:
        for name in logs.FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                fields[name] = str(value)
    if fields:
        event.setdefault("tags", {}).update(fields)
    return event
