"""The scaled mode as `make run-scaled` starts it (scripts/run-scaled.sh), on private ports: for the scaled-mode
tests and the load bench."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from tests.support.assistant import PINNED_NOW, PROJECT, free_port


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def consecutive_free_ports(count: int) -> int:
    while True:
        first = free_port()
        if all(_free(first + n) for n in range(1, count)):
            return first


def _another_free_port(taken: set[int]) -> int:
    while True:
        port = free_port()
        if port not in taken:
            return port


@dataclass
class Scaled:
    url: str  # nginx, in front
    servers: list[str]  # each Rasa server, directly
    process: subprocess.Popen
    log: Path

    def stop(self) -> None:
        """Everything the script started, as Ctrl-C would."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=120)


def start_scaled(log: Path, env: Optional[dict[str, str]] = None, servers: int = 2, pinned: bool = True) -> Scaled:
    # Chosen apart: a port just found free stays free to be found again until someone binds it.
    first = consecutive_free_ports(servers)
    taken = set(range(first, first + servers))
    port = _another_free_port(taken)
    actions = _another_free_port(taken | {port})
    full = {**os.environ, "SIGNPOST_PORT": str(port), "SIGNPOST_FIRST_RASA_PORT": str(first),
            "SIGNPOST_ACTIONS_PORT": str(actions), "SIGNPOST_RASA_SERVERS": str(servers),
            "SIGNPOST_POSTCODES_URL": "", **({"SIGNPOST_NOW": PINNED_NOW} if pinned else {}), **(env or {})}
    process = subprocess.Popen(["scripts/run-scaled.sh"], cwd=PROJECT, env=full, stdout=log.open("w"),
                               stderr=subprocess.STDOUT, start_new_session=True)
    scaled = Scaled(f"http://127.0.0.1:{port}", [f"http://127.0.0.1:{first + n}" for n in range(servers)], process, log)
    deadline = time.monotonic() + 420
    while "Signpost (scaled" not in log.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            scaled.stop()
            raise RuntimeError(f"the scaled mode did not start:\n{log.read_text()[-3000:]}")
        time.sleep(1)
    return scaled
