"""The offline gazetteer: each area's localities, towns and postcode districts with centroids.

``resolve_place`` turns what a resident wrote ("Bootle", "l20", "L20 3NJ", "north", a location pin)
into a point with the area it belongs to, using the best point known: a full postcode's own
coordinates when a postcodes.io-compatible service is configured, else its district's centre.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional

import yaml

from knowledge.geography.distance import miles_between
from knowledge.geography.postcode_lookup import lookup_postcode
from knowledge.geography.postcodes import district_of, find_district, find_postcode

GEOGRAPHY_DIR = Path(__file__).resolve().parent.parent / "data" / "geography"
# A shared location pin, written "53.4466,-2.9912" (as channels pass it on).
_PIN = re.compile(r"^\s*(-?\d{1,2}\.\d+)\s*,\s*(-?\d{1,3}\.\d+)\s*$")


@dataclass(frozen=True)
class Town:
    name: str
    area_id: str
    locality: str
    latitude: float
    longitude: float
    districts: tuple[str, ...]
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class District:
    code: str
    area_id: str
    latitude: float
    longitude: float
    towns: tuple[str, ...]


@dataclass(frozen=True)
class AreaGeography:
    area_id: str
    localities: tuple[tuple[str, tuple[str, ...]], ...]  # (locality, its towns)
    towns: tuple[Town, ...]
    districts: tuple[District, ...]

    def centre(self, town_names: Optional[tuple[str, ...]] = None) -> tuple[float, float]:
        chosen = [t for t in self.towns if town_names is None or t.name in town_names]
        return (
            sum(t.latitude for t in chosen) / len(chosen),
            sum(t.longitude for t in chosen) / len(chosen),
        )


@dataclass(frozen=True)
class Place:
    """Where a resident is, as precisely as we know it."""

    name: str  # what to call it back to the resident: "Bootle", "L20 3NJ", "your location"
    kind: str  # postcode | district | town | locality | area | point
    latitude: float
    longitude: float
    area_id: Optional[str]  # None when the place is outside every area we hold
    locality: Optional[str] = None
    postcode: Optional[str] = None
    precise: bool = False  # True when the point is the place itself, not a district or town centre


def _load(path: Path) -> AreaGeography:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    area_id = data["area"]
    localities = tuple((loc["name"], tuple(loc["towns"])) for loc in data["localities"])
    towns = tuple(
        Town(
            name=t["name"],
            area_id=area_id,
            locality=t["locality"],
            latitude=float(t["latitude"]),
            longitude=float(t["longitude"]),
            districts=tuple(t.get("districts") or ()),
            aliases=tuple(a.lower() for a in t.get("aliases") or ()),
        )
        for t in data["towns"]
    )
    districts = tuple(
        District(d["code"].upper(), area_id, float(d["latitude"]), float(d["longitude"]), tuple(d.get("towns") or ()))
        for d in data["districts"]
    )
    return AreaGeography(area_id, localities, towns, districts)


@lru_cache(maxsize=1)
def geographies() -> dict[str, AreaGeography]:
    """Every area's geography, by area id."""
    return {g.area_id: g for g in (_load(p) for p in sorted(GEOGRAPHY_DIR.glob("*.yaml")))}


def geography(area_id: str) -> Optional[AreaGeography]:
    return geographies().get(area_id)


@lru_cache(maxsize=1)
def _districts() -> dict[str, District]:
    return {d.code: d for g in geographies().values() for d in g.districts}


@lru_cache(maxsize=1)
def _town_names() -> tuple[tuple[re.Pattern[str], Town], ...]:
    """Word-boundary patterns for every town name and alias, longest first ("South Wigston" before
    "Wigston")."""
    entries: list[tuple[str, Town]] = []
    for g in geographies().values():
        for town in g.towns:
            for name in (town.name.lower(), *town.aliases):
                entries.append((name, town))
    entries.sort(key=lambda e: -len(e[0]))
    return tuple((re.compile(rf"(?<![a-z]){re.escape(n)}(?![a-z])"), t) for n, t in entries)


