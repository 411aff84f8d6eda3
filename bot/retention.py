"""Personal data has a lifetime: everything about a conversation whose last message is older than
``SIGNPOST_RETENTION_DAYS`` is erased (its messages, handoffs, call-backs and Rasa's tracker events), as is
anything left over from one already gone. ``signpost privacy purge`` runs it; the server runs it once a day."""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass, fields
from typing import Any, Awaitable, Callable, Optional

from sqlalchemy import (Column, Float, Integer, MetaData, String, Table, and_, delete, exists, func, inspect, or_,
                        select, update)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot import forgetting
from bot.conversations import Conversation, Message
from bot.handoff.models import CallbackRequest, HandoffRequest
from bot.leases import Lease
from core.database import deleting_securely, utcnow
from core.settings import settings

log = logging.getLogger(__name__)

BATCH = 200  # rows looked at per query, so a long-neglected database is purged without one huge transaction
DAY_SECONDS = 24 * 60 * 60
LABELS = {"callbacks": "call-backs", "tracker_events": "tracker events"}

#: Rasa's SQL tracker store table (rasa.core.tracker_store.SQLTrackerStore.SQLEvent), as far as retention needs
#: it. Its own metadata: Rasa makes the table, and Signpost's migrations must not.
EVENTS = Table("events", MetaData(), Column("id", Integer, primary_key=True), Column("sender_id", String(255)),
               Column("timestamp", Float))


@dataclass
class PurgeReport:
    """How much went, by kind: counts only, never ids or words."""

    conversations: int = 0
    messages: int = 0
    handoffs: int = 0
    callbacks: int = 0
    tracker_events: int = 0

    def add(self, erased: forgetting.Erased) -> None:
        self.conversations += 1
        self.messages += erased.messages
        self.handoffs += erased.handoffs
        self.callbacks += erased.callbacks
        self.tracker_events += erased.tracker_events

    def counts(self) -> dict[str, int]:
        return {field.name: getattr(self, field.name) for field in fields(self)}

    def labelled(self) -> dict[str, int]:
        """The counts under the names people read: "call-backs", "tracker events"."""
        return {LABELS.get(name, name): count for name, count in self.counts().items()}

    def __str__(self) -> str:
        return ", ".join(f"{count} {name}" for name, count in self.labelled().items())


class _EventsTable:
    """The tracker events in a database, for when no tracker store is at hand (the command line): erasing one
    conversation's, as a tracker store would (``bot.forgetting.erase_tracker`` calls ``erase``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.present = inspect(engine).has_table(EVENTS.name)  # Rasa makes it on its first start

    def erase(self, sender_id: str) -> int:
        if not self.present:
            return 0
        with self.engine.begin() as connection:
            return connection.execute(delete(EVENTS).where(EVENTS.c.sender_id == sender_id)).rowcount or 0


def _events_engine(sessions: sessionmaker, tracker_store: Any) -> Engine:
    """Where the tracker events are: the tracker store's own database when it is a SQL one (endpoints.yml may
    name another), else Signpost's."""
    inner = getattr(tracker_store, "_tracker_store", tracker_store)  # Rasa wraps stores in AwaitableTrackerStore
    engine = getattr(inner, "engine", None)
    return engine if isinstance(engine, Engine) else sessions.kw["bind"]


def _taken_if_idle(cutoff: dt.datetime) -> Callable[[Session, str], bool]:
    """The check ``forgetting.erase`` runs first in its transaction: the conversation's row is locked, so a
    message arriving now waits for the erasure, and only then is it checked to be still idle."""
    idle = Conversation.last_seen < cutoff

    def check(session: Session, cid: str) -> bool:
        if session.get_bind().dialect.name == "sqlite":
            # SQLite has no row locks: a first write takes the database's one write lock for the transaction.
            taken = session.execute(update(Conversation).where(Conversation.id == cid, idle)
                                    .values(last_seen=Conversation.last_seen)
                                    .execution_options(synchronize_session=False)).rowcount
        else:
            taken = session.execute(select(Conversation.id).where(Conversation.id == cid, idle)
                                    .with_for_update()).first() is not None
        return bool(taken) and session.execute(select(Message.id).where(
            Message.conversation_id == cid, Message.created_at >= cutoff).limit(1)).first() is None

    return check


def _idle_conversations(sessions: sessionmaker, cutoff: dt.datetime, after: str) -> list[str]:
    recent = exists().where(Message.conversation_id == Conversation.id, Message.created_at >= cutoff)
    with sessions() as session:
        return list(session.execute(
            select(Conversation.id).where(Conversation.last_seen < cutoff, ~recent, Conversation.id > after)
            .order_by(Conversation.id).limit(BATCH)).scalars())


def _purge_conversations(sessions: sessionmaker, tracker: Any, cutoff: dt.datetime, report: PurgeReport) -> None:
    after = ""  # by id, so one that turns out to be in use is passed over, not looked at again
    while batch := _idle_conversations(sessions, cutoff, after):
        for cid in batch:
            erased = forgetting.erase(sessions, cid, tracker, only_if=_taken_if_idle(cutoff))
            if erased is not None:
                report.add(erased)
        after = batch[-1]


