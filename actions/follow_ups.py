"""Follow-up questions about the services just shown, or the ones the resident names ("is Bookstart
free?", "what's their number?"): answered from the knowledge base, never invented."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import latest_intent, question
from actions.knowledge_base import default_area_id, kb_session
from actions.search_services import run_search
from actions.service_details import answer_about
from bot.handoff import front_door
from knowledge.models import Area
from knowledge.search import lookup, named_services


class ActionAnswerFollowUp(Action):
    def name(self) -> str:
        return "action_answer_follow_up"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        shown = tracker.get_slot("shown") or []
        q = question(tracker)
        intent = latest_intent(tracker)
        with kb_session() as session:
            area = session.get(Area, default_area_id(session) or "")
            door = front_door(area) if area else None
            named = named_services(session, tracker.latest_message.get("text"), area.id if area else None)
            if named:
                items = lookup(session, named, near=q.place, when=q.time)
            elif shown:
                result = run_search(session, q, offset=int(tracker.get_slot("offset") or 0))
                items = [r for r in result.results if r.id in shown] or lookup(session, shown, q.place, q.time)
            else:
                items = []
        if not items:
            text = "Which service do you mean? Tell me what you're looking for and where, and I'll find some options."
            if door and intent == "ask_contact":
                text += f" Or {door}."
            dispatcher.utter_message(text=text, buttons=[{"title": "Talk to a person", "payload": "/human_handoff"}])
            return []
        answer_about(dispatcher, items, intent, door)
        return [SlotSet("shown", named)] if named else []
