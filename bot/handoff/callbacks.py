"""Call-backs: when no advisor is online, or the area's front door is closed, the assistant offers to
have someone contact the resident instead (the assistant's handoff action calls ``offer``). The conversation's
mode becomes "callback" and the Inbox passes the resident's next messages to ``answer`` here, not to the
assistant: how to contact them (a phone number or an email address), a good time, and explicit consent.
Only with a "yes" is the request kept for the advisors' call-back list; "no" erases the contact details.
A message that shows risk leaves the flow at once, so the assistant gives the emergency routes.
"""
from __future__ import annotations

import re
from typing import Any, Optional

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot import conversations as store
from bot.delivery import Reply
from bot.handoff.front_door import front_door
from bot.handoff.models import CallbackRequest, HandoffRequest
from bot.states import CallbackStatus, CallbackStep, HandoffStatus, Mode
from core.database import utcnow

PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{8,18}[0-9]$")
EMAIL = re.compile(r"^[^@\s<>]{1,64}@[^@\s<>]{1,190}\.[A-Za-z]{2,}$")
YES = re.compile(r"^\s*(/affirm|y|yes|yeah|yep|ok|okay|sure|i (do )?consent|i agree|yes please)\W*$", re.I)
NO = re.compile(r"^\s*(/deny|n|no|nope|no thanks|no thank you|i don'?t consent)\W*$", re.I)
STOP = re.compile(r"^\s*(cancel|stop|no thanks|no thank you|never ?mind|/deny|no)\W*$", re.I)

ASK_TIME = "Thanks. When is a good time for us to contact you? For example \"weekday mornings\" or \"after 3pm\"."
NOT_CONTACT = ("Sorry, that doesn't look like a phone number or an email address. Please type a UK phone number "
               "(like 07700 900123) or an email address, or say \"cancel\".")
ASK_CONSENT = ("Do you agree to {team} contacting you on {contact} ({when}) about your request? We keep these "
               "details only to contact you. Please answer yes or no.")
YES_OR_NO = "Please answer yes or no: may {team} contact you on {contact}?"
STORED = "Thank you. {team} will contact you on {contact} ({when}). {front_door}"
DECLINED_TEXT = "OK, we won't contact you, and I haven't kept your details. {front_door}"
CANCELLED_TEXT = "OK, no call-back. {front_door} I'm still here if you have other questions."
CONSENT_BUTTONS = [{"title": "Yes, contact me", "payload": "yes"}, {"title": "No", "payload": "no"}]


def _front_door(session: Session, area_id: Optional[str]) -> tuple[str, str]:
    """The team's name, and "If it's urgent, call ... (hours)." for the area."""
    from knowledge.models import Area

    area = session.get(Area, area_id) if area_id else None
    if area is None:
        return "our advisor team", "If someone is in danger, call 999."
    return area.advisor_team, f"If it can't wait, {front_door(area)}."


def offer(session: Session, conversation_id: str, handoff_id: Optional[int], area_id: Optional[str],
          reason: str) -> bool:
    """Start collecting call-back details; False when the conversation is not one of our stored channels
    (so there is no Inbox to carry the flow)."""
    conversation = session.get(store.Conversation, conversation_id)
    if conversation is None:
        return False
    session.execute(update(CallbackRequest).where(CallbackRequest.conversation_id == conversation_id,
                                                  CallbackRequest.status == CallbackStatus.COLLECTING).values(status=CallbackStatus.CANCELLED))
    session.add(CallbackRequest(conversation_id=conversation_id, handoff_id=handoff_id, area_id=area_id,
                                status=CallbackStatus.COLLECTING, step=CallbackStep.CONTACT, reason=reason, created_at=utcnow()))
    if handoff_id is not None:
        session.execute(update(HandoffRequest).where(HandoffRequest.id == handoff_id).values(status=HandoffStatus.CALLBACK))
    conversation.mode = Mode.CALLBACK
    session.commit()
    return True


def _collecting(session: Session, cid: str) -> Optional[CallbackRequest]:
    return session.execute(select(CallbackRequest).where(CallbackRequest.conversation_id == cid,
                                                         CallbackRequest.status == CallbackStatus.COLLECTING)
                           .order_by(CallbackRequest.id.desc())).scalars().first()


REDACTED = "[call-back details removed]"


def _redact(session: Session, request: CallbackRequest) -> None:
    """Without consent nothing is kept: the messages that carried the contact details or the time go too."""
    said = [s for s in (request.contact, request.good_time) if s]
    if not said:
        return
    since = request.created_at
    for message in session.execute(select(store.Message).where(store.Message.conversation_id == request.conversation_id,
                                                               store.Message.created_at >= since)).scalars():
        if any(s in (message.text or "") for s in said):
            message.text = REDACTED


