"""The Telegram channel through the real stack, offline: Telegram's own update JSON goes in, the real
assistant (``rasa run`` with credentials.yml, the action server, the knowledge base of the shipped packs)
answers through python-telegram-bot, and the Bot API is a local fake (tests/support/fake_telegram.py) that
answers like Telegram and records what was sent."""
from __future__ import annotations

import datetime as dt
import html
import itertools
import json
import re
import sqlite3
import time
import urllib.error
import urllib.request
from typing import Any, Optional

import pytest
from sqlalchemy import select, update

from bot import conversations as store
from bot.channels.telegram import FORGOTTEN, HELP, NOT_TEXT, TelegramInput, TelegramSettings
from bot.channels.telegram_format import keyboard, parse_callback, split_message, telegram_length, to_html
from bot.handoff.models import HandoffRequest
from bot.inbox import TOO_FAST, too_long
from bot.states import Author, MessageStatus
from core.database import make_engine, session_factory, sqlite_path
from tests.support.assistant import knowledge_base, start_assistant
from tests.support.fake_telegram import (TOKEN, FakeTelegram, _user, check_text, message_update,
                                         start_polling_assistant)

PRIVACY_URL = "https://council.example/privacy"
PER_MINUTE = 6
CALLBACK = re.compile(r"^b:\d+:\d+$")
_chats = itertools.count(int(time.time()) % 100000 * 1000)


# -- fixtures -----------------------------------------------------------------------------------------------

def _telegram_env(fake: FakeTelegram, **settings: str) -> dict[str, str]:
    return {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": fake.base_url, "SIGNPOST_PRIVACY_URL": PRIVACY_URL,
            "TELEGRAM_SEND_ATTEMPTS": "3", "TELEGRAM_RETRY_BACKOFF_SECONDS": "0.2",
            "TELEGRAM_RETRY_INTERVAL_SECONDS": "1", "SIGNPOST_MAX_MESSAGES_PER_MINUTE": str(PER_MINUTE), **settings}


@pytest.fixture(scope="module")
def kb_url(tmp_path_factory) -> str:
    return knowledge_base(tmp_path_factory.mktemp("telegram-kb"))


