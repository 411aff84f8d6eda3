"""Search the directory on the resident's own words, with the need, place, time, age and cost known.

``search(db, text=..., need=..., near=..., when=..., age=..., free_only=...)`` answers "breastfeeding
support in Bootle" or "what's on for toddlers near L20 tomorrow?" with ranked services: nearest venue and
its distance, the next sessions (real dates and times in Europe/London), cost, how to get it and
contacts. Relevance comes first (``knowledge.ranking``: words, meaning, need and name together); among
the services about equally relevant, the nearer and the sooner come first, and services for the whole
area (a phone line) follow the venues close by. When nothing is relevant the result is empty: the
answer says what was searched, never padded with unrelated services.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Optional, Union

import numpy as np
from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from knowledge.geography.places import Place, place_from_point, resolve_place
from knowledge.models import Area, Contact, CostOption, Location, Organisation, Schedule, SearchPoint, Service
from knowledge.ranking import index as directory_index
from knowledge.ranking.relevance import DEFAULT, Query, Weights, named as named_mask, relevant, score
from knowledge.schedules import Occurrence, WeeklySession, describe, holiday_dates, occurrences
from knowledge.text import forms
from knowledge.vocabulary import match_needs, need_name, resolve_need
from knowledge.when import TimeWindow, default_window, now_london, parse_when

Db = Union[Session, Connection]
AREA_WIDE_BAND = 1
AREA_WIDE_BAND_TIMED = 5
#: Services whose scores are this close to the best count as equally relevant: distance decides.
EQUALLY_RELEVANT = 0.25
MILES_PER_DEGREE_LAT = 69.0
ACCESS_WORDS = {
    "drop_in": "Just turn up",
    "self_referral": "Get in touch to refer yourself",
    "booking": "Book a place first",
    "professional_referral": "Ask a professional (GP, health visitor, school or social worker) to refer you",
}


@dataclass
class Venue:
    id: str
    name: str
    address: Optional[str]
    town: Optional[str]
    postcode: Optional[str]
    latitude: Optional[float]
    longitude: Optional[float]
    illustrative: bool


@dataclass
class ServiceResult:
    id: str
    name: str
    description: Optional[str]
    organisation: Optional[str]
    area_id: str
    needs: list[str]
    venue: Optional[Venue]
    distance_miles: Optional[float]
    next_sessions: list[str]
    sessions: list[Occurrence]
    is_free: bool
    cost: str
    access: list[str]
    how_to_get_it: str
    phone: Optional[str]
    email: Optional[str]
    web: Optional[str]
    area_wide: bool
    coverage: Optional[str]  # "Covers all of Sefton (phone or online)" for area-wide services
    minimum_age: Optional[int]
    maximum_age: Optional[int]
    illustrative: bool  # venue or times come from a data pack, not a council's verified directory

    def as_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k != "sessions"}
        data["venue"] = self.venue.__dict__ if self.venue else None
        data["sessions"] = [{"starts": o.starts.isoformat(), "ends": o.ends.isoformat(), "location_id": o.location_id}
                            for o in self.sessions]
        return data


@dataclass
class SearchResult:
    need: Optional[str]
    place: Optional[Place]
    window: Optional[TimeWindow]
    age: Optional[int]
    free_only: bool
    text: Optional[str]
    results: list[ServiceResult] = field(default_factory=list)
    more: bool = False
    named: list[str] = field(default_factory=list)  # ids of services the resident named
    searched: str = ""  # what was searched, in words
    problem: Optional[str] = None  # why the question could not be searched as asked

    @property
    def found(self) -> bool:
        return bool(self.results)

    def message(self) -> str:
        if self.problem:
            return self.problem
        if not self.results:
            return f"I couldn't find any {self.searched}."
        return f"Here is what I found: {self.searched}."

    def as_dict(self) -> dict[str, Any]:
        return {
            "need": self.need,
            "place": self.place.__dict__ if self.place else None,
            "when": self.window.label if self.window else None,
            "age": self.age,
            "free_only": self.free_only,
            "text": self.text,
            "searched": self.searched,
            "message": self.message(),
            "more": self.more,
            "named": self.named,
            "results": [r.as_dict() for r in self.results],
        }


@dataclass
class _Candidate:
    service_id: str
    location_id: Optional[str]
    distance: Optional[float]
    score: float
    area_wide: bool
    area_id: str


WINDOW_PHRASES = {"mornings": "in the mornings", "afternoons": "in the afternoons", "evenings": "in the evenings"}


def when_phrase(window: TimeWindow) -> str:
    """"on Saturday", "tomorrow", "in the mornings": a window's label as it reads in a sentence."""
    label = window.label
    if label in WINDOW_PHRASES:
        return WINDOW_PHRASES[label]
    if label.split()[0] in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"):
        return f"on {label}"
    return label


