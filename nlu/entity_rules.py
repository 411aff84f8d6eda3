"""Times and ages found by rule in what residents write: the words ``knowledge.when`` and ``nlu.ages``
understand ("2moro", "saturday", "after school", "my 2 year old", "teenager"), found exactly, every time,
without training. ``nlu.time_age_extractor`` runs this inside Rasa.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List

from knowledge.when import WEEKDAYS

# Whole day names anywhere; three-letter ones ("sat", "sun", "wed") only after "on" or "next", where
# they cannot be the verb or the weather.
_FULL_DAY = "|".join(sorted((d for d in WEEKDAYS if len(d) > 3), key=len, reverse=True))
_SHORT_DAY = "|".join(d for d in WEEKDAYS if len(d) == 3)
_PART = r"(?:\s+(?:morning|afternoon|evening|night))?"
TIME_PATTERNS = [
    r"(?:this|next|the)\s+week\s*-?\s*end", r"week\s*-?\s*end", r"(?:this|next|dis)\s+week",
    rf"(?:next\s+|on\s+)?(?:{_FULL_DAY})s?{_PART}", rf"(?:next|on)\s+(?:{_SHORT_DAY}){_PART}",
    r"(?:tomorrow|tomoz|tmrw|tmr|2moro|2morrow|tomorow|tommorow|tommorrow)(?:\s+(?:morning|afternoon|evening|night))?",
    r"today|2day|tonight|2nite|tonite", r"after\s*-?\s*school|afterschool",
    r"(?:in\s+the\s+)?(?:mornings?|afternoons?|evenings?)",
]
AGE_PATTERNS = [
    r"\d{1,2}\s*-?\s*(?:years?|yrs?|yr)\s*-?\s*olds?", r"\d{1,2}\s*-?\s*(?:months?|mths?)(?:\s*-?\s*old)?",
    r"\d{1,2}\s*(?:yo|y/o)", r"aged\s+\d{1,2}", r"year\s+\d{1,2}", r"under\s*-?\s*(?:5s?|fives)",
    r"teenagers?|teens?|toddlers?|babies|baby|newborns?|pensioners?",
]
_TIME = re.compile(r"(?<![\w])(?:" + "|".join(TIME_PATTERNS) + r")(?![\w])", re.IGNORECASE)
_AGE = re.compile(r"(?<![\w])(?:" + "|".join(AGE_PATTERNS) + r")(?![\w])", re.IGNORECASE)
RULES = {"time": _TIME, "age": _AGE}


def find(text: str) -> List[Dict[str, Any]]:
    """Time and age entities in ``text`` (Rasa's entity dicts, without the extractor name)."""
    found = []
    for entity, pattern in RULES.items():
        for match in pattern.finditer(text or ""):
            found.append({"entity": entity, "start": match.start(), "end": match.end(), "value": match.group(0)})
    return found