def _finish(session: Session, request: Optional[CallbackRequest], status: CallbackStatus, cid: str) -> None:
    if request is not None:
        request.status = status
        if status != CallbackStatus.OPEN:
            _redact(session, request)
            request.contact = request.contact_kind = request.good_time = None
    session.execute(update(store.Conversation).where(store.Conversation.id == cid).values(mode=Mode.BOT))


def leave(session: Session, cid: str) -> None:
    """Stop collecting (the resident may be at risk, or erased the conversation): nothing is kept."""
    request = _collecting(session, cid)
    if request is not None and request.handoff_id is not None:
        session.execute(update(HandoffRequest).where(HandoffRequest.id == request.handoff_id,
                                                     HandoffRequest.status == HandoffStatus.CALLBACK).values(status=HandoffStatus.CANCELLED))
    _finish(session, request, CallbackStatus.CANCELLED, cid)
    session.commit()


def _contact(text: str) -> Optional[tuple[str, str]]:
    text = text.strip()
    if EMAIL.match(text):
        return "email", text
    digits = re.sub(r"[^0-9+]", "", text)
    if PHONE.match(text) and 10 <= len(digits.lstrip("+")) <= 13:
        return "phone", text
    return None


def answer(session: Session, cid: str, text: str) -> Reply:
    """The next step of the flow for the resident's message (already stored)."""
    request = _collecting(session, cid)
    team, door = _front_door(session, request.area_id if request else None)
    if request is None:
        _finish(session, None, CallbackStatus.CANCELLED, cid)
        session.commit()
        return Reply(f"Sorry, I lost track of that. {door}")
    text = text.strip()
    if request.step == CallbackStep.CONTACT:
        found = _contact(text)
        if found is None:
            if STOP.match(text):
                leave(session, cid)
                return Reply(CANCELLED_TEXT.format(front_door=door))
            return Reply(NOT_CONTACT)
        request.contact_kind, request.contact = found
        request.step = CallbackStep.TIME
        session.commit()
        return Reply(ASK_TIME)
    if request.step == CallbackStep.TIME:
        if STOP.match(text):
            leave(session, cid)
            return Reply(CANCELLED_TEXT.format(front_door=door))
        request.good_time = text[:200]
        request.step = CallbackStep.CONSENT
        session.commit()
        return Reply(ASK_CONSENT.format(team=team, contact=request.contact, when=request.good_time), CONSENT_BUTTONS)
    if YES.match(text):
        request.consent, request.consented_at = True, utcnow()
        contact, when = request.contact, request.good_time
        _finish(session, request, CallbackStatus.OPEN, cid)
        session.commit()
        return Reply(STORED.format(team=team, contact=contact, when=when, front_door=door))
    if NO.match(text):
        if request.handoff_id is not None:
            session.execute(update(HandoffRequest).where(HandoffRequest.id == request.handoff_id)
                            .values(status=HandoffStatus.CANCELLED))
        _finish(session, request, CallbackStatus.DECLINED, cid)
        session.commit()
        return Reply(DECLINED_TEXT.format(front_door=door))
    return Reply(YES_OR_NO.format(team=team, contact=request.contact), CONSENT_BUTTONS)


# -- the advisors' call-back list ---------------------------------------------------------------------

def open_callbacks(session: Session) -> list[CallbackRequest]:
    return list(session.execute(select(CallbackRequest).where(CallbackRequest.status == CallbackStatus.OPEN)
                                .order_by(CallbackRequest.created_at, CallbackRequest.id)).scalars())


def as_dict(request: CallbackRequest, summary: Optional[dict[str, Any]] = None) -> dict[str, Any]:
    return {"id": request.id, "conversation": request.conversation_id, "area": request.area_id,
            "contact_kind": request.contact_kind, "contact": request.contact, "good_time": request.good_time,
            "consent": request.consent, "reason": request.reason, "status": request.status.value,
            "created_at": request.created_at.isoformat() if request.created_at else None, "summary": summary or {}}


def complete(session: Session, callback_id: int, advisor_id: int, outcome: str, note: str = "") -> bool:
    done = session.execute(update(CallbackRequest).where(CallbackRequest.id == callback_id,
                                                         CallbackRequest.status == CallbackStatus.OPEN)
                           .values(status=CallbackStatus.DONE, outcome=outcome, note=note[:2000] or None, done_by=advisor_id,
                                   done_at=utcnow()).execution_options(synchronize_session=False))
    session.commit()
    return done.rowcount == 1
