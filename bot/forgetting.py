"""Erasing a resident's conversation on request (/forget in Telegram, "forget me" in the widget): our
messages, handoff records and call-back requests, and the assistant's own memory of it in Rasa's tracker store."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import delete
from sqlalchemy.orm import sessionmaker

from bot import conversations as store
from bot.handoff.models import CallbackRequest, HandoffRequest

DOMAIN = Path(__file__).resolve().parent.parent / "domain.yml"
#: The custom payload by which the assistant says the resident confirmed "erase our conversation" (the domain's
#: ``utter_forget_request``); the inbox, which every channel goes through, then erases it (``Inbox.answer``).
FORGET_REQUEST = yaml.safe_load(DOMAIN.read_text())["responses"]["utter_forget_request"][0]["custom"]
FORGOTTEN = ("Done. I've erased our conversation: your messages, my replies, any request for a person and my "
             "memory of what you asked. Send me a message any time to start again.")
FORGET_FAILED = ("Sorry, I couldn't erase our conversation just now. Please ask again in a minute. If it "
                 "still doesn't work, ask the council to erase it.")


def _erase_tracker(tracker_store: Any, cid: str) -> None:
    inner = getattr(tracker_store, "_tracker_store", tracker_store)  # Rasa wraps stores in AwaitableTrackerStore
    if hasattr(inner, "erase"):
        inner.erase(cid)  # bot.tracker_store: the copy in memory goes too
    elif hasattr(inner, "SQLEvent") and hasattr(inner, "session_scope"):
        with inner.session_scope() as session:
            session.query(inner.SQLEvent).filter(inner.SQLEvent.sender_id == cid).delete()
            session.commit()
    elif isinstance(getattr(inner, "store", None), dict):
        inner.store.pop(cid, None)
    else:
        raise NotImplementedError(f"erasing from {type(inner).__name__} is not supported")


def forget(sessions: sessionmaker, cid: str, tracker_store: Any = None) -> int:
    """Erase everything held about the conversation; returns how many messages were erased."""
    with sessions() as session:
        session.execute(delete(HandoffRequest).where(HandoffRequest.conversation_id == cid))
        session.execute(delete(CallbackRequest).where(CallbackRequest.conversation_id == cid))
        erased = store.forget(session, cid)
    if tracker_store is not None:
        _erase_tracker(tracker_store, cid)
    return erased
