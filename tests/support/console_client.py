"""An advisor's console driven over HTTP, as the console page drives it: a session cookie, the CSRF
token, heartbeats. For tests that need an advisor without a browser (Telegram, restarts, races)."""
from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any, Optional

from sqlalchemy import update

from bot.console import accounts
from bot.handoff.models import Advisor
from bot.states import Presence
from core.database import make_engine, session_factory
from core.migrate import upgrade

PASSWORD = "correct horse battery staple"


def add_advisor(database_url: str, name: str, password: str = PASSWORD) -> None:
    upgrade(database_url)
    engine = make_engine(database_url)
    with session_factory(engine)() as session:
        try:
            accounts.add_advisor(session, name, password)
        except accounts.AccountError:
            pass  # made by an earlier test
    engine.dispose()


def everyone_offline(database_url: str) -> None:
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(update(Advisor).values(presence=Presence.OFFLINE))
    engine.dispose()


class Console:
    def __init__(self, url: str):
        self.url = url
        self.cookie: Optional[str] = None
        self.csrf: Optional[str] = None
        self._beating = threading.Event()
        self._thread: Optional[threading.Thread] = None

    def request(self, method: str, path: str, body: Any = None, csrf: Any = True,
                headers: Optional[dict[str, str]] = None) -> tuple[int, dict[str, Any], Any]:
        sent = {"Content-Type": "application/json", **(headers or {})}
        if self.cookie:
            sent["Cookie"] = self.cookie
        if csrf is True and self.csrf:
            sent["X-CSRF-Token"] = self.csrf
        elif isinstance(csrf, str):
            sent["X-CSRF-Token"] = csrf
        data = json.dumps(body or {}).encode() if method != "GET" else None
        request = urllib.request.Request(f"{self.url}/console/api/{path}", data=data, headers=sent, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, json.load(answer), answer.headers
        except urllib.error.HTTPError as error:
            return error.code, json.load(error), error.headers

    def log_in(self, name: str, password: str = PASSWORD) -> tuple[int, dict[str, Any]]:
        status, body, headers = self.request("POST", "login", {"name": name, "password": password})
        if status == 200:
            self.set_cookie = headers.get("Set-Cookie")
            self.cookie = self.set_cookie.split(";")[0]
            self.csrf = body["csrf"]
        return status, body

    def state(self) -> dict[str, Any]:
        status, body, _ = self.request("GET", "state")
        assert status == 200, body
        return body

    def chat(self, handoff_id: int, after: int = 0) -> dict[str, Any]:
        status, body, _ = self.request("GET", f"handoffs/{handoff_id}?after={after}")
        assert status == 200, body
        return body

    def post(self, path: str, body: Any = None) -> tuple[int, dict[str, Any]]:
        status, answer, _ = self.request("POST", path, body)
        return status, answer

    def heartbeat(self, presence: str = "online") -> None:
        self.post("heartbeat", {"presence": presence})

    def keep_beating(self, every: float = 1.0) -> "Console":
        self._beating.set()

        def beat() -> None:
            while self._beating.is_set():
                try:
                    self.heartbeat()
                except Exception:  # the server may be restarting
                    pass
                time.sleep(every)

        self._thread = threading.Thread(target=beat, daemon=True)
        self._thread.start()
        return self

    def stop_beating(self) -> None:
        self._beating.clear()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def waiting_for(self, conversation_id: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for entry in self.state()["queue"]:
                if entry["conversation"] == conversation_id:
                    return entry
            time.sleep(0.3)
        raise AssertionError(f"{conversation_id} never reached the queue")
