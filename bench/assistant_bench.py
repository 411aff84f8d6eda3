"""Assistant benchmark, side by side in one run: per-turn latency through the REST channel at 10 turns/s
offered (open loop), for Signpost (Rasa, action server, knowledge base) and for stock Rasa's `rasa init`
assistant; the ratio of their p95s; Signpost's training time and its start-up to first answer.

Targets (issue 3): p95 no worse than stock's; training under 5 minutes; first answer within 90 s.
"""
from __future__ import annotations

import json
import os
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from bench import report
from tests.support.assistant import PROJECT, free_port, start_assistant

RATE = 10.0  # turns per second offered
SECONDS = 30
OURS = ["where can i get debt advice in southport", "stay and play for my toddler in bootle", "what about saturday?",
        "are any free?", "whats their number", "more", "youth club in maghull after school", "hiya",
        "food bank near l20", "i need help with universal credit in crosby"]
STOCK = ["hello", "I am sad", "great", "no", "are you a bot?", "goodbye", "very good", "not really", "yes", "hi"]


def load(url: str, messages: list[str]) -> list[float]:
    """Offer RATE turns a second for SECONDS, each on its own thread, and time every answer (ms)."""
    latencies: list[float] = []
    lock = threading.Lock()

    def turn(n: int) -> None:
        body = json.dumps({"sender": f"load-{n % 25}", "message": messages[n % len(messages)]}).encode()
        request = urllib.request.Request(f"{url}/webhooks/rest/webhook", data=body,
                                         headers={"Content-Type": "application/json"})
        start = time.perf_counter()
        with urllib.request.urlopen(request, timeout=60) as response:
            response.read()
        with lock:
            latencies.append((time.perf_counter() - start) * 1000)

    threads = []
    begin = time.perf_counter()
    for n in range(int(RATE * SECONDS)):
        delay = begin + n / RATE - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        thread = threading.Thread(target=turn, args=(n,))
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    return latencies


def warm(url: str, messages: list[str]) -> None:
    for n, message in enumerate(messages):
        body = json.dumps({"sender": f"warm-{n}", "message": message}).encode()
        request = urllib.request.Request(f"{url}/webhooks/rest/webhook", data=body,
                                         headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request, timeout=60).read()


def stock_assistant(workdir: Path) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    rasa = str(PROJECT / ".venv" / "bin" / "rasa")
    subprocess.run([rasa, "init", "--no-prompt", "--init-dir", str(workdir)], cwd=workdir, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port = free_port()
    log = (workdir / "stock.log").open("w")
    process = subprocess.Popen([rasa, "run", "--interface", "127.0.0.1", "--port", str(port)], cwd=workdir, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/", timeout=2).read()
            return process, url
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("stock assistant did not start")


def main() -> None:
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "RASA_MAX_CACHE_SIZE": "0"}  # no training cache: real times
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        start = time.perf_counter()
        subprocess.run([str(PROJECT / ".venv" / "bin" / "rasa"), "train", "--data", "nlu/data", "bot/dialogue",
                        "--domain", "domain.yml", "--config", "config.yml", "--out", str(tmpdir / "models"),
                        "--force", "--quiet"], cwd=PROJECT, env=env, check=True, stdout=subprocess.DEVNULL)
        training = time.perf_counter() - start

        kb = f"sqlite:///{PROJECT / 'data' / 'signpost.sqlite3'}"
        (tmpdir / "ours").mkdir()
        launched = time.perf_counter()
        ours = start_assistant(tmpdir / "ours", kb)
        ours.say("first", "hello")
        startup = time.perf_counter() - launched
        (tmpdir / "stock").mkdir()
        stock_process, stock_url = stock_assistant(tmpdir / "stock")
        try:
            warm(ours.url, OURS)
            warm(stock_url, STOCK)
            stock_times = load(stock_url, STOCK)
            our_times = load(ours.url, OURS)
            stock_times_2 = load(stock_url, STOCK)  # again after ours: the machine's load is shared
        finally:
            ours.stop()
            stock_process.terminate()
            stock_process.wait(timeout=30)
    stock_all = stock_times + stock_times_2
    p = report.percentile
    ratio = p(our_times, 95) / p(stock_all, 95)
    body = (
        f"Open-loop load through `/webhooks/rest/webhook`: {RATE:g} turns/s offered for {SECONDS} s, 25 concurrent "
        "conversations; stock measured before and after Signpost in the same run.\n\n"
        "| assistant | turns | p50 ms | p95 ms | max ms |\n|---|---|---|---|---|\n"
        f"| Signpost (Rasa, SQL conversation store, action server, knowledge base) | {len(our_times)} | {report.median(our_times):.0f} | "
        f"{p(our_times, 95):.0f} | {max(our_times):.0f} |\n"
        f"| stock `rasa init` assistant (conversations in memory, no custom actions) | {len(stock_all)} | {report.median(stock_all):.0f} | {p(stock_all, 95):.0f} | "
        f"{max(stock_all):.0f} |\n\n"
        f"- p95 ratio Signpost / stock: **{ratio:.2f}** (target <= 1.0: {'met' if ratio <= 1.0 else 'NOT met'}); "
        f"p50 ratio {report.median(our_times) / report.median(stock_all):.2f}.\n"
        f"- Training time (`rasa train`, NLU and dialogue): **{training:.0f} s** (target < 300 s: "
        f"{'met' if training < 300 else 'NOT met'}).\n"
        f"- Start-up to first answer (action server and Rasa launched, first reply received): **{startup:.0f} s** "
        f"(target < 90 s: {'met' if startup < 90 else 'NOT met'}).\n"
    )
    report.write("assistant", "Assistant: latency under load, training time and start-up", body)


if __name__ == "__main__":
    main()