@pytest.fixture(scope="module")
def assistant(kb_url, telegram, tmp_path_factory):
    """The assistant with its Telegram channel long polling the fake Bot API."""
    running = start_polling_assistant(tmp_path_factory.mktemp("telegram-assistant"), kb_url, telegram,
                                      _telegram_env(telegram, TELEGRAM_MODE="polling"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def db(kb_url):
    engine = make_engine(kb_url)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def chat() -> int:
    return next(_chats)


# -- Telegram's update JSON -----------------------------------------------------------------------------------

def location_update(chat_id: int, latitude: float, longitude: float) -> dict[str, Any]:
    return message_update(chat_id, location={"latitude": latitude, "longitude": longitude})


def button_update(chat_id: int, sent: dict[str, Any], data: str) -> dict[str, Any]:
    """A press of one of the buttons under a message the bot sent (as Telegram reports it)."""
    return {"callback_query": {
        "id": f"{chat_id}{int(time.time() * 1000) % 10**6}", "from": _user(chat_id), "chat_instance": f"ci{chat_id}",
        "data": data,
        "message": {"message_id": sent["message_id"], "date": int(time.time()), "from": {
            "id": 7000000001, "is_bot": True, "first_name": "Signpost", "username": "signpost_test_bot"},
            "chat": {"id": chat_id, "first_name": "Sam", "type": "private"}, "text": html.unescape(sent["text"]),
            "reply_markup": sent["reply_markup"]}}}


# -- helpers ------------------------------------------------------------------------------------------------

def stored(db, chat_id: int) -> list[store.Message]:
    with db() as session:
        return store.history(session, store.conversation_id("telegram", str(chat_id)))


def settled(db, chat_id: int) -> bool:
    """Every resident message answered and every reply delivered or given up."""
    messages = stored(db, chat_id)
    return bool(messages) and all(m.status in (MessageStatus.ANSWERED, MessageStatus.SENT, MessageStatus.FAILED) for m in messages)


def exchange(telegram: FakeTelegram, db, chat_id: int, update: dict[str, Any], replies: int = 1) -> list[dict[str, Any]]:
    """Send an update through getUpdates; the messages the bot sent back (with the id Telegram gave them)."""
    before = len(telegram.sent(chat_id))
    telegram.queue_update(update)
    telegram.wait_for(lambda: len(telegram.sent(chat_id)) >= before + replies and settled(db, chat_id),
                      what=f"{replies} replies to chat {chat_id}")
    return telegram.sent(chat_id)[before:]


def buttons(sent: dict[str, Any]) -> list[dict[str, str]]:
    return [b for row in (sent.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


def plain(sent: dict[str, Any]) -> str:
    return html.unescape(sent["text"])


# -- formatting (no network) ----------------------------------------------------------------------------------

def test_long_text_is_split_cleanly_under_telegrams_limit():
    paragraph = "Family hubs & children's centres <Bootle> offer stay and play, baby massage and advice. " * 8
    text = "\n\n".join(f"{n}. {paragraph.strip()}" for n in range(1, 14))
    parts = split_message(text)
    assert len(parts) > 1
    assert all(telegram_length(p) <= 4096 for p in parts)
    assert all(p == p.strip() and p[0].isdigit() for p in parts)  # each starts at a paragraph
    assert "\n\n".join(parts) == text
    for part in parts:
        assert check_text(to_html(part), "HTML") is None  # Telegram would accept it
    assert to_html("a < b & c > d") == "a &lt; b &amp; c &gt; d"


def test_splitting_counts_as_telegram_does_and_cuts_words_only_when_it_must():
    emoji = "\U0001F476" * 3000  # each counts as two
    parts = split_message(emoji)
    assert [telegram_length(p) for p in parts] == [4096, 1904]
    unbroken = "x" * 5000
    assert [len(p) for p in split_message(unbroken)] == [4096, 904]
    words = ("word " * 2000).strip()
    assert all(not p.endswith("wor") and p.endswith("word") for p in split_message(words))
    assert split_message("  ") == []


def test_buttons_become_an_inline_keyboard_pointing_at_the_stored_reply():
    markup = keyboard([{"title": "North", "payload": "/x"}, {"title": "Central", "payload": "/y"},
                       {"title": "South", "payload": "/z"}, {"title": "Talk to a person", "payload": "/h"}], 123456789)
    rows = [[b.text for b in row] for row in markup.inline_keyboard]
    assert rows == [["North", "Central", "South"], ["Talk to a person"]]
    data = [b.callback_data for row in markup.inline_keyboard for b in row]
    assert data == ["b:123456789:0", "b:123456789:1", "b:123456789:2", "b:123456789:3"]
    assert all(len(d.encode()) <= 64 for d in data)
    assert parse_callback("b:123456789:3") == (123456789, 3) and parse_callback("evil") is None
    assert keyboard([], 1) is None


def test_settings_off_without_a_token_and_checked_in_webhook_mode():
    assert not TelegramSettings.from_env({}).enabled
    channel = TelegramInput(TelegramSettings.from_env({}))
    channel.blueprint(lambda message: None)
    assert channel.channel is None  # nothing polls, the webhook answers 503
    with pytest.raises(ValueError, match="TELEGRAM_SECRET_TOKEN"):
        TelegramSettings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_MODE": "webhook",
                                   "TELEGRAM_WEBHOOK_URL": "https://council.example/webhooks/telegram/webhook"})
    with pytest.raises(ValueError, match="TELEGRAM_WEBHOOK_URL"):
        TelegramSettings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_MODE": "webhook",
                                   "TELEGRAM_SECRET_TOKEN": "s3cret"})
    with pytest.raises(ValueError, match="TELEGRAM_MODE"):
        TelegramSettings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_MODE": "carrier-pigeon"})


# -- conversations over Telegram (polling) -------------------------------------------------------------------

def test_start_says_what_it_does_with_a_privacy_link(assistant, telegram, db, chat):
    [reply] = exchange(telegram, db, chat, message_update(chat, "/start"))
    assert reply["parse_mode"] == "HTML"
    lines = plain(reply).split("\n")
    assert len(lines) == 3 and "Signpost" in lines[0] and "/human" in lines[1]
    assert lines[2] == f"Privacy: {PRIVACY_URL}"
    titles = [b["text"] for b in buttons(reply)]
    assert "Talk to a person" in titles
    assert all(CALLBACK.match(b["callback_data"]) for b in buttons(reply))
    resident, bot = stored(db, chat)
    assert (resident.author, resident.text, resident.status) == ("resident", "/start", "answered")
    assert bot.status == "sent" and bot.text == plain(reply)
    assert telegram.recorded("setMyCommands")  # the command menu: /start /help /human /privacy /forget
    commands = [c["command"] for c in telegram.recorded("setMyCommands")[-1].params["commands"]]
    assert commands == ["start", "help", "human", "privacy", "forget"]


