"""Background jobs that must run once across every server (answering what was left unanswered, the console's
sweep, the daily purge): a lease per job, a PostgreSQL advisory lock held on its own connection. The server
holding it runs the job; when that server dies its connection closes, the lock is freed, and the next server
to ask takes the job over. On SQLite there is only ever one server, which always holds every lease.
"""
from __future__ import annotations

import logging
import zlib
from typing import Any, Optional

from sqlalchemy import text
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

#: advisory lock keys are one 64-bit space shared by everything in the database: ours start with this
NAMESPACE = 0x5167_0000


def _key(job: str) -> int:
    return NAMESPACE << 32 | zlib.crc32(job.encode())


class Lease:
    def __init__(self, engine: Engine, job: str) -> None:
        self.engine = engine
        self.job = job
        self._connection: Optional[Any] = None

    @property
    def shared(self) -> bool:
        """Whether other servers may share the database (so the lease means anything)."""
        return self.engine.dialect.name == "postgresql"

    def held(self) -> bool:
        """Whether this server runs the job now: takes the lease when it is free, keeps it while it holds it."""
        if not self.shared:
            return True
        try:
            if self._connection is not None:
                self._connection.execute(text("SELECT 1"))  # still connected: the lock is still ours
                return True
            connection = self.engine.connect()
            # Out of the pool: the lock lives as long as this database session, and closing must end it.
            connection.detach()
            got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": _key(self.job)}).scalar()
            connection.commit()
            if got:
                self._connection = connection
                log.info("this server now runs %s", self.job)
                return True
            connection.close()
            return False
        except Exception as exc:  # the database restarting: the lock went with the connection; ask again later
            log.warning("lease for %s lost (%s)", self.job, type(exc).__name__)
            self.release()
            return False

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()  # closing ends the session, and with it the advisory lock
            except Exception:
                pass
            self._connection = None
