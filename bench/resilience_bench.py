"""Resilience: a resident's reply time while the server is being abused, against the same with no abuse, in one
run on one server. The abuse is what the security review found stalled everyone: logins with unknown names
(argon2 on each), oversized REST messages, deeply nested widget frames and a flood from one address.

    .venv/bin/python -m bench resilience
"""
from __future__ import annotations

import asyncio
import json
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import websockets

from bench import report
from tests.support.assistant import knowledge_base, start_assistant
from tests.support.widget_client import call

ROUNDS = 3  # quiet, abused, quiet, abused...: each phase measured ROUNDS times, interleaved
TURNS = 30  # resident turns per phase, one after another
RESIDENT = ["where can i get debt advice in southport", "stay and play for my toddler in bootle", "are any free?",
            "food bank near l20", "youth club in maghull after school"]


def resident_turns(url: str, phase: str, round_number: int) -> list[float]:
    times = []
    for n in range(TURNS):
        start = time.perf_counter()
        status, _, _ = call("POST", f"{url}/webhooks/rest/webhook",
                            {"sender": f"resident-{phase}-{round_number}-{n % 5}", "message": RESIDENT[n % len(RESIDENT)]})
        assert status == 200, status
        times.append((time.perf_counter() - start) * 1000)
    return times


def abuse(url: str, stop: threading.Event) -> dict[str, int]:
    """Until ``stop``: 40 logins at a time with unknown names, oversized messages, nested frames, a flood."""
    counts = {"logins": 0, "oversized": 0, "frames": 0, "flood": 0}
    lock = threading.Lock()

    def count(kind: str) -> None:
        with lock:
            counts[kind] += 1

    socket_url = url.replace("http://", "ws://") + "/widget/socket"

    def login(n: int) -> None:
        call("POST", f"{url}/console/api/login", {"name": f"nobody {n}", "password": "guess"},
             {"X-Forwarded-For": f"192.0.2.{n % 250}"})
        count("logins")

    def oversized(n: int) -> None:
        call("POST", f"{url}/webhooks/rest/webhook", {"sender": f"big-{n}", "message": "y" * 900_000})
        count("oversized")

    def flood(n: int) -> None:
        call("POST", f"{url}/webhooks/rest/webhook", {"sender": f"flood-{n}", "message": "hi"},
             {"X-Forwarded-For": "198.51.100.1"})
        count("flood")

    async def frames() -> None:
        async with websockets.connect(socket_url) as ws:
            for _ in range(20):
                await ws.send("[" * 5000)
                await ws.recv()
                count("frames")

    with ThreadPoolExecutor(max_workers=48) as pool:
        n = 0
        while not stop.is_set():
            jobs = [pool.submit(login, n + i) for i in range(40)]
            jobs += [pool.submit(oversized, n + i) for i in range(5)]
            jobs += [pool.submit(flood, n + i) for i in range(5)]
            jobs.append(pool.submit(asyncio.run, frames()))
            for job in jobs:
                job.result()
            n += 40
    return counts


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        kb = knowledge_base(tmpdir)
        (tmpdir / "server").mkdir()
        server = start_assistant(tmpdir / "server", kb)
        try:
            resident_turns(server.url, "warm", 0)
            quiet, abused, counts = [], [], {}
            for round_number in range(ROUNDS):
                quiet += resident_turns(server.url, "quiet", round_number)
                stop = threading.Event()
                done: dict[str, dict[str, int]] = {}
                attacker = threading.Thread(target=lambda: done.update(counts=abuse(server.url, stop)))
                attacker.start()
                time.sleep(1.0)  # the abuse under way before the resident writes
                abused += resident_turns(server.url, "abused", round_number)
                stop.set()
                attacker.join()
                for key, value in done["counts"].items():
                    counts[key] = counts.get(key, 0) + value
        finally:
            server.stop()
    p = report.percentile
    ratio = p(abused, 95) / p(quiet, 95)
    body = (
        f"One server (`make run`'s set-up, SQLite). A resident's REST turns, {TURNS} at a time, one after another, "
        f"with no abuse and while it runs, interleaved {ROUNDS} times in the same run. The abuse, repeated until the "
        f"resident's turns are done: 40 console logins at once with unknown names (each from its own address), 5 "
        f"messages of 900,000 characters (413), 5 REST messages from one address outside (403: no token is set), and a "
        f"widget socket sending frames "
        f"nested 5,000 deep. Sent during the abused phases: {counts.get('logins', 0)} logins, "
        f"{counts.get('oversized', 0)} oversized messages, {counts.get('flood', 0)} flood messages, "
        f"{counts.get('frames', 0)} nested frames.\n\n"
        "| resident's turns | turns | p50 ms | p95 ms | max ms |\n|---|---|---|---|---|\n"
        f"| no abuse | {len(quiet)} | {report.median(quiet):.0f} | {p(quiet, 95):.0f} | {max(quiet):.0f} |\n"
        f"| under abuse | {len(abused)} | {report.median(abused):.0f} | {p(abused, 95):.0f} | {max(abused):.0f} |\n\n"
        f"- p95 under abuse / without: **{ratio:.2f}**; p95 under abuse {p(abused, 95):.0f} ms (target under 300 ms: "
        f"{'met' if p(abused, 95) < 300 else 'NOT met'}).\n"
    )
    report.write("resilience", "Resilience: a resident's reply time while the server is abused", body)


if __name__ == "__main__":
    main()
