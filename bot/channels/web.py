"""The chat widget on the council's website: a Rasa input channel serving the widget's files, a demo
council page and the WebSocket the widget talks over.

    GET /demo              a demonstration council page with the widget on it
    GET /widget/<file>     the widget itself (widget.js, widget.css) and the demo page's style sheet
    WS  /widget/socket     the conversation

Over the socket every frame is a JSON object with a "type". The widget sends:

    {"type": "hello", "conversation": "web:<uuid>" | null}   first, once: carry on or start afresh
    {"type": "message", "text": "...", "ref": "...", "title": "..."}
        text: what the resident typed, or a button's payload ("/more_results"); title: the button's label,
        shown in the transcript instead of the payload; ref: the widget's own id for the message, echoed
        back so a message sent just before a reconnection is neither lost nor shown twice
    {"type": "forget"}                                        erase this conversation ("forget me")
    {"type": "typing"}                                        the resident is typing (shown to an advisor)

and receives:

    {"type": "welcome", "conversation": ..., "history": [message, ...], "notice": str | null, "limits": {...}}
    {"type": "message", "id": int | null, "author": "resident" | "bot" | "advisor", "text": ...,
     "buttons": [{"title": ..., "payload": ...}], "ref": str | null}
    {"type": "typing", "on": bool, "author": "bot" | "advisor"}
    {"type": "forgotten", "conversation": "<the new id>"}
    {"type": "error", "text": "..."}                          a polite word about a frame it could not use

Every resident message goes through the ``Inbox`` (stored first, same limits as Telegram). Replies go to
every open socket of the conversation (a resident with two tabs sees both); replies that reach no socket
stay pending in the store and arrive with the history when the widget reconnects. ``deliver`` is
registered with ``bot.delivery`` so other server code (the advisor console) can push a message to a
connected widget by conversation id.
"""
from __future__ import annotations

import asyncio
import html
import json
import logging
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Awaitable, Callable, Optional
from urllib.parse import urlsplit

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from websockets.datastructures import Headers
from websockets.http11 import Request as HandshakeRequest
from websockets.server import ServerConnection

from bot import conversations as store
from bot import delivery, forgetting, web_guard
from bot.allowance import per_address
from bot.delivery import Handler, Reply
from bot.fanout import Fanout
from bot.inbox import TOO_FAST, Inbox, too_long
from bot.states import Author, MessageStatus
from core.settings import settings

log = logging.getLogger(__name__)

CHANNEL = "web"
WIDGET_FILES = Path(__file__).resolve().parent.parent / "widget"
ASSETS = {"widget.js": "text/javascript; charset=utf-8", "widget.css": "text/css; charset=utf-8",
          "demo.css": "text/css; charset=utf-8"}
#: Conversation ids are ours, never a resident's choice: "web:" and a canonical random (version 4) UUID.
CONVERSATION_ID = re.compile(r"web:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\Z")
SOCKET_PATH = "/widget/socket"
REF = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")
MAX_TITLE_CHARS = 200


def max_frame_bytes() -> int:
    """Frames above this are not even parsed (a JSON-escaped message of the longest allowed fits with room to
    spare). Sanic closes the socket (1009, "message too big") on frames above its own limit, 1 MiB."""
    return 8 * settings().max_message_chars + 4096


#: Unreadable frames one socket may send before it is closed (1008, policy violation).
MAX_BAD_FRAMES = 30

UNREADABLE = "Sorry, I couldn't read that. Please type your message again."
EMPTY = "Please type a message first."
NOT_FOUND = ("I couldn't find your earlier conversation (it may have been deleted), "
             "so we're starting a new one.")
HELLO_FIRST = "Sorry, the chat isn't connected properly. Please reload the page."
UNAVAILABLE = ("Sorry, I can't answer just now. Your message is saved. Please try again in a few minutes. "
               "If someone is in danger, call 999.")



def new_conversation_id() -> str:
    return f"{CHANNEL}:{uuid.uuid4()}"


def parse_frame(raw: Any) -> Optional[dict[str, Any]]:
    """A frame from the widget as a dict with a string "type", or None when it is anything else."""
    if not isinstance(raw, str):
        return None
    try:
        frame = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: a frame nested thousands deep
        return None
    return frame if isinstance(frame, dict) and isinstance(frame.get("type"), str) else None


def message_frame(author: str, text: str, buttons: Optional[list] = None, message_id: Optional[int] = None,
                  ref: Optional[str] = None) -> dict[str, Any]:
    return {"type": "message", "id": message_id, "author": author, "text": text, "buttons": buttons or [],
            "ref": ref}


