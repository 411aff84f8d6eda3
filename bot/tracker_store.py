"""Rasa's SQL tracker store, with each conversation's current session also kept in memory.

Stock Rasa reloads and re-parses every event of the session from the database on every turn, which
grows with the conversation and was the largest single cost of a turn. Here a one-row query (the
newest event id and the number of events) checks that the database still holds exactly what memory
holds, since another server process or an erasure may have changed it; only then is the memory used.
The database stays the record: a restart, or a second process, loses nothing. It is Signpost's one database
(``SIGNPOST_DATABASE_URL``), unless endpoints.yml names another.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Optional, Text

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import make_url

from core.settings import settings

DEFAULT_CACHE_SIZE = 1000  # conversations kept in memory, least recently used dropped first


@dataclass(frozen=True)
class _Session:
    version: tuple[Optional[int], int]  # (newest event id, number of events) when it was read or written
    events: tuple[Event, ...]


def _current_session(tracker: DialogueStateTracker) -> list[Event]:
    """The events from the latest session start on: what Rasa's SQL store would read back."""
    events = list(tracker.events)
    starts = [i for i, event in enumerate(events) if isinstance(event, SessionStarted)]
    return events[starts[-1]:] if starts else events


def _rasa_settings(url: str) -> dict[str, Any]:
    """Rasa's SQL store settings for a SQLAlchemy URL (Rasa takes a whole URL given as the host)."""
    return {"dialect": make_url(url).get_backend_name(), "host": url}


class CachedSQLTrackerStore(SQLTrackerStore):
    """Configured in endpoints.yml as ``type: bot.tracker_store.CachedSQLTrackerStore``: on the database the
    settings name, or with the same settings as Rasa's ``SQL`` store; plus an optional ``cache_size``."""

    def __init__(self, domain: Optional[Domain] = None, cache_size: int = DEFAULT_CACHE_SIZE, **kwargs: Any) -> None:
        if "db" not in kwargs:
            kwargs.update(_rasa_settings(settings().database_url))
        super().__init__(domain, **kwargs)
        self._own_engine()
        self._cache_size = int(cache_size)
        self._sessions: "OrderedDict[str, _Session]" = OrderedDict()

    def _own_engine(self) -> None:
        """Rasa's engine, remade as Signpost's are: statements' values never in errors or logs (residents'
        words), and on a server database a connection it dropped (a restart) replaced before it is used,
        rather than failing a turn and sending Rasa to an empty in-memory tracker."""
        from rasa.core.tracker_store import create_engine_kwargs

        url = self.engine.url
        options = {} if url.get_backend_name() == "sqlite" else {"pool_pre_ping": True}
        self.engine.dispose()
        self.engine = sa.create_engine(url, hide_parameters=True, **options, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    def _version(self, sender_id: Text) -> tuple[Optional[int], int]:
        event = self.SQLEvent
        with self.session_scope() as session:
            newest, count = session.query(sa.func.max(event.id), sa.func.count(event.id)).filter(
                event.sender_id == sender_id).one()
        return newest, int(count)

    def _remember(self, sender_id: Text, version: tuple[Optional[int], int], events: list[Event]) -> None:
        self._sessions[sender_id] = _Session(version, tuple(events))
        self._sessions.move_to_end(sender_id)
        while len(self._sessions) > self._cache_size:
            self._sessions.popitem(last=False)

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """The tracker for the conversation's current session, from memory when the database agrees."""
        version = self._version(sender_id)
        cached = self._sessions.get(sender_id)
        if cached is not None and cached.version == version and self.domain is not None:
            self._sessions.move_to_end(sender_id)
            # Events are shared, not copied: replaying them only repeats what they already did.
            return DialogueStateTracker.from_events(sender_id, list(cached.events), self.domain.slots,
                                                    self.max_event_history)
        tracker = await super().retrieve(sender_id)
        if tracker is None:
            self._sessions.pop(sender_id, None)
        else:
            self._remember(sender_id, version, list(tracker.events))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Stores the new events as Rasa does, then remembers the session as it now stands."""
        await super().save(tracker)
        self._remember(tracker.sender_id, self._version(tracker.sender_id), _current_session(tracker))

    def erase(self, sender_id: Text) -> None:
        """Forgets the conversation: every stored event, and the copy in memory."""
        self._sessions.pop(sender_id, None)
        with self.session_scope() as session:
            session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == sender_id).delete()
            session.commit()
