"""Knowledge base benchmark: search latency on the shipped packs and on generated directories of
10,000 and 100,000 services (SQLite), and the time to import a 10,000-service Open Referral UK file.

Targets (issue 2): search p95 <= 5 ms at 10,000 services; cost growing sub-linearly with size
(p50 at 100,000 over p50 at 10,000 well under 10); a 10,000-service import in under 30 s.
"""
from __future__ import annotations

import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

from bench import generate_directory, report
from core.database import make_engine, session_factory
from knowledge.geography.places import geographies
from knowledge.loading import import_openreferral, load_all_packs
from knowledge.search import search
from knowledge.vocabulary import needs
from knowledge.when import LONDON

QUERIES = 400
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=LONDON)


def queries(seed: int = 11) -> list[dict]:
    rng = random.Random(seed)
    towns = [t for g in geographies().values() for t in g.towns]
    districts = [d.code for g in geographies().values() for d in g.districts]
    vocabulary = [n.id for n in needs()]
    words = ["debt advice", "stay and play", "swimming", "youth club", "food bank", "job club", "evicted",
             "english classes", "carers", "coffee morning"]
    made = []
    for i in range(QUERIES):
        kind = i % 5
        if kind == 0:
            made.append({"need": rng.choice(vocabulary), "near": rng.choice(towns).name})
        elif kind == 1:
            made.append({"need": rng.choice(vocabulary), "near": rng.choice(districts),
                         "when": rng.choice(["tomorrow", "saturday", "this week", "mornings", "after school"]),
                         "age": rng.choice([1, 2, 4, 9, 15, 35])})
        elif kind == 2:
            made.append({"text": rng.choice(words), "near": rng.choice(towns).name})
        elif kind == 3:
            made.append({"need": rng.choice(vocabulary), "near": f"{rng.choice(districts)} {rng.randint(1, 9)}AB",
                         "free_only": True})
        else:
            made.append({"need": rng.choice(vocabulary), "area": rng.choice(list(geographies()))})
    return made


def time_searches(url: str) -> list[float]:
    engine = make_engine(url)
    asked = queries()
    with session_factory(engine)() as session:
        for q in asked[:40]:  # warm caches (spaCy, SQLite pages) as a running server would be
            search(session, now=NOW, **q)
        times = []
        for q in asked:
            start = time.perf_counter()
            search(session, now=NOW, **q)
            times.append((time.perf_counter() - start) * 1000)
    engine.dispose()
    return times


def main() -> None:
    rows = []
    import_seconds = None
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        sizes: list[tuple[str, int]] = [("packs", 0), ("10,000", 10_000), ("100,000", 100_000)]
        p50s = {}
        for label, size in sizes:
            url = f"sqlite:///{tmpdir / f'bench-{size}.sqlite3'}"
            engine = make_engine(url)
            load_all_packs(engine)
            if size:
                feed = generate_directory.write(size, tmpdir / f"generated-{size}.json")
                start = time.perf_counter()
                import_openreferral(engine, feed)
                seconds = time.perf_counter() - start
                if size == 10_000:
                    import_seconds = seconds
                print(f"imported {size} services in {seconds:.1f} s", file=sys.stderr)
            with engine.connect() as conn:
                total = conn.exec_driver_sql("SELECT count(*) FROM service").scalar_one()
            engine.dispose()
            times = time_searches(url)
            p50, p95 = report.median(times), report.percentile(times, 95)
            p50s[label] = p50
            rows.append(f"| {label} | {total:,} | {len(times)} | {p50:.2f} | {p95:.2f} | {max(times):.2f} |")
        growth = p50s["100,000"] / p50s["10,000"]
    p95_10k = float(rows[1].split("|")[5])
    body = (
        "Search through `knowledge.search.search` on SQLite, one warm session, a fixed mix of "
        f"{QUERIES} queries (need + town; need + district + time + age; free text + town; need + postcode, free "
        "only; need across an area). Generated directories are the shipped packs plus generated services.\n\n"
        "| directory | services | queries | p50 ms | p95 ms | max ms |\n|---|---|---|---|---|---|\n"
        + "\n".join(rows)
        + f"\n\n- Growth of median search time from 10,000 to 100,000 services: **{growth:.2f}x** for 10x the "
        f"services ({'sub-linear' if growth < 10 else 'NOT sub-linear'}).\n"
        f"- Search p95 at 10,000 services: **{p95_10k:.2f} ms** (target <= 5 ms: "
        f"{'met' if p95_10k <= 5 else 'NOT met'}).\n"
        f"- Import of a 10,000-service Open Referral UK file: **{import_seconds:.1f} s** (target < 30 s: "
        f"{'met' if import_seconds < 30 else 'NOT met'}).\n"
    )
    report.write("knowledge", "Knowledge base: search latency and import time", body)


if __name__ == "__main__":
    main()