def stored_frame(message: store.Message) -> dict[str, Any]:
    """A stored message as the widget shows it: a button press shows the button's label."""
    extra = message.extra or {}
    text = extra.get("button") or message.text
    return message_frame(message.author, text, message.buttons, message.id, extra.get("ref"))


@dataclass(eq=False)
class Client:
    """One open socket and the conversation it is showing."""

    ws: Any
    conversation: Optional[str] = None
    bad_frames: int = 0
    address: Optional[str] = None  # the network address its messages count against (``bot.allowance``)

    async def send(self, frame: dict[str, Any]) -> bool:
        try:
            await self.ws.send(json.dumps(frame))
            return True
        except Exception:  # the resident closed the tab or lost signal: what was not sent stays pending
            log.debug("could not send to a closed widget socket", exc_info=True)
            return False


class WebChat(InputChannel):
    """The web widget channel (credentials.yml: ``bot.channels.web.WebChat:``)."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[str, Any]]) -> "WebChat":
        return cls()

    def __init__(self, inbox: Optional[Inbox] = None) -> None:
        self._inbox = inbox
        self.clients: dict[str, set[Client]] = {}
        self._background: set[asyncio.Task] = set()
        self._fanout: Optional[Fanout] = None

    @property
    def fanout(self) -> Fanout:
        """Word to and from the other servers on the same database (one server: nothing to tell)."""
        if self._fanout is None:
            self._fanout = Fanout(self.inbox.sessions.kw["bind"])
        return self._fanout

    @property
    def inbox(self) -> Inbox:
        if self._inbox is None:  # made on first use: the database is only touched once the server runs
            self._inbox = Inbox(CHANNEL)
        return self._inbox

    def url_prefix(self) -> str:
        return "/"  # Rasa mounts channels under /webhooks/<prefix>; these routes sit at the server root

    # -- pushing to widgets --------------------------------------------------------------------------

    def _join(self, client: Client, conversation: str) -> None:
        self._leave(client)
        client.conversation = conversation
        self.clients.setdefault(conversation, set()).add(client)

    def _leave(self, client: Client) -> None:
        if client.conversation is None:
            return
        sockets = self.clients.get(client.conversation)
        if sockets is not None:
            sockets.discard(client)
            if not sockets:
                del self.clients[client.conversation]

    async def _broadcast(self, conversation: str, frame: dict[str, Any]) -> bool:
        """Send to every socket showing the conversation; True when at least one got it."""
        sent = False
        for client in list(self.clients.get(conversation, ())):
            sent = await client.send(frame) or sent
        return sent

    async def _push(self, conversation: str, reply: Reply, author: str) -> bool:
        frame = message_frame(author, reply.text, reply.buttons, reply.message_id)
        if await self._broadcast(conversation, frame):
            delivery.delivered(self.inbox.sessions, reply)
            return True
        return False  # stays pending: it arrives with the history when the widget reconnects

    def _author(self, reply: Reply) -> str:
        author = reply.extra.get("author")
        if author in (Author.BOT, Author.ADVISOR):
            return author
        if reply.message_id is not None:
            with self.inbox.sessions() as session:
                stored = session.get(store.Message, reply.message_id)
            if stored is not None:
                return stored.author
        return Author.BOT

    async def deliver(self, address: str, reply: Reply) -> bool:
        """Push a reply (the assistant's, or an advisor's) to the widgets showing ``web:<address>``.

        Registered as ``bot.delivery.register("web", ...)``: ``delivery.send("web:<uuid>", reply)`` from
        anywhere in the server. The author shown is ``reply.extra["author"]`` or the stored message's. A
        reply that reached a widget is marked sent; otherwise it stays pending for the next reconnection.
        """
        conversation = store.conversation_id(CHANNEL, address)
        return await self._push_anywhere(conversation, reply, self._author(reply))

    async def _push_anywhere(self, conversation: str, reply: Reply, author: str) -> bool:
        """Push to the sockets here, or tell the other servers, one of which may hold the conversation's socket."""
        if await self._push(conversation, reply, author):
            return True
        if reply.message_id is not None:
            self.fanout.publish({"kind": "message", "conversation": conversation, "message": reply.message_id,
                                 "author": author})
        return False

    async def show_typing(self, address: str, on: bool) -> bool:
        """An advisor is typing: registered as ``bot.delivery.register_typing("web", ...)``."""
        conversation = store.conversation_id(CHANNEL, address)
        if await self._broadcast(conversation, {"type": "typing", "on": on, "author": Author.ADVISOR}):
            return True
        self.fanout.publish({"kind": "typing", "conversation": conversation, "on": bool(on)})
        return False

    async def _from_another_server(self, event: dict[str, Any]) -> None:
        """Another server has a message (or a typing indicator) for a conversation whose socket is open here."""
        conversation = event.get("conversation")
        if not isinstance(conversation, str) or conversation not in self.clients:
            return
        if event.get("kind") == "typing":
            await self._broadcast(conversation, {"type": "typing", "on": bool(event.get("on")),
                                                 "author": Author.ADVISOR})
            return
        with self.inbox.sessions() as session:
            stored = session.get(store.Message, event.get("message"))
            if stored is None or stored.conversation_id != conversation or stored.status != MessageStatus.PENDING:
                return  # erased, or already delivered
            reply = Reply(stored.text, list(stored.buttons or []), stored.id)
        author = event.get("author") if event.get("author") in (Author.BOT, Author.ADVISOR) else Author.BOT
        await self._push(conversation, reply, author)

    # -- the conversation over the socket ------------------------------------------------------------

    async def _hello(self, client: Client, frame: dict[str, Any]) -> None:
        asked = frame.get("conversation")
        history: list[store.Message] = []
        waiting: list[int] = []
        found = False
        if isinstance(asked, str) and CONVERSATION_ID.match(asked):
            with self.inbox.sessions() as session:
                found = session.get(store.Conversation, asked) is not None
                if found:
                    history = store.history(session, asked)
                    waiting = [m.id for m in store.undelivered(session, CHANNEL, asked)]
        conversation = asked if found else new_conversation_id()
        self._join(client, conversation)
        welcome = {"type": "welcome", "conversation": conversation, "history": [stored_frame(m) for m in history],
                   "notice": None if found or not asked else NOT_FOUND,
                   "limits": {"chars": settings().max_message_chars, "kept_days": settings().retention_days}}
        if await client.send(welcome) and waiting:
            with self.inbox.sessions() as session:
                for message_id in waiting:
                    store.mark(session, message_id, MessageStatus.SENT)

    async def _message(self, client: Client, frame: dict[str, Any], on_new_message: Handler) -> None:
        text, ref, title = frame.get("text"), frame.get("ref"), frame.get("title")
        if not isinstance(text, str):
            await self._unreadable(client)
            return
        if not text.strip():
            await client.send({"type": "error", "text": EMPTY})
            return
        if client.address is not None and per_address().take(client.address) is not None:
            await client.send({"type": "error", "text": TOO_FAST})  # not stored: a flood must not fill the disk
            return
        ref = ref if isinstance(ref, str) and REF.match(ref) else None
        title = title.strip()[:MAX_TITLE_CHARS] if isinstance(title, str) and title.strip() else None
        extra = {key: value for key, value in (("ref", ref), ("button", title)) if value}
        conversation = client.conversation
        assert conversation is not None
        address = conversation.partition(":")[2]
        delivery.resident_stopped(conversation)
        await self._broadcast(conversation, {"type": "typing", "on": True})
        try:
            replies = await self.inbox.receive(address, text, on_new_message, extra=extra)
            # The resident's words for their other tabs; for this one, the receipt that they are stored.
            await self._broadcast(conversation, message_frame(Author.RESIDENT, title or text.strip()[:settings().max_message_chars],
                                                              ref=ref))
            for reply in replies:
                await self._push(conversation, reply, Author.BOT)
        finally:
            await self._broadcast(conversation, {"type": "typing", "on": False})

    async def _forget(self, client: Client, request: Request) -> None:
        """Erase the conversation; every tab showing it starts a new, empty one."""
        old = client.conversation
        assert old is not None
        agent = getattr(request.app.ctx, "agent", None)
        forgetting.forget(self.inbox.sessions, old, agent.tracker_store if agent is not None else None)
        fresh = new_conversation_id()
        for other in list(self.clients.get(old, ())):
            self._join(other, fresh)
            await other.send({"type": "forgotten", "conversation": fresh})

    async def _unreadable(self, client: Client) -> None:
        client.bad_frames += 1
        await client.send({"type": "error", "text": UNREADABLE})
        if client.bad_frames >= MAX_BAD_FRAMES:
            await client.ws.close(1008, "Too many unreadable messages")

    async def _converse(self, request: Request, ws: Any, on_new_message: Handler) -> None:
        client = Client(ws, address=web_guard.counted_address(request))
        try:
            while client.bad_frames < MAX_BAD_FRAMES:
                raw = await ws.recv()
                if raw is None:
                    break
                if len(raw) > max_frame_bytes():
                    client.bad_frames += 1
                    await client.send({"type": "error", "text": too_long()})
                    continue
                frame = parse_frame(raw)
                kind = frame["type"] if frame else None
                try:
                    if kind == "hello" and client.conversation is None:
                        await self._hello(client, frame)
                    elif kind in ("message", "forget", "hello") and client.conversation is None:
                        await client.send({"type": "error", "text": HELLO_FIRST})
                    elif kind == "message":
                        await self._message(client, frame, on_new_message)
                    elif kind == "forget":
                        await self._forget(client, request)
                    elif kind == "typing":
                        if client.conversation is not None:
                            delivery.resident_typed(client.conversation)
                    else:
                        await self._unreadable(client)
                except Exception:  # never let one frame end the conversation with a crash; a message stays stored
                    log.exception("widget frame %r failed in %s", kind, client.conversation)
                    await client.send({"type": "error", "text": UNAVAILABLE})
        finally:
            self._leave(client)

    async def _catch_up(self, on_new_message: Handler) -> None:
        """Answer what was stored but not answered before the server stopped, and what the assistant could not
        answer since, and push the answers."""
        async def push(conversation: str, replies: list[Reply]) -> None:
            for reply in replies:
                await self._push_anywhere(conversation, reply, Author.BOT)

        await self.inbox.keep_answering(on_new_message, push)

    # -- the blueprint -------------------------------------------------------------------------------

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        web = Blueprint("signpost_web_widget", __name__)
        delivery.register(CHANNEL, self.deliver)
        delivery.register_typing(CHANNEL, self.show_typing)

        @web.listener("after_server_start")
        async def catch_up(app: Any, loop: asyncio.AbstractEventLoop) -> None:
            self.inbox.attach(app)
            self.fanout.start(self._from_another_server)
            task = loop.create_task(self._catch_up(on_new_message))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

        @web.route("/demo", methods=["GET"])
        async def demo(request: Request) -> HTTPResponse:
            return demo_page(f"{request.scheme}://{request.host}")

        @web.route("/widget/<asset>", methods=["GET"])
        async def asset(request: Request, asset: str) -> HTTPResponse:
            content_type = ASSETS.get(asset)
            if content_type is None:
                return response.text("Not found", status=404)
            return response.raw((WIDGET_FILES / asset).read_bytes(), content_type=content_type,
                                headers={"Cache-Control": "public, max-age=300",
                                         "X-Content-Type-Options": "nosniff"})

        web.listener("before_server_start")(web_guard.before_start)

        @web.middleware("request")
        async def refuse_bad_handshakes(request: Request) -> Optional[HTTPResponse]:
            if request.path != SOCKET_PATH:
                return None
            return origin_refusal(request) or handshake_refusal(request)

        @web.websocket(SOCKET_PATH)
        async def socket(request: Request, ws: Any) -> None:
            await self._converse(request, ws, on_new_message)

        return web