def age_phrase(age: int) -> str:
    if age == 0:
        return "for a baby"
    article = "an" if str(age).startswith("8") or age in (11, 18) else "a"
    return f"for {article} {age}-year-old"


def describe_search(topic: str, place: Optional[Place], window: Optional[TimeWindow], age: Optional[int],
                    free_only: bool) -> str:
    """"free breastfeeding support near Bootle on Saturday for a 2-year-old": what was searched, in words."""
    what = ("free " if free_only and not topic.startswith("free ") else "") + topic
    if place:
        what += f" near {place.name}"
    if window:
        what += f" {when_phrase(window)}"
    if age is not None:
        what += f" {age_phrase(age)}"
    return what


#: How a question opens ("is there a", "where can I get"): not repeated back as what was searched.
_QUESTION_OPENING = re.compile(r"^(any|some|is there( a| an| any)?|are there( any)?|where can i (get|find)( a| an| some)?|"
                               r"where('s| is)( a| an| the)?|i need( a| an| some)?|i want( a| an| some)?|"
                               r"looking for( a| an| some)?|what'?s on( for)?)\s+", re.IGNORECASE)


def _topic(need: Optional[str], text: Optional[str],
           index: Optional[directory_index.DirectoryIndex] = None) -> str:
    """The resident's words when they read as the name of a kind of service ("breastfeeding support",
    "toddler groups": short, and every word one the directory uses, or there is no need to name), else the
    need's name ("im skint" is searched as debt and money)."""
    words = _QUESTION_OPENING.sub("", text.strip(" ?!.")).strip() if text else ""
    terms = forms(words) if words else []
    if terms and len(words.split()) <= 5 and (need is None or index is None or
                                              all(own in index.postings for own, _ in terms)):
        return words.lower()
    if need:
        return need_name(need).lower()
    return "things to do" if not text else "services for what you asked"


def _place(near: Union[None, str, Place, tuple[float, float]]) -> Optional[Place]:
    if near is None or isinstance(near, Place):
        return near
    if isinstance(near, tuple):
        return place_from_point(*near)
    return resolve_place(near)


def _band(distance: Optional[float]) -> int:
    """Distance bands within which a better match outranks a slightly nearer venue."""
    if distance is None:
        return 0  # no place given: venues are all alike
    for band, limit in enumerate((1.0, 3.0, 6.0, 10.0)):
        if distance <= limit:
            return band
    return 4


def _eligible(index: directory_index.DirectoryIndex, area_id: Optional[str], age: Optional[int],
              free_only: bool) -> np.ndarray:
    mask = np.ones(index.size, dtype=bool)
    if area_id:
        code = index.area_code(area_id)
        mask &= index.area == (code if code is not None else -1)
    if age is not None:
        mask &= (index.minimum_age <= age) & (index.maximum_age >= age)
    if free_only:
        mask &= index.is_free
    return mask


