"""The scaled mode as `make run-scaled` starts it (scripts/run-scaled.sh): Debian's PostgreSQL, Redis and
nginx, two Rasa servers and the action server, on private ports. A conversation whose turns alternate between
the two servers keeps its context; two turns of one conversation sent to both servers at once are both
answered, one after the other (Rasa's lock store in Redis); an advisor on one server chats live with a resident
whose widget is open on the other (PostgreSQL LISTEN/NOTIFY); Telegram is polled by one server; Redis restarting
and a Rasa server killed are survived; nginx in front answers as `make run` does."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import websockets
from sqlalchemy import text

from core.database import make_engine
from tests.conftest import POSTGRES_URL
from tests.support.assistant import PROJECT
from tests.support.console_client import Console, add_advisor
from tests.support.fake_telegram import TOKEN, message_update
from tests.support.scaled import start_scaled
from tests.support.widget_client import call, hello, receive, run, say as widget_say

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL not started (scripts/test.sh starts it)")


@pytest.fixture(scope="module")
def scaled(tmp_path_factory, telegram):
    name = f"scaled_{uuid.uuid4().hex[:8]}"
    admin = make_engine(POSTGRES_URL)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    database = POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    env = {"SIGNPOST_DATABASE_URL": database, "SIGNPOST_RETRY_UNANSWERED_SECONDS": "1",
           # Telegram long polling the fake Bot API: one server polls, however many run
           "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": telegram.base_url, "TELEGRAM_MODE": "polling",
           "SIGNPOST_REDIS_URL": ""}  # a private Redis, started and stopped by the script
    running = start_scaled(tmp_path_factory.mktemp("scaled") / "run-scaled.log", env)
    try:
        yield {"url": running.url, "servers": running.servers, "database": database}
    finally:
        running.stop()
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def say(url: str, sender: str, message: str) -> list[dict]:
    status, body, _ = call("POST", f"{url}/webhooks/rest/webhook", {"sender": sender, "message": message})
    assert status == 200, body
    return json.loads(body)


def words(replies: list[dict]) -> str:
    return " ".join(r.get("text") or "" for r in replies)


def test_nginx_answers_where_make_run_does(scaled):
    status, body, headers = call("GET", scaled["url"] + "/")
    assert status == 200 and b"Signpost is running" in body and "/" not in headers.get("server", "")  # no version
    assert words(say(scaled["url"], "through-nginx", "hello"))


def test_a_conversation_alternating_between_the_servers_keeps_its_context(scaled):
    first, second = scaled["servers"]
    found = words(say(first, "alternating", "debt advice in Southport"))
    assert "Southport" in found
    followed = say(second, "alternating", "what's their number?")  # the other server knows what was shown
    assert any(ch.isdigit() for ch in words(followed)) and "Which part" not in words(followed)
    again = words(say(first, "alternating", "are any free?"))
    assert again and "Which part" not in again


def test_two_turns_of_one_conversation_on_both_servers_at_once_are_both_answered(scaled):
    first, second = scaled["servers"]
    say(first, "at-once", "hello")
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda server: say(server, "at-once", "debt advice in Bootle"), (first, second)))
    assert all(words(a) for a in answers)
    history = words(say(first, "at-once", "what's their number?"))
    assert history and "Which part" not in history


def test_an_advisor_on_one_server_chats_live_with_a_widget_open_on_the_other(scaled):
    first, second = scaled["servers"]
    add_advisor(scaled["database"], "Across Servers")
    advisor = Console(second)
    assert advisor.log_in("Across Servers")[0] == 200
    advisor.keep_beating()
    socket_url = first.replace("http://", "ws://") + "/widget/socket"

    async def chat():
        async with websockets.connect(socket_url) as ws:
            conversation = (await hello(ws))["conversation"]
            await widget_say(ws, "can I talk to a person please")
            entry = await asyncio.get_running_loop().run_in_executor(None, advisor.waiting_for, conversation)
            status, _ = advisor.post(f"handoffs/{entry['id']}/claim")
            assert status == 200
            status, _ = advisor.post(f"handoffs/{entry['id']}/messages", {"text": "Hello, I'm here to help."})
            assert status == 200
            while True:  # whatever the claim said first, the advisor's words arrive on this server's socket
                frame = await receive(ws, timeout=30)
                if frame.get("type") == "message" and frame.get("text") == "Hello, I'm here to help.":
                    return frame

    try:
        frame = run(chat())
    finally:
        advisor.stop_beating()
    assert frame["author"] == "advisor"


def test_telegram_is_polled_by_one_server_and_each_message_answered_once(scaled, telegram):
    chats = [7100 + n for n in range(3)]
    for chat in chats:
        telegram.queue_update(message_update(chat, "hello"))
        telegram.queue_update(message_update(chat, "debt advice in Southport"))
    telegram.wait_for(lambda: all(len(telegram.sent(chat)) >= 2 for chat in chats), timeout=90,
                      what="an answer to every message")
    engine = make_engine(scaled["database"])
    try:
        with engine.connect() as connection:
            stored = connection.execute(text(
                "SELECT conversation_id, count(*) FROM message WHERE author = 'resident' AND conversation_id "
                "LIKE 'telegram:71%' GROUP BY conversation_id")).all()
            unanswered = connection.execute(text(
                "SELECT count(*) FROM message WHERE author = 'resident' AND conversation_id LIKE 'telegram:71%' "
                "AND status != 'answered'")).scalar()
    finally:
        engine.dispose()
    assert sorted(stored) == [(f"telegram:{chat}", 2) for chat in chats]  # each update taken once
    assert unanswered == 0


def test_redis_restarting_costs_a_resident_an_apology_and_the_answer_comes_when_it_is_back(scaled):
    url = scaled["url"]
    port = (PROJECT / ".run" / "redis.port").read_text().strip()
    subprocess.run(["scripts/redis.sh", "stop"], cwd=PROJECT, check=True)
    try:
        apology = words(say(url, "redis-down", "debt advice in Southport"))
        assert "can't answer that right now" in apology and "999" in apology
        crisis = words(say(url, "redis-down-crisis", "I want to end my life"))
        assert "116 123" in crisis  # the routes never wait for the lock store
    finally:
        restarted = subprocess.run(["scripts/redis.sh", "start"], cwd=PROJECT, check=True, capture_output=True,
                                   text=True, env={**os.environ, "SIGNPOST_REDIS_PORT": port})
        assert restarted.stdout.strip().endswith(f":{port}/0")
    deadline = time.monotonic() + 60
    answer = ""
    while "Southport" not in answer:  # stored, and answered once the lock store is back
        assert time.monotonic() < deadline, answer
        time.sleep(1)
        answer = words(say(url, "redis-down", "thanks"))


def test_a_rasa_server_killed_is_survived_and_the_conversation_carries_on(scaled):
    # Last in this module: the first server stays down.
    url = scaled["url"]
    assert "Southport" in words(say(url, "survivor", "debt advice in Southport"))
    pid = int((PROJECT / ".run" / "scaled" / "rasa-1.pid").read_text())
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    for turn in range(4):  # whichever server nginx tries first, the one left answers, knowing the conversation
        followed = words(say(url, "survivor", "what's their number?"))
        assert any(ch.isdigit() for ch in followed) and "Which part" not in followed
