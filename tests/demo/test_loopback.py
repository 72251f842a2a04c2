"""The demo's server: it answers, lets an answer being written finish when closed, and once
closed neither serves nor leaves its thread running."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request

import pytest

from bot.demo.loopback import LoopbackServer


def _app(started: threading.Event, release: threading.Event):
    def app(environ, start_response):  # type: ignore[no-untyped-def]
        if environ["PATH_INFO"] == "/slow":
            started.set()
            release.wait(10)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [environ["PATH_INFO"].encode()]

    return app


def test_it_answers_finishes_what_it_answers_and_then_stops():
    started, release = threading.Event(), threading.Event()
    server = LoopbackServer(_app(started, release))
    with urllib.request.urlopen(f"{server.base_url}/hello", timeout=5) as answer:
        assert answer.read() == b"/hello"

    slow: dict[str, object] = {}

    def ask_slowly() -> None:
        with urllib.request.urlopen(f"{server.base_url}/slow", timeout=10) as answer:
            slow["body"] = answer.read()

    asking = threading.Thread(target=ask_slowly)
    asking.start()
    assert started.wait(5)
    closing = threading.Thread(target=server.close)
    closing.start()
    # It waits for the answer being written rather than closing the socket under it.
    closing.join(0.3)
    assert closing.is_alive()
    release.set()
    closing.join(15)
    asking.join(15)

    assert slow == {"body": b"/slow"}
    assert not closing.is_alive() and not server.serving
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{server.base_url}/hello", timeout=2)


def test_closing_twice_is_closing_once():
    server = LoopbackServer(_app(threading.Event(), threading.Event()))
    server.close()
    server.close()
    assert not server.serving
