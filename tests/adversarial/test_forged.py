"""Requests that are not Slack's: wrong signatures, stale or replayed ones, garbage and bodies of
megabytes. Each would approve a real review if signoff believed it; none may change anything,
answer with a 5xx or leave a traceback in the server's log."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import socket
from collections import Counter
from urllib.parse import parse_qs, urlparse

from bot.platforms.slack.simulator import slack_timestamp
from tests.adversarial.conftest import (
    Wire,
    captured,
    changed,
    report,
    settled,
    state,
    tracebacks,
)
from tests.e2e.conftest import SECRET, Signoff
from tests.e2e.test_slack_edges import submitted

MB = 1024 * 1024


def sign(body: bytes, stamp: int | str, secret: str = SECRET) -> str:
    base = b"v0:" + str(stamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def headers(body: bytes, content_type: str, stamp: int | str, signature: str) -> dict[str, str]:
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": signature,
    }


def test_a_thousand_forged_requests_change_nothing(signoff: Signoff):
    rng = random.Random(15)
    approval = submitted(signoff)
    approver = signoff.user("approver")
    # The click the approver would make: every forgery below carries it, or a variant of it.
    click, form = captured(signoff.sim, lambda: signoff.sim.click(approver, approval, "Approve"))
    payload = json.loads(parse_qs(click.decode())["payload"][0])
    before = settled(signoff.env["DATABASE_URL"])
    wire = Wire(signoff.sim.events_url)
    statuses: Counter[int] = Counter()
    sent: Counter[str] = Counter()

    def attack(kind: str, body: bytes, head: dict[str, str], *, method: str = "POST") -> int:
        status = wire.post(body, head, method=method)
        statuses[status] += 1
        sent[kind] += 1
        return status

    # Slack stamps its requests with the world's time, not signoff's clock: the window is about
    # the request's age. Read afresh for each request, since a thousand of them on a busy
    # machine take long enough for a stamp read once to go stale by itself.
    now = slack_timestamp

    for i in range(320):
        which = i % 6
        if which == 0:
            signature = f"v0={rng.getrandbits(256):064x}"
        elif which == 1:
            signature = sign(click, now(), secret="not-the-secret")
        elif which == 2:
            signature = sign(click + b" ", now())  # another body's
        elif which == 3:
            signature = sign(click, now()).replace("v0=", "v1=")
        elif which == 4:
            signature = sign(click, now())[:-1]  # one character short
        else:
            signature = ""
        assert attack("bad signature", click, headers(click, form, now(), signature)) == 401

    for i in range(200):
        age = rng.choice([400, 600, 3600, 86400 * 30, -400, -3600])  # past or future, well out
        stamp: int | str = now() - age
        if i % 10 == 0:
            stamp = rng.choice(["", "soon", "1e9", "-1", str(now()) + "0" * 30])
        stale = headers(click, form, stamp, sign(click, stamp))
        assert attack("stale timestamp", click, stale) == 401

    # A request Slack really signed a minute ago, sent again with a fresh timestamp; and the
    # same signature over a body edited to another person or another review.
    old = now() - 60
    old_signature = sign(click, old)
    for i in range(200):
        fresh = now() + rng.randint(0, 5)
        body = click
        if i % 2:
            edited = dict(payload, user=dict(payload["user"], id=f"U{i:08d}"))
            body = ("payload=" + json.dumps(edited)).encode()
        status = attack("replay", body, headers(body, form, fresh, old_signature))
        assert status == 401

    garbage = [
        b"",
        b"{",
        b"[]",
        b"null",
        b'{"type": "event_callback", "event": ',
        b"payload=",
        b"payload=%7B",
        b"payload=[1,2]",
        b"\xff\xfe\x00garbage",
        b"=&=&&==",
        bytes(rng.getrandbits(8) for _ in range(512)),
        b'{"type":"block_actions","actions":"x"}',
    ]
    for i in range(250):
        body = garbage[i % len(garbage)]
        kind = ("application/json", form, "text/plain", "")[i % 4]
        # Unsigned, and (for one in five) signed as Slack would sign: garbage either way.
        stamp = now()
        signature = sign(body, stamp) if i % 5 == 0 else "v0=" + "0" * 64
        status = attack("malformed", body, headers(body, kind, stamp, signature))
        assert status in (400, 401, 404), (body, kind, status)

    # Megabytes: forged (401, read and refused), signed but no request Slack sends (a big
    # challenge, answered without a change), past the limit (413, refused unread).
    big = json.dumps({"type": "url_verification", "challenge": "x", "pad": "x" * (MB + 100)})
    big_bytes = big.encode()
    for _ in range(10):
        forged = headers(big_bytes, "application/json", now(), "v0=0")
        assert attack("1 MB+", big_bytes, forged) == 401
    for _ in range(5):
        stamp = now()
        signed = headers(big_bytes, "application/json", stamp, sign(big_bytes, stamp))
        assert attack("1 MB+ signed", big_bytes, signed) == 200
    for size in (5 * MB, 50 * MB):
        for _ in range(5):
            sent[f"{size // MB} MB"] += 1
            status = too_large(signoff.sim.events_url, size)
            statuses[status] += 1
            assert status == 413
    for _ in range(10):
        assert attack("GET", b"", {}, method="GET") in (404, 405)
    wire.close()

    after = settled(signoff.env["DATABASE_URL"])
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    problems = tracebacks(signoff.server.log_path)
    total = sum(sent.values())
    report(
        "forged requests",
        {
            "sent": total,
            **dict(sent),
            "answers": dict(sorted(statuses.items())),
            "5xx": server_errors,
            "tables changed": changed(before, after),
            "tracebacks": len(problems),
        },
    )
    assert total >= 1000
    assert server_errors == 0
    assert changed(before, after) == {}
    assert problems == []
    assert signoff.slack.calls_of("chat.postEphemeral") == []

    # The same click, signed now: it does approve. The forgeries were refused for what they
    # were, not because the click could not have worked.
    assert signoff.sim.click(approver, approval, "Approve").status == 200
    signoff.slack.wait_for(lambda: changed(after, state(signoff.env["DATABASE_URL"])))


def too_large(url: str, length: int) -> int:
    """A signed-looking request of `length` bytes: its headers and its first kilobytes sent,
    then the answer read. The server answers from the headers, without waiting for the rest."""
    parsed = urlparse(url)
    with socket.create_connection((parsed.hostname, parsed.port), timeout=30) as sock:
        sock.sendall(
            f"POST {parsed.path} HTTP/1.1\r\nHost: {parsed.hostname}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"X-Slack-Request-Timestamp: {slack_timestamp()}\r\nX-Slack-Signature: v0=0\r\n"
            f"Content-Length: {length}\r\n\r\n".encode()
            + b"payload="
            + b"A" * 4096
        )
        answer = sock.recv(4096).decode(errors="replace")
    return int(answer.split(" ", 2)[1])