def _ranked_services(index: directory_index.DirectoryIndex, query: Query, eligible: np.ndarray,
                     weights: Weights) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """(relevant service indexes best first, their scores, the named ones among them)."""
    scores = score(index, query, weights)
    if query.has_words:
        chosen = relevant(scores, eligible, weights)
    elif query.needs:
        chosen = np.flatnonzero(eligible & (scores.need > 0))
        chosen = chosen[np.argsort(-scores.need[chosen], kind="stable")]
    else:
        chosen = np.flatnonzero(eligible)  # "what's on": everything, nearest and soonest first
    named = [int(i) for i in chosen if scores.named[i]]
    return chosen, scores.total[chosen] if query.has_words else scores.need[chosen], named


def _candidates(index: directory_index.DirectoryIndex, chosen: np.ndarray, chosen_scores: np.ndarray,
                named: list[int], place: Optional[Place], mask: int, timed: bool) -> list[_Candidate]:
    """Every venue of the chosen services (and the area-wide ones), in the order they should be tried."""
    if not len(chosen):
        return []
    best = float(chosen_scores.max())
    tier_of = {int(i): (0 if int(i) in named else 1 + int((best - s) / EQUALLY_RELEVANT))
               for i, s in zip(chosen, chosen_scores)}
    score_of = {int(i): float(s) for i, s in zip(chosen, chosen_scores)}
    keep = np.zeros(index.size, dtype=bool)
    keep[chosen] = True
    points = np.flatnonzero(keep[index.point_service])
    if mask:
        points = points[(index.point_days[points] & mask) != 0]
    distances = None
    if place is not None and len(points):
        dlat = (index.point_lat[points] - place.latitude) * MILES_PER_DEGREE_LAT
        dlon = (index.point_lon[points] - place.longitude) * MILES_PER_DEGREE_LAT * np.cos(np.radians(place.latitude))
        distances = np.sqrt(dlat * dlat + dlon * dlon)
    found: list[tuple[tuple, _Candidate]] = []
    for n, p in enumerate(points):
        i = int(index.point_service[p])
        distance = float(distances[n]) if distances is not None else None
        candidate = _Candidate(index.ids[i], index.point_location[p], distance, score_of[i], False,
                               index.areas[index.area[i]])
        found.append(((tier_of[i], _band(distance), -score_of[i], distance or 0.0, candidate.service_id), candidate))
    for i in chosen[index.area_wide[chosen]]:
        i = int(i)
        candidate = _Candidate(index.ids[i], None, None, score_of[i], True, index.areas[index.area[i]])
        band = AREA_WIDE_BAND_TIMED if timed else (AREA_WIDE_BAND if place is not None else 0)
        found.append(((tier_of[i], band, -score_of[i], 0.0, candidate.service_id), candidate))
    found.sort(key=lambda item: item[0])
    return [c for _, c in found]


def _schedules(db: Db, service_ids: list[str]) -> dict[str, list[WeeklySession]]:
    s = Schedule
    query = select(s.service_id, s.weekday, s.opens_at, s.closes_at, s.valid_from, s.valid_to, s.term_time_only,
                   s.location_id).where(s.service_id.in_(service_ids))
    found: dict[str, list[WeeklySession]] = {}
    for row in db.execute(query):
        found.setdefault(row.service_id, []).append(
            WeeklySession(row.weekday, row.opens_at, row.closes_at, row.valid_from, row.valid_to, row.term_time_only,
                          row.location_id))
    return found


def _holidays(db: Db, area_ids: set[str]) -> dict[str, list[tuple[dt.date, dt.date]]]:
    query = select(Area.id, Area.school_holidays).where(Area.id.in_(sorted(area_ids)))
    return {aid: holiday_dates(h) for aid, h in db.execute(query)}


