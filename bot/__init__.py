"""Slack-facing side of signoff: settings, the Bolt app, Block Kit, delivery and the CLI."""
