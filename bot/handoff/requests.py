"""Asking for a person: the conversation's open request is recorded (or its priority raised) and committed
before the resident is told anything. A crisis goes to the top of the queue."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.handoff.models import HandoffRequest
from bot.states import HandoffStatus, Priority, Reason


def request_handoff(session: Session, conversation_id: str, reason: Reason | str, summary: dict[str, Any],
                    area_id: Optional[str] = None, channel: Optional[str] = None) -> HandoffRequest:
    """Record (or raise the priority of) the conversation's open request, and commit before answering."""
    try:
        reason = Reason(reason)
    except ValueError:
        raise ValueError(f"unknown handoff reason {reason!r}") from None
    priority = Priority.CRISIS if reason == Reason.CRISIS else Priority.NORMAL
    existing = session.execute(select(HandoffRequest).where(
        HandoffRequest.conversation_id == conversation_id,
        HandoffRequest.status == HandoffStatus.WAITING)).scalars().first()
    if existing:
        existing.priority = min(existing.priority, priority)
        existing.reason = Reason.CRISIS if priority == Priority.CRISIS else existing.reason
        existing.summary = {**existing.summary, **summary}
        request = existing
    else:
        request = HandoffRequest(conversation_id=conversation_id, channel=channel, area_id=area_id, reason=reason,
                                 priority=priority, summary=summary, created_at=dt.datetime.now(dt.timezone.utc))
        session.add(request)
    session.commit()
    return request
