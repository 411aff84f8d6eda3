"""Finding services: the need, place, time, age and cost the conversation knows, asked of the knowledge
base; the best three shown, or a plain "nothing found" with the nearest alternative and a way forward.

A place is asked for only when the answer depends on it: a need met only by area-wide services (a phone
line) is answered straight away.
"""
from __future__ import annotations

import json
from typing import Any, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.conversation import Question, question
from actions.knowledge_base import default_area_id, kb_session
from actions.presenting import locality_buttons, results_buttons, results_message
from knowledge.models import Area, SearchPoint
from knowledge.search import SearchResult, search
from knowledge.vocabulary import need_name

PAGE = 3


def run_search(session: Session, q: Question, offset: int = 0) -> SearchResult:
    area = None if q.place else default_area_id(session)
    return search(session, need=q.need, near=q.place, when=q.time, age=q.age, free_only=q.free_only,
                  limit=PAGE, offset=offset, area=area)


def depends_on_place(session: Session, need: Optional[str], area_id: Optional[str]) -> bool:
    """True when the need has venues in the area (so where the resident is changes the answer)."""
    query = select(SearchPoint.id).where(SearchPoint.area_wide.is_(False)).limit(1)
    if need:
        query = query.where(SearchPoint.need_id == need)
    if area_id:
        query = query.where(SearchPoint.area_id == area_id)
    return session.execute(query).first() is not None


def ask_for_place(dispatcher: CollectingDispatcher, session: Session, q: Question, prefix: str = "") -> None:
    area = session.get(Area, default_area_id(session) or "")
    what = need_name(q.need).lower() if q.need else "things to do"
    where = f"Which part of {area.name} are you in" if area else "Where are you"
    dispatcher.utter_message(text=f"{prefix}{where}, so I can find {what} near you? "
                                  "Pick one or type your town or postcode.",
                             buttons=locality_buttons(area))


def nothing_found(dispatcher: CollectingDispatcher, session: Session, q: Question, result: SearchResult) -> None:
    """Say so plainly, offer the nearest alternative (the same search without the day, age or cost
    filter), the whole area, or a person."""
    alternative: Optional[SearchResult] = None
    relaxed = ""
    for change, label in ((dict(time=None), "on other days"), (dict(age=None, age_text=None), "for other ages"),
                          (dict(free_only=False), "that charge")):
        if any(getattr(q, key) for key in change if key != "age_text"):
            looser = Question(**{**q.__dict__, **change})
            found = run_search(session, looser)
            if found.found and not found.problem:
                alternative, relaxed = found, label
                break
    text = f"Sorry, I couldn't find any {result.searched}."
    area_id = result.place.area_id if result.place else default_area_id(session)
    area = session.get(Area, area_id) if area_id else None
    buttons = []
    if alternative:
        best = alternative.results[0]
        when = f", {best.next_sessions[0]}" if best.next_sessions else ""
        venue = f" at {best.venue.name}" if best.venue else ""
        text += f"\n\nThe nearest I found {relaxed}: {best.name}{venue}{when}."
        if relaxed == "on other days":
            buttons.append({"title": "Any day this week", "payload": "/inform_time" + json.dumps({"time": "this week"})})
    if area and result.place and result.place.kind != "area":
        buttons.append({"title": f"Search all of {area.name}", "payload": "/inform_place" + json.dumps({"place": area.name})})
    buttons.append({"title": "Talk to a person", "payload": "/human_handoff"})
    text += "\n\nWould you like me to look further, or put you in touch with a person?"
    dispatcher.utter_message(text=text, buttons=buttons)


class ActionSearchServices(Action):
    def name(self) -> str:
        return "action_search_services"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        q = question(tracker)
        events: list[dict] = [SlotSet("need", q.need), SlotSet("time", q.time), SlotSet("age", q.age_text),
                              SlotSet("free_only", q.free_only), SlotSet("offset", 0.0)]
        with kb_session() as session:
            if q.place is None and depends_on_place(session, q.need, default_area_id(session)):
                ask_for_place(dispatcher, session, q)
                return events + [SlotSet("offered", "place")]
            result = run_search(session, q)
            if result.problem:
                ask_for_place(dispatcher, session, q, prefix=f"{result.problem} ")
                return events + [SlotSet("place", None), SlotSet("offered", "place")]
            if not result.found:
                nothing_found(dispatcher, session, q, result)
                return events + [SlotSet("shown", []), SlotSet("offered", "advisor_nothing_found")]
        dispatcher.utter_message(text=results_message(result), buttons=results_buttons(result))
        return events + [SlotSet("shown", [r.id for r in result.results]), SlotSet("offered", None)]


class ActionMoreResults(Action):
    def name(self) -> str:
        return "action_more_results"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        if not tracker.get_slot("shown"):
            dispatcher.utter_message(text="Tell me what you're looking for and where, and I'll find some options.")
            return []
        offset = int(tracker.get_slot("offset") or 0) + PAGE
        q = question(tracker)
        with kb_session() as session:
            result = run_search(session, q, offset=offset)
        if not result.found:
            dispatcher.utter_message(
                text=f"That's everything I have for {result.searched}. Would you like to talk to a person?",
                buttons=[{"title": "Talk to a person", "payload": "/human_handoff"}])
            return [SlotSet("offered", "advisor_nothing_found")]
        dispatcher.utter_message(text=results_message(result, offset), buttons=results_buttons(result))
        return [SlotSet("offset", float(offset)), SlotSet("shown", [r.id for r in result.results])]
