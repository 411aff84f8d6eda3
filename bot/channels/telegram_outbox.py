"""Sending to residents on Telegram without losing anything.

Every reply is already stored (pending) before it is sent. A send is retried when Telegram says "too
many requests" (429: wait as long as it asks, for every chat) or is unreachable or failing (timeouts,
5xx: exponential back-off). A send that still fails is logged, without its text, and kept as failed;
the retry loop delivers it later, oldest first and in order within each conversation. Permanent refusals
(the resident blocked the bot, the chat is gone) are kept too, and retried ever more rarely.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import enum
import logging
import time
import weakref
from dataclasses import dataclass
from typing import Iterable, Optional

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError

from bot import conversations as store
from bot.channels.telegram_format import keyboard, split_message, to_html
from bot import delivery
from bot.delivery import Reply
from bot.inbox import Inbox
from bot.leases import Lease
from bot.states import MessageStatus

log = logging.getLogger(__name__)

CHANNEL = "telegram"
MAX_BACKOFF = 60.0  # seconds between two live attempts at most
MAX_RETRY_SPACING = 3600.0  # seconds between two retry-loop attempts at one message at most
PENDING_GRACE = dt.timedelta(seconds=60)  # a pending reply younger than this may still be on its way


class Outcome(enum.Enum):
    SENT = "sent"
    TRANSIENT = "transient"  # Telegram busy or unreachable: try again later
    PERMANENT = "permanent"  # refused for this chat (blocked, not found, bad request)


def lock_for(locks: "weakref.WeakValueDictionary[str, asyncio.Lock]", key: str) -> asyncio.Lock:
    """The lock for ``key``, made on first use and gone once nobody holds or waits for it."""
    lock = locks.get(key)
    if lock is None:
        lock = asyncio.Lock()
        locks[key] = lock
    return lock


@dataclass
class SendPolicy:
    attempts: int = 5  # per message part, in a live send
    backoff: float = 1.0  # seconds before the second attempt; doubles each time
    retry_interval: float = 60.0  # seconds between retry-loop rounds
    retry_for: dt.timedelta = dt.timedelta(hours=24)  # how long an undelivered reply is retried


def _seconds(retry_after: object) -> float:
    if isinstance(retry_after, dt.timedelta):
        return retry_after.total_seconds()
    return float(retry_after)  # type: ignore[arg-type]


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)  # SQLite drops the zone


class Outbox:
    def __init__(self, bot: Bot, inbox: Inbox, policy: Optional[SendPolicy] = None):
        self.bot = bot
        self.inbox = inbox
        self.policy = policy or SendPolicy()
        self.started_at = store.utcnow()
        self.in_flight: set[int] = set()  # stored reply ids being sent now (the retry loop leaves them)
        self._locks: "weakref.WeakValueDictionary[str, asyncio.Lock]" = weakref.WeakValueDictionary()
        self._tasks: set[asyncio.Task] = set()
        self._paused_until = 0.0  # monotonic time before which Telegram asked us not to send
        self._retry_spacing: dict[int, tuple[int, float]] = {}  # reply id -> (retries, not before)
        self._given_up: set[int] = set()

    def chat_lock(self, chat_id: str) -> asyncio.Lock:
        """One sender at a time per chat, so a resident's replies arrive in order."""
        return lock_for(self._locks, chat_id)

    # -- sending now -------------------------------------------------------------------------------------

    def enqueue(self, chat_id: str, replies: Iterable[Reply]) -> None:
        """Send in the background, in order (the handler returns at once; the replies are stored)."""
        replies = list(replies)
        if not replies:
            return
        self.in_flight.update(r.message_id for r in replies if r.message_id is not None)
        task = asyncio.get_running_loop().create_task(self._send_in_order(chat_id, replies))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send_in_order(self, chat_id: str, replies: list[Reply]) -> None:
        try:
            async with self.chat_lock(chat_id):
                for index, reply in enumerate(replies):
                    outcome = await self.send(chat_id, reply)
                    if outcome is not Outcome.SENT:
                        self._hold([r for r in replies[index + 1:] if r.message_id is not None])
                        break
        except Exception:
            log.exception("sending to a Telegram chat failed unexpectedly; the replies stay stored for retry")
        finally:
            self.in_flight.difference_update(r.message_id for r in replies)

    def _hold(self, later: list[Reply]) -> None:
        """Replies after one that failed wait for the retry loop too, so they still arrive in order."""
        if later:
            with self.inbox.sessions() as session:
                for reply in later:
                    store.mark(session, reply.message_id, MessageStatus.FAILED)
            log.warning("%d later replies to the same chat kept for retry", len(later))

    async def deliver(self, address: str, reply: Reply) -> bool:
        """``bot.delivery``'s entry point: send one stored reply (an advisor's message) now."""
        if reply.message_id is not None:
            self.in_flight.add(reply.message_id)
        try:
            async with self.chat_lock(address):
                return await self.send(address, reply) is Outcome.SENT
        finally:
            self.in_flight.discard(reply.message_id)

    async def send_unstored(self, chat_id: str, text: str) -> bool:
        """Send a message that is deliberately not kept (the confirmation that a conversation was erased,
        an apology when something broke): retried like the others, logged (without text) if it fails."""
        outcome, _ = await self._send_parts(chat_id, Reply(text), self.policy.attempts)
        if outcome is not Outcome.SENT:
            log.warning("an unstored Telegram message could not be delivered (%s)", outcome.value)
        return outcome is Outcome.SENT

    async def send(self, chat_id: str, reply: Reply, attempts: Optional[int] = None, before: int = 0) -> Outcome:
        """Send a stored reply (split, escaped, with its keyboard) and record the outcome."""
        outcome, tried = await self._send_parts(chat_id, reply, attempts or self.policy.attempts)
        if outcome is Outcome.SENT:
            delivery.delivered(self.inbox.sessions, reply)
            self._retry_spacing.pop(reply.message_id or 0, None)
        else:
            delivery.failed(self.inbox.sessions, reply, before + tried)  # logged there, with the id, never the text
        return outcome

    async def _send_parts(self, chat_id: str, reply: Reply, attempts: int) -> tuple[Outcome, int]:
        parts = split_message(reply.text)
        markup = keyboard(reply.buttons, reply.message_id)
        if not parts and markup is not None:
            parts = ["Choose one:"]
        tried = 0
        for number, part in enumerate(parts, start=1):
            outcome, used = await self._send_text(chat_id, to_html(part), markup if number == len(parts) else None,
                                                  attempts)
            tried += used
            if outcome is not Outcome.SENT:
                return outcome, tried
        return Outcome.SENT, tried

    async def _send_text(self, chat_id: str, text: str, markup, attempts: int) -> tuple[Outcome, int]:
        error, outcome = "none", Outcome.TRANSIENT
        for attempt in range(1, attempts + 1):
            await self._wait_if_paused()
            try:
                await self.bot.send_message(chat_id=chat_id, text=text, parse_mode=ParseMode.HTML,
                                            reply_markup=markup)
                return Outcome.SENT, attempt
            except RetryAfter as exc:
                wait = _seconds(exc.retry_after)
                self._paused_until = max(self._paused_until, time.monotonic() + wait)
                error = f"RetryAfter {wait:.0f}s"
                outcome = Outcome.TRANSIENT
            except (Forbidden, BadRequest, InvalidToken, ChatMigrated) as exc:
                log.warning("Telegram refused a message for a chat (%s)", type(exc).__name__)
                return Outcome.PERMANENT, attempt
            except NetworkError as exc:  # timeouts, connection errors, Telegram's 5xx
                error = type(exc).__name__
                outcome = Outcome.TRANSIENT
                if attempt < attempts:
                    await asyncio.sleep(min(self.policy.backoff * 2 ** (attempt - 1), MAX_BACKOFF))
            except TelegramError as exc:
                log.warning("unexpected Telegram error sending a message (%s)", type(exc).__name__)
                return Outcome.PERMANENT, attempt
            log.info("Telegram send attempt %d of %d failed (%s)", attempt, attempts, error)
        return outcome, attempts

    async def _wait_if_paused(self) -> None:
        wait = self._paused_until - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)

    # -- retrying later ----------------------------------------------------------------------------------

    async def retry_forever(self, lease: Optional[Lease] = None) -> None:
        """A retry round every ``retry_interval``; with several servers, on the one holding ``lease`` only."""
        while True:
            await asyncio.sleep(self.policy.retry_interval)
            try:
                if lease is None or lease.held():
                    await self.retry_undelivered()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the Telegram retry round failed; trying again next round")

    async def retry_undelivered(self) -> int:
        """One round: send every stored reply not yet delivered (failed, or pending from before a restart),
        oldest first, one attempt each; a conversation waits at its first failure, and the round stops
        when Telegram is unreachable. Returns how many were delivered."""
        with self.inbox.sessions() as session:
            waiting = [(m.id, m.conversation_id, m.text, list(m.buttons or []), m.status, m.attempts,
                        _aware(m.created_at)) for m in store.undelivered(session, CHANNEL)]
        now, clock = store.utcnow(), time.monotonic()
        held: set[str] = set()
        delivered = 0
        for message_id, cid, text, buttons, status, attempts, created in waiting:
            if cid in held:
                continue
            if message_id in self.in_flight:
                held.add(cid)
                continue
            if now - created > self.policy.retry_for:
                if message_id not in self._given_up:
                    self._given_up.add(message_id)
                    log.error("Telegram reply %s undelivered for over %s; no longer retried, kept in the store",
                              message_id, self.policy.retry_for)
                continue
            if status == MessageStatus.PENDING and created >= self.started_at and now - created < PENDING_GRACE:
                held.add(cid)  # still on its way through this process
                continue
            retries, not_before = self._retry_spacing.get(message_id, (0, 0.0))
            if clock < not_before:
                held.add(cid)
                continue
            chat_id = cid.partition(":")[2]
            self.in_flight.add(message_id)
            try:
                async with self.chat_lock(chat_id):
                    outcome = await self.send(chat_id, Reply(text, buttons, message_id), attempts=1, before=attempts)
            finally:
                self.in_flight.discard(message_id)
            if outcome is Outcome.SENT:
                delivered += 1
                continue
            held.add(cid)
            spacing = min(self.policy.retry_interval * 2 ** retries, MAX_RETRY_SPACING)
            self._retry_spacing[message_id] = (retries + 1, time.monotonic() + spacing)
            if outcome is Outcome.TRANSIENT:
                break  # Telegram is busy or unreachable: the next round tries again
        if delivered:
            log.info("delivered %d stored Telegram replies on retry", delivered)
        return delivered

    async def drain(self, timeout: float) -> None:
        """Let sends under way finish (at shutdown); whatever is left stays stored and is sent next start."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)
        for task in list(self._tasks):
            task.cancel()
