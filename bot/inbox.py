"""Where a resident's message goes, whatever the channel: stored first, checked for risk (the safeguarding
classifier, before anything else and without Rasa), checked against the limits, held for the advisor when a
person has the conversation, otherwise passed to the assistant; the assistant's replies are stored too, as
pending until the channel has delivered them.

Every channel (REST, Telegram and the web widget) calls ``Inbox.receive`` and applies the same limits with the
same polite replies. A message the assistant could not answer (Rasa or the action server down) gets an honest
apology with the area's front door, stays unanswered (``DEFERRED``) and is answered once they are back.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from sqlalchemy.orm import sessionmaker

from bot import conversations as store, forgetting
from bot.delivery import Handler, Reply
from bot.handoff import callbacks, crisis
from bot.handoff.front_door import front_door, is_open
from bot.leases import Lease
from bot.states import Author, MessageStatus, Mode
from core.database import make_engine, session_factory, utcnow
from core.settings import settings
from nlu.safeguarding.classifier import NO_RISK, Assessment, assess

log = logging.getLogger(__name__)

TOO_FAST = ("You're sending messages faster than I can keep up with. Please wait a minute and try again. "
            "If someone is in danger, call 999.")
#: earlier messages a safeguarding check reads with the newest, when they came this recently
CONTEXT_WITHIN = dt.timedelta(minutes=15)
UNAVAILABLE = ("Sorry, I can't answer that right now: part of the service is not working. I've kept your message "
               "and will answer it here as soon as I can. {door} If anyone is in danger, call 999.")


def too_long() -> str:
    return (f"Sorry, that message is too long for me (the limit is {settings().max_message_chars:,} characters). "
            "Could you send it in shorter parts, or ask to talk to a person?")


def default_sessions() -> sessionmaker:
    """Sessions on the database (its schema made by ``signpost db upgrade``)."""
    return session_factory(make_engine())


class Inbox:
    def __init__(self, channel: str, sessions: Optional[sessionmaker] = None):
        self.channel = channel
        self.sessions = sessions or default_sessions()
        self.app: Any = None  # the Sanic app (``attach``): its agent holds Rasa's tracker and lock stores

    def attach(self, app: Any) -> None:
        """Called by the channel once the server runs, so erasure on request reaches Rasa's tracker store."""
        self.app = app

    async def _forget(self, cid: str) -> Reply:
        """Erase the conversation everywhere (the resident confirmed); the answer itself is not stored."""
        agent = getattr(getattr(self.app, "ctx", None), "agent", None)
        try:
            if agent is None:
                raise RuntimeError("the assistant is not loaded")
            async with agent.lock_store.lock(cid):  # not while the assistant is answering this conversation
                erased = forgetting.forget(self.sessions, cid, agent.tracker_store)
        except Exception as exc:
            log.error("erasing a conversation on request failed (%s)", type(exc).__name__)
            log.debug("why", exc_info=True)
            return Reply(forgetting.FORGET_FAILED)
        log.info("erased a %s conversation on request (%d messages)", self.channel, erased)
        return Reply(forgetting.FORGOTTEN)

    def _polite(self, cid: str, text: str) -> list[Reply]:
        with self.sessions() as session:
            stored = store.record_outgoing(session, cid, Author.BOT, text)
        return [Reply(text, [], stored.id)]

    async def receive(self, address: str, text: str, on_new_message: Handler,
                      extra: Optional[dict[str, Any]] = None, metadata: Optional[dict[str, Any]] = None) -> list[Reply]:
        """Store, check, and pass on one message; returns the replies to deliver (already stored)."""
        text = store.readable(text or "").strip()
        cid = store.conversation_id(self.channel, address)
        limit = settings().max_message_chars
        oversized = len(text) > limit
        with self.sessions() as session:
            # Keep the start of an oversized message (so the advisor sees what was meant), never all of it.
            message = store.record_incoming(session, self.channel, address, text[:limit], extra)
            flooding = store.recent_incoming(session, cid, 60) > settings().max_messages_per_minute
            mode = session.get(store.Conversation, cid).mode
            earlier = store.earlier_texts(session, cid, message.id, CONTEXT_WITHIN)
        # Safety first: before the limits, the advisor's silence or the call-back flow.
        risk = self.assess(text[:limit], earlier)
        if risk.risk and risk.sure:
            return self._safeguard(message.id, cid, text[:limit], risk, mode)
        if risk.risk and mode == Mode.BOT and not (oversized or flooding):
            # Risk by the threshold chosen for recall, but as likely a look-alike ("stay and play in Bootle"):
            # the lines that fit come first, in a sentence, and then the answer to what was asked.
            return [self._in_case(cid, text, risk)] + await self.answer(message.id, cid, text, on_new_message, metadata)
        if oversized or flooding:
            with self.sessions() as session:
                store.mark(session, message.id, MessageStatus.ANSWERED)
            return self._polite(cid, too_long() if oversized else TOO_FAST)
        if mode == Mode.ADVISOR:
            # A person has this conversation: the assistant stays silent; the advisor's console shows it.
            with self.sessions() as session:
                store.mark(session, message.id, MessageStatus.ANSWERED)
            return []
        if mode == Mode.CALLBACK:
            return self._callback_step(message.id, cid, text) or await self.answer(
                message.id, cid, text, on_new_message, metadata)
        return await self.answer(message.id, cid, text, on_new_message, metadata)

    @staticmethod
    def assess(text: str, earlier: list[str]) -> Assessment:
        try:
            return assess(text, earlier)
        except Exception as exc:  # the check must never stop a message; the lexicon still catches clear risk
            log.error("safeguarding check failed (%s): using the lexicon", type(exc).__name__)
            from nlu.safeguarding.categories import CATEGORIES
            from nlu.safeguarding.lexicon import shows_risk

            return Assessment(frozenset(CATEGORIES), 1.0, "lexicon") if shows_risk(text) else NO_RISK

    def _safeguard(self, message_id: int, cid: str, text: str, risk: Assessment, mode: Mode) -> list[Reply]:
        """The routes for the risk at once, the conversation at the top of the queue; with an advisor already
        in the chat, they are told (the queue shows it) and the assistant stays silent."""
        with self.sessions() as session:
            if mode == Mode.CALLBACK:
                callbacks.leave(session, cid)
            if mode == Mode.ADVISOR:
                crisis.flag(session, cid, self.channel, risk, message_id, crisis.conversation_area(session, cid))
                store.mark(session, message_id, MessageStatus.ANSWERED)
                return []
            careful = risk.in_context and crisis.in_careful_conversation(session, cid)
            compose = crisis.still_careful if careful else crisis.respond
            answer = compose(session, cid, self.channel, text, risk, message_id)
            stored = store.record_outgoing(session, cid, Author.BOT, answer.text, answer.buttons)
            store.mark(session, message_id, MessageStatus.ANSWERED)
        log.info("risk reply in %s (%s)", cid.partition(":")[0], ", ".join(c.value for c in risk.ordered()))
        return [Reply(answer.text, answer.buttons, stored.id)]

    def _in_case(self, cid: str, text: str, risk: Assessment) -> Reply:
        note = crisis.in_case(text, risk)
        with self.sessions() as session:
            stored = store.record_outgoing(session, cid, Author.BOT, note)
        return Reply(note, [], stored.id)

    def _callback_step(self, message_id: int, cid: str, text: str) -> Optional[list[Reply]]:
        """The resident is leaving call-back details (bot/handoff/callbacks.py); a message showing risk never
        gets here. A command or a button's payload ("/help", "/more_results") leaves the flow: None, so the
        assistant answers it."""
        with self.sessions() as session:
            if text.startswith("/") and text.split("{")[0] not in ("/affirm", "/deny"):
                callbacks.leave(session, cid)
                return None
            answer = callbacks.answer(session, cid, text)
            stored = store.record_outgoing(session, cid, Author.BOT, answer.text, answer.buttons)
            store.mark(session, message_id, MessageStatus.ANSWERED)
        return [Reply(answer.text, answer.buttons, stored.id)]

    async def answer(self, message_id: int, cid: str, text: str, on_new_message: Handler,
                     metadata: Optional[dict[str, Any]] = None, apologise: bool = True) -> list[Reply]:
        """Pass a stored message to the assistant and store its replies. No reply at all (Rasa or the action
        server down) leaves the message ``DEFERRED``, never answered, with an apology (unless ``apologise`` is
        off: a retry of a message already apologised for)."""
        collector = CollectingOutputChannel()
        try:
            await on_new_message(UserMessage(text, collector, cid, input_channel=self.channel, metadata=metadata))
        except Exception as exc:
            log.error("the assistant failed on message %s (%s)", message_id, type(exc).__name__)
            collector.messages.clear()
        replies = []
        with self.sessions() as session:
            if not collector.messages:
                store.mark(session, message_id, MessageStatus.DEFERRED)
                if not apologise:
                    return []
                stored = store.record_outgoing(session, cid, Author.BOT, self._unavailable(session, cid))
                return [Reply(stored.text, [], stored.id)]
            forget = False
            for sent in collector.messages:
                if sent.get("custom") == forgetting.FORGET_REQUEST:
                    forget = True  # erased below, once this turn is stored and Rasa has let go of it
                    continue
                body = sent.get("text") or ""
                buttons = [{"title": b.get("title", ""), "payload": b.get("payload", "")} for b in sent.get("buttons") or []]
                stored = store.record_outgoing(session, cid, Author.BOT, body, buttons)
                replies.append(Reply(body, buttons, stored.id))
            store.mark(session, message_id, MessageStatus.ANSWERED)
        if forget:
            replies.append(await self._forget(cid))
        return replies

    @staticmethod
    def _unavailable(session: Any, cid: str) -> str:
        area = crisis.conversation_area(session, cid)
        if area is None:
            return UNAVAILABLE.format(door="")
        closed = "" if is_open(area.opening_hours) else " They're closed right now."
        return UNAVAILABLE.format(door=f"If it can't wait, {front_door(area)}.{closed}")

    async def catch_up(self, on_new_message: Handler, deferred_only: bool = False) -> list[tuple[str, list[Reply]]]:
        """Answer messages stored but never answered: those the server stopped in the middle of, and those the
        assistant could not answer then (``deferred_only``: just those, for the periodic retry, so a message
        being answered right now is never taken twice). Nothing is lost."""
        statuses = (MessageStatus.DEFERRED,) if deferred_only else (MessageStatus.RECEIVED, MessageStatus.DEFERRED)
        # A message received long ago and still not answered was left by a server that died mid-turn (another
        # server, in the scaled mode): no turn takes this long.
        stale = utcnow() - dt.timedelta(seconds=settings().abandoned_after_seconds) if deferred_only else None
        with self.sessions() as session:
            waiting = [(m.id, m.conversation_id, m.text, m.status)
                       for m in store.unanswered(session, self.channel, statuses, received_before=stale)]
            modes = {cid: session.get(store.Conversation, cid).mode for _, cid, _, _ in waiting}
        answered = []
        stuck: set[str] = set()
        for message_id, cid, text, status in waiting:
            if cid in stuck:
                continue  # keep a conversation's messages in order: a later one waits for the earlier
            if modes.get(cid) == Mode.ADVISOR:
                with self.sessions() as session:
                    store.mark(session, message_id, MessageStatus.ANSWERED)  # the advisor has the transcript
                continue
            if status == MessageStatus.RECEIVED:
                with self.sessions() as session:
                    earlier = store.earlier_texts(session, cid, message_id, CONTEXT_WITHIN)
                risk = self.assess(text, earlier)
                if risk.risk and risk.sure:
                    answered.append((cid, self._safeguard(message_id, cid, text, risk, modes.get(cid) or Mode.BOT)))
                    continue
            if modes.get(cid) == Mode.CALLBACK:
                replies = self._callback_step(message_id, cid, text)
                if replies is not None:
                    answered.append((cid, replies))
                    continue
            try:
                replies = await self.answer(message_id, cid, text, on_new_message,
                                            apologise=status == MessageStatus.RECEIVED)
            except Exception as exc:  # one stuck message must not stop the others; it stays stored for next time
                # The error's type only: a traceback could carry the resident's words.
                log.error("could not answer stored message %s: %s", message_id, type(exc).__name__)
                stuck.add(cid)
                continue
            with self.sessions() as session:
                if session.get(store.Message, message_id).status == MessageStatus.DEFERRED:
                    stuck.add(cid)
            if replies:
                answered.append((cid, replies))
        return answered

    async def keep_answering(self, on_new_message: Handler,
                             push: Callable[[str, list[Reply]], Awaitable[Any]], every: float = 0,
                             deferred_only: bool = False) -> None:
        """Answer what was left unanswered at start (unless ``deferred_only``), then every ``every`` seconds
        (SIGNPOST_RETRY_UNANSWERED_SECONDS) what the assistant could not answer then, handing each
        conversation's replies to ``push``."""
        import asyncio

        # Several servers on one database: one of them answers what was left (the others would answer it twice).
        lease = Lease(self.sessions.kw["bind"], f"answer-unanswered:{self.channel}")
        while True:
            try:
                if lease.held():
                    for cid, replies in await self.catch_up(on_new_message, deferred_only=deferred_only):
                        await push(cid, replies)
            except Exception as exc:  # the database may be restarting: try again next time
                log.error("answering stored messages failed (%s)", type(exc).__name__)
            deferred_only = True
            await asyncio.sleep(every or settings().retry_unanswered_seconds)