def find_town(text: str) -> Optional[Town]:
    lowered = (text or "").lower()
    for pattern, town in _town_names():
        if pattern.search(lowered):
            return town
    return None


def town(name: str) -> Optional[Town]:
    for g in geographies().values():
        for t in g.towns:
            if t.name.lower() == name.lower():
                return t
    return None


def district(code: str) -> Optional[District]:
    return _districts().get(code.upper())


def nearest_area(latitude: float, longitude: float, within_miles: float = 15.0) -> Optional[str]:
    """The area whose nearest town centre is closest to the point, if any is within reach."""
    best: tuple[float, Optional[str]] = (within_miles, None)
    for g in geographies().values():
        for t in g.towns:
            d = miles_between(latitude, longitude, t.latitude, t.longitude)
            if d < best[0]:
                best = (d, g.area_id)
    return best[1]


def _nearest_town(area_id: str, latitude: float, longitude: float) -> Optional[Town]:
    g = geography(area_id)
    if not g:
        return None
    return min(g.towns, key=lambda t: miles_between(latitude, longitude, t.latitude, t.longitude))


def place_from_point(latitude: float, longitude: float, name: str = "your location") -> Place:
    area_id = nearest_area(latitude, longitude)
    nearest = _nearest_town(area_id, latitude, longitude) if area_id else None
    return Place(name, "point", latitude, longitude, area_id, nearest.locality if nearest else None, precise=True)


def _locality_place(text: str) -> Optional[Place]:
    lowered = re.sub(r"[^a-z ]", " ", (text or "").lower())
    words = lowered.split()
    for g in geographies().values():
        for locality, town_names in g.localities:
            name = locality.lower()
            phrases = {name, f"{name} {g.area_id}", f"{g.area_id} {name}"}
            if " ".join(words) in phrases or (len(words) <= 3 and name in words and len(name) > 3):
                lat, lon = g.centre(town_names)
                return Place(locality, "locality", lat, lon, g.area_id, locality)
    return None


def _area_place(text: str) -> Optional[Place]:
    lowered = (text or "").lower()
    for g in geographies().values():
        if re.search(rf"(?<![a-z]){re.escape(g.area_id)}(?![a-z])", lowered):
            lat, lon = g.centre()
            return Place(g.area_id.capitalize(), "area", lat, lon, g.area_id)
    return None


def resolve_place(text: str) -> Optional[Place]:
    """The place ``text`` names, most precise first: a location pin, postcode, district, town, locality,
    area.

    A valid postcode outside every area we hold resolves with ``area_id=None`` so the caller can say
    so instead of guessing.
    """
    if not text or not text.strip():
        return None
    pin = _PIN.match(text)
    if pin:
        return place_from_point(float(pin.group(1)), float(pin.group(2)))
    postcode = find_postcode(text)
    if postcode:
        d = district(district_of(postcode))
        remote = lookup_postcode(postcode)
        if remote:
            lat, lon = remote
            area_id = d.area_id if d else nearest_area(lat, lon, within_miles=3.0)
            return _with_locality(Place(postcode, "postcode", lat, lon, area_id, postcode=postcode, precise=True))
        if d:
            return _with_locality(Place(postcode, "postcode", d.latitude, d.longitude, d.area_id, postcode=postcode))
        return Place(postcode, "postcode", 0.0, 0.0, None, postcode=postcode)
    code = find_district(text)
    if code:
        d = district(code)
        if d:
            return _with_locality(Place(d.code, "district", d.latitude, d.longitude, d.area_id))
    found = find_town(text)
    if found:
        return Place(found.name, "town", found.latitude, found.longitude, found.area_id, found.locality)
    return _locality_place(text) or _area_place(text)


def _with_locality(place: Place) -> Place:
    if place.area_id is None:
        return place
    nearest = _nearest_town(place.area_id, place.latitude, place.longitude)
    if not nearest:
        return place
    return Place(place.name, place.kind, place.latitude, place.longitude, place.area_id, nearest.locality,
                 place.postcode, place.precise)
