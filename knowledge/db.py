"""Database engines and sessions for the knowledge base (SQLAlchemy 1.4 in 2.0 style).

SQLite is the embedded default; set ``SIGNPOST_DATABASE_URL`` (any SQLAlchemy URL, e.g.
``postgresql+psycopg2://user@host/signpost``) to use PostgreSQL instead.
"""
from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "data" / "signpost.sqlite3"


def database_url(url: str | None = None) -> str:
    """The URL to use: the one given, else ``SIGNPOST_DATABASE_URL``, else the embedded SQLite file."""
    if url:
        return url
    env = os.environ.get("SIGNPOST_DATABASE_URL")
    if env:
        return env
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def _tune_sqlite(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the action server read while a load writes; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str | None = None) -> Engine:
    """Create an engine; for SQLite, make sure the folder exists and tune the connection."""
    url = database_url(url)
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    # hide_parameters: errors and logs never show the values bound to a statement (residents' words).
    engine = create_engine(url, future=True, hide_parameters=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _tune_sqlite)
    return engine


def create_schema(engine: Engine) -> None:
    """Create any missing tables (idempotent)."""
    from knowledge.models import Area, Base

    Base.metadata.create_all(engine)
    # The area's safeguarding routes came after the table first shipped. Until the schema has migrations
    # (issue 11), a database made before them gets the column here, once.
    if "safeguarding" not in {c["name"] for c in inspect(engine).get_columns(Area.__tablename__)}:
        kind = "JSON" if engine.dialect.name == "postgresql" else "TEXT"
        with engine.begin() as conn:
            conn.exec_driver_sql(f"ALTER TABLE area ADD COLUMN safeguarding {kind} NOT NULL DEFAULT '{{}}'")


def session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, future=True, expire_on_commit=False)


def open_session(url: str | None = None) -> Session:
    """A session on a database whose schema is in place: what the CLI and the actions use."""
    engine = make_engine(url)
    create_schema(engine)
    return session_factory(engine)()


def is_empty(engine: Engine) -> bool:
    """True when the knowledge base has no services (or no tables yet)."""
    from knowledge.models import Service
    from sqlalchemy import func, select

    if not inspect(engine).has_table(Service.__tablename__):
        return True
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Service)).scalar_one() == 0