def test_privacy_says_what_is_kept_for_how_long_and_how_to_erase_it(assistant, telegram, db, chat):
    [reply] = exchange(telegram, db, chat, message_update(chat, "/privacy"))
    text = plain(reply)
    assert "What I keep" in text and "For how long" in text and "/forget" in text and PRIVACY_URL in text
    [other] = exchange(telegram, db, chat, message_update(chat, sticker={
        "file_id": "CAACAgIAAxkBAAEB", "file_unique_id": "AgADxx", "type": "regular", "width": 512, "height": 512,
        "is_animated": False, "is_video": False}))
    assert plain(other) == NOT_TEXT
    assert stored(db, chat)[-2].text == "(sticker)"


def test_a_need_is_answered_from_the_directory(assistant, telegram, db, chat):
    [reply] = exchange(telegram, db, chat, message_update(chat, "debt advice in southport"))
    text = plain(reply)
    assert "debt advice near Southport" in text and "1. " in text
    assert reply["parse_mode"] == "HTML"
    resident, bot = stored(db, chat)
    assert resident.text == "debt advice in southport" and resident.status == "answered"
    assert bot.text == text and bot.status == "sent"  # escaped for Telegram, unchanged for the resident


def test_a_location_pin_finds_the_nearest_services(assistant, telegram, db, chat):
    exchange(telegram, db, chat, message_update(chat, "debt advice"))
    [reply] = exchange(telegram, db, chat, location_update(chat, 53.446612, -2.991234))
    text = plain(reply)
    assert "debt advice near your location" in text
    assert "Bootle" in text and "miles" in text
    pin = stored(db, chat)[-2]
    assert pin.text == '/inform_place{"place": "53.4466,-2.9912"}'
    assert pin.extra == {"location": {"latitude": 53.4466, "longitude": -2.9912}}


def test_pressing_a_button_sends_its_payload(assistant, telegram, db, chat):
    [welcome] = exchange(telegram, db, chat, message_update(chat, "/start"))
    money = next(b for b in buttons(welcome) if b["text"] == "Money and debt advice")
    [question] = exchange(telegram, db, chat, button_update(chat, welcome, money["callback_data"]))
    answered = telegram.recorded("answerCallbackQuery")[-1].params
    assert answered["callback_query_id"].startswith(str(chat)) and "text" not in answered
    edited = [c.params for c in telegram.recorded("editMessageReplyMarkup", chat)]
    assert edited[-1]["message_id"] == str(welcome["message_id"]) and "reply_markup" not in edited[-1]
    assert "Which part of Sefton are you in" in plain(question)
    assert [[b["text"] for b in row] for row in question["reply_markup"]["inline_keyboard"]] == [["North", "Central", "South"]]
    south = next(b for b in buttons(question) if b["text"] == "South")
    [results] = exchange(telegram, db, chat, button_update(chat, question, south["callback_data"]))
    assert "debt and money near South" in plain(results)
    pressed = stored(db, chat)[-2]
    assert pressed.author == "resident" and pressed.text.startswith("/inform_place") and pressed.extra == {"button": "South"}


def test_a_button_that_is_not_ours_is_answered_but_not_acted_on(assistant, telegram, db, chat):
    [welcome] = exchange(telegram, db, chat, message_update(chat, "/start"))
    before = len(telegram.sent(chat))
    telegram.queue_update(button_update(chat, welcome, "b:999999999:0"))
    telegram.wait_for(lambda: any(c.params.get("text") for c in telegram.recorded("answerCallbackQuery")
                                  if c.params["callback_query_id"].startswith(str(chat))), what="the callback answer")
    assert len(telegram.sent(chat)) == before
    assert len(stored(db, chat)) == 2


