"""Data packs: an area's directory written as YAML (see ``knowledge/data/packs/README.md``).

``read_pack`` turns a pack into ``DirectoryRows`` and reports every problem with the record id, the
field and the reason; ``load_packs`` writes all the packs shipped with the project.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Optional

import yaml

from knowledge.directory import (
    DirectoryError,
    DirectoryRows,
    Problem,
    check_references,
    check_schedule,
    check_service,
    parse_date,
    parse_time,
)
from knowledge.geography.distance import miles_between
from knowledge.geography.places import geography
from knowledge.geography.postcodes import district_of, normalise_postcode
from knowledge.when import WEEKDAYS

PACKS_DIR = Path(__file__).parent / "data" / "packs"
#: A venue further than this from its town's centre is probably in the wrong place.
MAX_MILES_FROM_TOWN = 6.0


def pack_files() -> list[Path]:
    return sorted(PACKS_DIR.glob("*.yaml"))


def _iso(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso(v) for v in value]
    return value


def _area_row(area: dict[str, Any]) -> dict[str, Any]:
    door = area.get("front_door") or {}
    geo = geography(area["id"])
    localities = [name for name, _ in geo.localities] if geo else list(area.get("localities") or [])
    hours = [
        {"days": list(h["days"]), "opens": _hhmm(h["opens"]), "closes": _hhmm(h["closes"])}
        for h in door.get("opening_hours") or []
    ]
    return {
        "id": area["id"],
        "name": area["name"],
        "council": area.get("council") or area["name"],
        "advisor_team": area["advisor_team"],
        "front_door_name": door.get("name"),
        "phone": door.get("phone"),
        "email": door.get("email"),
        "web": door.get("web"),
        "opening_hours": hours,
        "school_holidays": _iso(area.get("school_holidays") or {}),
        "safeguarding": dict(area.get("safeguarding") or {}),
        "localities": localities,
        "sources": list(area.get("source") or []),
    }


def _hhmm(value: Any) -> str:
    parsed = parse_time(value)
    return parsed.strftime("%H:%M") if parsed else str(value)


def _location_row(area_id: str, loc: dict[str, Any], problems: list[Problem]) -> dict[str, Any]:
    lid = loc.get("id") or "(location without id)"
    postcode = normalise_postcode(str(loc.get("postcode") or ""))
    if loc.get("postcode") and not postcode:
        problems.append(Problem(lid, "postcode", f"{loc['postcode']!r} is not a valid UK postcode"))
    lat, lon = loc.get("latitude"), loc.get("longitude")
    geo = geography(area_id)
    if geo and loc.get("town"):
        town = next((t for t in geo.towns if t.name == loc["town"]), None)
        if town is None:
            problems.append(Problem(lid, "town", f"{loc['town']!r} is not a town of {area_id}"))
        else:
            if postcode and district_of(postcode) not in town.districts:
                problems.append(Problem(lid, "postcode", f"{postcode} is not in {town.name}'s districts"))
            if lat is not None and lon is not None:
                away = miles_between(float(lat), float(lon), town.latitude, town.longitude)
                if away > MAX_MILES_FROM_TOWN:
                    problems.append(Problem(lid, "latitude", f"{away:.1f} miles from {town.name}"))
    return {
        "id": lid,
        "area_id": area_id,
        "name": loc.get("name") or lid,
        "kind": loc.get("kind"),
        "address_1": loc.get("address"),
        "city": loc.get("town"),
        "postal_code": postcode,
        "latitude": float(lat) if lat is not None else None,
        "longitude": float(lon) if lon is not None else None,
        "illustrative": bool(loc.get("illustrative", False)),
    }


def _service_rows(area_id: str, svc: dict[str, Any], rows: DirectoryRows, problems: list[Problem]) -> None:
    sid = svc.get("id") or "(service without id)"
    cost = svc.get("cost") or {}
    contacts = svc.get("contacts") or {}
    is_free = bool(cost.get("free", True))
    row = {
        "id": sid,
        "area_id": area_id,
        "organisation_id": svc.get("organisation"),
        "name": svc.get("name"),
        "description": (svc.get("description") or "").strip() or None,
        "url": contacts.get("web"),
        "email": contacts.get("email"),
        "status": "active",
        "minimum_age": svc.get("min_age"),
        "maximum_age": svc.get("max_age"),
        "audience": list(svc.get("audience") or []),
        "access": list(svc.get("access") or []),
        "is_free": is_free,
        "area_wide": bool(svc.get("area_wide", False)),
        "localities": svc.get("localities") or None,  # None (or an empty list) means the whole area
        "source": svc.get("source"),
    }
    needs = list(svc.get("needs") or [])
    check_service(row, needs, problems)
    rows.service.append(row)
    rows.service_need.extend({"service_id": sid, "need_id": n, "rank": i} for i, n in enumerate(dict.fromkeys(needs)))
    rows.cost_option.append({
        "id": f"{sid}:cost",
        "service_id": sid,
        "option": "Free" if is_free else "Charged",
        "amount": 0.0 if is_free else None,
        "currency": "GBP",
        "amount_description": cost.get("description"),
    })
    if contacts.get("phone"):
        # The web address and email live on the service itself (as in Open Referral); a contact is a phone line.
        rows.contact.append({"id": f"{sid}:contact", "service_id": sid, "name": contacts.get("name"),
                             "phone": contacts.get("phone"), "email": None})
    venues: list[str] = []
    for n, session in enumerate(svc.get("sessions") or []):
        weekday = WEEKDAYS.get(str(session.get("weekday", "")).lower())
        schedule = {
            "id": f"{sid}#{n}",
            "service_id": sid,
            "location_id": session.get("location"),
            "weekday": weekday,
            "opens_at": parse_time(session.get("start")),
            "closes_at": parse_time(session.get("end")),
            "valid_from": parse_date(session.get("valid_from")),
            "valid_to": parse_date(session.get("valid_to")),
            "term_time_only": bool(session.get("term_time_only", False)),
            "illustrative": bool(session.get("illustrative", False)),
            "description": session.get("description"),
        }
        check_schedule(sid, schedule, problems)
        rows.schedule.append(schedule)
        if session.get("location"):
            venues.append(session["location"])
    venues.extend(svc.get("locations") or [])
    for location_id in dict.fromkeys(venues):
        rows.service_at_location.append({"id": f"{sid}@{location_id}", "service_id": sid, "location_id": location_id})
    if not row["area_wide"] and not venues:
        problems.append(Problem(sid, "sessions", "a service that is not area-wide needs a venue or a session"))


def read_pack(path: Path, known_organisations: Optional[set[str]] = None) -> DirectoryRows:
    """Rows for one pack; raises ``DirectoryError`` listing every problem found."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise DirectoryError([Problem(str(path), "file", f"cannot be read as YAML: {exc}")]) from exc
    if not isinstance(data, dict) or not isinstance(data.get("area"), dict):
        raise DirectoryError([Problem(str(path), "area", "a data pack starts with an `area:` record")])
    problems: list[Problem] = []
    area = data["area"]
    for key in ("id", "name", "advisor_team"):
        if not area.get(key):
            problems.append(Problem(str(area.get("id") or path), key, "is missing from the area record"))
    if problems:
        raise DirectoryError(problems)
    area_id = area["id"]
    rows = DirectoryRows(area=[_area_row(area)])
    for org in data.get("organisations") or []:
        rows.organisation.append({"id": org["id"], "name": org["name"], "description": org.get("description"),
                                  "email": org.get("email"), "website": org.get("web"), "phone": org.get("phone")})
    rows.location = [_location_row(area_id, loc, problems) for loc in data.get("locations") or []]
    for svc in data.get("services") or []:
        _service_rows(area_id, svc, rows, problems)
    problems.extend(check_references(rows, set(), known_organisations or set(), set()))
    if problems:
        raise DirectoryError(problems)
    return rows
