"""The advisors' queue and live chats, all in SQL (shared by every server; the console is their screen): listing (crisis first, then longest waiting), claiming
(one conditional UPDATE: exactly one advisor wins however many press at once), the advisor's messages,
handing back to the assistant, closing with an outcome, and putting back in the queue the chats of an
advisor whose console stopped sending heartbeats.

Each change stores what the resident is to be told and returns it; the channel delivers it
(``bot.delivery``), so a delivery that fails stays stored as pending and is sent later.
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any, Optional

from sqlalchemy import or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bot import conversations as store
from bot.handoff.models import Advisor, HandoffRequest
from bot.handoff.presence import away_after
from bot.states import Author, HandoffStatus, MessageStatus, Mode, Presence, Priority, Reason
from core.database import aware, utcnow
from nlu.safeguarding.categories import Category

CATEGORY_IDS = {c.value for c in Category}

OUTCOMES = {"signposted": "Signposted", "referred": "Referred", "callback_arranged": "Call-back arranged",
            "no_response": "No response"}
REASON_WORDS = {Reason.ASKED: "The resident asked for a person", Reason.MISUNDERSTOOD: "The assistant misunderstood twice",
                Reason.NOTHING_FOUND: "The assistant found nothing and the resident accepted a person",
                Reason.CRISIS: "Crisis: the resident may be at risk"}

CLAIMED = "You're now talking to {name}, a person from the advice team. They can see our conversation so far."
HANDED_BACK = ("{name} has passed you back to the Signpost assistant. I remember what we talked about: "
               "ask me anything, or ask for a person again at any time.")
CLOSED_TEXT = ("{name} has ended the chat. Thank you for talking to us. If you need anything else, just ask "
               "me here, or ask for a person again.")
DROPPED = ("Sorry, the advisor you were talking to has lost their connection. You're back in the queue and "
           "the next advisor will pick up where they left off. Meanwhile I can still help with questions.")


class NotYours(Exception):
    """The handoff is not a live chat of this advisor (claimed by someone else, handed back, closed)."""


@dataclass
class ToResident:
    """A message stored for the resident, to deliver through the conversation's channel."""

    conversation_id: str
    message_id: int
    text: str
    author: Author


def queue(session: Session) -> list[HandoffRequest]:
    return list(session.execute(select(HandoffRequest).where(HandoffRequest.status == HandoffStatus.WAITING)
                                .order_by(HandoffRequest.priority, HandoffRequest.created_at,
                                          HandoffRequest.id)).scalars())


#: a colleague's finished chat stays readable this long (a hand-over between shifts)
RECENT_CLOSED = dt.timedelta(hours=24)


def visible_to(request: HandoffRequest, advisor: Advisor, now: Optional[dt.datetime] = None) -> bool:
    """Whether an advisor may read this conversation: it is in the queue or the call-back list, it is (or was)
    theirs, or it is their area's and finished in the last day (an advisor with no area serves every area).
    Never a colleague's live chat, never an old one, never another area's."""
    if request.status in (HandoffStatus.WAITING, HandoffStatus.CALLBACK) or request.advisor_id == advisor.id:
        return True
    if request.status == HandoffStatus.LIVE:
        return False
    if advisor.area_id and request.area_id and request.area_id != advisor.area_id:
        return False
    finished = aware(request.closed_at) or aware(request.created_at)
    return finished is not None and finished >= (now or utcnow()) - RECENT_CLOSED


def live_chats(session: Session, advisor_id: int) -> list[HandoffRequest]:
    return list(session.execute(select(HandoffRequest).where(
        HandoffRequest.status == HandoffStatus.LIVE, HandoffRequest.advisor_id == advisor_id)
        .order_by(HandoffRequest.claimed_at)).scalars())


