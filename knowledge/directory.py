"""A directory in memory, as rows ready for the database, whatever it was read from.

Data packs and Open Referral UK files are both turned into ``DirectoryRows`` (one list of plain dicts
per table, keyed by column name). Cross-record checks and the derived search rows are computed here,
once, so both ways in behave the same.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Optional

from knowledge.text import forms_of_many
from knowledge.vocabulary import need_ids

ACCESS_ROUTES = ("drop_in", "self_referral", "booking", "professional_referral")
AUDIENCES = ("children", "young_people", "parents", "carers", "adults", "older_people", "families", "professionals")
#: How much a word counts in each field of a service (BM25F): the name says what it is, the provider's
#: name and the description say more about it.
FIELD_WEIGHTS = {"name": 3.0, "organisation": 1.0, "description": 1.0}
FAMILY_PREFIX = "~"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one record: reported as "<record> <field>: <reason>"."""

    record: str
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.record} {self.field}: {self.reason}"


class DirectoryError(ValueError):
    """Raised when a file has problems and nothing was loaded."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "; ".join(str(p) for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"{len(problems)} problem(s): {shown}{more}")


@dataclass
class DirectoryRows:
    area: list[dict[str, Any]] = field(default_factory=list)
    organisation: list[dict[str, Any]] = field(default_factory=list)
    location: list[dict[str, Any]] = field(default_factory=list)
    service: list[dict[str, Any]] = field(default_factory=list)
    service_need: list[dict[str, Any]] = field(default_factory=list)
    cost_option: list[dict[str, Any]] = field(default_factory=list)
    contact: list[dict[str, Any]] = field(default_factory=list)
    service_at_location: list[dict[str, Any]] = field(default_factory=list)
    schedule: list[dict[str, Any]] = field(default_factory=list)

    SERVICE_CHILDREN = ("service_need", "cost_option", "contact", "service_at_location", "schedule")

    def without_services(self, bad: set[str]) -> "DirectoryRows":
        """A copy leaving out the given services and everything that hangs off them."""
        copy = DirectoryRows(area=self.area, organisation=self.organisation, location=self.location)
        copy.service = [r for r in self.service if r["id"] not in bad]
        for name in self.SERVICE_CHILDREN:
            setattr(copy, name, [r for r in getattr(self, name) if r["service_id"] not in bad])
        return copy


def check_references(rows: DirectoryRows, known_areas: set[str], known_organisations: set[str],
                     known_locations: set[str]) -> list[Problem]:
    """Problems that need the whole file (or the database) to see: duplicates and dangling references."""
    problems: list[Problem] = []
    areas = known_areas | {a["id"] for a in rows.area}
    organisations = known_organisations | {o["id"] for o in rows.organisation}
    locations = known_locations | {loc["id"] for loc in rows.location}
    for table in ("organisation", "location", "service"):
        seen: set[str] = set()
        for row in getattr(rows, table):
            if row["id"] in seen:
                problems.append(Problem(row["id"], "id", f"appears twice among the {table}s"))
            seen.add(row["id"])
    for table in ("cost_option", "contact", "service_at_location", "schedule"):
        owners: dict[str, str] = {}
        for row in getattr(rows, table):
            if row["id"] in owners:
                problems.append(Problem(row["service_id"], table, f"id {row['id']!r} is used twice"))
            owners[row["id"]] = row["service_id"]
    for loc in rows.location:
        if loc["area_id"] not in areas:
            problems.append(Problem(loc["id"], "area", f"unknown area {loc['area_id']!r}"))
    for svc in rows.service:
        if svc["area_id"] not in areas:
            problems.append(Problem(svc["id"], "area", f"unknown area {svc['area_id']!r}"))
        if svc["organisation_id"] and svc["organisation_id"] not in organisations:
            problems.append(Problem(svc["id"], "organisation", f"unknown organisation {svc['organisation_id']!r}"))
    for name in ("service_at_location", "schedule"):
        for row in getattr(rows, name):
            if row.get("location_id") and row["location_id"] not in locations:
                problems.append(Problem(row["service_id"], "location", f"unknown location {row['location_id']!r}"))
    return problems


def check_service(row: dict[str, Any], needs: list[str], problems: list[Problem]) -> None:
    """Field-level checks shared by every way in."""
    sid = row["id"] or "(no id)"
    if not row.get("id"):
        problems.append(Problem(sid, "id", "is missing"))
    if not (row.get("name") or "").strip():
        problems.append(Problem(sid, "name", "is missing"))
    if not needs:
        problems.append(Problem(sid, "needs", "a service needs at least one need"))
    for need in needs:
        if need not in need_ids():
            problems.append(Problem(sid, "needs", f"unknown need {need!r}"))
    lo, hi = row.get("minimum_age"), row.get("maximum_age")
    for name, value in (("minimum_age", lo), ("maximum_age", hi)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 120):
            problems.append(Problem(sid, name, f"must be a whole number of years from 0 to 120, not {value!r}"))
    if isinstance(lo, int) and isinstance(hi, int) and lo > hi:
        problems.append(Problem(sid, "maximum_age", f"{hi} is below the minimum age {lo}"))
    for route in row.get("access") or []:
        if route not in ACCESS_ROUTES:
            problems.append(Problem(sid, "access", f"unknown access route {route!r} (one of {', '.join(ACCESS_ROUTES)})"))
    for who in row.get("audience") or []:
        if who not in AUDIENCES:
            problems.append(Problem(sid, "audience", f"unknown audience {who!r} (one of {', '.join(AUDIENCES)})"))


def check_schedule(service_id: str, row: dict[str, Any], problems: list[Problem]) -> None:
    opens, closes = row.get("opens_at"), row.get("closes_at")
    if not isinstance(opens, dt.time) or not isinstance(closes, dt.time):
        problems.append(Problem(service_id, "schedule", "opening and closing times must be HH:MM"))
    elif closes <= opens:
        problems.append(Problem(service_id, "schedule", f"closes at {closes:%H:%M}, before it opens at {opens:%H:%M}"))
    if not isinstance(row.get("weekday"), int) or not 0 <= row["weekday"] <= 6:
        problems.append(Problem(service_id, "schedule", "weekday must be one of mon..sun"))


def parse_time(value: Any) -> Optional[dt.time]:
    """"10:00" or "10:00:00" (or a time already) to a time; None when it is not one."""
    if isinstance(value, dt.time):
        return value
    if isinstance(value, int) and 0 <= value < 24 * 60:
        return dt.time(value // 60, value % 60)  # YAML reads unquoted 10:00 as sexagesimal minutes
    try:
        return dt.time.fromisoformat(str(value))
    except ValueError:
        return None


def parse_date(value: Any) -> Optional[dt.date]:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def vector_text(service: dict[str, Any]) -> str:
    """What a service's sentence embedding is computed from."""
    return f"{service['name']}. {service.get('description') or ''}".strip()


