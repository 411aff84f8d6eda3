"""``signpost kb``: load, validate, search, export and count the service directory.

Human-readable output by default, ``--json`` for scripts. Problems go to stderr with the record, the
field and the reason; the exit code is 0 on success, 1 when a file has problems, 2 for bad usage.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Optional

from core.database import make_engine, session_factory
from knowledge.directory import DirectoryError, Problem
from knowledge.packs import pack_files, read_pack

EXIT_PROBLEMS = 1
EXIT_USAGE = 2


def register(subparsers: Any) -> None:
    kb = subparsers.add_parser("kb", help="the service knowledge base", description=__doc__)
    kb.add_argument("--db", help="database URL (default: $SIGNPOST_DATABASE_URL or data/signpost.sqlite3)")
    commands = kb.add_subparsers(dest="kb_command", metavar="COMMAND", required=True)

    load = commands.add_parser("load", help="load data packs (.yaml) or Open Referral UK files (.json)")
    load.add_argument("files", nargs="*", type=Path, help="files to load (default: every shipped data pack)")
    load.add_argument("--area", help="area id for Open Referral UK services that do not name one")
    load.add_argument("--skip-bad", action="store_true", help="load the good records and report the bad ones")
    load.add_argument("--replace-area", action="store_true", help="remove the area's services before loading")
    load.add_argument("--if-empty", action="store_true", help="do nothing if the database already holds services")
    load.add_argument("--json", action="store_true", help="print the outcome as JSON")
    load.set_defaults(handler=_load)

    validate = commands.add_parser("validate", help="check files without loading them")
    validate.add_argument("files", nargs="*", type=Path, help="files to check (default: every shipped data pack)")
    validate.add_argument("--area", help="area id for Open Referral UK services that do not name one")
    validate.add_argument("--json", action="store_true")
    validate.set_defaults(handler=_validate)

    search = commands.add_parser("search", help="search the directory as the assistant does")
    search.add_argument("text", nargs="*", help="free text, e.g. debt advice")
    search.add_argument("--need", help="a need id or words, e.g. debt_money or 'skint'")
    search.add_argument("--near", help="a town, postcode district, postcode or 'lat,lon'")
    search.add_argument("--when", help="today, tomorrow, saturday, this week, the weekend, mornings, after school")
    search.add_argument("--age", type=int, help="age in years of the person it is for")
    search.add_argument("--free", action="store_true", help="free services only")
    search.add_argument("--area", help="only this area (when no place is given)")
    search.add_argument("--limit", type=int, default=3, help="how many results (default 3)")
    search.add_argument("--offset", type=int, default=0, help="skip this many results (for 'more')")
    search.add_argument("--json", action="store_true")
    search.set_defaults(handler=_search)

    export = commands.add_parser("export", help="write the directory as Open Referral UK JSON")
    export.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")
    export.add_argument("--area", help="only this area")
    export.set_defaults(handler=_export)

    stats = commands.add_parser("stats", help="what the directory holds")
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(handler=_stats)


def run(args: argparse.Namespace) -> int:
    try:
        return args.handler(args)
    except DirectoryError as exc:
        _print_problems(exc.problems)
        print(f"Nothing was loaded: {len(exc.problems)} problem(s).", file=sys.stderr)
        return EXIT_PROBLEMS


def _print_problems(problems: list[Problem]) -> None:
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)


def _progress(total: int, label: str) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=label, unit=" services", disable=not sys.stderr.isatty() or total < 200,
                file=sys.stderr, leave=False)


def _count_services(path: Path) -> int:
    try:
        if path.suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            items = data.get("contents", []) if isinstance(data, dict) else data
            return len(items) if isinstance(items, list) else 0
    except (OSError, ValueError):
        return 0
    return 0


def _missing(files: list[Path]) -> Optional[int]:
    for path in files:
        if not path.is_file():
            print(f"No such file: {path}", file=sys.stderr)
            return EXIT_USAGE
    return None


def _load(args: argparse.Namespace) -> int:
    from knowledge.loading import import_openreferral, is_empty, load_pack

    files = args.files or pack_files()
    if (code := _missing(files)) is not None:
        return code
    engine = make_engine(args.db)
    if args.if_empty and not is_empty(engine):
        from knowledge.store import DERIVED_FORMAT, derived_format, reindex

        with engine.connect() as conn:
            stale = derived_format(conn) != DERIVED_FORMAT
        if stale:  # built by an older version: rebuild the search rows from what is stored
            indexed = reindex(engine)
            if not args.json:
                print(f"Rebuilt the search index for {indexed} services.")
        if not args.json:
            print("The knowledge base already holds services; nothing loaded.")
        return 0
    outcome = []
    for path in files:
        with _progress(_count_services(path), path.name) as bar:
            if path.suffix in (".yaml", ".yml"):
                report, skipped = load_pack(engine, path, bar.update), []
            else:
                report, skipped = import_openreferral(engine, path, args.area, args.skip_bad, args.replace_area,
                                                      bar.update)
        outcome.append({"file": str(path), "services": report.services, "organisations": report.organisations,
                        "locations": report.locations, "schedules": report.schedules,
                        "replaced_services": report.replaced_services, "skipped": [str(p) for p in skipped]})
        if not args.json:
            print(f"{path.name}: {report.services} services, {report.organisations} organisations, "
                  f"{report.locations} venues, {report.schedules} weekly sessions loaded"
                  + (f" ({report.replaced_services} replaced)" if report.replaced_services else ""))
            if skipped:
                print(f"  {len(skipped)} problem(s); these records were skipped:", file=sys.stderr)
                _print_problems(skipped)
    if args.json:
        print(json.dumps(outcome, indent=2))
    return 0


def _validate(args: argparse.Namespace) -> int:
    from knowledge.loading import read_openreferral_file

    files = args.files or pack_files()
    if (code := _missing(files)) is not None:
        return code
    engine = make_engine(args.db)
    report = []
    for path in files:
        try:
            if path.suffix in (".yaml", ".yml"):
                rows = read_pack(path)
            else:
                rows, _ = read_openreferral_file(engine, path, args.area)
            report.append({"file": str(path), "ok": True, "services": len(rows.service), "problems": []})
        except DirectoryError as exc:
            report.append({"file": str(path), "ok": False, "problems": [p.__dict__ for p in exc.problems]})
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for item in report:
            if item["ok"]:
                print(f"{item['file']}: OK, {item['services']} services")
            else:
                print(f"{item['file']}: {len(item['problems'])} problem(s)")
                _print_problems([Problem(**p) for p in item["problems"]])
    return 0 if all(item["ok"] for item in report) else EXIT_PROBLEMS


def _near(value: Optional[str]) -> Any:
    if value and "," in value:
        try:
            lat, lon = (float(part) for part in value.split(",", 1))
            return (lat, lon)
        except ValueError:
            pass
    return value


def _search(args: argparse.Namespace) -> int:
    from knowledge.search import search

    if args.age is not None and not 0 <= args.age <= 120:
        print("--age must be between 0 and 120", file=sys.stderr)
        return EXIT_USAGE
    engine = make_engine(args.db)
    with session_factory(engine)() as session:
        result = search(session, need=args.need, near=_near(args.near), when=args.when, age=args.age,
                        free_only=args.free, text=" ".join(args.text) or None, limit=args.limit, offset=args.offset,
                        area=args.area)
    if args.json:
        print(json.dumps(result.as_dict(), indent=2, default=str))
        return 0
    print(result.message())
    for n, item in enumerate(result.results, start=args.offset + 1):
        print(f"\n{n}. {item.name}" + (f" ({item.organisation})" if item.organisation else ""))
        if item.venue:
            where = ", ".join(x for x in (item.venue.name, item.venue.address, item.venue.town, item.venue.postcode) if x)
            distance = f" - {item.distance_miles} miles" if item.distance_miles is not None else ""
            print(f"   {where}{distance}")
        if item.coverage:
            print(f"   {item.coverage}")
        if item.next_sessions:
            print(f"   Next: {'; '.join(item.next_sessions)}")
        print(f"   {item.cost.rstrip('.')}. {item.how_to_get_it}.")
        contact = " | ".join(x for x in (item.phone, item.email, item.web) if x)
        if contact:
            print(f"   {contact}")
        if item.illustrative:
            print("   (example venue and times from the data pack, not yet checked by the council)")
    if result.more:
        print(f"\nMore results: add --offset {args.offset + args.limit}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from knowledge.openreferral.export import export_directory

    engine = make_engine(args.db)
    with session_factory(engine)() as session:
        document = export_directory(session, args.area)
    text = json.dumps(document, indent=1, ensure_ascii=False, default=str)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        print(f"Wrote {document['total_items']} services to {args.output}", file=sys.stderr)
    else:
        print(text)
    return 0


def _stats(args: argparse.Namespace) -> int:
    from knowledge.stats import directory_stats

    engine = make_engine(args.db)
    with session_factory(engine)() as session:
        stats = directory_stats(session)
    if args.json:
        print(json.dumps(stats, indent=2))
        return 0
    print(f"{stats['services']} services ({stats['charged_services']} charged), {stats['organisations']} organisations, "
          f"{stats['locations']} venues ({stats['illustrative_locations']} illustrative), "
          f"{stats['schedules']} weekly sessions")
    for area_id, area in stats["areas"].items():
        print(f"  {area['name']}: {area['services']} services ({area.get('area_wide', 0)} area-wide)")
    print("By need:")
    for need in stats["needs"].values():
        by_area = ", ".join(f"{a} {n}" for a, n in sorted(need["by_area"].items()))
        print(f"  {need['name']}: {need['services']}" + (f" ({by_area})" if by_area else ""))
    return 0
