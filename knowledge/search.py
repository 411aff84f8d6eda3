"""Search the directory by need, place, time, age, cost and free text.

``search(db, need=..., near=..., when=..., age=..., free_only=..., text=...)`` answers "what's on for
toddlers near L20 tomorrow?" with ranked services: nearest venue and its distance, the next sessions
(real dates and times in Europe/London), cost, how to get it and contacts. Candidates come from the
indexed ``search_point`` table inside a bounding box that widens only until enough are found, so the
cost stays nearly flat as the directory grows. Services for the whole area (a phone line) follow the
local ones, labelled as such. When nothing matches, the answer says what was searched and nothing else.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Optional, Union

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from knowledge.geography.distance import bounding_box, miles_between
from knowledge.geography.places import Place, place_from_point, resolve_place
from knowledge.models import Area, Contact, CostOption, Location, Organisation, Schedule, SearchPoint, Service, ServiceTerm
from knowledge.schedules import Occurrence, WeeklySession, describe, holiday_dates, occurrences
from knowledge.text import terms
from knowledge.vocabulary import match_needs, need_name, resolve_need
from knowledge.when import TimeWindow, default_window, now_london, parse_when

Db = Union[Session, Connection]
RADII_MILES = (2.0, 5.0, 10.0, 20.0)
MAIN_NEED_BONUS = 2
AREA_WIDE_BAND = 1
AREA_WIDE_BAND_TIMED = 5
UNPLACED_TEXT_CANDIDATES = 2000
CANDIDATES_PER_STEP = 400
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
            "results": [r.as_dict() for r in self.results],
        }


@dataclass
class _Candidate:
    service_id: str
    location_id: Optional[str]
    distance: Optional[float]
    score: int
    area_wide: bool
    area_id: str


def _describe_search(need: Optional[str], text: Optional[str], place: Optional[Place], window: Optional[TimeWindow],
                     age: Optional[int], free_only: bool) -> str:
    what = f"services for {need_name(need).lower()}" if need else "services"
    if text:
        what += f" matching \u201c{text}\u201d"
    if free_only:
        what = "free " + what
    if place:
        what += f" near {place.name}"
    if window:
        what += f" {window.label}"
    if age is not None:
        what += f" for age {age}"
    return what


def _place(near: Union[None, str, Place, tuple[float, float]]) -> Optional[Place]:
    if near is None or isinstance(near, Place):
        return near
    if isinstance(near, tuple):
        return place_from_point(*near)
    return resolve_place(near)


def _filters(need: Union[None, str, list[str]], area_id: Optional[str], age: Optional[int], free_only: bool,
             text_services: Optional[Any]) -> list[Any]:
    sp = SearchPoint
    clauses: list[Any] = []
    if isinstance(need, list):
        clauses.append(sp.need_id.in_(need))
    elif need:
        clauses.append(sp.need_id == need)
    if area_id:
        clauses.append(sp.area_id == area_id)
    if age is not None:
        clauses.append(or_(sp.minimum_age.is_(None), sp.minimum_age <= age))
        clauses.append(or_(sp.maximum_age.is_(None), sp.maximum_age >= age))
    if free_only:
        clauses.append(sp.is_free.is_(True))
    if text_services is not None:
        clauses.append(sp.service_id.in_(text_services))
    return clauses


def _enough_terms(words: list[str]) -> int:
    """How many of the distinct words a service must contain: at least half of them."""
    return (len(set(words)) + 1) // 2


def _text_scores(db: Db, words: list[str], service_ids: list[str]) -> dict[str, int]:
    """How well each of the given services matches the words: a word in the name counts three, in the
    description one."""
    if not words or not service_ids:
        return {}
    query = (select(ServiceTerm.service_id, func.sum(ServiceTerm.weight))
             .where(ServiceTerm.term.in_(sorted(set(words))), ServiceTerm.service_id.in_(service_ids))
             .group_by(ServiceTerm.service_id))
    return {sid: int(score) for sid, score in db.execute(query)}


def _text_subquery(words: list[str]) -> Any:
    """The services ``_text_scores`` finds, as a subquery (a long IN list would be slower)."""
    return (select(ServiceTerm.service_id).where(ServiceTerm.term.in_(sorted(set(words))))
            .group_by(ServiceTerm.service_id).having(func.count() >= _enough_terms(words)))


def _local_candidates(db: Db, place: Place, clauses: list[Any], mask: int, wanted: int) -> list[_Candidate]:
    """(service, venue) pairs within reach of ``place``, nearest first, widening the box as needed."""
    sp = SearchPoint
    best: dict[tuple[str, str], _Candidate] = {}
    for radius in RADII_MILES:
        lat_lo, lat_hi, lon_lo, lon_hi = bounding_box(place.latitude, place.longitude, radius)
        query = (
            select(sp.service_id, sp.location_id, sp.latitude, sp.longitude, sp.need_rank, sp.area_id)
            .where(sp.latitude.between(lat_lo, lat_hi), sp.longitude.between(lon_lo, lon_hi), sp.area_wide.is_(False),
                   *clauses)
        )
        if mask:
            query = query.where(sp.days_mask.op("&")(mask) != 0)
        best.clear()
        for sid, lid, lat, lon, need_rank, area_id in db.execute(query):
            distance = miles_between(place.latitude, place.longitude, lat, lon)
            if distance <= radius:
                score = _need_score(need_rank)
                if (sid, lid) not in best or best[(sid, lid)].score < score:
                    best[(sid, lid)] = _Candidate(sid, lid, distance, score, False, area_id)
        if len({c.service_id for c in best.values()}) >= wanted:
            break
    return list(best.values())


def _need_score(need_rank: int) -> int:
    """A bonus when the need searched is the service's main need (text scores are added later)."""
    return MAIN_NEED_BONUS if need_rank == 0 else 0