def _term_rows(rows: DirectoryRows, organisations: dict[str, str]) -> list[dict[str, Any]]:
    fields = {
        "name": [svc["name"] for svc in rows.service],
        "organisation": [organisations.get(svc.get("organisation_id") or "", "") for svc in rows.service],
        "description": [svc.get("description") or "" for svc in rows.service],
    }
    parsed = {name: forms_of_many(texts) for name, texts in fields.items()}
    found: list[dict[str, Any]] = []
    for i, svc in enumerate(rows.service):
        weights: dict[str, float] = {}
        for name, field_weight in FIELD_WEIGHTS.items():
            for own, family in parsed[name][i]:
                weights[own] = weights.get(own, 0.0) + field_weight
                weights[FAMILY_PREFIX + family] = weights.get(FAMILY_PREFIX + family, 0.0) + field_weight
        found.extend({"term": t, "service_id": svc["id"], "weight": w} for t, w in weights.items())
    return found


def _vector_rows(rows: DirectoryRows) -> list[dict[str, Any]]:
    from knowledge.embedding import encode_shared

    texts = [vector_text(svc) for svc in rows.service]
    vectors = encode_shared(texts) if texts else []
    return [{"service_id": svc["id"], "vector": vector.astype("float32").tobytes()}
            for svc, vector in zip(rows.service, vectors)]


def derived_rows(rows: DirectoryRows, locations: dict[str, dict[str, Any]],
                 organisations: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """The ``search_point``, ``service_term`` and ``service_vector`` rows for the services in ``rows``.

    ``locations`` maps location id to its row (coordinates) and ``organisations`` id to name, from this
    file and the database.
    """
    needs_of: dict[str, list[str]] = {}
    for link in sorted(rows.service_need, key=lambda r: r["rank"]):
        needs_of.setdefault(link["service_id"], []).append(link["need_id"])
    venues_of: dict[str, dict[str, int]] = {}
    for sal in rows.service_at_location:
        venues_of.setdefault(sal["service_id"], {}).setdefault(sal["location_id"], 0)
    for sch in rows.schedule:
        if sch.get("location_id"):
            masks = venues_of.setdefault(sch["service_id"], {})
            masks[sch["location_id"]] = masks.get(sch["location_id"], 0) | (1 << sch["weekday"])

    points: list[dict[str, Any]] = []
    for svc in rows.service:
        common = {
            "service_id": svc["id"], "area_id": svc["area_id"], "minimum_age": svc["minimum_age"],
            "maximum_age": svc["maximum_age"], "is_free": svc["is_free"], "area_wide": svc["area_wide"],
        }
        venues = venues_of.get(svc["id"], {})
        for rank, need in enumerate(needs_of.get(svc["id"], [])):
            if svc["area_wide"] or not venues:
                points.append({**common, "need_id": need, "need_rank": rank, "location_id": None, "latitude": None,
                               "longitude": None, "days_mask": 0})
            for location_id, mask in venues.items():
                loc = locations.get(location_id) or {}
                if loc.get("latitude") is None:
                    continue
                points.append({**common, "need_id": need, "need_rank": rank, "location_id": location_id,
                               "latitude": loc["latitude"], "longitude": loc["longitude"], "days_mask": mask})
    return {"search_point": points, "service_term": _term_rows(rows, organisations),
            "service_vector": _vector_rows(rows)}
