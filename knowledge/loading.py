"""Loading directories into the database: the shipped data packs and Open Referral UK files.

Each load is one transaction: a file with a bad record loads nothing unless bad records may be skipped.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from sqlalchemy import func, inspect, select
from sqlalchemy.engine import Connection, Engine

from knowledge.directory import DirectoryRows, Problem
from knowledge.models import Area, Location, Organisation, Service
from knowledge.openreferral.importer import read_json, read_openreferral
from knowledge.packs import pack_files, read_pack
from knowledge.store import Progress, StoreReport, store


def is_empty(engine: Engine) -> bool:
    """True when the knowledge base has no services (or no tables yet)."""
    if not inspect(engine).has_table(Service.__tablename__):
        return True
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Service)).scalar_one() == 0


def known_ids(conn: Connection) -> tuple[set[str], set[str], set[str]]:
    """Ids of the areas, organisations and locations already in the database."""
    return (
        set(conn.execute(select(Area.id)).scalars()),
        set(conn.execute(select(Organisation.id)).scalars()),
        set(conn.execute(select(Location.id)).scalars()),
    )


def load_pack(engine: Engine, path: Path, progress: Progress = None) -> StoreReport:
    """Load one data pack, replacing whatever the database held for its area."""
    with engine.connect() as conn:
        _, organisations, _ = known_ids(conn)
    rows = read_pack(path, organisations)
    return store(engine, rows, replace_areas=True, progress=progress)


def load_all_packs(engine: Engine, progress: Progress = None) -> list[tuple[Path, StoreReport]]:
    return [(path, load_pack(engine, path, progress)) for path in pack_files()]


def read_openreferral_file(engine: Engine, path: Path, area: Optional[str] = None,
                           skip_bad: bool = False) -> tuple[DirectoryRows, list[Problem]]:
    """Rows of an Open Referral UK file checked against the database (nothing is written)."""
    with engine.connect() as conn:
        areas, organisations, locations = known_ids(conn)
    result = read_openreferral(read_json(path), area, skip_bad, areas, organisations, locations)
    return result.rows, result.skipped


def import_openreferral(engine: Engine, path: Path, area: Optional[str] = None, skip_bad: bool = False,
                        replace_area: bool = False, progress: Progress = None) -> tuple[StoreReport, list[Problem]]:
    """Load an Open Referral UK file; returns what was stored and the problems of skipped records."""
    rows, skipped = read_openreferral_file(engine, path, area, skip_bad)
    if replace_area and area and not rows.area:
        with engine.connect() as conn:
            area_row = conn.execute(select(Area.__table__).where(Area.id == area)).mappings().first()
        rows.area = [dict(area_row)] if area_row else []
    return store(engine, rows, replace_areas=replace_area, progress=progress), skipped
