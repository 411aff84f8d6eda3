"""Writing a directory to the database in one transaction, with its derived search rows.

Everything in one ``DirectoryRows`` lands together or not at all. Organisations, locations and areas
are upserted by id; a service that already exists is replaced whole (its needs, costs, contacts,
venues and schedules), so loading the same file twice changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.schema import Table

from knowledge.directory import DirectoryError, DirectoryRows, Problem, derived_rows
from knowledge.models import (
    Area,
    Contact,
    CostOption,
    Location,
    Need,
    Organisation,
    Schedule,
    SearchPoint,
    Service,
    ServiceAtLocation,
    ServiceNeed,
    ServiceTerm,
)
from knowledge.vocabulary import needs

CHUNK = 500
Progress = Optional[Callable[[int], None]]


@dataclass
class StoreReport:
    areas: int = 0
    organisations: int = 0
    locations: int = 0
    services: int = 0
    schedules: int = 0
    replaced_services: int = 0


def _chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def existing_ids(conn: Connection, table: Table, ids: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(list(ids)):
        found.update(conn.execute(select(table.c.id).where(table.c.id.in_(chunk))).scalars())
    return found


def _upsert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    present = existing_ids(conn, table, (r["id"] for r in rows))
    new = [r for r in rows if r["id"] not in present]
    old = [r for r in rows if r["id"] in present]
    if new:
        conn.execute(insert(table), new)
    if old:
        columns = [c for c in old[0] if c != "id"]
        statement = (
            update(table)
            .where(table.c.id == bindparam("_id"))
            .values({c: bindparam(f"_{c}") for c in columns})
        )
        conn.execute(statement, [{f"_{k}": v for k, v in r.items()} for r in old])


def ensure_needs(conn: Connection) -> None:
    """The vocabulary's needs are rows too (services link to them)."""
    _upsert(conn, Need.__table__, [{"id": n.id, "name": n.name, "synonyms": list(n.synonyms)} for n in needs()])


def delete_services(conn: Connection, service_ids: list[str]) -> None:
    children = (SearchPoint, ServiceTerm, ServiceNeed, CostOption, Contact, Schedule, ServiceAtLocation)
    for chunk in _chunks(service_ids):
        for model in children:
            conn.execute(delete(model).where(model.service_id.in_(chunk)))
        conn.execute(delete(Service).where(Service.id.in_(chunk)))


def clear_area(conn: Connection, area_id: str) -> int:
    """Remove an area's services and venues (before loading its directory afresh)."""
    service_ids = list(conn.execute(select(Service.id).where(Service.area_id == area_id)).scalars())
    delete_services(conn, service_ids)
    conn.execute(delete(Location).where(Location.area_id == area_id))
    return len(service_ids)


def _location_rows(conn: Connection, rows: DirectoryRows) -> dict[str, dict[str, Any]]:
    locations = {loc["id"]: loc for loc in rows.location}
    wanted = {r["location_id"] for r in rows.service_at_location} | {
        r["location_id"] for r in rows.schedule if r.get("location_id")
    }
    missing = [i for i in wanted if i not in locations]
    for chunk in _chunks(missing):
        query = select(Location.id, Location.latitude, Location.longitude).where(Location.id.in_(chunk))
        for row in conn.execute(query):
            locations[row.id] = {"latitude": row.latitude, "longitude": row.longitude}
    return locations


def write(conn: Connection, rows: DirectoryRows, progress: Progress = None) -> StoreReport:
    """Write ``rows`` inside the caller's transaction."""
    report = StoreReport(len(rows.area), len(rows.organisation), len(rows.location), len(rows.service),
                         len(rows.schedule))
    ensure_needs(conn)
    _upsert(conn, Area.__table__, rows.area)
    _upsert(conn, Organisation.__table__, rows.organisation)
    _upsert(conn, Location.__table__, rows.location)
    replaced = sorted(existing_ids(conn, Service.__table__, (s["id"] for s in rows.service)))
    delete_services(conn, replaced)
    report.replaced_services = len(replaced)
    points, service_terms = derived_rows(rows, _location_rows(conn, rows))
    batches: list[tuple[Table, list[dict[str, Any]]]] = [
        (Service.__table__, rows.service),
        (ServiceNeed.__table__, rows.service_need),
        (CostOption.__table__, rows.cost_option),
        (Contact.__table__, rows.contact),
        (ServiceAtLocation.__table__, rows.service_at_location),
        (Schedule.__table__, rows.schedule),
        (SearchPoint.__table__, points),
        (ServiceTerm.__table__, service_terms),
    ]
    for table, table_rows in batches:
        for chunk in _chunks(table_rows, 2000):
            conn.execute(insert(table), chunk)
            if progress and table is Service.__table__:
                progress(len(chunk))
    return report


def store(engine: Engine, rows: DirectoryRows, replace_areas: bool = False, progress: Progress = None) -> StoreReport:
    """Write ``rows`` in one transaction; with ``replace_areas``, the areas' old services go first.

    A clash with records already stored (an id another service owns) rolls everything back and is
    reported as a ``DirectoryError``: nothing already stored is lost.
    """
    try:
        with engine.begin() as conn:
            if replace_areas:
                for area in rows.area:
                    clear_area(conn, area["id"])
            return write(conn, rows, progress)
    except IntegrityError as exc:
        reason = str(exc.orig).splitlines()[0]
        raise DirectoryError([Problem("(file)", "id", f"clashes with a record already stored ({reason}); "
                                                      "nothing was loaded")]) from exc
