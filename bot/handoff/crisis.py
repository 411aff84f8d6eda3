"""The reply to a message that shows risk (the inbox's, and the assistant's ``action_crisis_response``), composed
without Rasa or the action server so it works when they are down: the routes for that kind of risk first, then an honest word about a person (coming and roughly when, or
nobody online now, with a call-back offered), and the conversation put at the top of the advisors' queue with
the kinds of risk shown."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.delivery import Reply
from bot.handoff import presence
from bot.handoff.front_door import describe_hours, front_door, is_open
from bot.handoff.models import HandoffRequest
from bot.handoff.requests import request_handoff
from bot.handoff.routes import SILENT_999, national_lines, routes_text, writer_is_a_child
from bot.states import HandoffStatus, Priority, Reason
from knowledge.areas import default_area_id
from knowledge.models import Area
from nlu.safeguarding.categories import CATEGORIES
from nlu.safeguarding.classifier import Assessment

#: after a risk reply the conversation stays careful this long: what follows is read with what came before
CAREFUL_FOR = dt.timedelta(hours=2)
CALL_BACK_BUTTONS = [{"title": "Ask for a call-back", "payload": "/human_handoff"}]


def conversation_area(session: Session, cid: str) -> Optional[Area]:
    """The area of the conversation's latest handoff, else the default area."""
    area_id = session.execute(select(HandoffRequest.area_id).where(
        HandoffRequest.conversation_id == cid, HandoffRequest.area_id.is_not(None))
        .order_by(HandoffRequest.id.desc()).limit(1)).scalar() or default_area_id(session)
    return session.get(Area, area_id) if area_id else None


def open_crisis(session: Session, cid: str, now: Optional[dt.datetime] = None) -> Optional[HandoffRequest]:
    """The conversation's crisis request still being dealt with, raised within ``CAREFUL_FOR``."""
    since = (now or dt.datetime.now(dt.timezone.utc)) - CAREFUL_FOR
    return session.execute(select(HandoffRequest).where(
        HandoffRequest.conversation_id == cid, HandoffRequest.priority == Priority.CRISIS,
        HandoffRequest.status.in_((HandoffStatus.WAITING, HandoffStatus.LIVE, HandoffStatus.CALLBACK)), HandoffRequest.created_at >= since)
        .order_by(HandoffRequest.id.desc()).limit(1)).scalars().first()


def flag(session: Session, cid: str, channel: str, assessment: Assessment, message_id: Optional[int],
         area: Optional[Area]) -> HandoffRequest:
    """Put the conversation at the top of the queue (or raise its open request) with the kinds of risk."""
    live = session.execute(select(HandoffRequest).where(HandoffRequest.conversation_id == cid,
                                                        HandoffRequest.status.in_((HandoffStatus.WAITING, HandoffStatus.LIVE)))
                           .order_by(HandoffRequest.id.desc()).limit(1)).scalars().first()
    known = set((live.summary or {}).get("safeguarding") or []) if live else set()
    kinds = [c.value for c in CATEGORIES if c.value in known or c in assessment.categories]
    summary = {"safeguarding": kinds, "risk_message_id": message_id}
    if live is not None and live.status == HandoffStatus.LIVE:  # an advisor has it: they see the kinds at once
        live.priority, live.reason = Priority.CRISIS, Reason.CRISIS
        live.summary = {**(live.summary or {}), **summary}
        session.commit()
        return live
    return request_handoff(session, cid, Reason.CRISIS, summary, area.id if area else None, channel)


def _person(session: Session, request: HandoffRequest, area: Optional[Area], now: dt.datetime) -> Reply:
    team = area.advisor_team if area else "our advisor team"
    if request.status == HandoffStatus.LIVE:
        return Reply(f"The person from {team} you are talking to can see this.")
    if presence.available(session) > 0:
        ahead = session.execute(select(func.count()).select_from(HandoffRequest).where(
            HandoffRequest.status == HandoffStatus.WAITING, HandoffRequest.priority == Priority.CRISIS,
            HandoffRequest.id < request.id)).scalar_one()
        where = "You're first in the queue" if ahead == 0 else f"{ahead} {'person is' if ahead == 1 else 'people are'} ahead of you"
        return Reply(f"A person from {team} is online and I've asked them to join this chat. {where}, so it "
                      "should be a few minutes. Stay here; you can keep writing to me meanwhile.")
    closed = bool(area) and not is_open(area.opening_hours, now)
    hours = describe_hours(area.opening_hours) if area else ""
    why = (f"{team} is closed right now" + (f" (open {hours})" if hours else "")) if closed else \
        f"no one from {team} is online to chat right now"
    line = f"{why[0].upper()}{why[1:]}, so no person can join this chat yet. Please use the numbers above: "
    line += "the ones open day and night are there now. "
    if closed:
        line += f"If you'd like, {team} can call you back when they open."
    else:
        line += f"If you'd like, {team} can call you back" + (f"; or {front_door(area)}." if area else ".")
    return Reply(line, list(CALL_BACK_BUTTONS))


def respond(session: Session, cid: str, channel: str, text: str, assessment: Assessment,
            message_id: Optional[int] = None, now: Optional[dt.datetime] = None) -> Reply:
    """The routes for what the message shows, the queue updated, and what happens next, honestly."""
    from knowledge.when import now_london

    now = now or now_london()
    area = conversation_area(session, cid)
    request = flag(session, cid, channel, assessment, message_id, area)
    routes = routes_text(assessment.ordered(), text, area.safeguarding if area else None, now)
    person = _person(session, request, area, now)
    return Reply(f"{routes}\n\n{person.text}", person.buttons)


def still_careful(session: Session, cid: str, channel: str, text: str, assessment: Assessment,
                  message_id: Optional[int] = None, now: Optional[dt.datetime] = None) -> Reply:
    """The reply to a message that is risk only read with the disclosure before it ("he's still here"):
    shorter, the same routes in one line, and the person's status again."""
    from knowledge.when import now_london

    now = now or now_london()
    area = conversation_area(session, cid)
    request = flag(session, cid, channel, assessment, message_id, area)
    numbers = _lines_in_a_sentence(national_lines(assessment.ordered(), writer_is_a_child(text)), now)
    person = _person(session, request, area, now)
    said = f"I'm still here with you. If you are in danger right now, call 999. {SILENT_999}"
    if numbers:
        said += f"\n{numbers}."
    return Reply(f"{said}\n\n{person.text}", person.buttons)


def _lines_in_a_sentence(lines: list, now: dt.datetime) -> str:
    """"Samaritans...: call 116 123; Adults worried about a child: NSPCC: call 0808 800 5000 (closed now)"."""
    return "; ".join(f"{line.what}: {line.how}" + ("" if line.open_at(now) else " (closed now)") for line in lines)


def in_case(text: str, assessment: Assessment, now: Optional[dt.datetime] = None) -> str:
    """One sentence before the ordinary answer when the classifier is unsure: the lines that fit, in case."""
    from knowledge.when import now_london

    said = _lines_in_a_sentence(national_lines(assessment.ordered(), writer_is_a_child(text))[:2],
                                now or now_london())
    return ("In case you or someone else is not safe: call 999 in an emergency"
            + (f"; {said}" if said else "") + ". You can ask for a person at any time.")


def in_careful_conversation(session: Session, cid: str) -> bool:
    return open_crisis(session, cid) is not None