def _purge_leftovers(sessions: sessionmaker, cutoff: dt.datetime, report: PurgeReport) -> None:
    """Handoff and call-back rows whose conversation is gone (erased before they were, or never stored) and
    which have not changed within the period."""
    for model, times, counter in (
            (HandoffRequest, ("created_at", "claimed_at", "closed_at"), "handoffs"),
            (CallbackRequest, ("created_at", "consented_at", "done_at"), "callbacks")):
        old = and_(~exists().where(Conversation.id == model.conversation_id),
                   *(or_(getattr(model, name).is_(None), getattr(model, name) < cutoff) for name in times))
        while True:
            with sessions() as session:
                ids = list(session.execute(select(model.id).where(old).order_by(model.id).limit(BATCH)).scalars())
                if not ids:
                    break
                gone = session.execute(delete(model).where(model.id.in_(ids), old)
                                       .execution_options(synchronize_session=False)).rowcount or 0
                session.commit()
            setattr(report, counter, getattr(report, counter) + gone)
            if gone < len(ids):
                break  # the rest changed meanwhile: they are no longer old


def _purge_tracker_events(engine: Engine, sessions: sessionmaker, cutoff: dt.datetime, report: PurgeReport) -> None:
    """Every sender with no event within the period, whether or not Signpost's tables still know it; but not a
    conversation still kept (an advisor wrote in it lately: the assistant's memory of it stays with it)."""
    if not inspect(engine).has_table(EVENTS.name):
        return
    deleting_securely(engine)  # it may be Rasa's own engine
    before = cutoff.timestamp()  # Rasa stamps events with Unix time
    newer = EVENTS.alias("newer")
    recent = exists().where(newer.c.sender_id == EVENTS.c.sender_id, newer.c.timestamp >= before)
    after = ""  # by sender, so one passed over is not looked at again
    while True:
        with engine.connect() as connection:
            senders = list(connection.execute(
                select(EVENTS.c.sender_id).where(EVENTS.c.sender_id > after).group_by(EVENTS.c.sender_id)
                .having(func.coalesce(func.max(EVENTS.c.timestamp), 0) < before)
                .order_by(EVENTS.c.sender_id).limit(BATCH)).scalars())
        if not senders:
            return
        after = senders[-1]
        with sessions() as session:
            kept = set(session.execute(select(Conversation.id).where(Conversation.id.in_(senders))).scalars())
        gone = [sender for sender in senders if sender not in kept]
        if gone:
            with engine.begin() as connection:
                # Checked again as it deletes: a sender who wrote meanwhile keeps their events.
                report.tracker_events += connection.execute(
                    delete(EVENTS).where(EVENTS.c.sender_id.in_(gone), ~recent)).rowcount or 0


def cutoff_for(now: Optional[dt.datetime] = None, days: Optional[int] = None) -> dt.datetime:
    """The moment before which a conversation's last message makes it too old to keep (UTC)."""
    days = settings().retention_days if days is None else days
    if days < 1:
        raise ValueError("the retention period is at least one day")
    return (now or utcnow()).astimezone(dt.timezone.utc) - dt.timedelta(days=days)


def purge(sessions: sessionmaker, tracker_store: Any = None, now: Optional[dt.datetime] = None,
          days: Optional[int] = None) -> PurgeReport:
    """Erase every conversation whose last message is more than ``days`` (default: the setting) before ``now``,
    and what is left of ones already gone; one transaction per conversation or per batch, so it is safe to run
    again, or while serving. Without a tracker store, Rasa's events are erased from Signpost's database."""
    cutoff = cutoff_for(now, days)
    engine = _events_engine(sessions, tracker_store)
    report = PurgeReport()
    _purge_conversations(sessions, tracker_store if tracker_store is not None else _EventsTable(engine), cutoff,
                         report)
    _purge_leftovers(sessions, cutoff, report)
    _purge_tracker_events(engine, sessions, cutoff, report)
    return report


async def purge_now(app: Any, sessions: sessionmaker) -> Optional[PurgeReport]:
    """One purge, off the event loop, with the server's tracker store; a failure is logged by its type only
    (its message could quote what was stored) and tried again next time."""
    agent = getattr(getattr(app, "ctx", None), "agent", None)
    try:
        report = await asyncio.to_thread(purge, sessions, getattr(agent, "tracker_store", None))
    except Exception as exc:
        log.error("the daily purge of old conversations failed (%s)", type(exc).__name__)
        return None
    log.info("daily purge of what is older than %d days: %s", settings().retention_days, report)
    return report


async def purge_daily(app: Any, sessions: sessionmaker, every: float = DAY_SECONDS,
                      sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
    """Purge at start, then every ``every`` seconds, for the life of the server process. Once per process:
    a second start on the same app (another listener, another channel) returns at once."""
    if getattr(app.ctx, "signpost_purging", False):
        return
    app.ctx.signpost_purging = True
    lease = Lease(sessions.kw["bind"], "privacy-purge")  # one server purges, however many share the database
    while True:
        if lease.held():
            await purge_now(app, sessions)
        await sleep(every)
