"""Load: open-loop arrivals of residents' multi-turn conversations through the REST channel at a series of
rates, for the embedded default (`make run`: one process, SQLite), the scaled mode (`make run-scaled`: two Rasa
servers, PostgreSQL, Redis, nginx) and stock `rasa init`, measured in the same run, each rate in turn on each;
p50, p95, p99, served rate, errors and messages lost per rate, each one's knee (the highest rate with p95 at
most 300 ms), and a latency-against-load plot (bench/results/load.png).

    .venv/bin/python -m bench load
"""
from __future__ import annotations

import json
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from bench import report
from bench.assistant_bench import STOCK, stock_assistant, warm
from tests.support.assistant import PROJECT, knowledge_base, start_assistant
from tests.support.scaled import start_scaled

RATES = [10, 20, 30, 40, 50]  # turns per second offered
SECONDS = 15
KNEE_MS = 300.0
#: a resident's conversation, turn by turn: each arrival is the next turn of one of the open conversations
CONVERSATION = ["hiya", "where can i get debt advice in southport", "are any free?", "whats their number",
                "stay and play for my toddler in bootle", "what about saturday?", "thanks"]


def offer(url: str, messages: list[str], rate: float, tag: str) -> dict[str, float]:
    """RATE turns a second for SECONDS, each on its own thread: latencies of the answered, errors, lost."""
    latencies: list[float] = []
    errors = lost = 0
    lock = threading.Lock()
    conversations = max(int(rate * 2), 5)  # each conversation has a turn every couple of seconds

    def turn(n: int) -> None:
        nonlocal errors, lost
        sender = f"{tag}-{rate}-{n % conversations}"
        body = json.dumps({"sender": sender, "message": messages[(n // conversations) % len(messages)]}).encode()
        request = urllib.request.Request(f"{url}/webhooks/rest/webhook", data=body,
                                         headers={"Content-Type": "application/json"})
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                answer = json.loads(response.read() or b"[]")
            elapsed = (time.perf_counter() - start) * 1000
            with lock:
                latencies.append(elapsed)
                if not answer:
                    lost += 1  # no reply at all: the message was not answered
        except Exception:
            with lock:
                errors += 1

    threads = []
    begin = time.perf_counter()
    for n in range(int(rate * SECONDS)):
        delay = begin + n / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        thread = threading.Thread(target=turn, args=(n,))
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    took = time.perf_counter() - begin
    p = report.percentile
    return {"rate": rate, "served": len(latencies) / took, "p50": report.median(latencies) if latencies else float("nan"),
            "p95": p(latencies, 95), "p99": p(latencies, 99), "errors": errors, "lost": lost}


def knee(rows: list[dict[str, float]]) -> float:
    held = [r["rate"] for r in rows if r["p95"] <= KNEE_MS and not r["errors"]]
    return max(held) if held else 0.0


def plot(results: dict[str, list[dict[str, float]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(7, 4.5))
    for name, rows in results.items():
        axis.plot([r["rate"] for r in rows], [r["p95"] for r in rows], marker="o", label=f"{name} p95")
    axis.axhline(KNEE_MS, color="grey", linestyle="--", linewidth=1, label=f"{KNEE_MS:.0f} ms")
    axis.set_xlabel("turns per second offered")
    axis.set_ylabel("p95 latency (ms)")
    axis.set_yscale("log")
    axis.set_title("Latency against load (REST channel, this machine)")
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def main() -> None:
    results: dict[str, list[dict[str, float]]] = {"embedded": [], "scaled": [], "stock": []}
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        kb = knowledge_base(tmpdir)
        for folder in ("embedded", "stock", "scaled"):
            (tmpdir / folder).mkdir()
        embedded = start_assistant(tmpdir / "embedded", kb)
        stock_process, stock_url = stock_assistant(tmpdir / "stock")
        scaled = start_scaled(tmpdir / "scaled" / "run-scaled.log")
        urls = {"embedded": embedded.url, "scaled": scaled.url, "stock": stock_url}
        try:
            warm(embedded.url, CONVERSATION)
            warm(scaled.url, CONVERSATION)
            warm(stock_url, STOCK)
            for rate in RATES:  # each rate on each in turn, so they share the machine's ups and downs
                for name, url in urls.items():
                    results[name].append(offer(url, STOCK if name == "stock" else CONVERSATION, rate, name))
        finally:
            embedded.stop()
            scaled.stop()
            stock_process.terminate()
            stock_process.wait(timeout=30)
    png = report.RESULTS / "load.png"
    report.RESULTS.mkdir(parents=True, exist_ok=True)
    plot(results, png)
    lines = [f"Open-loop arrivals through `/webhooks/rest/webhook`, {SECONDS} s at each rate; each arrival is the "
             "next turn of one of the open conversations (about two seconds between a conversation's turns); "
             "each rate on each assistant in turn, in the same run. Stock `rasa init` answers its own moodbot "
             "lines. Lost: answered with no reply at all.\n",
             "| assistant | offered /s | served /s | p50 ms | p95 ms | p99 ms | errors | lost |",
             "|---|---|---|---|---|---|---|---|"]
    for name, rows in results.items():
        for r in rows:
            lines.append(f"| {name} | {r['rate']:.0f} | {r['served']:.1f} | {r['p50']:.0f} | {r['p95']:.0f} | "
                         f"{r['p99']:.0f} | {r['errors']:.0f} | {r['lost']:.0f} |")
    knees = {name: knee(rows) for name, rows in results.items()}
    ratio = lambda a, b: (knees[a] / knees[b]) if knees[b] else float("nan")  # noqa: E731
    lines += ["", f"Knee (highest rate with p95 <= {KNEE_MS:.0f} ms and no errors): embedded {knees['embedded']:.0f}, "
                  f"scaled {knees['scaled']:.0f}, stock {knees['stock']:.0f} turns/s.",
              f"- embedded / stock: **{ratio('embedded', 'stock'):.2f}** (target >= 1.0); scaled / embedded: "
              f"**{ratio('scaled', 'embedded'):.2f}** (target >= 1.0); embedded holds 40 turns/s: "
              f"{'yes' if knees['embedded'] >= 40 else 'no'} (target yes).",
              f"- Signpost's errors and lost messages at rates it holds (p95 <= {KNEE_MS:.0f} ms): "
              f"{sum(r['errors'] + r['lost'] for name in ('embedded', 'scaled') for r in results[name] if r['p95'] <= KNEE_MS):.0f} "
              "(target 0). Stock's 'lost' are its moodbot's silences (it has no reply for some of its own lines), "
              "not failures.", "", f"![latency against load]({png.name})"]
    report.write("load", "Load: latency against load, embedded, scaled and stock", "\n".join(lines))


if __name__ == "__main__":
    main()