def origin_refusal(request: Request) -> Optional[HTTPResponse]:
    """403 for a browser on a page not in SIGNPOST_ALLOWED_ORIGINS (by default, this server's own pages): another
    site must not open a resident's chat in their browser. Tools that send no Origin are not browsers."""
    origin = (request.headers.get("origin") or "").strip().rstrip("/").lower()
    if not origin:
        return None
    allowed = settings().allowed_origins
    if allowed:
        ok = origin in allowed
    else:
        hosts = {request.host.lower(), (request.headers.get("x-forwarded-host") or "").lower()} - {""}
        ok = urlsplit(origin).scheme in ("http", "https") and urlsplit(origin).netloc in hosts
    return None if ok else response.text("This page may not open the Signpost chat (SIGNPOST_ALLOWED_ORIGINS).\n",
                                         status=403)


def handshake_refusal(request: Request) -> Optional[HTTPResponse]:
    """A plain 4xx for a request to the socket that is not a valid WebSocket handshake, or None.

    Sanic 21.12 with websockets 10 answers such requests with a 500 (it hands websockets a request object
    it cannot annotate), so the handshake is checked first by websockets' own rules.
    """
    check = ServerConnection().accept(HandshakeRequest(request.path, Headers(request.headers.items())))
    if check.status_code == 101:
        return None
    return response.text("This address is for the Signpost chat widget's WebSocket connection.\n",
                         status=check.status_code, headers={"Upgrade": "websocket"} if check.status_code == 426 else None)


def demo_page(origin: str) -> HTTPResponse:
    """The demo council page, pointing the widget at this server."""
    page = (WIDGET_FILES / "demo.html").read_text(encoding="utf-8").replace("{{server}}", html.escape(origin))
    return response.html(page, headers={
        # The demo proves the point: nothing on it may come from anywhere but this server.
        "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                                   "base-uri 'none'; frame-ancestors 'none'",
        "X-Content-Type-Options": "nosniff"})
