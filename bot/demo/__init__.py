"""`signoff demo`: the whole bot in a terminal, before anyone creates a Slack app."""
