"""The tables of handing over, which the assistant, the inbox and the console all share: the handoff requests
(who asked, by conversation and never by name; why; how urgent; the bot's summary for the advisor), the
advisors who take them (with their presence), and the call-back requests residents leave when no one can
chat. The transcript is ``message`` (bot/conversations.py); advisors' login sessions are the console's own."""
from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Column, DateTime, Integer, String, Text

from bot.states import CallbackStatus, CallbackStep, HandoffStatus, Presence, Priority, Reason
from core.database import Base, State, utcnow


class HandoffRequest(Base):
    __tablename__ = "handoff_request"
    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(200), nullable=False, index=True)
    channel = Column(String(40))
    area_id = Column(String(64))
    reason = Column(State(Reason, 40), nullable=False)
    priority = Column(Integer, nullable=False, default=Priority.NORMAL)
    status = Column(State(HandoffStatus), nullable=False, default=HandoffStatus.WAITING)
    summary: Any = Column(JSON, nullable=False, default=dict)
    created_at = Column(DateTime(timezone=True), nullable=False)
    # The advisor's part: who has it, since when, how it ended, notes.
    advisor_id = Column(Integer)
    claimed_at = Column(DateTime(timezone=True))
    closed_at = Column(DateTime(timezone=True))
    outcome = Column(String(40))
    note = Column(Text)


class Advisor(Base):
    __tablename__ = "advisor"
    id = Column(Integer, primary_key=True, autoincrement=True)
    name = Column(String(100), nullable=False, unique=True)
    password_hash = Column(String(300), nullable=False)
    failed_logins = Column(Integer, nullable=False, default=0)
    locked_until = Column(DateTime(timezone=True))
    presence = Column(State(Presence), nullable=False, default=Presence.OFFLINE)  # what the advisor chose
    last_heartbeat = Column(DateTime(timezone=True))  # the console's last sign of life
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    #: the area whose chats they handle (its closed chats are the ones they may read back); none: every area
    area_id = Column(String(64))


class CallbackRequest(Base):
    """A resident's request to be contacted: how, when, and their explicit consent."""

    __tablename__ = "callback_request"
    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(200), nullable=False, index=True)
    handoff_id = Column(Integer)
    area_id = Column(String(64))
    status = Column(State(CallbackStatus), nullable=False, default=CallbackStatus.COLLECTING)
    step = Column(State(CallbackStep), nullable=False, default=CallbackStep.CONTACT)
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