def _service_names(session: Optional[Session], ids: list[str]) -> list[str]:
    """The services the assistant suggested, by name (the summary keeps their ids)."""
    if session is None or not ids:
        return ids
    from knowledge.models import Service

    try:
        names = dict(session.execute(select(Service.id, Service.name).where(Service.id.in_(ids))).all())
    except Exception:  # a database without the directory: show the ids
        session.rollback()
        return ids
    return [names.get(i, i) for i in ids]


def summary(request: HandoffRequest, now: Optional[dt.datetime] = None, session: Optional[Session] = None) -> dict[str, Any]:
    """What the bot learned and why it handed over, as the console shows it."""
    learned = request.summary or {}
    shown = learned.get("shown") or []
    if isinstance(shown, str):
        shown = [shown]
    shown = _service_names(session, [str(s) for s in shown])
    created = aware(request.created_at)
    waited = int(((now or utcnow()) - created).total_seconds()) if created else 0
    why = REASON_WORDS.get(request.reason, str(request.reason.value))
    risks = [Category(c).label for c in learned.get("safeguarding") or [] if c in CATEGORY_IDS]
    if risks:
        why = "Crisis: " + ", ".join(risks)  # what the safeguarding check found, for the advisor who takes it
    return {"id": request.id, "conversation": request.conversation_id, "channel": request.channel or
            request.conversation_id.partition(":")[0], "area": request.area_id, "reason": request.reason.value,
            "why": why, "crisis": request.priority == Priority.CRISIS, "safeguarding": list(learned.get("safeguarding") or []),
            "priority": int(request.priority), "status": request.status.value, "waiting_seconds": max(waited, 0),
            "need": str(learned.get("need") or "").replace("_", " ") or None, "place": learned.get("place"), "age": learned.get("age"),
            "time": learned.get("time"), "suggested": [str(s) for s in shown], "note": request.note,
            "created_at": created.isoformat() if created else None}


def transcript(session: Session, cid: str, after: int = 0) -> list[dict[str, Any]]:
    messages = session.execute(select(store.Message).where(store.Message.conversation_id == cid,
                                                           store.Message.id > after)
                               .order_by(store.Message.id)).scalars()
    return [{"id": m.id, "author": m.author, "text": (m.extra or {}).get("button") or m.text,
             "at": aware(m.created_at).isoformat()} for m in messages]


def _tell(session: Session, cid: str, author: Author, text: str) -> Optional[ToResident]:
    if session.get(store.Conversation, cid) is None:
        return None  # a channel without our store (the REST test channel): nothing to deliver
    message = store.Message(conversation_id=cid, author=author, text=text, buttons=[], status=MessageStatus.PENDING,
                            created_at=utcnow())
    session.add(message)
    session.flush()
    return ToResident(cid, message.id, text, author)


def _set_mode(session: Session, cid: str, mode: Mode) -> None:
    session.execute(update(store.Conversation).where(store.Conversation.id == cid).values(mode=mode))
    if mode == Mode.BOT:
        # What the resident wrote to the advisor is not for the assistant to answer later.
        session.execute(update(store.Message).where(store.Message.conversation_id == cid,
                                                    store.Message.author == Author.RESIDENT,
                                                    store.Message.status == MessageStatus.RECEIVED)
                        .values(status=MessageStatus.ANSWERED))


def claim(session: Session, handoff_id: int, advisor: Advisor) -> Optional[list[ToResident]]:
    """Take a waiting conversation. One conditional UPDATE decides: the advisor whose UPDATE changed the
    row has it (and gets what to tell the resident: nothing on a channel without our store); everyone
    else gets None. The conversation goes quiet for the assistant in the same
    transaction. (SQLite may report "database is locked" to the loser of the write lock: it tries again,
    and the UPDATE then finds the row taken.)"""
    for attempt in range(20):
        try:
            return _claim(session, handoff_id, advisor)
        except OperationalError:
            session.rollback()
            if attempt == 19:
                raise
            time.sleep(0.05 * (attempt + 1))
    return None


