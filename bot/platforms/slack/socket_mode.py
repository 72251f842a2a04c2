"""Socket Mode: Slack's events, clicks and commands over a WebSocket that signoff opens, for a
workspace that cannot reach signoff over HTTP. Bolt's handler acknowledges each envelope once
its listener has acked, and reconnects when the connection drops; Slack sends again whatever
was not acknowledged, and the listeners' once-only keys make that harmless."""

from __future__ import annotations

import logging
import threading

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.errors import SlackApiError

from bot.settings import Settings, SettingsError

log = logging.getLogger(__name__)


class SocketMode:
    def __init__(self, app: App, settings: Settings) -> None:
        self.handler = SocketModeHandler(
            app,
            settings.slack_app_token,
            # How often the connection is checked: a dead one is replaced within four of these.
            ping_interval=settings.socket_ping_seconds,
        )
        self._stopped = threading.Event()

    def problem(self) -> str | None:
        """For the health check: None while connected to Slack."""
        return None if self.handler.client.is_connected() else "not connected to Slack"

    def run(self) -> None:
        try:
            self.handler.connect()
        except SlackApiError as error:
            raise SettingsError(
                "SLACK_APP_TOKEN: Slack would not open a Socket Mode connection "
                f"({error.response.get('error')}); it needs the app-level token (xapp-...) "
                "with connections:write"
            ) from None
        log.info("connected to Slack over Socket Mode")
        while not self._stopped.wait(1.0):
            pass

    def close(self) -> None:
        self._stopped.set()
        try:
            self.handler.close()
        except Exception:  # closing a connection that is already gone
            log.debug("closing the Socket Mode connection failed", exc_info=True)
