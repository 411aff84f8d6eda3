"""Import Open Referral UK (HSDS 3) JSON: a page of services (``{"contents": [...]}``) or a bare list.

Each service is checked on its own and every problem is reported with the service id, the field and
the reason. By default a file with any bad record loads nothing; with ``skip_bad`` the bad services
are left out, reported, and the rest load. Needs come from the ``signpost-needs`` taxonomy or, for
feeds that do not use it, from the words of the service's taxonomy terms, name and description.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

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
from knowledge.geography.postcodes import normalise_postcode
from knowledge.openreferral import shape
from knowledge.vocabulary import match_needs, need_ids

AREA_COLUMNS = ("id", "name", "council", "advisor_team", "front_door_name", "phone", "email", "web", "opening_hours",
                "school_holidays", "safeguarding", "localities", "sources")


@dataclass
class ImportResult:
    rows: DirectoryRows
    skipped: list[Problem] = field(default_factory=list)  # problems of the services left out


def read_json(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DirectoryError([Problem(str(path), "file", f"is not readable JSON: {exc}")]) from exc


def _first_phone(record: Optional[dict[str, Any]]) -> Optional[str]:
    for phone in (record or {}).get("phones") or []:
        if phone.get("number"):
            return str(phone["number"])
    return None


def _organisation(org: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(org["id"]), "name": org.get("name") or str(org["id"]), "description": org.get("description"),
            "email": org.get("email"), "website": org.get("website") or org.get("url"), "phone": _first_phone(org)}


def _location(loc: dict[str, Any], area_id: Optional[str], problems: list[Problem], owner: str) -> dict[str, Any]:
    address = (loc.get("addresses") or loc.get("physical_addresses") or [{}])[0]
    raw_postcode = address.get("postal_code")
    postcode = normalise_postcode(raw_postcode or "") if raw_postcode else None
    if raw_postcode and not postcode:
        problems.append(Problem(owner, "location.postal_code", f"{raw_postcode!r} is not a valid UK postcode"))
    lat, lon = loc.get("latitude"), loc.get("longitude")
    for name, value, bound in (("latitude", lat, 90), ("longitude", lon, 180)):
        if value is not None and (not isinstance(value, (int, float)) or isinstance(value, bool) or abs(value) > bound):
            problems.append(Problem(owner, f"location.{name}", f"{value!r} is not a {name}"))
    kinds = shape.codes(loc, shape.LOCATION_KIND)
    areas = shape.codes(loc, shape.AREA)
    return {
        "id": str(loc.get("id")),
        "area_id": areas[0] if areas else area_id,
        "name": loc.get("name") or str(loc.get("id")),
        "kind": kinds[0] if kinds else None,
        "address_1": address.get("address_1"),
        "city": address.get("city"),
        "postal_code": postcode,
        "latitude": float(lat) if isinstance(lat, (int, float)) and not isinstance(lat, bool) else None,
        "longitude": float(lon) if isinstance(lon, (int, float)) and not isinstance(lon, bool) else None,
        "illustrative": "illustrative" in shape.codes(loc, shape.QUALITY),
    }


def _age(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _is_free(svc: dict[str, Any]) -> bool:
    options = svc.get("cost_options") or []
    if options:
        return all((o.get("option") or "").lower() == "free" or o.get("amount") in (0, 0.0) for o in options)
    fees = (svc.get("fees_description") or "").strip().lower()
    return fees in ("", "free", "none", "no charge")


def _needs(svc: dict[str, Any]) -> list[str]:
    tagged = [c for c in shape.codes(svc, shape.NEEDS)]
    if tagged:
        return tagged
    # A feed without our taxonomy: read its taxonomy term names, then the service's own words.
    words = [((a.get("taxonomy_term") or {}).get("name") or "") for a in svc.get("attributes") or []]
    found: list[str] = []
    for text in (*words, svc.get("name") or "", svc.get("description") or ""):
        for need in match_needs(text):
            if need not in found:
                found.append(need)
    return found


def _service(svc: dict[str, Any], default_area: Optional[str]) -> tuple[DirectoryRows, list[Problem]]:
    problems: list[Problem] = []
    rows = DirectoryRows()
    sid = str(svc.get("id") or "")
    owner = sid or f"(service named {svc.get('name')!r} without id)"
    areas = shape.codes(svc, shape.AREA)
    area_id = areas[0] if areas else default_area
    if not area_id:
        problems.append(Problem(owner, "area", "no signpost-area attribute and no --area given"))
    org = svc.get("organization")
    org_id = svc.get("organization_id") or (org or {}).get("id")
    if org and org.get("id"):
        rows.organisation.append(_organisation(org))
    access = shape.codes(svc, shape.ACCESS)
    row = {
        "id": sid,
        "area_id": area_id,
        "organisation_id": str(org_id) if org_id else None,
        "name": svc.get("name"),
        "description": svc.get("description"),
        "url": svc.get("url"),
        "email": svc.get("email"),
        "status": svc.get("status") or "active",
        "minimum_age": _age(svc.get("minimum_age")),
        "maximum_age": _age(svc.get("maximum_age")),
        "audience": shape.codes(svc, shape.AUDIENCE),
        "access": access,
        "is_free": _is_free(svc),
        "area_wide": "area_wide" in shape.codes(svc, shape.DELIVERY),
        "localities": shape.codes(svc, shape.LOCALITY) or None,
        "source": next((a.get("value") for a in shape.attributes_by_taxonomy(svc).get(shape.SOURCE, [])), None),
    }
    needs = _needs(svc)
    check_service(row, needs, problems)
    rows.service.append(row)
    rows.service_need = [{"service_id": sid, "need_id": n, "rank": i}
                         for i, n in enumerate(dict.fromkeys(needs)) if n in need_ids()]
    for n, option in enumerate(svc.get("cost_options") or []):
        amount = option.get("amount")
        if amount is not None and (not isinstance(amount, (int, float)) or isinstance(amount, bool) or amount < 0):
            problems.append(Problem(owner, "cost_options.amount", f"{amount!r} is not an amount of money"))
            amount = None
        rows.cost_option.append({"id": str(option.get("id") or f"{sid}:cost:{n}"), "service_id": sid,
                                 "option": option.get("option"), "amount": float(amount) if amount is not None else None,
                                 "currency": option.get("currency"), "amount_description": option.get("amount_description")})
    for n, contact in enumerate(svc.get("contacts") or []):
        rows.contact.append({"id": str(contact.get("id") or f"{sid}:contact:{n}"), "service_id": sid,
                             "name": contact.get("name"), "phone": _first_phone(contact), "email": contact.get("email")})
    for n, sal in enumerate(svc.get("service_at_locations") or []):
        loc = sal.get("location") or {}
        location_id = str(sal.get("location_id") or loc.get("id") or "")
        if not location_id:
            problems.append(Problem(owner, "service_at_locations", "a location has no id"))
            continue
        if loc:
            rows.location.append(_location({**loc, "id": location_id}, area_id, problems, owner))
        rows.service_at_location.append({"id": str(sal.get("id") or f"{sid}@{location_id}"), "service_id": sid,
                                         "location_id": location_id})
    for n, sch in enumerate(svc.get("schedules") or []):
        _schedule(sid, owner, n, sch, rows, problems)
    return rows, problems


def _schedule(sid: str, owner: str, n: int, sch: dict[str, Any], rows: DirectoryRows, problems: list[Problem]) -> None:
    freq = (sch.get("freq") or "WEEKLY").upper()
    days = [d.strip().upper()[-2:] for d in str(sch.get("byday") or "").split(",") if d.strip()]
    if freq != "WEEKLY" or not days:
        problems.append(Problem(owner, "schedules", f"only weekly schedules with byday are supported (got freq={freq!r}, "
                                                    f"byday={sch.get('byday')!r})"))
        return
    for day in days:
        if day not in shape.BYDAY:
            problems.append(Problem(owner, "schedules.byday", f"{day!r} is not a day (MO..SU)"))
            continue
        base_id = str(sch.get("id") or f"{sid}#{n}")
        row = {
            "id": base_id if len(days) == 1 else f"{base_id}:{day}",
            "service_id": sid,
            "location_id": str(sch["location_id"]) if sch.get("location_id") else None,
            "weekday": shape.BYDAY.index(day),
            "opens_at": parse_time(sch.get("opens_at")),
            "closes_at": parse_time(sch.get("closes_at")),
            "valid_from": parse_date(sch.get("valid_from")),
            "valid_to": parse_date(sch.get("valid_to")),
            "term_time_only": "term_time_only" in shape.codes(sch, shape.SCHEDULE),
            "illustrative": "illustrative" in shape.codes(sch, shape.QUALITY),
            "description": sch.get("description"),
        }
        check_schedule(owner, row, problems)
        rows.schedule.append(row)


def _area_row(area: dict[str, Any]) -> dict[str, Any]:
    return {k: area.get(k) for k in AREA_COLUMNS} | {
        "opening_hours": area.get("opening_hours") or [], "school_holidays": area.get("school_holidays") or {},
        "safeguarding": area.get("safeguarding") or {}, "localities": area.get("localities") or [], "sources": area.get("sources") or []}


def read_openreferral(data: Any, default_area: Optional[str] = None, skip_bad: bool = False,
                      known_areas: Optional[set[str]] = None, known_organisations: Optional[set[str]] = None,
                      known_locations: Optional[set[str]] = None) -> ImportResult:
    """Rows for an Open Referral UK document; raises ``DirectoryError`` unless every record is good
    (or ``skip_bad`` is set, when bad services are dropped and listed in ``skipped``)."""
    if isinstance(data, dict):
        services = data.get("contents", data.get("items"))
        extension = data.get(shape.EXTENSION) or {}
    else:
        services, extension = data, {}
    if not isinstance(services, list):
        raise DirectoryError([Problem("(file)", "contents", "expected a list of services under `contents`")])
    rows = DirectoryRows(area=[_area_row(a) for a in extension.get("areas") or []])
    rows.organisation = [_organisation(o) for o in extension.get("organisations") or []]
    file_problems: list[Problem] = []
    rows.location = [_location(loc, default_area, file_problems, str(loc.get("id"))) for loc in extension.get("locations") or []]
    bad: dict[str, list[Problem]] = {}
    for index, svc in enumerate(services):
        if not isinstance(svc, dict):
            file_problems.append(Problem(f"(item {index})", "service", "is not a JSON object"))
            continue
        part, problems = _service(svc, default_area)
        if problems:
            bad[part.service[0]["id"] or f"(item {index})"] = problems
        for name in ("organisation", "location", "service", "service_need", "cost_option", "contact",
                     "service_at_location", "schedule"):
            getattr(rows, name).extend(getattr(part, name))
    rows.organisation = list({o["id"]: o for o in rows.organisation}.values())
    rows.location = list({loc["id"]: loc for loc in rows.location}.values())
    for problem in check_references(rows, known_areas or set(), known_organisations or set(), known_locations or set()):
        bad.setdefault(problem.record, []).append(problem)
    if file_problems and not skip_bad:
        raise DirectoryError(file_problems + [p for ps in bad.values() for p in ps])
    if bad and not skip_bad:
        raise DirectoryError([p for ps in bad.values() for p in ps])
    skipped = file_problems + [p for ps in bad.values() for p in ps]
    return ImportResult(rows.without_services(set(bad)), skipped)
