"""Rasa's REST channel, through the inbox like every other channel: same URL (``/webhooks/rest/webhook``),
same request (``{"sender": ..., "message": ...}``) and the same answer (a list of ``{"recipient_id", "text",
"buttons"}``), so the load tools and evaluations keep working; but each message is stored, limited and
checked for risk before Rasa sees it, and its conversation is ``rest:<sender>``, never another channel's.

Anyone who can reach the server can reach this channel, so: with ``SIGNPOST_REST_TOKEN`` set it asks for
``Authorization: Bearer <token>``; without one it answers only requests made on this machine itself (a
developer's curl, the project's tools) and is off for every other address. Bodies over a few KB get 413, and
one address gets ``SIGNPOST_MAX_MESSAGES_PER_ADDRESS_PER_MINUTE`` messages a minute whatever sender ids it
uses (429).

REST cannot be pushed to: replies that arrive later (a message answered once the action server is back, an
advisor's message) wait, stored, and come first in the answer to the sender's next request.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
import math
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import conversations as store
from bot import delivery, retention, web_guard
from bot.allowance import per_address
from bot.delivery import Reply
from bot.inbox import TOO_FAST, Inbox
from core.settings import settings

log = logging.getLogger(__name__)

CHANNEL = "rest"
MAX_SENDER = 150  # the conversation id is "rest:" and this, within the store's 200 characters
MAX_METADATA_DEPTH = 8  # Rasa keeps metadata in the tracker; thousands deep, storing it would fail


OFF = ("The REST channel is off for requests from other machines: set SIGNPOST_REST_TOKEN and send "
       "Authorization: Bearer <token>.")


def bad_request(why: str, status: int = 400, headers: Optional[dict[str, str]] = None) -> HTTPResponse:
    return response.json({"error": why}, status=status, headers=headers)


def _depth(value: Any) -> int:
    """How deeply a JSON value nests (without recursion: the body may nest thousands deep)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def max_body_bytes() -> int:
    """A message of the longest allowed, every character JSON-escaped, with room for the sender and metadata."""
    return 6 * settings().max_message_chars + 2048


def refusal(request: Request) -> Optional[HTTPResponse]:
    """401/403 unless the request may use the channel (see the module's docstring), else None."""
    token = settings().rest_token
    if token:
        given = request.headers.get("authorization", "")
        scheme, _, value = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token.encode()):
            return bad_request("Send Authorization: Bearer <SIGNPOST_REST_TOKEN>.", 401,
                               {"WWW-Authenticate": 'Bearer realm="signpost"'})
        return None
    return None if web_guard.from_this_machine(request) else bad_request(OFF, 403)


class RestChannel(InputChannel):
    """credentials.yml: ``bot.channels.rest.RestChannel:`` in place of Rasa's ``rest:``."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[str, Any]]) -> "RestChannel":
        return cls()

    def __init__(self, inbox: Optional[Inbox] = None) -> None:
        self._inbox = inbox
        self._background: set[asyncio.Task] = set()

    @property
    def inbox(self) -> Inbox:
        if self._inbox is None:  # made on first use: the database is only touched once the server runs
            self._inbox = Inbox(CHANNEL)
        return self._inbox

    def _waiting(self, cid: str) -> list[Reply]:
        """Replies stored for this sender since its last request (answered later, or an advisor's)."""
        with self.inbox.sessions() as session:
            return [Reply(m.text, list(m.buttons or []), m.id) for m in store.undelivered(session, CHANNEL, cid)]

    async def handle(self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> HTTPResponse:
        refused = refusal(request)
        if refused is not None:
            return refused
        if len(request.body or b"") > max_body_bytes():
            return bad_request(f"The body is too large: at most {max_body_bytes():,} bytes "
                               f"(a message of up to {settings().max_message_chars:,} characters).", 413)
        try:
            body = json.loads(request.body or b"")
        except (ValueError, UnicodeDecodeError, RecursionError):
            return bad_request("the body must be JSON: {\"sender\": \"...\", \"message\": \"...\"}")
        if not isinstance(body, dict):
            return bad_request("the body must be a JSON object: {\"sender\": \"...\", \"message\": \"...\"}")
        sender, text = body.get("sender") or "default", body.get("message")
        if not isinstance(sender, str) or not 0 < len(sender) <= MAX_SENDER or not store.storable(sender):
            return bad_request(f"sender must be a string of 1 to {MAX_SENDER} characters")
        if not isinstance(text, str):
            return bad_request("message must be a string")
        metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else None
        if metadata is not None and _depth(metadata) > MAX_METADATA_DEPTH:
            return bad_request(f"metadata may be nested at most {MAX_METADATA_DEPTH} deep")
        address = web_guard.counted_address(request)
        wait = per_address().take(address) if address is not None else None
        if wait is not None:
            return bad_request(TOO_FAST, 429, {"Retry-After": str(math.ceil(wait))})
        cid = store.conversation_id(CHANNEL, sender)
        earlier = self._waiting(cid)
        replies = await self.inbox.receive(sender, text, on_new_message, metadata=metadata)
        answer = []
        for reply in earlier + replies:
            item: dict[str, Any] = {"recipient_id": sender, "text": reply.text}
            if reply.buttons:
                item["buttons"] = reply.buttons
            answer.append(item)
            delivery.delivered(self.inbox.sessions, reply)
        return response.json(answer)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        rest = Blueprint("signpost_rest", __name__)
        rest.listener("before_server_start")(web_guard.before_start)

        @rest.listener("after_server_start")
        async def keep_answering(app: Any, loop: asyncio.AbstractEventLoop) -> None:
            self.inbox.attach(app)
            async def nowhere_to_push(cid: str, replies: list[Reply]) -> None:
                return None  # they stay stored and go with the sender's next answer

            # The daily purge starts here, in one channel's listener, so it runs once per server process.
            for work in (self.inbox.keep_answering(on_new_message, nowhere_to_push),
                         retention.purge_daily(app, self.inbox.sessions)):
                task = loop.create_task(work)
                self._background.add(task)
                task.add_done_callback(self._background.discard)

        @rest.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @rest.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self.handle(request, on_new_message)

        return rest
