"""The action server's door to the knowledge base: one engine per process, a session per action."""
from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache
from typing import Iterator

from sqlalchemy.orm import Session, sessionmaker

from core.database import make_engine, session_factory
from knowledge.areas import council_website, default_area_id  # noqa: F401  (the actions' way to them)


@lru_cache(maxsize=1)
def _sessions() -> sessionmaker:
    return session_factory(make_engine())


@contextmanager
def kb_session() -> Iterator[Session]:
    with _sessions()() as session:
        yield session