def _pick(db: Db, candidates: list[_Candidate], window: TimeWindow, require_session: bool, now: dt.datetime,
          wanted: int) -> list[tuple[_Candidate, list[Occurrence]]]:
    """The first ``wanted`` services (best venue each) that qualify, with their next sessions."""
    chosen: list[tuple[_Candidate, list[Occurrence]]] = []
    seen: set[str] = set()
    holidays = _holidays(db, {c.area_id for c in candidates}) if candidates else {}
    start = 0
    while start < len(candidates) and len(chosen) < wanted:
        batch = candidates[start : start + max(wanted * 3, 30)]
        start += len(batch)
        sessions = _schedules(db, sorted({c.service_id for c in batch if c.service_id not in seen}))
        for candidate in batch:
            if candidate.service_id in seen:
                continue
            venue_sessions = [s for s in sessions.get(candidate.service_id, [])
                              if candidate.location_id is None or s.location_id == candidate.location_id]
            upcoming = occurrences(venue_sessions, window, now, holidays.get(candidate.area_id, []))
            if require_session and not candidate.area_wide and not upcoming:
                continue
            seen.add(candidate.service_id)
            chosen.append((candidate, upcoming))
            if len(chosen) >= wanted:
                break
    return chosen


def _details(db: Db, picked: list[tuple[_Candidate, list[Occurrence]]], now: dt.datetime) -> list[ServiceResult]:
    ids = [c.service_id for c, _ in picked]
    services: dict[str, Any] = {}
    # One row per service, contact and cost option (rarely more than one of each): the first of each wins.
    for row in db.execute(
            select(Service.id, Service.name, Service.description, Service.area_id, Service.url, Service.email,
                   Service.minimum_age, Service.maximum_age, Service.access, Service.is_free, Service.area_wide,
                   Organisation.name.label("organisation"), Organisation.phone.label("org_phone"),
                   Area.name.label("area_name"), Contact.phone.label("contact_phone"),
                   Contact.email.label("contact_email"), CostOption.amount_description)
            .join(Area, Area.id == Service.area_id)
            .outerjoin(Organisation, Organisation.id == Service.organisation_id)
            .outerjoin(Contact, Contact.service_id == Service.id)
            .outerjoin(CostOption, CostOption.service_id == Service.id)
            .where(Service.id.in_(ids)).order_by(Service.id, Contact.id, CostOption.id)):
        services.setdefault(row.id, row)
    needs: dict[str, list[str]] = {}
    for sid, need in db.execute(select(SearchPoint.service_id, SearchPoint.need_id)
                                .where(SearchPoint.service_id.in_(ids)).distinct()):
        needs.setdefault(sid, []).append(need)
    venue_ids = [c.location_id for c, _ in picked if c.location_id]
    venues = {
        row.id: Venue(row.id, row.name, row.address_1, row.city, row.postal_code, row.latitude, row.longitude,
                      row.illustrative)
        for row in db.execute(select(Location.id, Location.name, Location.address_1, Location.city, Location.postal_code,
                                          Location.latitude, Location.longitude, Location.illustrative)
                                   .where(Location.id.in_(venue_ids)))
    } if venue_ids else {}

    results = []
    for candidate, upcoming in picked:
        svc = services[candidate.service_id]
        venue = venues.get(candidate.location_id) if candidate.location_id else None
        cost_text = "Free" if svc.is_free else (svc.amount_description or "A charge applies")
        results.append(ServiceResult(
            id=svc.id, name=svc.name, description=svc.description, organisation=svc.organisation, area_id=svc.area_id,
            needs=sorted(needs.get(svc.id, [])), venue=venue,
            distance_miles=round(candidate.distance, 1) if candidate.distance is not None else None,
            next_sessions=[describe(o, now) for o in upcoming], sessions=upcoming, is_free=svc.is_free,
            cost=cost_text, access=list(svc.access or []),
            how_to_get_it="; ".join(ACCESS_WORDS[a] for a in svc.access or [] if a in ACCESS_WORDS) or
            "Get in touch to ask",
            phone=svc.contact_phone or svc.org_phone,
            email=svc.contact_email or svc.email,
            web=svc.url,
            area_wide=bool(svc.area_wide),
            coverage=f"Covers all of {svc.area_name} (phone, online or comes to you)" if svc.area_wide else None,
            minimum_age=svc.minimum_age, maximum_age=svc.maximum_age,
            illustrative=bool(venue and venue.illustrative),
        ))
    return results


