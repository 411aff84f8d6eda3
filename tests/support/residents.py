"""A resident's conversation as the server leaves it, at a chosen time: the conversation and its messages, a
handoff request and a call-back request, and Rasa's tracker events; and what of it is still stored."""
from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, func, inspect, select
from sqlalchemy.orm import sessionmaker

from bot.conversations import Conversation, Message
from bot.handoff.models import CallbackRequest, HandoffRequest
from bot.states import Author, CallbackStatus, HandoffStatus, MessageStatus, Mode, Priority, Reason

EVENTS = Table("events", MetaData(), Column("id", Integer, primary_key=True), Column("sender_id", String(255)),
               Column("timestamp", Float))


def converse(sessions: sessionmaker, tracker_store: Any, cid: str, words: str, at: dt.datetime,
             handoff: bool = True) -> None:
    """Store a conversation whose last message was ``at``: the resident said ``words`` and asked for a person."""
    channel, _, address = cid.partition(":")
    with sessions() as session:
        session.add(Conversation(id=cid, channel=channel, address=address, mode=Mode.BOT, created_at=at,
                                 last_seen=at))
        session.flush()
        session.add_all([
            Message(conversation_id=cid, author=Author.RESIDENT, text=words, status=MessageStatus.ANSWERED,
                    created_at=at),
            Message(conversation_id=cid, author=Author.BOT, text="Here's who can help.", status=MessageStatus.SENT,
                    created_at=at)])
        if handoff:
            session.add(HandoffRequest(conversation_id=cid, channel=channel, area_id="sefton", reason=Reason.ASKED,
                                       priority=Priority.NORMAL, status=HandoffStatus.CLOSED,
                                       summary={"asked": words}, created_at=at, closed_at=at))
            session.add(CallbackRequest(conversation_id=cid, area_id="sefton", status=CallbackStatus.OPEN,
                                        contact_kind="phone", contact="07700 900123", consent=True,
                                        consented_at=at, created_at=at))
        session.commit()
    if tracker_store is not None:
        tracked(tracker_store, cid, words, at)


def tracked(tracker_store: Any, sender: str, words: str, at: dt.datetime) -> None:
    """Rasa's events for one turn of ``sender`` at ``at``."""
    stamp = at.timestamp()
    events = [ActionExecuted("action_session_start", timestamp=stamp), SessionStarted(timestamp=stamp),
              ActionExecuted("action_listen", timestamp=stamp),
              UserUttered(words, {"name": "human_handoff", "confidence": 0.99}, timestamp=stamp),
              BotUttered("Here's who can help.", timestamp=stamp), ActionExecuted("action_listen", timestamp=stamp)]
    asyncio.run(tracker_store.save(DialogueStateTracker.from_events(sender, events)))


def held(sessions: sessionmaker, cid: str) -> dict[str, int]:
    """How many rows of each kind the database still holds about a conversation (tracker events included)."""
    with sessions() as session:
        counts = {model.__tablename__: session.execute(select(func.count()).select_from(model).where(
            (model.id if model is Conversation else model.conversation_id) == cid)).scalar_one()
            for model in (Conversation, Message, HandoffRequest, CallbackRequest)}
        engine = session.get_bind()
    counts["events"] = 0
    if inspect(engine).has_table("events"):
        with engine.connect() as connection:
            counts["events"] = connection.execute(select(func.count()).select_from(EVENTS).where(
                EVENTS.c.sender_id == cid)).scalar_one()
    return counts


NOTHING = {"conversation": 0, "message": 0, "handoff_request": 0, "callback_request": 0, "events": 0}