def test_a_long_message_is_split_at_4096_characters(assistant, telegram, db, chat):
    """An advisor's long message waiting to be delivered (as the advisor console stores it) goes out in
    clean parts, escaped, none over Telegram's limit."""
    paragraph = ("Here is everything about the Family Hub & its partners <South Sefton>: sessions, advice, "
                 "drop-ins and who to call. ") * 6
    text = "\n\n".join(f"Part {n}: {paragraph.strip()} \U0001F476" for n in range(1, 16))
    assert len(text) > 2 * 4096
    cid = store.conversation_id("telegram", str(chat))
    with db() as session:
        store.touch(session, "telegram", str(chat))
        message = store.record_outgoing(session, cid, Author.ADVISOR, text)
        session.execute(update(store.Message).where(store.Message.id == message.id)
                        .values(created_at=store.utcnow() - dt.timedelta(minutes=5)))
        session.commit()
    telegram.wait_for(lambda: settled(db, chat), what="the long message to be delivered")
    parts = telegram.sent(chat)
    assert len(parts) == 3
    for part in parts:
        assert part["parse_mode"] == "HTML" and "&lt;South Sefton&gt;" in part["text"] and "&amp;" in part["text"]
        assert telegram_length(html.unescape(part["text"])) <= 4096
        assert html.unescape(part["text"]).startswith("Part ")
    assert "\n\n".join(html.unescape(p["text"]) for p in parts) == text
    assert stored(db, chat)[-1].status == "sent"


def test_forget_erases_messages_handoffs_and_the_assistants_memory(assistant, telegram, db, chat):
    exchange(telegram, db, chat, message_update(chat, "debt advice in bootle"))
    [handed] = exchange(telegram, db, chat, message_update(chat, "/human"))
    assert "Community First" in plain(handed)
    assert stored(db, chat)[-2].text == "/human_handoff"
    cid = store.conversation_id("telegram", str(chat))
    tracker = sqlite_path(assistant.env["SIGNPOST_DATABASE_URL"])  # Rasa's tracker store shares the database

    def handoffs() -> list[HandoffRequest]:
        with db() as session:
            return list(session.execute(select(HandoffRequest).where(HandoffRequest.conversation_id == cid)).scalars())

    def events() -> int:
        with sqlite3.connect(tracker) as connection:
            return connection.execute("SELECT count(*) FROM events WHERE sender_id = ?", (cid,)).fetchone()[0]

    assert len(stored(db, chat)) == 4 and len(handoffs()) == 1 and events() > 0
    before = len(telegram.sent(chat))
    telegram.queue_update(message_update(chat, "/forget"))
    telegram.wait_for(lambda: len(telegram.sent(chat)) > before, what="the confirmation")
    assert plain(telegram.sent(chat)[-1]) == FORGOTTEN
    assert stored(db, chat) == [] and handoffs() == [] and events() == 0
    with db() as session:
        assert session.get(store.Conversation, cid) is None
    # The assistant starts afresh: it no longer knows the need or the place.
    [reply] = exchange(telegram, db, chat, message_update(chat, "more"))
    assert "Tell me what you're looking for" in plain(reply)


def test_size_and_flood_limits_get_a_polite_reply(assistant, telegram, db, chat):
    [reply] = exchange(telegram, db, chat, message_update(chat, "help " * 300))
    assert plain(reply) == too_long()
    for n in range(PER_MINUTE - 1):
        exchange(telegram, db, chat, message_update(chat, "hiya"))
    [reply] = exchange(telegram, db, chat, message_update(chat, "hiya"))
    assert plain(reply) == TOO_FAST


def test_too_many_requests_is_retried_after_the_time_telegram_asks(assistant, telegram, db, chat):
    telegram.fail("sendMessage", 429, times=1, retry_after=1)
    [reply] = exchange(telegram, db, chat, message_update(chat, "/help"))
    assert plain(reply) == HELP
    first, second = telegram.recorded("sendMessage", chat)
    assert (first.status, second.status) == (429, 200)
    assert first.params["text"] == second.params["text"]
    assert second.at - first.at >= 0.9
    assert stored(db, chat)[-1].status == "sent"


