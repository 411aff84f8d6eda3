"""The console's tables: advisors (with their presence and failed logins), their sessions, and the
call-back requests residents leave when no one can chat. Handoffs themselves are ``handoff_request``
(bot/handoff/requests.py) and the transcript is ``message`` (bot/conversations.py)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import declarative_base

from bot import conversations
from bot.handoff import requests as handoffs

Base = declarative_base()

ONLINE, AWAY, OFFLINE = "online", "away", "offline"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def aware(moment: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes: they were stored as UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=dt.timezone.utc)
    return moment


class Advisor(Base):
    __tablename__ = "advisor"
    id = Column(Integer, primary_key=True, autoincrement=True)
    name = Column(String(100), nullable=False, unique=True)
    password_hash = Column(String(300), nullable=False)
    failed_logins = Column(Integer, nullable=False, default=0)
    locked_until = Column(DateTime(timezone=True))
    presence = Column(String(20), nullable=False, default=OFFLINE)  # what the advisor chose: online | away
    last_heartbeat = Column(DateTime(timezone=True))  # the console's last sign of life
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class AdvisorSession(Base):
    __tablename__ = "advisor_session"
    token_hash = Column(String(64), primary_key=True)  # sha256 of the cookie: a stolen table is no login
    advisor_id = Column(Integer, ForeignKey("advisor.id", ondelete="CASCADE"), nullable=False, index=True)
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    expires_at = Column(DateTime(timezone=True), nullable=False)


class CallbackRequest(Base):
    """A resident's request to be contacted: how, when, and their explicit consent."""

    __tablename__ = "callback_request"
    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(200), nullable=False, index=True)
    handoff_id = Column(Integer)
    area_id = Column(String(64))
    #: collecting (the resident is answering), open (for advisors to work through), done, declined, cancelled
    status = Column(String(20), nullable=False, default="collecting")
    step = Column(String(20), nullable=False, default="contact")  # contact | time | consent
    contact_kind = Column(String(10))  # phone | email
    contact = Column(String(200))
    good_time = Column(String(200))
    consent = Column(Boolean, nullable=False, default=False)
    consented_at = Column(DateTime(timezone=True))
    reason = Column(String(40))
    outcome = Column(String(40))
    note = Column(Text)
    done_by = Column(Integer)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    done_at = Column(DateTime(timezone=True))


def create_schema(engine: Engine) -> None:
    """Everything the console needs, including the conversation and handoff tables it reads."""
    conversations.create_schema(engine)
    handoffs.create_schema(engine)
    Base.metadata.create_all(engine)
