"""Which replica runs the periodic jobs.

On PostgreSQL one process leads: it holds a session-level advisory lock on a connection it keeps
open, and runs the due jobs at each beat. The others try to take the lock at each beat. When the
leader dies its connection closes, PostgreSQL lets the lock go, and the next replica to try
leads from then on. A leader that was cut off from the database for a while and comes back may
overlap with its successor for one beat: the ledger of job runs and the outbox keys make that
harmless. On SQLite (one machine) every process runs the jobs, for the same reason."""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Connection, Engine, text

from bot.metrics import LEADER

log = logging.getLogger(__name__)

LOCK_KEY = 0x5167_0FF  # the advisory lock every signoff replica competes for
# Advisory locks belong to the whole database: the schema is the lock's second half, so that
# two signoffs in two schemas of one database each have a leader.
TRY_LOCK = text("SELECT pg_try_advisory_lock(:k, hashtext(current_schema()))")
UNLOCK = text("SELECT pg_advisory_unlock(:k, hashtext(current_schema()))")


class Leadership:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Connection | None = None
        self._guard = threading.Lock()

    @property
    def shared(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def hold(self) -> bool:
        """True while this process leads: keeps the lead, or tries to take it."""
        if not self.shared:
            LEADER.set(1)
            return True
        with self._guard:
            if self._connection is not None and not self._alive(self._connection):
                log.warning("lost the connection that held the lead; trying to take it again")
                self._forget()
            if self._connection is None:
                self._connection = self._try_take()
                if self._connection is not None:
                    log.info("leading: this process runs the periodic jobs")
            LEADER.set(1 if self._connection is not None else 0)
            return self._connection is not None

    def release(self) -> None:
        with self._guard:
            self._forget()
            LEADER.set(0)

    def _try_take(self) -> Connection | None:
        connection = self.engine.connect()
        try:
            held = bool(connection.execute(TRY_LOCK, {"k": LOCK_KEY}).scalar())
            connection.commit()
        except Exception:
            connection.invalidate()
            connection.close()
            raise
        if held:
            return connection
        connection.close()
        return None

    @staticmethod
    def _alive(connection: Connection) -> bool:
        # The lock lives exactly as long as the session: a session that answers still holds it.
        try:
            connection.execute(text("SELECT 1"))
            connection.commit()
            return True
        except Exception:
            return False

    def _forget(self) -> None:
        if self._connection is None:
            return
        # Closing the database connection itself, not handing it back to the pool, is what
        # lets the lock go.
        try:
            self._connection.invalidate()
            self._connection.close()
        except Exception:
            log.debug("closing the leader's connection failed", exc_info=True)
        self._connection = None