def search(
    db: Db,
    need: Optional[str] = None,
    near: Union[None, str, Place, tuple[float, float]] = None,
    when: Union[None, str, TimeWindow] = None,
    age: Optional[int] = None,
    free_only: bool = False,
    text: Optional[str] = None,
    limit: int = 3,
    offset: int = 0,
    area: Optional[str] = None,
    now: Optional[dt.datetime] = None,
    weights: Weights = DEFAULT,
) -> SearchResult:
    """Ranked services for the question; see the module docstring. ``offset`` pages through ("more")."""
    if isinstance(db, Session):
        db = db.connection()  # plain Core rows: the ORM adds nothing here but time
    now = now or now_london()
    need_id = resolve_need(need) if need else None
    place = _place(near)
    window = parse_when(when, now) if isinstance(when, str) else when
    text = (text or "").strip() or None
    result = SearchResult(need_id, place, window, age, free_only, text)
    result.searched = describe_search(_topic(need_id, text), place, window, age, free_only)
    if need and not need_id:
        result.problem = f"I don't know the need \u201c{need}\u201d."
        return result
    if near is not None and place is None:
        result.problem = f"I couldn't find \u201c{near}\u201d in the areas I cover."
        return result
    if place and place.area_id is None:
        result.problem = f"{place.name} is outside the areas I cover."
        return result
    if isinstance(when, str) and window is None:
        result.problem = f"I didn't understand \u201c{when}\u201d as a time."
        return result

    index = directory_index.current(db)
    result.searched = describe_search(_topic(need_id, text, index), place, window, age, free_only)
    words = forms(text) if text else []
    vector = None
    if words and weights.meaning:
        from knowledge.embedding import encode_shared

        vector = encode_shared([text])[0]
    said_needs = match_needs(text or "")
    query = Query(words, vector, [n for n in dict.fromkeys([need_id, *said_needs]) if n], said_needs)
    eligible = _eligible(index, place.area_id if place else area, age, free_only)
    chosen, chosen_scores, named = _ranked_services(index, query, eligible, weights)
    result.named = [index.ids[i] for i in named]
    timed = window is not None
    candidates = _candidates(index, chosen, chosen_scores, named, place, window.weekdays_mask() if window else 0, timed)
    wanted = offset + limit + 1
    picked = _pick(db, candidates, window or default_window(now), timed, now, wanted)
    result.more = len(picked) > offset + limit
    page = picked[offset : offset + limit]
    result.results = _details(db, page, now) if page else []
    return result


def named_services(db: Db, text: Optional[str], area: Optional[str] = None) -> list[str]:
    """Ids of the services the text names ("is Bookstart free?", "fit and fed"), in the area if given."""
    if isinstance(db, Session):
        db = db.connection()
    words = forms(text) if text else []
    if not words:
        return []
    index = directory_index.current(db)
    found = named_mask(index, words, DEFAULT) & _eligible(index, area, None, False)
    return [index.ids[i] for i in np.flatnonzero(found)]


def lookup(db: Db, service_ids: list[str], near: Union[None, str, Place] = None, when: Union[None, str] = None,
           now: Optional[dt.datetime] = None) -> list[ServiceResult]:
    """The services by id, in that order, each at its nearest venue (or its first) with its next sessions:
    for answering about a service already shown or named, whatever a new search would rank."""
    if isinstance(db, Session):
        db = db.connection()
    now = now or now_london()
    index = directory_index.current(db)
    position = {sid: n for n, sid in enumerate(index.ids)}
    chosen = np.array([position[sid] for sid in service_ids if sid in position], dtype=np.int64)
    if not len(chosen):
        return []
    place = _place(near) if near is not None else None
    window = parse_when(when, now) if when else None
    candidates = _candidates(index, chosen, np.zeros(len(chosen), np.float32), [int(i) for i in chosen], place, 0,
                             False)
    order = {sid: n for n, sid in enumerate(service_ids)}
    candidates.sort(key=lambda c: order.get(c.service_id, len(order)))  # stable: nearest venue first within each
    picked = _pick(db, candidates, window or default_window(now), False, now, len(chosen))
    return _details(db, picked, now)
