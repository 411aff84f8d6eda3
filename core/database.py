"""The one database: one SQLAlchemy metadata that every Signpost table is declared on (the knowledge base,
conversations, handoffs, advisors), and the engines and sessions on it (SQLAlchemy 1.4 in 2.0 style).

SQLite is the embedded default; ``SIGNPOST_DATABASE_URL`` (any SQLAlchemy URL, e.g.
``postgresql+psycopg2://user@host/signpost``) puts everything on PostgreSQL instead, Rasa's tracker store
included. Tables are made and changed only by the migrations (``signpost db upgrade``), never while serving.
"""
from __future__ import annotations

import datetime as dt
from enum import Enum
from pathlib import Path
from typing import Any, Optional, Type

from sqlalchemy import MetaData, String, create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import declarative_base, sessionmaker
from sqlalchemy.types import TypeDecorator

from core.settings import settings

metadata = MetaData()
Base = declarative_base(metadata=metadata)


def database_url(url: Optional[str] = None) -> str:
    """The URL to use: the one given, else the setting (whose default is the embedded SQLite file)."""
    return url or settings().database_url


def _tune_sqlite(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the action server read while a load writes; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    _secure_delete(dbapi_connection, _record)


def _secure_delete(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # Erased rows are overwritten with zeros, not left readable in free pages of the file (residents' words).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def deleting_securely(engine: Engine) -> Engine:
    """Make an engine Signpost did not make (Rasa's tracker store) overwrite what it deletes, as ours do: for
    SQLite, each new connection gets ``secure_delete``; other databases are left as they are."""
    if engine.dialect.name == "sqlite" and not event.contains(engine, "connect", _secure_delete):
        event.listen(engine, "connect", _secure_delete)
    return engine


def sqlite_path(url: str) -> Optional[Path]:
    """The file of a SQLite URL (None for another database or one in memory)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def make_engine(url: Optional[str] = None) -> Engine:
    """An engine on the database; for SQLite, the folder is made and each connection tuned."""
    url = database_url(url)
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    # hide_parameters: errors and logs never show the values bound to a statement (residents' words).
    # pool_pre_ping (a server database): a connection the database dropped (a restart, a failover) is replaced
    # when it is next taken from the pool, not found broken in the middle of a resident's message.
    options: dict = {} if path is not None or url.startswith("sqlite") else {"pool_pre_ping": True}
    engine = create_engine(url, future=True, hide_parameters=True, **options)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _tune_sqlite)
    return engine


def session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, future=True, expire_on_commit=False)


class State(TypeDecorator):
    """A column holding one of an enum's values (``bot.states``): stored as the plain value, read back as the
    member, and a value that is not one of them is refused before it reaches the database."""

    impl = String
    cache_ok = True

    def __init__(self, enum: Type[Enum], length: int = 20) -> None:
        super().__init__(length)
        self.enum = enum

    def process_bind_param(self, value: Any, dialect: Any) -> Optional[str]:
        return None if value is None else self.enum(value).value

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return None if value is None else self.enum(value)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def aware(moment: Optional[dt.datetime]) -> Optional[dt.datetime]:
    """SQLite hands back naive datetimes: they were stored as UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=dt.timezone.utc)
    return moment
