"""The action server's door to the knowledge base: one engine per process, a session per action."""
from __future__ import annotations

import os
from contextlib import contextmanager
from functools import lru_cache
from typing import Iterator, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from knowledge.db import create_schema, make_engine, session_factory
from knowledge.models import Area


@lru_cache(maxsize=1)
def _sessions() -> sessionmaker:
    engine = make_engine()
    create_schema(engine)
    return session_factory(engine)


@contextmanager
def kb_session() -> Iterator[Session]:
    with _sessions()() as session:
        yield session


def default_area_id(session: Session) -> Optional[str]:
    """The area a conversation belongs to before the resident names a place: SIGNPOST_DEFAULT_AREA, or
    the only area when the deployment holds one."""
    configured = os.environ.get("SIGNPOST_DEFAULT_AREA", "sefton")
    if session.get(Area, configured):
        return configured
    ids = session.execute(select(Area.id).order_by(Area.id)).scalars().all()
    return ids[0] if len(ids) == 1 else None
