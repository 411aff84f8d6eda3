"""When the assistant does not understand: a message that names a service ("fit and fed?") is searched
anyway; otherwise ask to rephrase with suggestions, and twice in a row, offer a person. Yes or no after an
offer is answered here too (a person, or erasing the conversation)."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import consecutive_fallbacks, latest_intent
from actions import privacy
from actions.handoff import OFFER_REASONS, ActionHandoff
from actions.knowledge_base import default_area_id, kb_session
from actions.search_services import ActionSearchServices
from knowledge.search import named_services

SUGGESTIONS = [
    {"title": "What's on near me", "payload": "/whats_on"},
    {"title": "Help with money", "payload": "/need_debt_money"},
    {"title": "Baby and toddler groups", "payload": "/need_baby_toddler"},
    {"title": "Talk to a person", "payload": "/human_handoff"},
]


class ActionFallback(Action):
    def name(self) -> str:
        return "action_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        with kb_session() as session:
            named = named_services(session, tracker.latest_message.get("text"), default_area_id(session))
        if named:
            return await ActionSearchServices().run(dispatcher, tracker, domain, fresh=True)
        if consecutive_fallbacks(tracker) >= 2:
            dispatcher.utter_message(text="I'm sorry, I'm still not getting it. Would you like to talk to a person?",
                                     buttons=[{"title": "Yes, a person please", "payload": "/affirm"},
                                              {"title": "No thanks", "payload": "/deny"}])
            return [SlotSet("offered", "advisor_after_fallback")]
        dispatcher.utter_message(text="Sorry, I didn't quite get that. Could you say it another way? "
                                      "Or pick one of these:", buttons=SUGGESTIONS)
        return []


class ActionAnswerOffer(Action):
    """Yes or no: to an offer of a person, or in passing."""

    def name(self) -> str:
        return "action_answer_offer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        offered = tracker.get_slot("offered") or ""
        if offered == privacy.OFFER:
            return privacy.answer_erase_offer(dispatcher, latest_intent(tracker) == "affirm")
        if offered in OFFER_REASONS and latest_intent(tracker) == "affirm":
            return await ActionHandoff().run(dispatcher, tracker, domain)
        if offered in OFFER_REASONS:
            dispatcher.utter_message(text="No problem. What else can I help you find?", buttons=SUGGESTIONS[:3])
            return [SlotSet("offered", None)]
        if latest_intent(tracker) == "affirm":
            dispatcher.utter_message(text="Great. What are you looking for?", buttons=SUGGESTIONS)
        else:
            dispatcher.utter_message(text="Okay. Is there anything else I can help you find?", buttons=SUGGESTIONS[:3])
        return []
