"""A stand-in for Telegram's Bot API on 127.0.0.1, for tests: python-telegram-bot talks to it through its
``base_url`` exactly as it talks to Telegram, and it records every call.

It answers the methods Signpost uses the way Telegram does (``{"ok": true, "result": ...}``), checks
what Telegram checks about a message (the token, HTML formatting, the 4,096-character limit, 64 bytes of
callback data), serves queued updates to ``getUpdates`` long polling, and can be told to answer the next
sends with 429 "retry after" or 5xx errors.
"""
from __future__ import annotations

import html
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Optional
from urllib.parse import parse_qsl

BOT_USER = {"id": 7000000001, "is_bot": True, "first_name": "Signpost", "username": "signpost_test_bot",
            "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}
ALLOWED_TAGS = ("b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "span",
                "tg-spoiler", "tg-emoji", "blockquote")
_TAG = re.compile(r"</?(%s)(\s[^<>]*)?>" % "|".join(map(re.escape, ALLOWED_TAGS)))
_BARE_AMPERSAND = re.compile(r"&(?!(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)")


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int
    result: Any = None  # what Telegram answered ("result" of a successful call)
    at: float = field(default_factory=time.monotonic)


@dataclass
class Failure:
    status: int
    retry_after: Optional[int]
    remaining: Optional[int]  # None: until recovered


#: The bot token the tests use; the fake checks every call carries it.
TOKEN = "7000000001:AAF-signpost-test-token_0123456789"


def telegram_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def check_text(text: str, parse_mode: Optional[str]) -> Optional[str]:
    """Telegram's complaint about a message text, or None when it would be accepted."""
    if parse_mode == "HTML":
        stripped = _TAG.sub("", text)
        if "<" in stripped or ">" in stripped:
            return "Bad Request: can't parse entities: unsupported start tag or unescaped <, >"
        if _BARE_AMPERSAND.search(stripped):
            return "Bad Request: can't parse entities: unescaped &"
        text = html.unescape(stripped)
    if not text.strip():
        return "Bad Request: message text is empty"
    if telegram_length(text) > 4096:
        return "Bad Request: message is too long"
    return None


class FakeTelegram:
    def __init__(self, token: str):
        self.token = token
        self.calls: list[Call] = []
        self.webhook: dict[str, Any] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[str, itertools.count] = {}
        self._failures: dict[str, Failure] = {}
        self._cond = threading.Condition()
        self._stopping = False
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                fake._handle(self)

            do_GET = do_POST

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # -- test controls -----------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """What to give python-telegram-bot as ``base_url`` (it appends the token)."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/bot"

    def start(self) -> "FakeTelegram":
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self.server.shutdown()
        self.server.server_close()

    def queue_update(self, update: dict[str, Any]) -> int:
        """An update for ``getUpdates`` (its update_id given here if missing); returns the update_id."""
        with self._cond:
            update = {"update_id": next(self._update_ids), **update}
            self._updates.append(update)
            self._cond.notify_all()
            return update["update_id"]

    def next_update_id(self) -> int:
        with self._cond:
            return next(self._update_ids)

    def fail(self, method: str, status: int, times: Optional[int] = 1, retry_after: Optional[int] = None) -> None:
        """Answer the next ``times`` calls of ``method`` (every call until ``recover``, if None) with an error."""
        with self._cond:
            self._failures[method] = Failure(status, retry_after, times)

    def recover(self, method: str) -> None:
        with self._cond:
            self._failures.pop(method, None)

    def recorded(self, method: Optional[str] = None, chat_id: Any = None, ok: Optional[bool] = None) -> list[Call]:
        with self._cond:
            calls = list(self.calls)
        return [c for c in calls if (method is None or c.method == method)
                and (chat_id is None or str(c.params.get("chat_id")) == str(chat_id))
                and (ok is None or (c.status == 200) == ok)]

    def sent(self, chat_id: Any) -> list[dict[str, Any]]:
        """The messages Telegram accepted for a chat, oldest first, with the message_id it gave each."""
        return [{**c.params, "message_id": c.result["message_id"]} for c in self.recorded("sendMessage", chat_id, ok=True)]

    def wait_for(self, condition: Callable[[], Any], timeout: float = 30, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = condition()
            if result:
                return result
            time.sleep(0.05)
        raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; calls: "
                             f"{[(c.method, c.status) for c in self.recorded()][-20:]}")

    # -- the Bot API -------------------------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        prefix = f"/bot{self.token}/"
        if not request.path.startswith(prefix):
            return self._answer(request, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        method = request.path[len(prefix):].split("?")[0]
        params = self._params(request.headers.get("Content-Type", ""), body)
        status, payload = self._call(method, params)
        result = payload.get("result") if isinstance(payload, dict) else None
        with self._cond:
            self.calls.append(Call(method, params, status, result))
        self._answer(request, status, payload)

    @staticmethod
    def _params(content_type: str, body: bytes) -> dict[str, Any]:
        if not body:
            return {}
        if content_type.startswith("application/json"):
            return json.loads(body)
        params: dict[str, Any] = {}
        for key, value in parse_qsl(body.decode(), keep_blank_values=True):
            if value[:1] in "[{":
                try:
                    value = json.loads(value)
                except ValueError:
                    pass
            params[key] = value
        return params

    @staticmethod
    def _answer(request: BaseHTTPRequestHandler, status: int, payload: Any) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json" if not isinstance(payload, bytes) else "text/html")
            request.send_header("Content-Length", str(len(data)))
            request.end_headers()
            request.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a long poll at shutdown)
            request.close_connection = True

    def _injected_failure(self, method: str) -> Optional[tuple[int, Any]]:
        with self._cond:
            failure = self._failures.get(method)
            if failure is None:
                return None
            if failure.remaining is not None:
                failure.remaining -= 1
                if failure.remaining <= 0:
                    del self._failures[method]
        if failure.status == 429:
            after = failure.retry_after or 1
            return 429, {"ok": False, "error_code": 429, "description": f"Too Many Requests: retry after {after}",
                         "parameters": {"retry_after": after}}
        if failure.status == 502:
            return 502, b"<html><head><title>502 Bad Gateway</title></head></html>"
        return failure.status, {"ok": False, "error_code": failure.status, "description": "Internal Server Error"}

    def _message(self, chat_id: Any, message_id: Optional[int] = None, **fields: Any) -> dict[str, Any]:
        if message_id is None:
            with self._cond:
                message_id = next(self._message_ids.setdefault(str(chat_id), itertools.count(1)))
        return {"message_id": message_id, "date": int(time.time()), "from": BOT_USER,
                "chat": {"id": int(chat_id), "type": "private"}, **fields}

    def _call(self, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        failure = self._injected_failure(method)
        if failure:
            return failure
        ok = lambda result: (200, {"ok": True, "result": result})  # noqa: E731
        bad = lambda description: (400, {"ok": False, "error_code": 400, "description": description})  # noqa: E731
        if method == "getMe":
            return ok(BOT_USER)
        if method == "getUpdates":
            return ok(self._long_poll(params))
        if method in ("deleteWebhook", "setMyCommands", "answerCallbackQuery", "sendChatAction"):
            if method == "deleteWebhook":
                self.webhook = {}
            return ok(True)
        if method == "setWebhook":
            self.webhook = dict(params)
            return ok(True)
        if method == "getWebhookInfo":
            return ok({"url": self.webhook.get("url", ""), "has_custom_certificate": False, "pending_update_count": 0})
        if method == "sendMessage":
            if "chat_id" not in params:
                return bad("Bad Request: chat_id is empty")
            problem = check_text(str(params.get("text", "")), params.get("parse_mode"))
            if problem:
                return bad(problem)
            markup = params.get("reply_markup") or {}
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    if len(button.get("callback_data", "").encode()) > 64:
                        return bad("Bad Request: BUTTON_DATA_INVALID")
            return ok(self._message(params["chat_id"], text=params["text"]))
        if method == "editMessageReplyMarkup":
            return ok(self._message(params["chat_id"], int(params["message_id"]), text="(edited)"))
        return 404, {"ok": False, "error_code": 404, "description": "Not Found"}

    def _long_poll(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), 5.0)
        limit = int(params.get("limit") or 100)
        with self._cond:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]  # confirmed: forgotten
            self._cond.wait_for(lambda: self._updates or self._stopping, timeout=timeout)
            return list(self._updates[:limit])


def _user(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "Sam", "language_code": "en"}


def message_update(chat_id: int, text: Optional[str] = None, **fields: Any) -> dict[str, Any]:
    message: dict[str, Any] = {"message_id": int(time.time() * 1000) % 10**9, "date": int(time.time()),
                               "from": _user(chat_id), "chat": {"id": chat_id, "first_name": "Sam", "type": "private"},
                               **fields}
    if text is not None:
        message["text"] = text
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"message": message}


def start_polling_assistant(workdir: Any, kb_url: str, fake: FakeTelegram, env: dict[str, str]) -> Any:
    """The assistant (``tests.support.assistant``) with its Telegram channel long polling ``fake``, once it has asked
    for updates; stopped again if it never does."""
    from tests.support.assistant import start_assistant

    running = start_assistant(workdir, kb_url, extra_env=env)
    try:
        fake.wait_for(lambda: fake.recorded("getUpdates"), timeout=60, what="the bot to start polling")
    except AssertionError:
        running.stop()
        raise
    return running