def _rank(candidates: list[_Candidate], timed: bool) -> list[_Candidate]:
    """Nearest band first; within a band, the better match; then the nearer. A service for the whole
    area (phone, online, outreach) counts as close by, after the venues within walking distance; but
    when a time was asked for, sessions on at that time come first."""
    def key(c: _Candidate) -> tuple:
        band = (AREA_WIDE_BAND_TIMED if timed else AREA_WIDE_BAND) if c.area_wide else _band(c.distance)
        return (band, -c.score, c.distance if c.distance is not None else 0.0, c.service_id)

    return sorted(candidates, key=key)


def _band(distance: Optional[float]) -> int:
    """Distance bands within which a better text match outranks a slightly nearer venue."""
    if distance is None:
        return 0  # no place given: venues are all alike
    for band, limit in enumerate((1.0, 3.0, 6.0, 10.0)):
        if distance <= limit:
            return band
    return 4


def _unplaced_candidates(db: Db, clauses: list[Any], mask: int, limit: int) -> list[_Candidate]:
    sp = SearchPoint
    query = select(sp.service_id, sp.location_id, func.min(sp.need_rank), sp.area_id)
    query = query.where(sp.area_wide.is_(False), *clauses).group_by(sp.service_id, sp.location_id, sp.area_id)
    if mask:
        query = query.where(sp.days_mask.op("&")(mask) != 0)
    query = query.order_by(sp.service_id).limit(limit)
    return [_Candidate(sid, lid, None, _need_score(rank), False, area)
            for sid, lid, rank, area in db.execute(query)]


def _area_wide_candidates(db: Db, area_id: Optional[str], clauses: list[Any]) -> list[_Candidate]:
    sp = SearchPoint
    query = select(sp.service_id, func.min(sp.need_rank), sp.area_id).where(sp.area_wide.is_(True), *clauses)
    if area_id:
        query = query.where(sp.area_id == area_id)
    query = query.group_by(sp.service_id, sp.area_id)
    return [_Candidate(sid, None, None, _need_score(rank), True, area)
            for sid, rank, area in db.execute(query)]


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
    result.searched = _describe_search(need_id, text, place, window, age, free_only)
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

    words = terms(text) if text else []
    # Words that name a need ("debt advice", "skint") search that need, ranked by the words; other
    # words must appear in the service's own name or description.
    hints = match_needs(text) if text and not need_id else []
    text_services = _text_subquery(words) if text and not hints else None
    area_id = place.area_id if place else area
    clauses = _filters(hints or need_id, area_id, age, free_only, text_services)
    mask = window.weekdays_mask() if window else 0
    wanted = offset + limit + 1

    if place:
        local = _local_candidates(db, place, clauses, mask, wanted)
    else:
        local = _unplaced_candidates(db, clauses, mask, UNPLACED_TEXT_CANDIDATES if words else wanted * 10)
    area_wide = _area_wide_candidates(db, area_id, clauses) if (need_id or text) else []
    if words:
        candidates = local + area_wide
        scores: dict[str, int] = {}
        ids = sorted({c.service_id for c in candidates})
        for start in range(0, len(ids), 500):
            scores.update(_text_scores(db, words, ids[start : start + 500]))
        for candidate in candidates:
            candidate.score += scores.get(candidate.service_id, 0)
    picked = _pick(db, _rank(local + area_wide, window is not None), window or default_window(now), window is not None, now, wanted)
    result.more = len(picked) > offset + limit
    page = picked[offset : offset + limit]
    result.results = _details(db, page, now) if page else []
    return result
