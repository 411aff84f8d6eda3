"""The directory held in memory for ranking: each service's filters, words, embedding and venues as arrays.

Built from the derived tables (``service_term``, ``service_vector``, ``search_point``) the first time a
process searches, and again only when ``directory_version`` moves, so a search reads no rows to rank:
it scores every service of the area at once in NumPy, then fetches details for the few it shows.
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Optional, Union

import numpy as np
from sqlalchemy import select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from knowledge.models import DirectoryVersion, SearchPoint, Service, ServiceNeed, ServiceTerm, ServiceVector

Db = Union[Session, Connection]
NO_AGE_LIMIT_LOW, NO_AGE_LIMIT_HIGH = -1, 999


@dataclass
class Postings:
    """The services a term occurs in, with its field-weighted count in each."""

    services: np.ndarray  # int32 indexes into DirectoryIndex.ids
    weights: np.ndarray  # float32

    @property
    def df(self) -> int:
        return len(self.services)


@dataclass
class DirectoryIndex:
    serial: int
    ids: list[str]
    position: dict[str, int]
    names: list[str]
    area: np.ndarray  # int16 code into ``areas``
    areas: list[str]
    minimum_age: np.ndarray  # int16, NO_AGE_LIMIT_LOW when none
    maximum_age: np.ndarray  # int16, NO_AGE_LIMIT_HIGH when none
    is_free: np.ndarray  # bool
    area_wide: np.ndarray  # bool
    needs: dict[str, tuple[np.ndarray, np.ndarray]]  # need id -> (service indexes, rank)
    postings: dict[str, Postings]
    lengths: np.ndarray  # float32 field-weighted words per service
    vectors: np.ndarray  # float32 (services, dim), zero rows for services without one
    name_terms: list[tuple[str, ...]]  # own forms of each service's name
    # Venues: one row per (service, location) with coordinates and the weekdays it meets there.
    point_service: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    point_location: list[str] = field(default_factory=list)
    point_lat: np.ndarray = field(default_factory=lambda: np.zeros(0))
    point_lon: np.ndarray = field(default_factory=lambda: np.zeros(0))
    point_days: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))

    @property
    def size(self) -> int:
        return len(self.ids)

    @property
    def average_length(self) -> float:
        return float(self.lengths.mean()) if self.size else 1.0

    def idf(self, term: str) -> float:
        """BM25's inverse document frequency; a word no service has gets the most."""
        postings = self.postings.get(term)
        df = postings.df if postings else 0
        return math.log(1.0 + (self.size - df + 0.5) / (df + 0.5))

    def area_code(self, area_id: Optional[str]) -> Optional[int]:
        return self.areas.index(area_id) if area_id in self.areas else None


def _connection(db: Db) -> Connection:
    return db.connection() if isinstance(db, Session) else db


def stored_serial(db: Db) -> int:
    return _connection(db).execute(select(DirectoryVersion.serial).where(DirectoryVersion.id == 1)).scalar() or 0


def build(db: Db) -> DirectoryIndex:
    """Read the whole derived index from the database."""
    conn = _connection(db)
    serial = stored_serial(conn)
    rows = conn.execute(select(Service.id, Service.name, Service.area_id, Service.minimum_age, Service.maximum_age,
                               Service.is_free, Service.area_wide).order_by(Service.id)).all()
    ids = [r.id for r in rows]
    position = {sid: i for i, sid in enumerate(ids)}
    areas = sorted({r.area_id for r in rows})
    n = len(ids)
    from knowledge.text import forms_of_many

    index = DirectoryIndex(
        serial=serial, ids=ids, position=position, names=[r.name for r in rows],
        area=np.array([areas.index(r.area_id) for r in rows], dtype=np.int16), areas=areas,
        minimum_age=np.array([NO_AGE_LIMIT_LOW if r.minimum_age is None else r.minimum_age for r in rows], np.int16),
        maximum_age=np.array([NO_AGE_LIMIT_HIGH if r.maximum_age is None else r.maximum_age for r in rows], np.int16),
        is_free=np.array([bool(r.is_free) for r in rows], dtype=bool),
        area_wide=np.array([bool(r.area_wide) for r in rows], dtype=bool),
        needs={}, postings={}, lengths=np.zeros(n, np.float32), vectors=np.zeros((n, 0), np.float32),
        name_terms=[tuple(own for own, _ in words) for words in forms_of_many(r.name for r in rows)],
    )
    by_need: dict[str, tuple[list[int], list[int]]] = {}
    for sid, need, rank in conn.execute(select(ServiceNeed.service_id, ServiceNeed.need_id, ServiceNeed.rank)):
        if sid in position:
            services, ranks = by_need.setdefault(need, ([], []))
            services.append(position[sid])
            ranks.append(rank)
    index.needs = {need: (np.array(s, np.int32), np.array(r, np.int16)) for need, (s, r) in by_need.items()}

    by_term: dict[str, tuple[list[int], list[float]]] = {}
    for term, sid, weight in conn.execute(select(ServiceTerm.term, ServiceTerm.service_id, ServiceTerm.weight)):
        i = position.get(sid)
        if i is None:
            continue
        services, weights = by_term.setdefault(term, ([], []))
        services.append(i)
        weights.append(weight)
        if not term.startswith("~"):
            index.lengths[i] += weight
    index.postings = {t: Postings(np.array(s, np.int32), np.array(w, np.float32)) for t, (s, w) in by_term.items()}

    vectors: Optional[np.ndarray] = None
    for sid, blob in conn.execute(select(ServiceVector.service_id, ServiceVector.vector)):
        vector = np.frombuffer(blob, dtype=np.float32)
        if vectors is None:
            vectors = np.zeros((n, len(vector)), np.float32)
        if sid in position:
            vectors[position[sid]] = vector
    if vectors is not None:
        index.vectors = vectors

    seen: dict[tuple[str, str], int] = {}
    p_service: list[int] = []
    p_lat: list[float] = []
    p_lon: list[float] = []
    p_days: list[int] = []
    for sid, lid, lat, lon, days in conn.execute(
            select(SearchPoint.service_id, SearchPoint.location_id, SearchPoint.latitude, SearchPoint.longitude,
                   SearchPoint.days_mask).where(SearchPoint.location_id.isnot(None))):
        if sid not in position or (sid, lid) in seen:
            continue
        seen[(sid, lid)] = len(p_service)
        p_service.append(position[sid])
        index.point_location.append(lid)
        p_lat.append(lat)
        p_lon.append(lon)
        p_days.append(days)
    index.point_service = np.array(p_service, np.int32)
    index.point_lat = np.array(p_lat, np.float64)
    index.point_lon = np.array(p_lon, np.float64)
    index.point_days = np.array(p_days, np.int32)
    return index


_cache: dict[str, DirectoryIndex] = {}
_lock = threading.Lock()


def current(db: Db) -> DirectoryIndex:
    """The index for this database, rebuilt when the directory changed since it was read."""
    conn = _connection(db)
    key = str(conn.engine.url)
    serial = stored_serial(conn)
    cached = _cache.get(key)
    if cached is not None and cached.serial == serial:
        return cached
    with _lock:
        cached = _cache.get(key)
        if cached is None or cached.serial != serial:
            cached = build(conn)
            _cache[key] = cached
        return cached
