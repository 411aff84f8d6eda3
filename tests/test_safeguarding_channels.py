"""Risk through the real channels and the real stack (Rasa, the action server, the knowledge base): REST, the
web widget and Telegram (the fake Bot API) each give the routes in the very next reply; with the action server
stopped they still do, an ordinary message gets an honest apology with the area's front door, and everything
is answered once the action server is back."""
from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid

import pytest
import websockets
from sqlalchemy import select

from bot import conversations as store
from bot.handoff.models import HandoffRequest
from bot.states import Author, MessageStatus
from core.database import make_engine, session_factory
from tests.support.assistant import knowledge_base
from tests.support.fake_telegram import TOKEN, start_polling_assistant

_chats = itertools.count(int(time.time()) % 100000 * 1000 + 500)


@pytest.fixture(scope="module")
def kb_url(tmp_path_factory) -> str:
    return knowledge_base(tmp_path_factory.mktemp("safeguarding-channels-kb"))


@pytest.fixture(scope="module")
def assistant(kb_url, telegram, tmp_path_factory):
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": telegram.base_url, "TELEGRAM_MODE": "polling",
           "TELEGRAM_RETRY_BACKOFF_SECONDS": "0.2", "TELEGRAM_RETRY_INTERVAL_SECONDS": "1",
           "SIGNPOST_RETRY_UNANSWERED_SECONDS": "1"}
    running = start_polling_assistant(tmp_path_factory.mktemp("safeguarding-channels"), kb_url, telegram, env)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def db(kb_url):
    engine = make_engine(kb_url)
    yield session_factory(engine)
    engine.dispose()


def sender() -> str:
    return f"resident-{uuid.uuid4().hex[:10]}"


def handoffs(db, cid: str) -> list[HandoffRequest]:
    with db() as session:
        return list(session.execute(select(HandoffRequest).where(HandoffRequest.conversation_id == cid)).scalars())


def telegram_says(telegram, chat: int, text: str) -> None:
    telegram.queue_update({"message": {"message_id": int(time.time() * 1000) % 10**9, "date": int(time.time()),
                                       "from": {"id": chat, "is_bot": False, "first_name": "Sam"},
                                       "chat": {"id": chat, "first_name": "Sam", "type": "private"}, "text": text}})


def telegram_replies(telegram, chat: int, count: int) -> list[str]:
    telegram.wait_for(lambda: len(telegram.sent(chat)) >= count, timeout=60, what=f"{count} replies to {chat}")
    return [m["text"] for m in telegram.sent(chat)]


async def widget_conversation(url: str):
    ws = await websockets.connect(url.replace("http://", "ws://") + "/widget/socket")
    await ws.send(json.dumps({"type": "hello", "conversation": None}))
    welcome = json.loads(await asyncio.wait_for(ws.recv(), 60))
    return ws, welcome["conversation"]


async def widget_reply(ws, timeout: float = 60) -> str:
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), timeout))
        if frame.get("type") == "message" and frame.get("author") == "bot":
            return frame["text"]


def test_rest_gives_the_routes_first_and_queues_the_conversation_with_the_kind(assistant, db):
    who = sender()
    replies = assistant.say(who, "the carer shouts at my grandad and takes his pension")
    first = replies[0]["text"]
    assert first.startswith("If you or anyone else is in danger right now, call 999.")
    assert "0808 808 8141" in first  # Hourglass
    assert "Which part" not in first
    [request] = handoffs(db, f"rest:{who}")
    assert request.priority == 0 and request.summary["safeguarding"] == ["adult_at_risk"]


def test_rest_catches_a_disclosure_over_two_messages_and_stays_careful(assistant):
    who = sender()
    assistant.say(who, "my partner gets angry when hes been drinking")
    danger = assistant.text(who, "hes got the hammer out")
    assert danger.startswith("If you are in danger right now, call 999.")
    after = assistant.text(who, "he's still here")
    assert "call 999" in after and "Here's what I found" not in after


def test_rest_look_alikes_get_their_ordinary_answer(assistant, db):
    who = sender()
    text = assistant.text(who, "I'd kill for a brew, any cafes near Bootle")
    assert "999" not in text
    assert handoffs(db, f"rest:{who}") == []


def test_with_the_action_server_stopped_every_channel_still_gives_the_routes_and_answers_later(assistant, telegram, db):
    rest_risk, rest_plain, chat = sender(), sender(), next(_chats)

    async def scenario():
        ws, cid = await widget_conversation(assistant.url)
        try:
            assistant.stop_actions()
            # Risk: the routes at once, on every channel.
            assert "116 123" in assistant.text(rest_risk, "I want to end my life")
            telegram_says(telegram, chat, "my stepdad hits my little brother and we're scared")
            assert "0808 800 5000" in telegram_replies(telegram, chat, 1)[0]
            await ws.send(json.dumps({"type": "message", "text": "we've got nowhere to stay tonight, me and the baby"}))
            assert "0808 800 4444" in await widget_reply(ws)
            # Ordinary messages: an honest apology with the front door, and kept to answer.
            apology = assistant.text(rest_plain, "debt advice in southport")
            assert "can't answer that right now" in apology and "0300 323 0181" in apology
            await ws.send(json.dumps({"type": "message", "text": "baby groups in bootle"}))
            assert "can't answer that right now" in await widget_reply(ws)
            with db() as session:
                statuses = {m.text: m.status for m in store.history(session, cid) if m.author == Author.RESIDENT}
            assert statuses["baby groups in bootle"] == MessageStatus.DEFERRED
            # Back: the widget's message is answered and pushed; REST's waits for the next request.
            assistant.start_actions()
            assert "baby groups near Bootle" in await widget_reply(ws, timeout=120)
        finally:
            await ws.close()

    asyncio.run(scenario())
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with db() as session:
            if not store.unanswered(session, "rest", (MessageStatus.DEFERRED,)):
                break
        time.sleep(0.5)
    replies = assistant.say(rest_plain, "thanks")
    assert "debt advice near Southport" in replies[0]["text"]
    assert [r.reason for r in handoffs(db, f"rest:{rest_risk}")] == ["crisis"]
    assert [r.priority for r in handoffs(db, f"telegram:{chat}")] == [0]
