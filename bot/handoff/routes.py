"""The routes for each kind of risk: national lines that never change (with their hours, so a closed line is
never named without saying so), and the area's own safeguarding front doors from its record."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Optional, Sequence

from knowledge.when import LONDON
from nlu.safeguarding.categories import Category

C = Category


@dataclass(frozen=True)
class Line:
    """A national route: what it is for, how to reach it, and when it answers (None: day and night)."""

    what: str
    how: str
    # (weekdays 0-4 opening, closing), (weekend opening, closing), as "HH:MM"; None: 24 hours
    hours: Optional[tuple[tuple[str, str], tuple[str, str]]] = None

    def open_at(self, now: dt.datetime) -> bool:
        if self.hours is None:
            return True
        opens, closes = self.hours[0] if now.weekday() < 5 else self.hours[1]
        return opens <= now.strftime("%H:%M") < closes

    def said(self, now: dt.datetime) -> str:
        if self.hours is None:
            return f"{self.what}: {self.how}, free, day or night."
        (wd_open, wd_close), (we_open, we_close) = self.hours
        hours = f"weekdays {_clock(wd_open)} to {_clock(wd_close)}, weekends {_clock(we_open)} to {_clock(we_close)}"
        if self.open_at(now):
            return f"{self.what}: {self.how}, free ({hours})."
        return f"{self.what}: {self.how}, free, but closed right now ({hours})."


def _clock(hhmm: str) -> str:
    hours, minutes = (int(x) for x in hhmm.split(":"))
    return f"{hours % 12 or 12}{'.%02d' % minutes if minutes else ''}{'am' if hours < 12 else 'pm'}"


NINE_NINE_NINE = "If you or anyone else is in danger right now, call 999."
SILENT_999 = "If you can't speak, call 999 from a mobile, stay on the line and press 55 when asked."
SAMARITANS = Line("Samaritans, to talk about how you feel", "call 116 123")
NHS_111 = Line("Urgent mental health or medical help", "call NHS 111")
DOMESTIC_ABUSE = Line("National Domestic Abuse Helpline", "call 0808 2000 247")
RAPE_CRISIS = Line("Rape Crisis, for anyone affected by rape or sexual assault", "call 0808 500 2222")
CHILDLINE = Line("Children and young people: Childline", "call 0800 1111 or chat at childline.org.uk")
NSPCC = Line("Adults worried about a child: NSPCC", "call 0808 800 5000",
             (("08:00", "22:00"), ("09:00", "18:00")))
CEOP = Line("Someone online asking a young person for pictures, or threatening to share them",
            "report it to CEOP at ceop.police.uk")
MODERN_SLAVERY = Line("Modern Slavery Helpline, confidential", "call 08000 121 700")
HOURGLASS = Line("Hourglass, for abuse of an older person", "call 0808 808 8141")
SHELTER = Line("Shelter's emergency helpline, with nowhere to stay", "call 0808 800 4444",
               (("08:00", "20:00"), ("09:00", "17:00")))

#: the national lines for each kind of risk, most urgent first
NATIONAL: dict[Category, tuple[Line, ...]] = {
    C.SUICIDE_SELF_HARM: (SAMARITANS, NHS_111),
    C.DOMESTIC_ABUSE: (DOMESTIC_ABUSE,),
    C.SEXUAL_VIOLENCE: (RAPE_CRISIS, NHS_111),
    C.CHILD_AT_RISK: (NSPCC, CHILDLINE),
    C.CHILD_EXPLOITATION: (NSPCC, CHILDLINE, CEOP),
    C.MODERN_SLAVERY: (MODERN_SLAVERY,),
    C.ADULT_AT_RISK: (HOURGLASS,),
    C.NOWHERE_TO_SLEEP: (SHELTER,),
    C.IMMEDIATE_DANGER: (),
}
#: which of the area's own front doors each kind of risk is reported to
AREA_DOOR: dict[Category, str] = {C.CHILD_AT_RISK: "children", C.CHILD_EXPLOITATION: "children",
                                  C.ADULT_AT_RISK: "adults", C.NOWHERE_TO_SLEEP: "homeless"}
AREA_DOOR_FOR = {"children": "To report a worry about a child", "adults": "To report a worry about an adult",
                 "homeless": "The council must help if you are homeless tonight"}
#: first lines, by kind: what to do this minute
FIRST = {
    C.SUICIDE_SELF_HARM: "If you have hurt yourself or taken something, or feel you might act on these thoughts now, "
                         "call 999 or go to A&E.",
    C.IMMEDIATE_DANGER: "If you are in danger right now, call 999. " + SILENT_999,
    C.DOMESTIC_ABUSE: NINE_NINE_NINE + " " + SILENT_999,
}
#: a child or young person writing about themselves: "im 13", "my stepdad hits me", "at school"
_CHILD_WRITING = re.compile(
    r"\b(i'?m|im|i am|am) (only )?(1[0-7]|[5-9])( years old| yrs| yo)?\b|\bin year ([5-9]|1[0-3])\b|\byear ([7-9]|1[0-1]) at\b"
    r"|\bmy (mum|mam|dad|stepdad|step dad|stepmum|mums boyfriend|mum'?s boyfriend|parents|foster)\b.*\b(me|my room)\b"
    r"|\bat school\b.*\b(me|i)\b|\bmy teacher\b|\bi'?m a (kid|child|teenager)\b", re.IGNORECASE)


def writer_is_a_child(text: str) -> bool:
    return bool(_CHILD_WRITING.search(text or ""))


def national_lines(categories: Sequence[Category], child_writing: bool) -> list[Line]:
    lines: list[Line] = []
    for category in categories:
        for line in NATIONAL[category]:
            if line not in lines:
                lines.append(line)
    if child_writing and any(c in (C.CHILD_AT_RISK, C.CHILD_EXPLOITATION, C.SEXUAL_VIOLENCE, C.SUICIDE_SELF_HARM,
                                   C.DOMESTIC_ABUSE, C.NOWHERE_TO_SLEEP) for c in categories):
        # Childline first: it is for them, it is free and it never closes; NSPCC is for adults worried about a child.
        lines = [CHILDLINE] + [line for line in lines if line not in (CHILDLINE, NSPCC)]
    return lines


def area_doors(safeguarding: dict[str, Any], categories: Sequence[Category]) -> list[str]:
    """"To report a worry about a child: Sefton Council children's services, https://www.sefton.gov.uk."."""
    said: list[str] = []
    for door in dict.fromkeys(AREA_DOOR[c] for c in categories if c in AREA_DOOR):
        record = (safeguarding or {}).get(door) or {}
        if not record.get("name"):
            continue
        how = ", ".join(x for x in (record.get("phone"), record.get("web")) if x)
        hours = f" ({record['hours']})" if record.get("hours") else ""
        said.append(f"{AREA_DOOR_FOR[door]}: {record['name']}{', ' + how if how else ''}{hours}.")
    return said


def routes_text(categories: Sequence[Category], text: str, safeguarding: Optional[dict[str, Any]] = None,
                now: Optional[dt.datetime] = None) -> str:
    """The routes for these kinds of risk, in plain words, most urgent first."""
    now = (now or dt.datetime.now(dt.timezone.utc)).astimezone(LONDON)
    child = writer_is_a_child(text)
    first = next((FIRST[c] for c in (C.IMMEDIATE_DANGER, C.SUICIDE_SELF_HARM, C.DOMESTIC_ABUSE) if c in categories),
                 NINE_NINE_NINE)
    lines = national_lines(categories, child)
    if child:
        first += " You can also tell an adult you trust, like a teacher."
    body = [first] + [f"- {line.said(now)}" for line in lines]
    body += [f"- {door}" for door in area_doors(safeguarding or {}, categories)]
    if not any(line.hours is None for line in lines):
        # Every line named may be closed at this hour: one that never closes is always there too.
        body.append(f"- {SAMARITANS.said(now)}")
    return "\n".join(body)
