"""A bare Bolt app that only acknowledges, served as `signoff serve` serves signoff's (waitress,
Bolt's WSGI adapter, the same threads): the floor the click latencies are compared with.

    python bench/bare_bolt.py PORT SIGNING_SECRET
"""

from __future__ import annotations

import os
import re
import sys

from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from waitress import serve


def main() -> None:
    port, secret = int(sys.argv[1]), sys.argv[2]
    # Bolt asks Slack who it is (auth.test) on the first request, as signoff's app does: the
    # same stand-in answers both.
    client = WebClient(token="xoxb-bench", base_url=os.environ["SLACK_API_URL"])
    app = App(signing_secret=secret, client=client, token_verification_enabled=False)

    @app.action(re.compile(".*"))
    def only_ack(ack: Ack) -> None:
        ack()

    @app.event("message")
    def nothing() -> None:
        # Events are acknowledged by Bolt before the listener runs; this one does no more.
        pass

    handler = SlackRequestHandler(app, path="/slack/events")

    def application(environ, start_response):  # type: ignore[no-untyped-def]
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok\n"]
        return handler(environ, start_response)

    serve(application, host="127.0.0.1", port=port, threads=8, ident="bare")


if __name__ == "__main__":
    main()
