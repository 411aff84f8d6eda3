"""Finding services: the resident's words with the need, place, time, age and cost the conversation knows,
asked of the knowledge base; the best three shown, or a plain "nothing found" with the routes that exist.

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
from actions.service_details import answer_about, asked_detail
from bot.handoff import front_door
from knowledge.models import Area, SearchPoint
from knowledge.national import lines_for
from knowledge.search import SearchResult, lookup, named_services, search
from knowledge.vocabulary import match_needs, need_name

PAGE = 3


def run_search(session: Session, q: Question, offset: int = 0) -> SearchResult:
    area = None if q.place else default_area_id(session)
    return search(session, need=q.need, near=q.place, when=q.time, age=q.age, free_only=q.free_only,
                  text=q.words, limit=PAGE, offset=offset, area=area)


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


def nearest_alternative(session: Session, q: Question) -> tuple[Optional[SearchResult], str]:
    """The same search without the day, the age or the cost filter, whichever first finds something."""
    for change, label in ((dict(time=None), "on other days"), (dict(age=None, age_text=None), "for other ages"),
                          (dict(free_only=False), "that charge")):
        if any(getattr(q, key) for key in change if key != "age_text"):
            found = run_search(session, Question(**{**q.__dict__, **change}))
            if found.found and not found.problem:
                return found, label
    return None, ""


def nothing_found(dispatcher: CollectingDispatcher, session: Session, q: Question, result: SearchResult) -> list[str]:
    """Say what was searched and that nothing fits, never padding with unrelated services; then the ways
    that do exist: the nearest alternative, national lines for the need, the area's front door, a person.
    Returns the services it mentioned (the one named, or the nearest alternative): "their number" means them."""
    alternative, relaxed = nearest_alternative(session, q)
    parts = [f"Sorry, I couldn't find any {result.searched}."]
    buttons = []
    if alternative:
        best = alternative.results[0]
        when = f", {best.next_sessions[0]}" if best.next_sessions else ""
        venue = f" at {best.venue.name}" if best.venue else ""
        parts.append(f"The nearest I found {relaxed}: {best.name}{venue}{when}.")
        if relaxed == "on other days":
            buttons.append({"title": "Any day this week", "payload": "/inform_time" + json.dumps({"time": "this week"})})
    lines = lines_for([q.need, *match_needs(q.words or "")])
    if lines:
        parts.append("These can help wherever you live:\n" + "\n".join(f"- {line.sentence()}" for line in lines))
    area_id = result.place.area_id if result.place else default_area_id(session)
    area = session.get(Area, area_id) if area_id else None
    if area:
        parts.append(f"Or {front_door(area)}.")
        if result.place and result.place.kind != "area":
            buttons.append({"title": f"Search all of {area.name}",
                            "payload": "/inform_place" + json.dumps({"place": area.name})})
    buttons.append({"title": "Talk to a person", "payload": "/human_handoff"})
    parts.append("Would you like me to put you in touch with a person?")
    dispatcher.utter_message(text="\n\n".join(parts), buttons=buttons)
    return result.named or ([alternative.results[0].id] if alternative else [])


class ActionSearchServices(Action):
    def name(self) -> str:
        return "action_search_services"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any],
                  fresh: bool = False) -> list[dict]:
        """``fresh``: search on the latest message as a new question (it names a service)."""
        q = question(tracker, fresh)
        events: list[dict] = [SlotSet("need", q.need), SlotSet("time", q.time), SlotSet("age", q.age_text),
                              SlotSet("free_only", q.free_only), SlotSet("words", q.words),
                              SlotSet("offset", 0.0)]
        with kb_session() as session:
            area = default_area_id(session)
            named = named_services(session, tracker.latest_message.get("text"), area)
            detail = asked_detail(tracker.latest_message.get("text")) if named else None
            if detail:
                # "Is Bookstart free?" asks about Bookstart, not for a list of free things: the same answer
                # wherever the resident is, so no place is asked for.
                door = session.get(Area, area or "")
                answer_about(dispatcher, lookup(session, named, q.place, q.time), detail,
                             front_door(door) if door else None)
                return [SlotSet("shown", named), SlotSet("offered", None)]
            if q.place is None and not named and depends_on_place(session, q.need, area):
                ask_for_place(dispatcher, session, q)
                return events + [SlotSet("offered", "place")]
            result = run_search(session, q)
            if result.problem:
                ask_for_place(dispatcher, session, q, prefix=f"{result.problem} ")
                return events + [SlotSet("place", None), SlotSet("offered", "place")]
            if not result.found:
                mentioned = nothing_found(dispatcher, session, q, result)
                return events + [SlotSet("shown", mentioned), SlotSet("offered", "advisor_nothing_found")]
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
