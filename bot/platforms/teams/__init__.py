"""Microsoft Teams: Adaptive Cards, the Bot Connector client and the Teams side of delivery, the
Bot Framework token check, the activities Teams sends, and a stand-in and simulator for tests
and the demo. Imported only by a deployment that serves Teams (SIGNOFF_PLATFORMS)."""
