"""Handoff requests, stored in SQL: who asked (by conversation, never by name), why, how urgent, and the
bot's summary for the advisor. A crisis goes to the top of the queue.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import JSON, Column, DateTime, Integer, String, Text, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, declarative_base

Base = declarative_base()

PRIORITY_CRISIS = 0
PRIORITY_NORMAL = 1
REASONS = ("asked", "misunderstood", "nothing_found", "crisis")
#: waiting (in the advisors' queue), live (an advisor has it), returned (handed back to the assistant),
#: closed (with an outcome), callback (the resident is giving call-back details), cancelled
WAITING, LIVE, RETURNED, CLOSED, CALLBACK, CANCELLED = "waiting", "live", "returned", "closed", "callback", "cancelled"


class HandoffRequest(Base):
    __tablename__ = "handoff_request"
    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(200), nullable=False, index=True)
    channel = Column(String(40))
    area_id = Column(String(64))
    reason = Column(String(40), nullable=False)
    priority = Column(Integer, nullable=False, default=PRIORITY_NORMAL)
    status = Column(String(20), nullable=False, default="waiting")
    summary: Any = Column(JSON, nullable=False, default=dict)
    created_at = Column(DateTime(timezone=True), nullable=False)
    # The advisor console's part (bot/console/): who has it, since when, how it ended, notes.
    advisor_id = Column(Integer)
    claimed_at = Column(DateTime(timezone=True))
    closed_at = Column(DateTime(timezone=True))
    outcome = Column(String(40))
    note = Column(Text)


#: Columns added after the table first shipped: added in place to databases made before them.
_ADDED_COLUMNS = {"advisor_id": "INTEGER", "claimed_at": "TIMESTAMP", "closed_at": "TIMESTAMP",
                  "outcome": "VARCHAR(40)", "note": "TEXT"}


def create_schema(engine: Engine) -> None:
    Base.metadata.create_all(engine)
    present = {c["name"] for c in inspect(engine).get_columns(HandoffRequest.__tablename__)}
    missing = [name for name in _ADDED_COLUMNS if name not in present]
    if missing:
        timestamp = "TIMESTAMP WITH TIME ZONE" if engine.dialect.name == "postgresql" else "TIMESTAMP"
        for name in missing:
            kind = timestamp if _ADDED_COLUMNS[name] == "TIMESTAMP" else _ADDED_COLUMNS[name]
            try:
                with engine.begin() as conn:
                    conn.execute(text(f"ALTER TABLE {HandoffRequest.__tablename__} ADD COLUMN {name} {kind}"))
            except DBAPIError:  # another process (the action server, the Rasa server) added it first
                if name not in {c["name"] for c in inspect(engine).get_columns(HandoffRequest.__tablename__)}:
                    raise


def request_handoff(session: Session, conversation_id: str, reason: str, summary: dict[str, Any],
                    area_id: Optional[str] = None, channel: Optional[str] = None) -> HandoffRequest:
    """Record (or raise the priority of) the conversation's open request, and commit before answering."""
    if reason not in REASONS:
        raise ValueError(f"unknown handoff reason {reason!r}")
    priority = PRIORITY_CRISIS if reason == "crisis" else PRIORITY_NORMAL
    existing = session.execute(select(HandoffRequest).where(
        HandoffRequest.conversation_id == conversation_id, HandoffRequest.status == "waiting")).scalars().first()
    if existing:
        existing.priority = min(existing.priority, priority)
        existing.reason = "crisis" if priority == PRIORITY_CRISIS else existing.reason
        existing.summary = {**existing.summary, **summary}
        request = existing
    else:
        request = HandoffRequest(conversation_id=conversation_id, channel=channel, area_id=area_id, reason=reason,
                                 priority=priority, summary=summary, created_at=dt.datetime.now(dt.timezone.utc))
        session.add(request)
    session.commit()
    return request


def waiting(session: Session) -> list[HandoffRequest]:
    """The queue: crisis first, then longest waiting."""
    return list(session.execute(select(HandoffRequest).where(HandoffRequest.status == "waiting")
                                .order_by(HandoffRequest.priority, HandoffRequest.created_at)).scalars())
