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
    DirectoryVersion,
    Location,
    Need,
    Organisation,
    Schedule,
    SearchPoint,
    Service,
    ServiceAtLocation,
    ServiceNeed,
    ServiceTerm,
    ServiceVector,
)
from knowledge.vocabulary import needs

CHUNK = 500
#: How the derived search rows are built; a database whose rows were built another way is re-indexed.
DERIVED_FORMAT = 2
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
    children = (SearchPoint, ServiceTerm, ServiceVector, ServiceNeed, CostOption, Contact, Schedule, ServiceAtLocation)
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


def _organisation_names(conn: Connection, rows: DirectoryRows) -> dict[str, str]:
    names = {org["id"]: org["name"] for org in rows.organisation}
    missing = sorted({s["organisation_id"] for s in rows.service if s.get("organisation_id")} - set(names))
    for chunk in _chunks(missing):
        names.update(conn.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(chunk))).all())
    return names


def write(conn: Connection, rows: DirectoryRows, progress: Progress = None) -> StoreReport:
    """Write ``rows`` inside the caller's transaction."""
    report = StoreReport(len(rows.area), len(rows.organisation), len(rows.location), len(rows.service),
                         len(rows.schedule))
    # A database with no services yet has no rows built the old way: its format is today's.
    fresh = conn.execute(select(Service.id).limit(1)).first() is None
    ensure_needs(conn)
    _upsert(conn, Area.__table__, rows.area)
    _upsert(conn, Organisation.__table__, rows.organisation)
    _upsert(conn, Location.__table__, rows.location)
    replaced = sorted(existing_ids(conn, Service.__table__, (s["id"] for s in rows.service)))
    delete_services(conn, replaced)
    report.replaced_services = len(replaced)
    derived = derived_rows(rows, _location_rows(conn, rows), _organisation_names(conn, rows))
    batches: list[tuple[Table, list[dict[str, Any]]]] = [
        (Service.__table__, rows.service),
        (ServiceNeed.__table__, rows.service_need),
        (CostOption.__table__, rows.cost_option),
        (Contact.__table__, rows.contact),
        (ServiceAtLocation.__table__, rows.service_at_location),
        (Schedule.__table__, rows.schedule),
        (SearchPoint.__table__, derived["search_point"]),
        (ServiceTerm.__table__, derived["service_term"]),
        (ServiceVector.__table__, derived["service_vector"]),
    ]
    for table, table_rows in batches:
        for chunk in _chunks(table_rows, 2000):
            conn.execute(insert(table), chunk)
            if progress and table is Service.__table__:
                progress(len(chunk))
    mark_changed(conn, DERIVED_FORMAT if fresh else None)
    return report


def mark_changed(conn: Connection, derived_format: int | None = None) -> None:
    """Bump the directory's version (search processes re-read their index when it moves)."""
    row = conn.execute(select(DirectoryVersion.serial, DirectoryVersion.derived_format)
                       .where(DirectoryVersion.id == 1)).first()
    if row is None:
        conn.execute(insert(DirectoryVersion).values(id=1, serial=1, derived_format=derived_format or 0))
        return
    values: dict[str, Any] = {"serial": row.serial + 1}
    if derived_format is not None:
        values["derived_format"] = derived_format
    conn.execute(update(DirectoryVersion).where(DirectoryVersion.id == 1).values(**values))


def derived_format(conn: Connection) -> int:
    """How the stored derived rows were built (0 for a database from before ``directory_version``)."""
    stored = conn.execute(select(DirectoryVersion.derived_format).where(DirectoryVersion.id == 1)).scalar()
    return stored or 0


def _stored_rows(conn: Connection) -> DirectoryRows:
    """What ``derived_rows`` needs of every stored service, read back from the database."""
    rows = DirectoryRows()
    tables = {"service": Service, "service_need": ServiceNeed, "service_at_location": ServiceAtLocation,
              "schedule": Schedule}
    for name, model in tables.items():
        setattr(rows, name, [dict(r) for r in conn.execute(select(model.__table__)).mappings()])
    return rows


def reindex(engine: Engine) -> int:
    """Rebuild every service's derived search rows (after the way they are built changed); returns how
    many services were indexed."""
    with engine.begin() as conn:
        rows = _stored_rows(conn)
        for model in (SearchPoint, ServiceTerm, ServiceVector):
            conn.execute(delete(model))
        locations = {r.id: {"latitude": r.latitude, "longitude": r.longitude}
                     for r in conn.execute(select(Location.id, Location.latitude, Location.longitude))}
        derived = derived_rows(rows, locations, _organisation_names(conn, rows))
        for table in (SearchPoint, ServiceTerm, ServiceVector):
            for chunk in _chunks(derived[table.__tablename__], 2000):
                conn.execute(insert(table.__table__), chunk)
        mark_changed(conn, DERIVED_FORMAT)
    return len(rows.service)


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
