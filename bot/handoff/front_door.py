"""An area's front door, said once for everyone who names it (the assistant, the inbox, the call-back flow):
who to call and when they are open, in plain English, and whether they are open now."""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from knowledge.when import LONDON, WEEKDAYS, WEEKDAY_NAMES, now_london

_DAY_ORDER = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _clock(hhmm: str) -> str:
    """"09:00" -> "9am", "17:30" -> "5.30pm"."""
    hours, minutes = (int(x) for x in hhmm.split(":"))
    suffix = "am" if hours < 12 else "pm"
    hours = hours % 12 or 12
    return f"{hours}{'.%02d' % minutes if minutes else ''}{suffix}"


def _days(days: list[str]) -> str:
    indexes = sorted(WEEKDAYS[d.lower()[:3]] for d in days)
    if len(indexes) > 2 and indexes == list(range(indexes[0], indexes[-1] + 1)):
        return f"{WEEKDAY_NAMES[indexes[0]]} to {WEEKDAY_NAMES[indexes[-1]]}"
    return ", ".join(WEEKDAY_NAMES[i] for i in indexes)


def describe_hours(opening_hours: list[dict[str, Any]]) -> str:
    return "; ".join(f"{_days(h['days'])}, {_clock(h['opens'])} to {_clock(h['closes'])}" for h in opening_hours or [])


def is_open(opening_hours: list[dict[str, Any]], now: Optional[dt.datetime] = None) -> bool:
    now = (now or now_london()).astimezone(LONDON)
    today = _DAY_ORDER[now.weekday()]
    clock = now.strftime("%H:%M")
    return any(today in [d.lower()[:3] for d in h["days"]] and h["opens"] <= clock < h["closes"]
               for h in opening_hours or [])


def front_door(area: Any) -> str:
    """"call Living Well Sefton on 0300 323 0181 (Monday to Friday, 9am to 5pm)"."""
    who = area.front_door_name or area.advisor_team
    how = f"call {who} on {area.phone}" if area.phone else f"contact {who}"
    hours = describe_hours(area.opening_hours)
    return how + (f" ({hours})" if hours else "") + (f", or visit {area.web}" if area.web else "")