def _claim(session: Session, handoff_id: int, advisor: Advisor) -> Optional[list[ToResident]]:
    claimed = session.execute(update(HandoffRequest)
                              .where(HandoffRequest.id == handoff_id, HandoffRequest.status == HandoffStatus.WAITING)
                              .values(status=HandoffStatus.LIVE, advisor_id=advisor.id, claimed_at=utcnow())
                              .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        session.rollback()
        return None
    cid = session.execute(select(HandoffRequest.conversation_id).where(HandoffRequest.id == handoff_id)).scalar_one()
    _set_mode(session, cid, Mode.ADVISOR)
    told = _tell(session, cid, Author.ADVISOR, CLAIMED.format(name=advisor.name))
    session.commit()
    return [told] if told else []


def _mine(session: Session, handoff_id: int, advisor: Advisor) -> HandoffRequest:
    request = session.get(HandoffRequest, handoff_id)
    if request is None or request.status != HandoffStatus.LIVE or request.advisor_id != advisor.id:
        raise NotYours(handoff_id)
    return request


def say(session: Session, handoff_id: int, advisor: Advisor, text: str) -> Optional[ToResident]:
    request = _mine(session, handoff_id, advisor)
    told = _tell(session, request.conversation_id, Author.ADVISOR, text)
    session.commit()
    return told


def hand_back(session: Session, handoff_id: int, advisor: Advisor) -> Optional[ToResident]:
    request = _mine(session, handoff_id, advisor)
    request.status, request.closed_at = HandoffStatus.RETURNED, utcnow()
    _set_mode(session, request.conversation_id, Mode.BOT)
    told = _tell(session, request.conversation_id, Author.BOT, HANDED_BACK.format(name=advisor.name))
    session.commit()
    return told


def close(session: Session, handoff_id: int, advisor: Advisor, outcome: str, note: str = "") -> Optional[ToResident]:
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    request = _mine(session, handoff_id, advisor)
    request.status, request.closed_at, request.outcome = HandoffStatus.CLOSED, utcnow(), outcome
    if note:
        request.note = "\n".join(filter(None, [request.note, f"{advisor.name}: {note}"]))
    _set_mode(session, request.conversation_id, Mode.BOT)
    told = _tell(session, request.conversation_id, Author.BOT, CLOSED_TEXT.format(name=advisor.name))
    session.commit()
    return told


def requeue_abandoned(session: Session, since: dt.datetime, now: Optional[dt.datetime] = None) -> list[ToResident]:
    """Live chats whose advisor logged out or missed heartbeats go back to the queue with a note, and the
    resident is told. ``since`` is when this server started: heartbeats missed while it was down do not
    count, so a restart alone hands nothing back."""
    now = now or utcnow()
    cutoff = now - away_after()
    if since > cutoff:
        cutoff_clause = Advisor.presence == Presence.OFFLINE
    else:
        cutoff_clause = or_(Advisor.presence == Presence.OFFLINE, Advisor.last_heartbeat.is_(None),
                            Advisor.last_heartbeat < cutoff)
    rows = session.execute(select(HandoffRequest, Advisor).join(Advisor, Advisor.id == HandoffRequest.advisor_id)
                           .where(HandoffRequest.status == HandoffStatus.LIVE, cutoff_clause)).all()
    told = []
    for request, advisor in rows:
        moved = session.execute(update(HandoffRequest).where(HandoffRequest.id == request.id,
                                                             HandoffRequest.status == HandoffStatus.LIVE,
                                                             HandoffRequest.advisor_id == advisor.id)
                                .values(status=HandoffStatus.WAITING, advisor_id=None, claimed_at=None,
                                        note="\n".join(filter(None, [request.note, (
                                            f"{advisor.name} lost connection at {now:%H:%M} UTC; "
                                            "returned to the queue.")])))
                                .execution_options(synchronize_session=False))
        if moved.rowcount != 1:
            continue
        _set_mode(session, request.conversation_id, Mode.BOT)
        message = _tell(session, request.conversation_id, Author.BOT, DROPPED)
        if message:
            told.append(message)
    session.commit()
    return told
