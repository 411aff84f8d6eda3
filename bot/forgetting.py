"""Erasing a resident's conversation on request (/forget in Telegram, "forget me" in the widget), or once it is
older than the retention period (bot/retention.py): our messages, handoff records and call-back requests, and the
assistant's own memory of it in Rasa's tracker store."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import yaml
from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from bot import conversations as store
from bot.handoff.models import CallbackRequest, HandoffRequest
from core.database import deleting_securely

DOMAIN = Path(__file__).resolve().parent.parent / "domain.yml"
#: The custom payload by which the assistant says the resident confirmed "erase our conversation" (the domain's
#: ``utter_forget_request``); the inbox, which every channel goes through, then erases it (``Inbox.answer``).
FORGET_REQUEST = yaml.safe_load(DOMAIN.read_text())["responses"]["utter_forget_request"][0]["custom"]
FORGOTTEN = ("Done. I've erased our conversation: your messages, my replies, any request for a person and my "
             "memory of what you asked. Send me a message any time to start again.")
FORGET_FAILED = ("Sorry, I couldn't erase our conversation just now. Please ask again in a minute. If it "
                 "still doesn't work, ask the council to erase it.")


@dataclass
class Erased:
    """How much of a conversation went (counts only)."""

    messages: int = 0
    handoffs: int = 0
    callbacks: int = 0
    tracker_events: int = 0


def erase_tracker(tracker_store: Any, cid: str) -> int:
    """Erase the conversation from Rasa's tracker store; returns how many stored events went (0 for a store
    that keeps none in SQL)."""
    inner = getattr(tracker_store, "_tracker_store", tracker_store)  # Rasa wraps stores in AwaitableTrackerStore
    if hasattr(inner, "SQLEvent") and hasattr(inner, "session_scope"):
        deleting_securely(inner.engine)  # Rasa makes its own engine: on SQLite, erased events are overwritten too
        with inner.session_scope() as session:
            events = session.query(inner.SQLEvent).filter(inner.SQLEvent.sender_id == cid)
            if hasattr(inner, "erase"):
                gone = events.count()  # bot.tracker_store's erase does not say how many, but drops its memory
            else:
                gone = events.delete()
                session.commit()
                return gone
        inner.erase(cid)
        return gone
    if hasattr(inner, "erase"):
        return int(inner.erase(cid) or 0)
    if isinstance(getattr(inner, "store", None), dict):
        inner.store.pop(cid, None)
        return 0
    raise NotImplementedError(f"erasing from {type(inner).__name__} is not supported")


def erase(sessions: sessionmaker, cid: str, tracker_store: Any = None,
          only_if: Optional[Callable[[Session, str], bool]] = None) -> Optional[Erased]:
    """Erase everything held about the conversation: our rows in one transaction, then its tracker events.

    ``only_if`` (retention's check that the conversation is still idle) runs first in that transaction; when it
    says no, nothing is erased and the answer is None."""
    with sessions() as session:
        if only_if is not None and not only_if(session, cid):
            session.rollback()
            return None
        handoffs = session.execute(delete(HandoffRequest).where(HandoffRequest.conversation_id == cid)).rowcount
        callbacks = session.execute(delete(CallbackRequest).where(CallbackRequest.conversation_id == cid)).rowcount
        erased = Erased(store.forget(session, cid), handoffs or 0, callbacks or 0)  # forget commits all three
    if tracker_store is not None:
        erased.tracker_events = erase_tracker(tracker_store, cid)
    return erased


def forget(sessions: sessionmaker, cid: str, tracker_store: Any = None) -> int:
    """Erase everything held about the conversation; returns how many messages were erased."""
    erased = erase(sessions, cid, tracker_store)
    return erased.messages if erased is not None else 0
