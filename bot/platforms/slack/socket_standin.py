"""Slack's Socket Mode end, on loopback, for the tests: the WebSocket that
`apps.connections.open` hands out, served with the `websockets` library.

As Slack does, it greets each connection with `hello`, sends requests as envelopes (events,
interactivity, slash commands), expects each envelope's id back as its ack, and sends whatever
was not acknowledged again on the next connection (an event with its retry count raised). It
can drop the connection without a word, as a network does, to show that nothing is lost."""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

# Envelope types, by what they carry.
EVENTS, INTERACTIVE, COMMANDS = "events_api", "interactive", "slash_commands"


@dataclass
class Envelope:
    id: str
    type: str
    payload: dict[str, Any]
    retry_attempt: int = 0
    sent: int = 0  # how many times it went out

    def wire(self) -> str:
        data: dict[str, Any] = {
            "envelope_id": self.id,
            "payload": self.payload,
            "type": self.type,
            "accepts_response_payload": self.type != EVENTS,
        }
        if self.type == EVENTS:
            data["retry_attempt"] = self.retry_attempt
            data["retry_reason"] = "timeout" if self.retry_attempt else ""
        return json.dumps(data)


@dataclass
class SocketModeStandin:
    app_id: str = "ASIGNOFF"
    connections: int = 0  # how many times a client has connected
    acks: dict[str, dict[str, Any] | None] = field(default_factory=dict)  # envelope id -> payload

    def __post_init__(self) -> None:
        self._pending: dict[str, Envelope] = {}  # sent or waiting to be, not yet acknowledged
        self._delivered: dict[str, Envelope] = {}  # acknowledged
        self._lock = threading.RLock()
        self._acked = threading.Condition(self._lock)
        self._connection: Any = None
        self._drop_after_next = False
        self._tickets = itertools.count(1)
        self._server: Any = None

    # --- running ------------------------------------------------------------------------

    def start(self) -> None:
        from websockets.sync.server import serve

        self._server = serve(self._handle, "127.0.0.1", 0, ping_interval=None)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def url(self) -> str:
        """A fresh URL to connect to, as `apps.connections.open` gives one each time."""
        if self._server is None:
            self.start()
        host, port = self._server.socket.getsockname()[:2]
        return f"ws://{host}:{port}/link/?ticket={next(self._tickets)}&app_id={self.app_id}"

    def stop(self) -> None:
        if self._server is not None:
            with self._lock:
                connection, self._connection = self._connection, None
            if connection is not None:
                connection.close_socket()
            self._server.shutdown()
            self._server = None

    # --- what tests ask -----------------------------------------------------------------

    def send(self, kind: str, payload: dict[str, Any]) -> str:
        """Send an envelope now, or on the next connection if none is open; its id."""
        envelope = Envelope(str(uuid.uuid4()), kind, payload)
        with self._lock:
            self._pending[envelope.id] = envelope
            if self._connection is not None:
                self._transmit(self._connection, envelope)
        return envelope.id

    def wait_for_ack(self, envelope_id: str, timeout: float = 15.0) -> dict[str, Any] | None:
        """The ack's payload (None when it carried none), once it has come."""
        deadline = time.monotonic() + timeout
        with self._acked:
            while envelope_id not in self.acks:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no ack for envelope {envelope_id} after {timeout}s")
                self._acked.wait(left)
            return self.acks[envelope_id]

    def drop_after_next(self) -> None:
        """Drop the connection as soon as the next envelope has gone out, before its ack."""
        with self._lock:
            self._drop_after_next = True

    def drop(self) -> None:
        """Cut the connection without a closing handshake, as a network does."""
        with self._lock:
            if self._connection is not None:
                self._cut(self._connection)

    @property
    def connected(self) -> bool:
        with self._lock:
            return self._connection is not None

    def unacknowledged(self) -> list[Envelope]:
        with self._lock:
            return list(self._pending.values())

    def deliveries(self, envelope_id: str) -> int:
        """How many times an envelope went out (more than once: it was sent again)."""
        with self._lock:
            envelope = self._pending.get(envelope_id) or self._delivered.get(envelope_id)
            return envelope.sent if envelope else 0

    # --- the connection -----------------------------------------------------------------

    def _handle(self, connection: Any) -> None:
        from websockets.exceptions import ConnectionClosed

        with self._lock:
            self.connections += 1
            connection.send(
                json.dumps(
                    {
                        "type": "hello",
                        "num_connections": 1,
                        "debug_info": {"host": "standin", "approximate_connection_time": 3600},
                        "connection_info": {"app_id": self.app_id},
                    }
                )
            )
            self._connection = connection
            for envelope in list(self._pending.values()):
                if envelope.type == EVENTS and envelope.sent:
                    envelope.retry_attempt += 1
                self._transmit(connection, envelope)
        try:
            for message in connection:
                if self._connection is connection:
                    self._acknowledge(message)
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                if self._connection is connection:
                    self._connection = None

    def _transmit(self, connection: Any, envelope: Envelope) -> None:
        from websockets.exceptions import ConnectionClosed

        with contextlib.suppress(ConnectionClosed, OSError):
            connection.send(envelope.wire())
            envelope.sent += 1
        if self._drop_after_next:
            self._drop_after_next = False
            self._cut(connection)

    def _cut(self, connection: Any) -> None:
        # What was sent still arrives, then the end of the stream; whatever the client says on
        # it afterwards (its ack, say) is lost, as on a network that went away.
        self._connection = None
        with contextlib.suppress(OSError):
            connection.socket.shutdown(socket.SHUT_WR)

    def _acknowledge(self, message: str | bytes) -> None:
        try:
            data = json.loads(message)
        except ValueError:
            return
        envelope_id = data.get("envelope_id")
        with self._acked:
            envelope = self._pending.pop(envelope_id, None)
            if envelope is None:
                return  # an ack for something not pending: Slack ignores it too
            self._delivered[envelope_id] = envelope
            self.acks[envelope_id] = data.get("payload")
            self._acked.notify_all()
