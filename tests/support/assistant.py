"""Running the real assistant for tests: the action server and Rasa with its REST channel, on free
ports on 127.0.0.1, with the trained model, a knowledge base of the shipped packs and its own
conversation store. "Now" is pinned (SIGNPOST_NOW) so answers about days and times are deterministic."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from tests.support.plain_english import assert_plain

PROJECT = Path(__file__).resolve().parents[2]
MODEL = PROJECT / "models" / "signpost.tar.gz"
PINNED_NOW = "2026-11-23T09:00:00+00:00"  # a Monday morning, front doors open


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, process: subprocess.Popen, log: Path, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not start in {timeout:.0f} s:\n{log.read_text()[-3000:]}")


@dataclass
class Assistant:
    """A running assistant; ``say`` sends a message through the REST channel like the widget does."""

    url: str
    workdir: Path
    processes: list[subprocess.Popen] = field(default_factory=list)
    actions_command: list[str] = field(default_factory=list)
    actions_port: int = 0
    env: dict[str, str] = field(default_factory=dict)

    def stop_actions(self) -> None:
        """Stop the action server (a fault: Rasa stays up)."""
        actions = self.processes[0]
        actions.terminate()
        actions.wait(timeout=20)

    def start_actions(self) -> None:
        """Start the action server again on the same port, and wait until it answers."""
        log = self.workdir / "actions.log"
        actions = subprocess.Popen(self.actions_command, cwd=PROJECT, env=self.env, stdout=log.open("a"),
                                   stderr=subprocess.STDOUT)
        self.processes[0] = actions
        _wait_for(f"http://127.0.0.1:{self.actions_port}/health", actions, log)

    def say(self, sender: str, message: str) -> list[dict[str, Any]]:
        """The replies; every text in them must pass the plain-English check (``tests.support.plain_english``)."""
        request = urllib.request.Request(
            f"{self.url}/webhooks/rest/webhook", data=json.dumps({"sender": sender, "message": message}).encode(),
            headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            replies = json.load(response)
        for reply in replies:
            if reply.get("text"):
                assert_plain(reply["text"])
        return replies

    def text(self, sender: str, message: str) -> str:
        return "\n".join(r.get("text", "") for r in self.say(sender, message))

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def start_assistant(workdir: Path, database_url: str, extra_env: Optional[dict[str, str]] = None) -> Assistant:
    if not MODEL.exists():
        raise RuntimeError("no trained model: run `make setup` (scripts/train.sh) first")
    actions_port, rasa_port = free_port(), free_port()
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(
        f"action_endpoint:\n  url: http://127.0.0.1:{actions_port}/webhook\n"
        # Rasa's tracker store on the same database as everything else, as endpoints.yml has it.
        "tracker_store:\n  type: bot.tracker_store.CachedSQLTrackerStore\n")
    env = {**os.environ, "SIGNPOST_DATABASE_URL": database_url, "SIGNPOST_NOW": PINNED_NOW,
           "RASA_TELEMETRY_ENABLED": "false", "SANIC_HOST": "127.0.0.1", "SIGNPOST_POSTCODES_URL": "",
           **(extra_env or {})}
    venv = PROJECT / ".venv" / "bin"
    actions_log, rasa_log = workdir / "actions.log", workdir / "rasa.log"
    actions_command = [str(venv / "rasa"), "run", "actions", "--actions", "actions", "--port", str(actions_port)]
    actions = subprocess.Popen(actions_command, cwd=PROJECT, env=env, stdout=actions_log.open("w"), stderr=subprocess.STDOUT)
    rasa = subprocess.Popen([str(venv / "rasa"), "run", "--interface", "127.0.0.1", "--port", str(rasa_port),
                             "--model", str(MODEL), "--credentials", str(PROJECT / "credentials.yml"),
                             "--endpoints", str(endpoints)],
                            cwd=PROJECT, env=env, stdout=rasa_log.open("w"), stderr=subprocess.STDOUT)
    assistant = Assistant(f"http://127.0.0.1:{rasa_port}", workdir, [actions, rasa], actions_command, actions_port, env)
    try:
        _wait_for(f"http://127.0.0.1:{actions_port}/health", actions, actions_log)
        _wait_for(f"{assistant.url}/", rasa, rasa_log)
    except Exception:
        assistant.stop()
        raise
    return assistant


def knowledge_base(folder: Path) -> str:
    """A SQLite knowledge base of the shipped packs (with the conversation and handoff tables) in
    ``folder``; its URL."""
    from core.database import make_engine
    from core.migrate import upgrade
    from knowledge.loading import load_all_packs

    url = f"sqlite:///{folder / 'kb.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    load_all_packs(engine)
    engine.dispose()
    return url
