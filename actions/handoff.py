"""Handing over to a person: the request is stored (with the bot's summary, crisis first) before the
resident is told what happens next and how to reach the area's front door by phone."""
from __future__ import annotations

from typing import Any, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.conversation import latest_intent
from actions.knowledge_base import default_area_id, kb_session
from bot.handoff import HandoffRequest, Reason, callbacks, crisis_reply, front_door, is_open, presence, request_handoff
from knowledge.geography.places import resolve_place
from knowledge.models import Area

#: Why a person was offered, and so why the resident's "yes" hands over.
OFFER_REASONS = {"advisor_after_fallback": Reason.MISUNDERSTOOD, "advisor_nothing_found": Reason.NOTHING_FOUND}


def conversation_area(session: Session, tracker: Tracker) -> Optional[Area]:
    place = resolve_place(tracker.get_slot("place") or "")
    area_id = place.area_id if place and place.area_id else default_area_id(session)
    return session.get(Area, area_id) if area_id else None


def summary(tracker: Tracker) -> dict[str, Any]:
    """What the bot learned, for the advisor: need, place, age, time, what it already suggested."""
    return {key: tracker.get_slot(key) for key in ("need", "place", "age", "time", "shown") if tracker.get_slot(key)}


def record(session: Session, tracker: Tracker, reason: Reason, area: Optional[Area]) -> HandoffRequest:
    return request_handoff(session, tracker.sender_id, reason, summary(tracker), area.id if area else None,
                           tracker.get_latest_input_channel())


CALLBACK_OFFER = ("{why} I can ask {team} to contact you instead. What's the best phone number or email address "
                  "to reach you? (Or say \"cancel\".) If it can't wait, {front_door}.")


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        reason = Reason.ASKED
        if latest_intent(tracker) == "affirm":
            reason = OFFER_REASONS.get(tracker.get_slot("offered") or "", Reason.ASKED)
        with kb_session() as session:
            area = conversation_area(session, tracker)
            request = record(session, tracker, reason, area)
            team = area.advisor_team if area else "our advisor team"
            closed = bool(area) and not is_open(area.opening_hours)
            nobody = presence.available(session) == 0
            if (closed or nobody) and area and callbacks.offer(session, tracker.sender_id, request.id, area.id, reason):
                # No one can chat now: collect call-back details instead (the Inbox carries the flow).
                why = (f"{team} is closed right now." if closed else "No advisor is free to chat right now.")
                text = CALLBACK_OFFER.format(why=why, team=team, front_door=front_door(area))
            elif area and not is_open(area.opening_hours):
                text = (f"I've passed your request to {team}. They're closed right now, so a person will pick it up "
                        f"when they open. You can also {front_door(area)}.")
            else:
                text = (f"I've asked a person from {team} to pick this up. It can take a few minutes. "
                        + (f"If you'd rather talk now, {front_door(area)}." if area else ""))
        dispatcher.utter_message(text=text.strip())
        return [SlotSet("handoff", reason.value), SlotSet("offered", None)]


class ActionCrisisResponse(Action):
    """Rasa's way to the risk reply (the safety net in the NLU pipeline said ``crisis``). Channels answer risk
    in the inbox before Rasa sees it; this gives the same reply to anything that reaches Rasa another way."""

    def name(self) -> str:
        return "action_crisis_response"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        from nlu.safeguarding.categories import CATEGORIES, Category
        from nlu.safeguarding.classifier import Assessment

        text = tracker.latest_message.get("text") or ""
        named = [Category(c) for c in tracker.latest_message.get("safeguarding") or [] if c in {k.value for k in CATEGORIES}]
        # Without the kinds (an older model, a story), every route: better too many than the wrong one.
        found = Assessment(frozenset(named or CATEGORIES), 1.0, "model")
        with kb_session() as session:
            answer = crisis_reply(session, tracker.sender_id, tracker.get_latest_input_channel() or "rest", text, found)
        dispatcher.utter_message(text=answer.text, buttons=answer.buttons or None)
        return [SlotSet("handoff", "crisis")]
