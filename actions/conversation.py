"""Reading what the conversation already knows: the resident's own words for what they want, the need
(from the intent or remembered), the place, the time, the age and whether only free services are wanted.

A new question (a need or "what's on" in the resident's words) brings new search words; a follow-up that
only adds a place, a time, an age or "only free ones" keeps the words of the last search."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from rasa_sdk import Tracker

from knowledge.vocabulary import need_ids, resolve_need
from nlu.ages import parse_age

NEED_PREFIX = "need_"
#: Entities that filter a search rather than say what it is for: their words leave the search words.
FILTER_ENTITIES = ("place", "postcode", "time", "age", "cost")
#: What leads into a place, time or age ("for my" in "for my toddler"): it goes with the entity.
_LEADING_INTO = re.compile(r"(\b(in|near|at|around|round|on|for|by|from|this|next|im in|i'm in|i am in|"
                           r"my|our|the|a|an|his|her|their)[\s,]*)+$", re.IGNORECASE)


@dataclass
class Question:
    need: Optional[str]
    place: Optional[str]
    time: Optional[str]
    age: Optional[int]
    age_text: Optional[str]
    free_only: bool
    words: Optional[str] = None  # what the resident asked for, in their words, without place or time


def latest_intent(tracker: Tracker) -> str:
    return (tracker.latest_message.get("intent") or {}).get("name") or ""


def latest_entities(tracker: Tracker, name: str) -> list[str]:
    return [str(e.get("value")) for e in tracker.latest_message.get("entities") or [] if e.get("entity") == name]


def search_words(message: dict) -> Optional[str]:
    """The resident's message without the place, time, age and cost it names: what to search for.
    "toddler groups in Bootle on Saturday" gives "toddler groups"; an age in words ("toddler") stays."""
    text = message.get("text") or ""
    if not text.strip() or text.startswith("/"):  # a button's payload carries no words of the resident's
        return None
    spans = sorted((int(e["start"]), int(e["end"])) for e in message.get("entities") or []
                   if e.get("entity") in FILTER_ENTITIES and e.get("start") is not None and e.get("end") is not None
                   # "toddler" and "baby" say what is wanted as well as the age; "8 year old" only the age
                   and (e.get("entity") != "age" or any(c.isdigit() for c in text[int(e["start"]):int(e["end"])])))
    kept, at = [], 0
    for start, end in spans:
        if start >= at:
            kept.append(_LEADING_INTO.sub("", text[at:start]))  # "in" of "in Bootle" goes with Bootle
            at = end
    kept.append(text[at:])
    words = " ".join(" ".join(kept).split()).strip(" ,.;:!?")
    return words or None


def need_of_intent(intent: str) -> Optional[str]:
    if intent.startswith(NEED_PREFIX) and intent[len(NEED_PREFIX):] in need_ids():
        return intent[len(NEED_PREFIX):]
    return None


def question(tracker: Tracker, fresh: bool = False) -> Question:
    """What to search for. ``fresh``: the latest message is a new question whatever its intent (it names a
    service the intent model did not place)."""
    intent = latest_intent(tracker)
    need = need_of_intent(intent)
    if need is None and intent != "whats_on" and not fresh:
        need = tracker.get_slot("need")  # a follow-up ("and in Bootle?") keeps the need
    if intent == "whats_on":
        # "what's on for swimming": an activity word may still name a need.
        need = next((n for n in map(resolve_need, latest_entities(tracker, "need")) if n), None)
    age_text, time = tracker.get_slot("age"), tracker.get_slot("time")
    free_only = bool(tracker.get_slot("free_only"))
    if fresh or (need_of_intent(intent) and need_of_intent(intent) != tracker.get_slot("need")):
        # A new question starts afresh: only the place carries over from the last one.
        age_text = next(iter(latest_entities(tracker, "age")), None)
        time = next(iter(latest_entities(tracker, "time")), None)
        free_only = False
    free_only = free_only or intent == "ask_free" or any("free" in v.lower() for v in latest_entities(tracker, "cost"))
    new_question = fresh or intent == "whats_on" or need_of_intent(intent) is not None
    words = search_words(tracker.latest_message) if new_question else tracker.get_slot("words")
    return Question(
        need=need,
        place=tracker.get_slot("place"),
        time=time,
        age=parse_age(age_text),
        age_text=age_text,
        free_only=free_only,
        words=words,
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

