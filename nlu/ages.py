"""Ages from what residents write: "my 2 year old", "15", "6 months", "teenager", "baby", "toddler".

Returns whole years (a baby is 0), or None when no age is meant. Used by the actions on the ``age``
entity, and by search filters (a service for 0-4 year olds fits "my toddler").
"""
from __future__ import annotations

import re
from typing import Optional

_WORDS = {
    "newborn": 0, "new born": 0, "baby": 0, "babies": 0, "infant": 0, "bump": 0, "pregnant": 0,
    "toddler": 2, "toddlers": 2, "tot": 2, "tots": 2, "little one": 2, "under 5": 3, "under 5s": 3,
    "under fives": 3, "pre-school": 3, "preschool": 3, "pre schooler": 3, "reception": 4,
    "primary": 8, "child": 8, "kid": 8, "kids": 8,
    "teen": 15, "teens": 15, "teenager": 15, "teenagers": 15, "young person": 16, "young people": 16,
    "adult": 30, "adults": 30, "grown up": 30, "older person": 70, "older people": 70, "pensioner": 70,
    "elderly": 75, "oap": 70,
}
_NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                 "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
                 "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
_MONTHS = re.compile(r"\b(\d{1,2}|%s)\s*-?\s*(months?|mths?|mnths?|mo)\b" % "|".join(_NUMBER_WORDS))
_YEARS = re.compile(r"\b(\d{1,3}|%s)\s*-?\s*(years?|yrs?|yr|y/?o|yo)\b" % "|".join(_NUMBER_WORDS))
_YEAR_GROUP = re.compile(r"\byear\s*(\d{1,2})\b")
_BARE = re.compile(r"^\D*?(\d{1,3})\D*$")


def _number(text: str) -> int:
    return int(text) if text.isdigit() else _NUMBER_WORDS[text]


def parse_age(text: Optional[str]) -> Optional[int]:
    """Whole years meant by ``text``, or None."""
    if not text:
        return None
    lowered = text.lower().strip()
    if _MONTHS.search(lowered):
        return _number(_MONTHS.search(lowered).group(1)) // 12
    if match := _YEARS.search(lowered):
        years = _number(match.group(1))
        return years if years <= 120 else None
    if match := _YEAR_GROUP.search(lowered):
        return min(18, int(match.group(1)) + 5)  # school year N: children are N + 4 or N + 5
    for phrase, years in sorted(_WORDS.items(), key=lambda item: -len(item[0])):
        if re.search(rf"\b{re.escape(phrase)}\b", lowered):
            return years
    if match := _BARE.match(lowered):
        years = int(match.group(1))
        return years if years <= 120 else None
    return None
