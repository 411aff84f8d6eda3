"""What the assistant says about services already shown or named: when, where, how much, their number,
how to get a place, who they are for. Only what the directory holds: a missing detail is said to be
missing, and a missing phone number is answered with the provider's or the area's front door."""
from __future__ import annotations

import re
from typing import Callable, Optional

from rasa_sdk.executor import CollectingDispatcher

from knowledge.search import ServiceResult


def _when(item: ServiceResult) -> str:
    if item.next_sessions:
        return "; ".join(item.next_sessions)
    if item.area_wide:
        return "not a session you go to: get in touch any time they're open"
    return "no sessions listed in the next two weeks, so best to contact them"


def _where(item: ServiceResult) -> str:
    if item.venue:
        parts = [item.venue.name, item.venue.address, item.venue.town, item.venue.postcode]
        return ", ".join(p for p in parts if p)
    return item.coverage or "no venue listed"


def _cost(item: ServiceResult) -> str:
    return item.cost


def _contact(item: ServiceResult) -> str:
    if item.phone:
        return " | ".join(x for x in (item.phone, item.email, item.web) if x)
    other = " | ".join(x for x in (item.email, item.web) if x)
    return "no phone number listed" + (f" ({other})" if other else "")


def _referral(item: ServiceResult) -> str:
    return item.how_to_get_it


def _who_for(item: ServiceResult) -> str:
    if item.minimum_age is None and item.maximum_age is None:
        return "all ages"
    if item.maximum_age is None:
        return f"age {item.minimum_age} and over"
    if item.minimum_age in (None, 0):
        return f"up to age {item.maximum_age}"
    return f"ages {item.minimum_age} to {item.maximum_age}"


ANSWERS: dict[str, tuple[str, Callable[[ServiceResult], str]]] = {
    "ask_when": ("When they're on", _when),
    "ask_where": ("Where they are", _where),
    "ask_cost": ("What they cost", _cost),
    "ask_free": ("What they cost", _cost),
    "ask_contact": ("How to get in touch", _contact),
    "ask_referral": ("How to get a place", _referral),
    "ask_who_for": ("Who they're for", _who_for),
}


#: What a question about a named service asks ("is Bookstart free?", "when is Chatterbox on?").
DETAIL_WORDS = [
    ("ask_cost", re.compile(r"\b(free|cost|costs|price|how much|charge|pay)\b", re.IGNORECASE)),
    ("ask_contact", re.compile(r"\b(number|phone|ring|call|contact|email|get in touch)\b", re.IGNORECASE)),
    ("ask_when", re.compile(r"\b(when|what time|what day|times|open|on this week|on today|on tomorrow)\b", re.IGNORECASE)),
    ("ask_where", re.compile(r"\b(where|address|venue)\b", re.IGNORECASE)),
    ("ask_referral", re.compile(r"\b(refer|referral|referred|sign up|book|join|apply)\b", re.IGNORECASE)),
    ("ask_who_for", re.compile(r"\b(who is it for|who'?s it for|what age|how old|ages)\b", re.IGNORECASE)),
]


def asked_detail(text: Optional[str]) -> Optional[str]:
    """The follow-up intent a question about a named service asks, if it asks one."""
    for intent, words in DETAIL_WORDS:
        if text and words.search(text):
            return intent
    return None


def answer_about(dispatcher: CollectingDispatcher, items: list[ServiceResult], intent: str,
                 front_door: Optional[str]) -> None:
    """One line per service for what was asked; a front door when a number was asked and one is missing."""
    title, answer = ANSWERS.get(intent, ANSWERS["ask_contact"])
    lines = [f"{title}:"] + [f"- {item.name}: {answer(item)}" for item in items]
    if title == ANSWERS["ask_contact"][0] and front_door and any(not item.phone for item in items):
        lines.append(f"\nFor the ones with no number, {front_door}.")
    dispatcher.utter_message(text="\n".join(lines), buttons=[
        {"title": "Show me more", "payload": "/more_results"},
        {"title": "Talk to a person", "payload": "/human_handoff"}])
