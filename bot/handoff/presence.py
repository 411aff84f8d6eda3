"""Advisor presence: the console sends a heartbeat every few seconds with the advisor's choice (online or
away). An advisor is available for live chats when they chose "online" and their last heartbeat is
recent; after ``SIGNPOST_ADVISOR_AWAY_SECONDS`` without one they count as away. Whether anyone is available
decides if the assistant offers a live chat or a call-back.

Presence uses the real clock, never ``SIGNPOST_NOW`` (that pins the residents' "now", for opening hours).
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.handoff.models import Advisor
from bot.states import Presence
from core.database import aware, utcnow
from core.settings import settings


def away_after() -> dt.timedelta:
    return dt.timedelta(seconds=settings().advisor_away_seconds)


def heartbeat(session: Session, advisor_id: int, presence: Optional[str] = None) -> None:
    values: dict = {"last_heartbeat": utcnow()}
    if presence in (Presence.ONLINE, Presence.AWAY):
        values["presence"] = Presence(presence)
    session.execute(update(Advisor).where(Advisor.id == advisor_id).values(**values))
    session.commit()


def state(advisor: Advisor, now: Optional[dt.datetime] = None) -> Presence:
    """Online, away (chose it, or missed heartbeats) or offline (logged out)."""
    now = now or utcnow()
    if advisor.presence == Presence.OFFLINE:
        return Presence.OFFLINE
    seen = aware(advisor.last_heartbeat)
    if advisor.presence == Presence.ONLINE and seen is not None and now - seen <= away_after():
        return Presence.ONLINE
    return Presence.AWAY


def available(session: Session, now: Optional[dt.datetime] = None) -> int:
    """How many advisors are online now."""
    now = now or utcnow()
    return session.execute(select(func.count()).select_from(Advisor).where(
        Advisor.presence == Presence.ONLINE, Advisor.last_heartbeat >= now - away_after())).scalar_one()
