"""Reading what the conversation already knows: the need (from the intent or remembered), the place, the
time, the age and whether only free services are wanted."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from rasa_sdk import Tracker

from knowledge.vocabulary import need_ids, resolve_need
from nlu.ages import parse_age

NEED_PREFIX = "need_"


@dataclass
class Question:
    need: Optional[str]
    place: Optional[str]
    time: Optional[str]
    age: Optional[int]
    age_text: Optional[str]
    free_only: bool


def latest_intent(tracker: Tracker) -> str:
    return (tracker.latest_message.get("intent") or {}).get("name") or ""


def latest_entities(tracker: Tracker, name: str) -> list[str]:
    return [str(e.get("value")) for e in tracker.latest_message.get("entities") or [] if e.get("entity") == name]


def need_of_intent(intent: str) -> Optional[str]:
    if intent.startswith(NEED_PREFIX) and intent[len(NEED_PREFIX):] in need_ids():
        return intent[len(NEED_PREFIX):]
    return None


def question(tracker: Tracker) -> Question:
    intent = latest_intent(tracker)
    need = need_of_intent(intent)
    if need is None and intent != "whats_on":
        need = tracker.get_slot("need")  # a follow-up ("and in Bootle?") keeps the need
    if intent == "whats_on":
        # "what's on for swimming": an activity word may still name a need.
        need = next((n for n in map(resolve_need, latest_entities(tracker, "need")) if n), None)
    age_text, time = tracker.get_slot("age"), tracker.get_slot("time")
    free_only = bool(tracker.get_slot("free_only"))
    if need_of_intent(intent) and need_of_intent(intent) != tracker.get_slot("need"):
        # A new question starts afresh: only the place carries over from the last one.
        age_text = next(iter(latest_entities(tracker, "age")), None)
        time = next(iter(latest_entities(tracker, "time")), None)
        free_only = False
    free_only = free_only or intent == "ask_free" or any("free" in v.lower() for v in latest_entities(tracker, "cost"))
    return Question(
        need=need,
        place=tracker.get_slot("place"),
        time=time,
        age=parse_age(age_text),
        age_text=age_text,
        free_only=free_only,
    )


def consecutive_fallbacks(tracker: Tracker) -> int:
    """How many of the resident's latest messages in a row the assistant did not understand."""
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        name = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if name != "nlu_fallback":
            break
        count += 1
    return count

