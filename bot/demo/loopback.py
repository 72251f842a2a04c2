"""The demo's HTTP server: signoff's WSGI application served by waitress on loopback, on a
thread of its own, as `signoff serve` serves it."""

from __future__ import annotations

import threading
from typing import Any

from waitress import wasyncore
from waitress.server import create_server

# How long the serving thread waits in one turn before it looks whether it is to stop. Requests
# and their answers wake it at once; this only bounds how long `close` waits.
_TURN_SECONDS = 0.05


class LoopbackServer:
    def __init__(self, app: Any, *, threads: int = 4) -> None:
        self._server = create_server(app, host="127.0.0.1", port=0, threads=threads)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="demo-http", daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.effective_port}"

    @property
    def serving(self) -> bool:
        return self._thread.is_alive()

    def _serve(self) -> None:
        # waitress stops only from its own loop: its sockets closed from another thread would go
        # while this one polls them, and reaching in through its wake-up pipe from another
        # thread failed once with that pipe already gone. Polled in short turns here, the server
        # is closed by the thread that polls it, and by nothing else.
        server_map = self._server._map
        while server_map and not self._stopping.is_set():  # empty if it closed itself
            wasyncore.loop(timeout=_TURN_SECONDS, map=server_map, count=1)
        wasyncore.close_all(server_map)

    def close(self) -> None:
        # Let a request still being answered finish while its socket is open: closed under it,
        # waitress would log the failed write as a traceback.
        self._server.task_dispatcher.shutdown(timeout=10)
        self._stopping.set()
        self._thread.join(timeout=10)
