"""The advisor console in the Rasa server: a Rasa input channel (credentials.yml:
``bot.console.channel.AdvisorConsole:``) that serves the console page and its JSON API at the server root.

    GET  /console                              the console (static/console.html, .js, .css; no CDN)
    POST /console/api/login                    {"name", "password"} -> cookie + {"csrf"}
    POST /console/api/logout
    GET  /console/api/me                       who is logged in, the CSRF token, canned replies, outcomes
    POST /console/api/heartbeat                {"presence": "online" | "away"}, every few seconds
    GET  /console/api/state                    the queue (with summaries and transcripts), my live chats,
                                               the call-back list, how many advisors are online
    GET  /console/api/handoffs/<id>?after=N    a chat's messages after N, and whether the resident is typing
    POST /console/api/handoffs/<id>/claim      409 when someone else was first
    POST /console/api/handoffs/<id>/messages   {"text"}: relayed to the resident's channel at once
    POST /console/api/handoffs/<id>/typing     {"on"}
    POST /console/api/handoffs/<id>/handback   back to the assistant, which carries on with what it knew
    POST /console/api/handoffs/<id>/close      {"outcome", "note"}
    POST /console/api/handoffs/<id>/erase      the resident asked: erase the whole conversation everywhere
    POST /console/api/callbacks/<id>/done      {"outcome", "note"}

Sessions are a random cookie (HttpOnly, SameSite=Strict, Path=/console; Secure over HTTPS), stored hashed
in SQL; every POST but login needs the session's CSRF token in ``X-CSRF-Token``, and login refuses
another origin (``advisor_only`` checks both, once, for every route that needs them). Every answer is JSON;
the page builds everything a resident wrote with ``textContent``. A background task puts back in the queue the
live chats of advisors whose heartbeats stopped.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
import logging
import math
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Awaitable, Callable, Optional
from urllib.parse import urlparse

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot import delivery, forgetting, web_guard
from bot.console import accounts
from bot.console.throttle import LoginThrottle
from bot.leases import Lease
from bot.delivery import Reply
from bot.handoff import callbacks, presence, queue
from bot.handoff.models import Advisor, HandoffRequest
from bot.states import HandoffStatus, Presence
from core.database import make_engine, session_factory, utcnow

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
ASSETS = {"console.js": "text/javascript; charset=utf-8", "console.css": "text/css; charset=utf-8"}
COOKIE = "signpost_console"
MAX_TEXT = 4000
SWEEP_SECONDS = 2.0
CANNED = [
    "Hello, I'm {name} from the advice team. I've read your conversation with the assistant. How can I help?",
    "Thanks, give me a moment while I look into that for you.",
    "Would you like me to arrange for someone to call you back?",
    "Is there anything else I can help you with today?",
    "I'll pass you back to the assistant now. Take care.",
]
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
                    "Cache-Control": "no-store"}
PAGE_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
               "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
NOT_YOURS = "This conversation is not one of your live chats."
NOT_SHOWN = "No such conversation, or not one you can see."
TRY_LATER = "Too many wrong passwords from here. Please wait {seconds} seconds and try again."
#: argon2 takes tens of milliseconds and 64 MiB: logins are checked off the event loop, one at a time
HASHING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="signpost-login")
#: ids and positions beyond what the database stores are answered as "not found", never as a crash
LARGEST_ID = 2 ** 63 - 1


def _json(body: Any, status: int = 200) -> HTTPResponse:
    return response.json(body, status=status, headers=SECURITY_HEADERS)


def _error(text: str, status: int) -> HTTPResponse:
    return _json({"error": text}, status)


def _body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, RecursionError):
        return {}
    return body if isinstance(body, dict) else {}


Route = Callable[..., Awaitable[HTTPResponse]]


def advisor_only(change: bool) -> Callable[[Route], Route]:
    """The route needs a logged-in advisor (401 otherwise), and when it changes anything, the session's CSRF
    token in ``X-CSRF-Token`` (403 otherwise). The handler gets the advisor after the request."""
    def decorate(handler: Route) -> Route:
        @functools.wraps(handler)
        async def checked(self: "AdvisorConsole", request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
            if any(not 0 < v <= LARGEST_ID for k, v in kwargs.items() if k.endswith("_id")):
                return _error(NOT_SHOWN, 404)
            advisor, refused = self._who(request, change)
            if refused is not None:
                return refused
            return await handler(self, request, advisor, *args, **kwargs)
        return checked
    return decorate


class AdvisorConsole(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "console"

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[str, Any]]) -> "AdvisorConsole":
        return cls()

    def __init__(self, sessions: Optional[sessionmaker] = None) -> None:
        self._sessions = sessions
        self.started_at = utcnow()
        self._tasks: list[asyncio.Task] = []
        self.throttle = LoginThrottle()

    @property
    def sessions(self) -> sessionmaker:
        if self._sessions is None:
            self._sessions = session_factory(make_engine())
        return self._sessions

    def url_prefix(self) -> str:
        return "/"

    # -- who is asking ---------------------------------------------------------------------------------

    def _who(self, request: Request, change: bool) -> tuple[Optional[Advisor], Optional[HTTPResponse]]:
        with self.sessions() as session:
            found = accounts.find_session(session, request.cookies.get(COOKIE))
            if found is None:
                return None, _error("Please log in.", 401)
            advisor, stored = found
            if change and not accounts.csrf_ok(stored, request.headers.get("x-csrf-token")):
                return None, _error("Missing or wrong CSRF token.", 403)
            session.expunge(advisor)
            return advisor, None

    # -- telling the resident ------------------------------------------------------------------------------

    async def _deliver(self, told: Optional[queue.ToResident]) -> None:
        if told is None:
            return
        try:
            await delivery.send(told.conversation_id, Reply(told.text, [], told.message_id,
                                                            extra={"author": told.author.value}))
        except Exception as exc:  # stays pending in the store, sent when the channel can
            log.warning("could not deliver message %s now (%s)", told.message_id, type(exc).__name__)

    async def _sweep_forever(self) -> None:
        lease = Lease(self.sessions.kw["bind"], "console-sweep")  # one server sweeps, however many run
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            try:
                if not lease.held():
                    continue
                with self.sessions() as session:
                    told = queue.requeue_abandoned(session, self.started_at)
                for message in told:
                    log.info("an advisor's chat went back to the queue (missed heartbeats)")
                    await self._deliver(message)
            except Exception as exc:
                log.warning("console sweep failed (%s)", type(exc).__name__)

    async def _change(self, act: Callable[[Any], Optional[queue.ToResident]]) -> HTTPResponse:
        """Run a change to one of the advisor's live chats and tell the resident what it means."""
        try:
            with self.sessions() as session:
                told = act(session)
        except queue.NotYours:
            return _error(NOT_YOURS, 409)
        except ValueError as exc:
            return _error(str(exc), 400)
        await self._deliver(told)
        return _json({"ok": True, "message": told.message_id if told else None})

    # -- pages -----------------------------------------------------------------------------------------

    async def page(self, request: Request) -> HTTPResponse:
        return response.raw((STATIC / "console.html").read_bytes(), content_type="text/html; charset=utf-8",
                            headers={**SECURITY_HEADERS, "Content-Security-Policy": PAGE_POLICY})

    async def asset(self, request: Request, asset: str) -> HTTPResponse:
        content_type = ASSETS.get(asset)
        if content_type is None:
            return response.text("Not found", status=404)
        return response.raw((STATIC / asset).read_bytes(), content_type=content_type, headers=SECURITY_HEADERS)

    # -- logging in and out ----------------------------------------------------------------------------

    def _log_in(self, name: str, password: str) -> tuple[accounts.Login, str]:
        with self.sessions() as session:
            result = accounts.log_in(session, name, password)
            if not result.ok:
                return result, ""
            presence.heartbeat(session, result.advisor.id, Presence.ONLINE)
            return result, result.advisor.name

    async def login(self, request: Request) -> HTTPResponse:
        origin = request.headers.get("origin")
        hosts = {request.host, request.headers.get("x-forwarded-host")}  # behind a reverse proxy too
        if origin and urlparse(origin).netloc not in hosts:
            return _error("Log in from the console page.", 403)
        body = _body(request)
        name, password = body.get("name"), body.get("password")
        if not isinstance(name, str) or not isinstance(password, str) or len(password) > 1000 or len(name) > 200:
            return _error("Please give your name and password.", 400)
        address = web_guard.client_address(request)
        wait = self.throttle.wait(address, name)
        if wait is not None:  # before any hashing: the same quick answer whether or not the name exists
            seconds = math.ceil(wait)
            return response.json({"error": TRY_LATER.format(seconds=seconds)}, status=429,
                                 headers={**SECURITY_HEADERS, "Retry-After": str(seconds)})
        # One at a time, so a burst of logins uses one core and never the one answering residents.
        result, who = await asyncio.get_running_loop().run_in_executor(HASHING, self._log_in, name, password)
        if not result.ok:
            self.throttle.failed(address, name)
            return _error("Wrong name or password.", 401)
        self.throttle.succeeded(address, name)
        reply = _json({"name": who, "csrf": result.csrf})
        reply.cookies[COOKIE] = result.token
        cookie = reply.cookies[COOKIE]
        cookie["httponly"] = True
        cookie["samesite"] = "Strict"
        cookie["path"] = "/console"
        cookie["max-age"] = int(accounts.session_lifetime().total_seconds())
        if request.scheme == "https" or request.headers.get("x-forwarded-proto") == "https":
            cookie["secure"] = True
        return reply

    @advisor_only(change=True)
    async def logout(self, request: Request, advisor: Advisor) -> HTTPResponse:
        with self.sessions() as session:
            accounts.log_out(session, request.cookies.get(COOKIE))
            told = queue.requeue_abandoned(session, dt.datetime.min.replace(tzinfo=dt.timezone.utc))
        for message in told:
            await self._deliver(message)
        reply = _json({"ok": True})
        reply.cookies[COOKIE] = ""
        reply.cookies[COOKIE]["path"] = "/console"
        reply.cookies[COOKIE]["max-age"] = 0
        return reply

    async def me(self, request: Request) -> HTTPResponse:
        with self.sessions() as session:
            found = accounts.find_session(session, request.cookies.get(COOKIE))
            if found is None:
                return _error("Please log in.", 401)
            advisor, stored = found
            return _json({"name": advisor.name, "csrf": stored.csrf_token,
                          "canned": [c.format(name=advisor.name) for c in CANNED],
                          "outcomes": queue.OUTCOMES, "heartbeat_seconds": 3})

    @advisor_only(change=True)
    async def heartbeat(self, request: Request, advisor: Advisor) -> HTTPResponse:
        chosen = _body(request).get("presence")
        with self.sessions() as session:
            presence.heartbeat(session, advisor.id, chosen if chosen in (Presence.ONLINE, Presence.AWAY) else None)
        return _json({"ok": True})

    # -- what the advisor sees -------------------------------------------------------------------------

    @advisor_only(change=False)
    async def state(self, request: Request, advisor: Advisor) -> HTTPResponse:
        now = utcnow()
        with self.sessions() as session:
            waiting = queue.queue(session)
            live = queue.live_chats(session, advisor.id)
            calls = callbacks.open_callbacks(session)
            summaries = {r.id: r for r in session.execute(select(HandoffRequest).where(
                HandoffRequest.id.in_([c.handoff_id for c in calls if c.handoff_id]))).scalars()} if calls else {}
            me = session.get(Advisor, advisor.id)
            return _json({
                "me": {"name": me.name, "presence": presence.state(me, now).value},
                "online": presence.available(session, now),
                "queue": [{**queue.summary(r, now, session), "transcript": queue.transcript(session, r.conversation_id)}
                          for r in waiting],
                "live": [{**queue.summary(r, now, session), "resident_typing": delivery.resident_is_typing(r.conversation_id)}
                         for r in live],
                "callbacks": [callbacks.as_dict(c, queue.summary(summaries[c.handoff_id], now)
                                                if c.handoff_id in summaries else None) for c in calls],
            })

    @advisor_only(change=False)
    async def chat(self, request: Request, advisor: Advisor, handoff_id: int) -> HTTPResponse:
        try:
            after = min(max(0, int(request.args.get("after", "0")[:30])), LARGEST_ID)
        except ValueError:
            after = 0
        with self.sessions() as session:
            found = session.get(HandoffRequest, handoff_id)
            if found is None or not queue.visible_to(found, advisor):
                return _error(NOT_SHOWN, 404)
            return _json({"handoff": queue.summary(found, session=session), "mine": found.advisor_id == advisor.id,
                          "messages": queue.transcript(session, found.conversation_id, after),
                          "resident_typing": delivery.resident_is_typing(found.conversation_id)})

    # -- what the advisor does -------------------------------------------------------------------------

    @advisor_only(change=True)
    async def claim(self, request: Request, advisor: Advisor, handoff_id: int) -> HTTPResponse:
        with self.sessions() as session:
            told = queue.claim(session, handoff_id, advisor)
        if told is None:
            return _error("Someone else has already taken this conversation.", 409)
        for message in told:
            await self._deliver(message)
        return _json({"ok": True})

    @advisor_only(change=True)
    async def send(self, request: Request, advisor: Advisor, handoff_id: int) -> HTTPResponse:
        text = _body(request).get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            return _error(f"Type a message of up to {MAX_TEXT} characters.", 400)
        reply = await self._change(lambda session: queue.say(session, handoff_id, advisor, text.strip()))
        if reply.status == 200:
            with self.sessions() as session:
                found = session.get(HandoffRequest, handoff_id)
                cid = found.conversation_id if found else None
            if cid:
                await delivery.typing(cid, False)
        return reply

    @advisor_only(change=True)
    async def typing(self, request: Request, advisor: Advisor, handoff_id: int) -> HTTPResponse:
        with self.sessions() as session:
            found = session.get(HandoffRequest, handoff_id)
            if found is None or found.status != HandoffStatus.LIVE or found.advisor_id != advisor.id:
                return _error(NOT_YOURS, 409)
            cid = found.conversation_id
        shown = await delivery.typing(cid, bool(_body(request).get("on")))
        return _json({"ok": True, "shown": shown})

    @advisor_only(change=True)
    async def handback(self, request: Request, advisor: Advisor, handoff_id: int) -> HTTPResponse:
        return await self._change(lambda session: queue.hand_back(session, handoff_id, advisor))

    @advisor_only(change=True)
    async def close(self, request: Request, advisor: Advisor, handoff_id: int) -> HTTPResponse:
        body = _body(request)
        outcome, note = body.get("outcome"), body.get("note") or ""
        if not isinstance(outcome, str) or not isinstance(note, str):
            return _error("Choose an outcome.", 400)
        return await self._change(lambda session: queue.close(session, handoff_id, advisor, outcome, note[:2000]))

    @advisor_only(change=True)
    async def erase(self, request: Request, advisor: Advisor, handoff_id: int) -> HTTPResponse:
        """The resident asked a person (on the phone, in the chat) to erase what was kept: everything goes,
        on every table and in Rasa's tracker store, as when they ask the assistant."""
        with self.sessions() as session:
            found = session.get(HandoffRequest, handoff_id)
            if found is None or not queue.visible_to(found, advisor):
                return _error(NOT_SHOWN, 404)
            cid = found.conversation_id
        agent = getattr(request.app.ctx, "agent", None)
        try:
            erased = forgetting.forget(self.sessions, cid, agent.tracker_store if agent is not None else None)
        except Exception as exc:
            log.error("erasing a conversation from the console failed (%s)", type(exc).__name__)
            return _error("Sorry, the conversation could not be erased just now. Please try again.", 503)
        log.info("an advisor erased a conversation (%d messages)", erased)
        return _json({"ok": True, "erased_messages": erased})

    @advisor_only(change=True)
    async def callback_done(self, request: Request, advisor: Advisor, callback_id: int) -> HTTPResponse:
        body = _body(request)
        outcome, note = body.get("outcome"), body.get("note") or ""
        if outcome not in queue.OUTCOMES or not isinstance(note, str):
            return _error("Choose an outcome.", 400)
        with self.sessions() as session:
            done = callbacks.complete(session, callback_id, advisor.id, outcome, note)
        return _json({"ok": True}) if done else _error("That call-back is already done.", 409)

    # -- the server's side -----------------------------------------------------------------------------

    async def _start(self, app: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.started_at = utcnow()
        self._tasks.append(loop.create_task(self._sweep_forever()))

    async def _stop(self, app: Any, loop: asyncio.AbstractEventLoop) -> None:
        for task in self._tasks:
            task.cancel()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        console = Blueprint("signpost_advisor_console", __name__)
        console.listener("before_server_start")(web_guard.before_start)
        console.listener("after_server_start")(self._start)
        console.listener("before_server_stop")(self._stop)
        api = "/console/api"
        for path, method, handler in (
                ("/console", "GET", self.page),
                ("/console/static/<asset>", "GET", self.asset),
                (f"{api}/login", "POST", self.login),
                (f"{api}/logout", "POST", self.logout),
                (f"{api}/me", "GET", self.me),
                (f"{api}/heartbeat", "POST", self.heartbeat),
                (f"{api}/state", "GET", self.state),
                (f"{api}/handoffs/<handoff_id:int>", "GET", self.chat),
                (f"{api}/handoffs/<handoff_id:int>/claim", "POST", self.claim),
                (f"{api}/handoffs/<handoff_id:int>/messages", "POST", self.send),
                (f"{api}/handoffs/<handoff_id:int>/typing", "POST", self.typing),
                (f"{api}/handoffs/<handoff_id:int>/handback", "POST", self.handback),
                (f"{api}/handoffs/<handoff_id:int>/close", "POST", self.close),
                (f"{api}/handoffs/<handoff_id:int>/erase", "POST", self.erase),
                (f"{api}/callbacks/<callback_id:int>/done", "POST", self.callback_done)):
            console.add_route(_plain(handler), path, methods=[method], name=handler.__name__)
        return console


def _plain(method: Route) -> Route:
    """A bound method as the plain function Sanic marks with its blueprint's name."""
    async def handle(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        return await method(request, *args, **kwargs)
    handle.__name__ = method.__name__
    return handle