def test_a_send_that_keeps_failing_is_kept_and_delivered_by_a_later_retry(assistant, telegram, db, chat):
    telegram.fail("sendMessage", 502, times=None)
    try:
        telegram.queue_update(message_update(chat, "/help"))
        telegram.wait_for(lambda: settled(db, chat) and stored(db, chat)[-1].status == "failed",
                          what="the reply to be stored as failed")
        reply = stored(db, chat)[-1]
        assert reply.attempts >= 3 and reply.text == HELP
        assert len(telegram.recorded("sendMessage", chat, ok=False)) >= 3
    finally:
        telegram.recover("sendMessage")
    telegram.wait_for(lambda: telegram.sent(chat) and stored(db, chat)[-1].status == "sent",
                      what="the retry to deliver it")
    [delivered] = telegram.sent(chat)
    assert plain(delivered) == HELP and buttons(delivered)


def test_the_logs_hold_neither_messages_nor_the_token(assistant, telegram, db, chat):
    secret = "my landlord at 14 Acacia Avenue is evicting me"
    telegram.fail("sendMessage", 502, times=3)
    exchange(telegram, db, chat, message_update(chat, secret))
    log = (assistant.workdir / "rasa.log").read_text()
    assert "delivery failed after 3 attempts" in log  # the failure is logged...
    assert secret not in log and "Acacia" not in log  # ...but no one's words
    assert TOKEN not in log and TOKEN.split(":")[1] not in log


# -- webhook mode ---------------------------------------------------------------------------------------------

def _post(url: str, body: bytes, secret: Optional[str]) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers), timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_webhook_mode_checks_the_secret_token_on_every_update(tmp_path_factory):
    """Also: what the server left undone when it last stopped (a message stored but not answered, a reply
    not delivered) is done when it starts."""
    fake = FakeTelegram(TOKEN).start()
    kb = knowledge_base(tmp_path_factory.mktemp("telegram-webhook-kb"))
    unanswered_chat, undelivered_chat = next(_chats), next(_chats)
    engine = make_engine(kb)
    with session_factory(engine)() as session:
        waiting = store.record_incoming(session, "telegram", str(unanswered_chat), "debt advice in southport")
        store.touch(session, "telegram", str(undelivered_chat))
        pending = store.record_outgoing(session, store.conversation_id("telegram", str(undelivered_chat)),
                                        Author.BOT, "The reply you were waiting for & more.")
    public = "https://signpost.council.example/webhooks/telegram/webhook"
    running = start_assistant(tmp_path_factory.mktemp("telegram-webhook"), kb, extra_env=_telegram_env(
        fake, TELEGRAM_MODE="webhook", TELEGRAM_WEBHOOK_URL=public, TELEGRAM_SECRET_TOKEN="s3cret-Token_1"))
    try:
        fake.wait_for(lambda: fake.recorded("setWebhook"), timeout=60, what="the webhook to be set")
        fake.wait_for(lambda: fake.sent(unanswered_chat) and fake.sent(undelivered_chat), what="the catch-up")
        assert "debt advice near Southport" in plain(fake.sent(unanswered_chat)[0])
        assert plain(fake.sent(undelivered_chat)[0]) == "The reply you were waiting for & more."
        with session_factory(engine)() as session:
            assert session.get(store.Message, waiting.id).status == "answered"
            assert session.get(store.Message, pending.id).status == "sent"
        webhook = fake.recorded("setWebhook")[-1].params
        assert webhook["url"] == public and webhook["secret_token"] == "s3cret-Token_1"
        assert webhook["allowed_updates"] == ["message", "callback_query"]
        route = f"{running.url}/webhooks/telegram/webhook"
        fake.wait_for(lambda: json.load(urllib.request.urlopen(f"{running.url}/webhooks/telegram/"))["status"]
                      == "webhook", what="the channel to be ready")
        chat = next(_chats)
        update = json.dumps({"update_id": 90001, **message_update(chat, "debt advice in southport")}).encode()
        assert _post(route, update, None) == 403
        assert _post(route, update, "wrong-secret") == 403
        assert _post(route, b"{not json", "s3cret-Token_1") == 400
        assert fake.sent(chat) == []
        assert _post(route, update, "s3cret-Token_1") == 200
        fake.wait_for(lambda: fake.sent(chat), what="the reply")
        [reply] = fake.sent(chat)
        assert "debt advice near Southport" in plain(reply) and reply["parse_mode"] == "HTML"
        assert _post(route, update, "s3cret-Token_1") == 200  # Telegram sending it again is not answered twice
        time.sleep(0.5)
        assert len(fake.sent(chat)) == 1
        assert fake.recorded("getUpdates") == []
    finally:
        running.stop()
        fake.stop()
        engine.dispose()
