"""Actual session dates and times from weekly schedules, in Europe/London time.

A schedule says "Mondays 10:00-11:30"; residents need "Monday 30 November, 10:00". Local wall-clock
times are attached to the London zone for each date, so a 10:00 session is at 10:00 both sides of the
October and March clock changes (09:00 or 10:00 UTC). Term-time-only sessions skip the area's school
holidays.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable, Optional

from knowledge.when import LONDON, TimeWindow


@dataclass(frozen=True)
class WeeklySession:
    """The parts of a ``Schedule`` row the calculation needs."""

    weekday: int
    opens_at: dt.time
    closes_at: dt.time
    valid_from: Optional[dt.date] = None
    valid_to: Optional[dt.date] = None
    term_time_only: bool = False
    location_id: Optional[str] = None


@dataclass(frozen=True)
class Occurrence:
    starts: dt.datetime  # aware, Europe/London
    ends: dt.datetime
    location_id: Optional[str]


def holiday_dates(school_holidays: Optional[dict]) -> list[tuple[dt.date, dt.date]]:
    """(first, last) date pairs from an area's ``school_holidays`` record."""
    periods = []
    for period in (school_holidays or {}).get("periods", []):
        first, last = period["from"], period["to"]
        periods.append((_as_date(first), _as_date(last)))
    return periods


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _in_holidays(day: dt.date, holidays: list[tuple[dt.date, dt.date]]) -> bool:
    return any(first <= day <= last for first, last in holidays)


def occurrences(
    sessions: Iterable[WeeklySession],
    window: TimeWindow,
    now: dt.datetime,
    holidays: Optional[list[tuple[dt.date, dt.date]]] = None,
    limit: int = 3,
) -> list[Occurrence]:
    """The next ``limit`` sessions inside ``window`` that have not already finished at ``now``."""
    holidays = holidays or []
    found: list[Occurrence] = []
    dates = window.dates()
    for session in sessions:
        if not window.overlaps(session.opens_at, session.closes_at):
            continue
        for day in dates:
            if day.weekday() != session.weekday:
                continue
            if session.valid_from and day < session.valid_from:
                continue
            if session.valid_to and day > session.valid_to:
                continue
            if session.term_time_only and _in_holidays(day, holidays):
                continue
            ends = dt.datetime.combine(day, session.closes_at, tzinfo=LONDON)
            if ends <= now:
                continue
            starts = dt.datetime.combine(day, session.opens_at, tzinfo=LONDON)
            found.append(Occurrence(starts, ends, session.location_id))
    found.sort(key=lambda o: o.starts)
    return found[:limit]


def describe(occurrence: Occurrence, now: dt.datetime) -> str:
    """"Today 10:00-11:30", "Tomorrow 14:00-15:00", "Saturday 5 December 10:00-12:00"."""
    today = now.astimezone(LONDON).date()
    day = occurrence.starts.date()
    if day == today:
        when = "Today"
    elif day == today + dt.timedelta(days=1):
        when = "Tomorrow"
    else:
        when = f"{occurrence.starts:%A} {day.day} {occurrence.starts:%B}"
    return f"{when} {occurrence.starts:%H:%M}-{occurrence.ends:%H:%M}"
