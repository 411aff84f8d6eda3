"""Word between servers sharing one PostgreSQL database (the scaled mode): "there is a message for conversation
X", for the server that holds X's widget socket, through PostgreSQL's LISTEN/NOTIFY rather than polling. Only
ids travel; the message itself is read from the database. With SQLite there is one server and nothing to tell.

A notification sent while a server is disconnected from the database is lost to it; the message stays pending
and arrives with the history when the widget reconnects.
"""
from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any, Awaitable, Callable, Optional

from sqlalchemy import text
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

TOPIC = "signpost_fanout"
RECONNECT_SECONDS = 2.0
Event = dict[str, Any]


class Fanout:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.server = uuid.uuid4().hex  # so a server ignores its own word
        self._connection: Any = None
        self._task: Optional[asyncio.Task] = None

    @property
    def shared(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def publish(self, event: Event) -> None:
        """Tell the other servers (ids only: a notification is at most 8,000 bytes and is not stored)."""
        if not self.shared:
            return
        payload = json.dumps({**event, "server": self.server})
        try:
            with self.engine.begin() as connection:
                connection.execute(text("SELECT pg_notify(:topic, :payload)"), {"topic": TOPIC, "payload": payload})
        except Exception as exc:  # the message is stored and pending: it still arrives on reconnection
            log.warning("could not tell the other servers (%s)", type(exc).__name__)

    def start(self, on_event: Callable[[Event], Awaitable[Any]]) -> None:
        """Listen for the other servers' word for the life of the server (reconnecting when the database
        restarts), handing each event to ``on_event``."""
        if self.shared and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._listen(on_event))

    async def _listen(self, on_event: Callable[[Event], Awaitable[Any]]) -> None:
        loop = asyncio.get_running_loop()
        while True:
            arrived: asyncio.Queue = asyncio.Queue()
            try:
                raw = self.engine.raw_connection()
                raw.detach()  # its own session for as long as it listens, never back to the pool
                connection = raw.connection
                connection.autocommit = True
                connection.cursor().execute(f"LISTEN {TOPIC}")
                self._connection = connection
                loop.add_reader(connection.fileno(), self._ready, arrived)
                while True:
                    try:
                        event = await asyncio.wait_for(arrived.get(), timeout=30)
                    except asyncio.TimeoutError:
                        connection.cursor().execute("SELECT 1")  # quiet for a while: is it still connected?
                        continue
                    if event is None:
                        raise ConnectionError("the database connection closed")
                    if event.get("server") != self.server:
                        try:
                            await on_event(event)
                        except Exception as exc:
                            log.warning("a word from another server failed (%s)", type(exc).__name__)
            except asyncio.CancelledError:
                self._close(loop)
                raise
            except Exception as exc:
                log.warning("listening to the other servers stopped (%s): trying again", type(exc).__name__)
            self._close(loop)
            await asyncio.sleep(RECONNECT_SECONDS)

    def _ready(self, arrived: asyncio.Queue) -> None:
        connection = self._connection
        try:
            connection.poll()
        except Exception:
            arrived.put_nowait(None)
            return
        while connection.notifies:
            note = connection.notifies.pop(0)
            try:
                arrived.put_nowait(json.loads(note.payload))
            except ValueError:
                continue

    def _close(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._connection is not None:
            try:
                loop.remove_reader(self._connection.fileno())
            except Exception:
                pass
            try:
                self._connection.close()
            except Exception:
                pass
            self._connection = None
