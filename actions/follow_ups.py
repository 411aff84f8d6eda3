"""Follow-up questions about the services just shown: when, where, how much, their number, how to get
referred, who it is for. Answered from the knowledge base, never invented: a detail the directory does
not hold is said to be missing."""
from __future__ import annotations

from typing import Any, Callable

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import latest_intent, question
from actions.knowledge_base import kb_session
from actions.search_services import run_search
from knowledge.search import ServiceResult


def _when(item: ServiceResult) -> str:
    if item.next_sessions:
        return "; ".join(item.next_sessions)
    if item.area_wide:
        return "not a session you go to: get in touch any time they're open"
    return "no sessions listed in the next two weeks: best to contact them"


def _where(item: ServiceResult) -> str:
    if item.venue:
        parts = [item.venue.name, item.venue.address, item.venue.town, item.venue.postcode]
        return ", ".join(p for p in parts if p)
    return item.coverage or "no venue listed"


def _cost(item: ServiceResult) -> str:
    return item.cost


def _contact(item: ServiceResult) -> str:
    found = [x for x in (item.phone, item.email, item.web) if x]
    return " | ".join(found) if found else "no contact details listed: ask a person and we'll find out"


def _referral(item: ServiceResult) -> str:
    return item.how_to_get_it


def _who_for(item: ServiceResult) -> str:
    if item.minimum_age is None and item.maximum_age is None:
        ages = "all ages"
    elif item.maximum_age is None:
        ages = f"age {item.minimum_age} and over"
    elif item.minimum_age in (None, 0):
        ages = f"up to age {item.maximum_age}"
    else:
        ages = f"ages {item.minimum_age} to {item.maximum_age}"
    return ages


ANSWERS: dict[str, tuple[str, Callable[[ServiceResult], str]]] = {
    "ask_when": ("When they're on", _when),
    "ask_where": ("Where they are", _where),
    "ask_cost": ("What they cost", _cost),
    "ask_contact": ("How to get in touch", _contact),
    "ask_referral": ("How to get a place", _referral),
    "ask_who_for": ("Who they're for", _who_for),
}


class ActionAnswerFollowUp(Action):
    def name(self) -> str:
        return "action_answer_follow_up"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        shown = tracker.get_slot("shown") or []
        if not shown:
            dispatcher.utter_message(text="Which service do you mean? Tell me what you're looking for and where, "
                                          "and I'll find some options first.")
            return []
        title, answer = ANSWERS.get(latest_intent(tracker), ANSWERS["ask_contact"])
        with kb_session() as session:
            result = run_search(session, question(tracker), offset=int(tracker.get_slot("offset") or 0))
        items = [r for r in result.results if r.id in shown] or result.results
        lines = [f"{title}:"] + [f"- {item.name}: {answer(item)}" for item in items]
        dispatcher.utter_message(text="\n".join(lines), buttons=[
            {"title": "Show me more", "payload": "/more_results"},
            {"title": "Talk to a person", "payload": "/human_handoff"}])
        return []
