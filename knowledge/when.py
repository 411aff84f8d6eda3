"""What a resident means by "when": today, tomorrow, Saturday, this week, the weekend, mornings,
afternoons, evenings, after school. Parsed in Python (no Duckling), in Europe/London time.

A ``TimeWindow`` is a run of calendar dates plus an optional part of the day; sessions that overlap
it are "on" then.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Optional
from zoneinfo import ZoneInfo

from core.settings import settings

LONDON = ZoneInfo("Europe/London")

WEEKDAYS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2, "weds": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "friday": 4, "fri": 4, "saturday": 5, "sat": 5,
    "sunday": 6, "sun": 6,
}
WEEKDAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

# Parts of the day as [start, end) local times. "After school" only means something on school days.
DAYPARTS = {
    "morning": (dt.time(6, 0), dt.time(12, 0)),
    "afternoon": (dt.time(12, 0), dt.time(17, 0)),
    "evening": (dt.time(17, 0), dt.time(23, 0)),
    "after school": (dt.time(15, 0), dt.time(19, 0)),
}
_DAYPART_WORDS = [
    (r"after\s*-?\s*school|afterschool|after skool", "after school"),
    (r"mornings?|\bam\b|morn", "morning"),
    (r"afternoons?|\bpm\b|aftanoon", "afternoon"),
    (r"evenings?|tonight|2nite|tonite|nights?", "evening"),
]
DEFAULT_DAYS = 14


@dataclass(frozen=True)
class TimeWindow:
    """Dates from ``first`` to ``last`` inclusive, optionally only a part of each day."""

    first: dt.date
    last: dt.date
    label: str
    daypart: Optional[str] = None
    school_days_only: bool = False

    def dates(self) -> list[dt.date]:
        days = (self.last - self.first).days + 1
        found = [self.first + dt.timedelta(days=i) for i in range(max(0, days))]
        if self.school_days_only:
            found = [d for d in found if d.weekday() < 5]
        return found

    def weekdays_mask(self) -> int:
        """Bit ``1 << weekday`` for each weekday the window touches (matches ``search_point.days_mask``)."""
        mask = 0
        for d in self.dates()[:7]:
            mask |= 1 << d.weekday()
        return mask

    def overlaps(self, opens: dt.time, closes: dt.time) -> bool:
        if self.daypart is None:
            return True
        start, end = DAYPARTS[self.daypart]
        return opens < end and closes > start


def now_london() -> dt.datetime:
    """The time now in London; ``SIGNPOST_NOW`` (ISO 8601) pins it, so conversations run end to end in
    tests and demos give the same answers whatever the day."""
    pinned = settings().now
    if pinned:
        return pinned.astimezone(LONDON)
    return dt.datetime.now(LONDON)


def _daypart(text: str) -> Optional[str]:
    for pattern, name in _DAYPART_WORDS:
        if re.search(pattern, text):
            return name
    return None


def parse_when(text: Optional[str], now: Optional[dt.datetime] = None) -> Optional[TimeWindow]:
    """The window ``text`` names, or None when it names no time at all."""
    if not text or not text.strip():
        return None
    now = (now or now_london()).astimezone(LONDON)
    today = now.date()
    lowered = text.lower()
    daypart = _daypart(lowered)
    school = daypart == "after school"
    label_part = f" {daypart}" if daypart and daypart != "after school" else (" after school" if school else "")

    def window(first: dt.date, last: dt.date, label: str) -> TimeWindow:
        return TimeWindow(first, last, label + label_part, daypart, school)

    if re.search(r"\btonight\b|\b2nite\b|\btonite\b", lowered):
        return TimeWindow(today, today, "tonight", "evening")
    if re.search(r"\b(tomorrow|tomoz|tmrw|tmr|2moro|2morrow|tomorow|tommorow|tommorrow)\b", lowered):
        day = today + dt.timedelta(days=1)
        return window(day, day, "tomorrow")
    if re.search(r"\b(today|2day|tday)\b", lowered):
        return window(today, today, "today")
    if re.search(r"\b(this\s+)?week\s*-?\s*end\b|\bweekend\b|\bsat(urday)?\s+(or|and|n|&)\s+sun(day)?\b", lowered):
        saturday = today + dt.timedelta(days=(5 - today.weekday()) % 7) if today.weekday() != 6 else today
        if re.search(r"\bnext\s+week\s*-?\s*end\b", lowered):
            saturday += dt.timedelta(days=7)
        last = saturday + dt.timedelta(days=1) if saturday.weekday() == 5 else saturday
        return window(saturday, last, "this weekend" if "next" not in lowered else "next weekend")
    if re.search(r"\bnext\s+week\b", lowered):
        monday = today + dt.timedelta(days=7 - today.weekday())
        return window(monday, monday + dt.timedelta(days=6), "next week")
    if re.search(r"\b(this|dis)\s+week\b|\bthe\s+week\b", lowered):
        return window(today, today + dt.timedelta(days=6 - today.weekday()), "this week")
    for word, weekday in WEEKDAYS.items():
        if re.search(rf"\b{word}s?\b", lowered):
            ahead = (weekday - today.weekday()) % 7
            if re.search(rf"\bnext\s+{word}", lowered) and ahead == 0:
                ahead = 7
            day = today + dt.timedelta(days=ahead)
            return window(day, day, WEEKDAY_NAMES[weekday])
    if daypart:
        # "mornings", "after school": the coming week, that part of each day.
        return TimeWindow(today, today + dt.timedelta(days=6), {
            "morning": "mornings", "afternoon": "afternoons", "evening": "evenings", "after school": "after school",
        }[daypart], daypart, school)
    return None


def default_window(now: Optional[dt.datetime] = None) -> TimeWindow:
    """When no time was asked: the next two weeks."""
    today = (now or now_london()).astimezone(LONDON).date()
    return TimeWindow(today, today + dt.timedelta(days=DEFAULT_DAYS - 1), "in the next two weeks")
