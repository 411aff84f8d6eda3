"""Where a resident's message goes, whatever the channel: stored first, checked against the limits, held
for the advisor when a person has the conversation, otherwise passed to the assistant; the assistant's
replies are stored too, as pending until the channel has delivered them.

Both channels (Telegram and the web widget) call ``Inbox.receive`` and apply the same limits with the
same polite replies.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from sqlalchemy.orm import sessionmaker

from bot import conversations as store
from knowledge.db import make_engine, session_factory

log = logging.getLogger(__name__)

MAX_CHARS = int(os.environ.get("SIGNPOST_MAX_MESSAGE_CHARS", "1000"))
PER_MINUTE = int(os.environ.get("SIGNPOST_MAX_MESSAGES_PER_MINUTE", "20"))
TOO_LONG = (f"Sorry, that message is too long for me (the limit is {MAX_CHARS:,} characters). "
            "Could you send it in shorter parts, or ask to talk to a person?")
TOO_FAST = ("You're sending messages faster than I can keep up with. Please wait a minute and try again. "
            "If someone is in danger, call 999.")
WITH_ADVISOR = "advisor"
CALLBACK = "callback"  # collecting call-back details (bot/console/callbacks.py)

Handler = Callable[[UserMessage], Awaitable[Any]]


@dataclass
class Reply:
    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)
    message_id: Optional[int] = None  # the stored copy, marked sent once delivered
    extra: dict[str, Any] = field(default_factory=dict)


def default_sessions() -> sessionmaker:
    engine = make_engine()
    store.create_schema(engine)
    return session_factory(engine)


class Inbox:
    def __init__(self, channel: str, sessions: Optional[sessionmaker] = None):
        self.channel = channel
        self.sessions = sessions or default_sessions()

    def _polite(self, cid: str, text: str) -> list[Reply]:
        with self.sessions() as session:
            stored = store.record_outgoing(session, cid, store.BOT, text)
        return [Reply(text, [], stored.id)]

    async def receive(self, address: str, text: str, on_new_message: Handler,
                      extra: Optional[dict[str, Any]] = None, metadata: Optional[dict[str, Any]] = None) -> list[Reply]:
        """Store, check, and pass on one message; returns the replies to deliver (already stored)."""
        text = (text or "").strip()
        cid = store.conversation_id(self.channel, address)
        if len(text) > MAX_CHARS:
            with self.sessions() as session:
                # Keep the start (so the advisor sees what was meant) but never pass an oversized message on.
                message = store.record_incoming(session, self.channel, address, text[:MAX_CHARS], extra)
                store.mark(session, message.id, store.ANSWERED)
            return self._polite(cid, TOO_LONG)
        with self.sessions() as session:
            message = store.record_incoming(session, self.channel, address, text, extra)
            flooding = store.recent_incoming(session, cid, 60) > PER_MINUTE
            mode = session.get(store.Conversation, cid).mode
        if flooding:
            with self.sessions() as session:
                store.mark(session, message.id, store.ANSWERED)
            return self._polite(cid, TOO_FAST)
        if mode == WITH_ADVISOR:
            # A person has this conversation: the assistant stays silent; the advisor's console shows it.
            with self.sessions() as session:
                store.mark(session, message.id, store.ANSWERED)
            return []
        if mode == CALLBACK:
            return self._callback_step(message.id, cid, text) or await self.answer(
                message.id, cid, text, on_new_message, metadata)
        return await self.answer(message.id, cid, text, on_new_message, metadata)

    def _callback_step(self, message_id: int, cid: str, text: str) -> Optional[list[Reply]]:
        """The resident is leaving call-back details (bot/console/callbacks.py). A message showing risk
        leaves that flow: None, so the assistant answers it (the emergency routes come first); so does a
        command or a button's payload ("/help", "/more_results")."""
        from bot.console import callbacks
        from nlu.safety import shows_risk

        with self.sessions() as session:
            if shows_risk(text) or (text.startswith("/") and text.split("{")[0] not in ("/affirm", "/deny")):
                callbacks.leave(session, cid)
                return None
            answer = callbacks.answer(session, cid, text)
            stored = store.record_outgoing(session, cid, store.BOT, answer.text, answer.buttons)
            store.mark(session, message_id, store.ANSWERED)
        return [Reply(answer.text, answer.buttons, stored.id)]

    async def answer(self, message_id: int, cid: str, text: str, on_new_message: Handler,
                     metadata: Optional[dict[str, Any]] = None) -> list[Reply]:
        """Pass a stored message to the assistant and store its replies."""
        collector = CollectingOutputChannel()
        await on_new_message(UserMessage(text, collector, cid, input_channel=self.channel, metadata=metadata))
        replies = []
        with self.sessions() as session:
            for sent in collector.messages:
                body = sent.get("text") or ""
                buttons = [{"title": b.get("title", ""), "payload": b.get("payload", "")} for b in sent.get("buttons") or []]
                stored = store.record_outgoing(session, cid, store.BOT, body, buttons)
                replies.append(Reply(body, buttons, stored.id))
            store.mark(session, message_id, store.ANSWERED)
        return replies

    async def catch_up(self, on_new_message: Handler) -> list[tuple[str, list[Reply]]]:
        """Answer messages stored but never answered (the server stopped mid-message): nothing is lost."""
        with self.sessions() as session:
            waiting = [(m.id, m.conversation_id, m.text) for m in store.unanswered(session, self.channel)]
            modes = {cid: session.get(store.Conversation, cid).mode for _, cid, _ in waiting}
        answered = []
        for message_id, cid, text in waiting:
            if modes.get(cid) == WITH_ADVISOR:
                continue
            if modes.get(cid) == CALLBACK:
                replies = self._callback_step(message_id, cid, text)
                if replies is not None:
                    answered.append((cid, replies))
                    continue
            try:
                answered.append((cid, await self.answer(message_id, cid, text, on_new_message)))
            except Exception as exc:  # one stuck message must not stop the others; it stays stored for next time
                # The error's type only: a traceback could carry the resident's words.
                log.error("could not answer stored message %s: %s", message_id, type(exc).__name__)
        return answered

    def delivered(self, reply: Reply) -> None:
        if reply.message_id is not None:
            with self.sessions() as session:
                store.mark(session, reply.message_id, store.SENT)

    def failed(self, reply: Reply, attempts: int) -> None:
        """Delivery gave up for now: kept as failed, to be retried, never dropped silently."""
        if reply.message_id is not None:
            with self.sessions() as session:
                store.mark(session, reply.message_id, store.FAILED, attempts)
            log.warning("delivery failed after %d attempts; message %s kept for retry", attempts, reply.message_id)
