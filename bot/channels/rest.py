"""Rasa's REST channel, through the inbox like every other channel: same URL (``/webhooks/rest/webhook``),
same request (``{"sender": ..., "message": ...}``) and the same answer (a list of ``{"recipient_id", "text",
"buttons"}``), so the load tools and evaluations keep working; but each message is stored, limited and
checked for risk before Rasa sees it, and its conversation is ``rest:<sender>``, never another channel's.

REST cannot be pushed to: replies that arrive later (a message answered once the action server is back, an
advisor's message) wait, stored, and come first in the answer to the sender's next request.
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import conversations as store
from bot import delivery
from bot.delivery import Reply
from bot.inbox import Inbox

log = logging.getLogger(__name__)

CHANNEL = "rest"
MAX_SENDER = 150  # the conversation id is "rest:" and this, within the store's 200 characters


def bad_request(why: str) -> HTTPResponse:
    return response.json({"error": why}, status=400)


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
        try:
            body = json.loads(request.body or b"")
        except (ValueError, UnicodeDecodeError):
            return bad_request("the body must be JSON: {\"sender\": \"...\", \"message\": \"...\"}")
        if not isinstance(body, dict):
            return bad_request("the body must be a JSON object: {\"sender\": \"...\", \"message\": \"...\"}")
        sender, text = body.get("sender") or "default", body.get("message")
        if not isinstance(sender, str) or not 0 < len(sender) <= MAX_SENDER:
            return bad_request(f"sender must be a string of 1 to {MAX_SENDER} characters")
        if not isinstance(text, str):
            return bad_request("message must be a string")
        metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else None
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

        @rest.listener("after_server_start")
        async def keep_answering(app: Any, loop: asyncio.AbstractEventLoop) -> None:
            self.inbox.attach(app)
            async def nowhere_to_push(cid: str, replies: list[Reply]) -> None:
                return None  # they stay stored and go with the sender's next answer

            task = loop.create_task(self.inbox.keep_answering(on_new_message, nowhere_to_push))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

        @rest.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @rest.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self.handle(request, on_new_message)

        return rest
