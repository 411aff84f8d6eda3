"""The advisor console in real browsers (Debian's Chromium through Playwright) against the running
assistant, with residents in the widget (another browser context) and on Telegram (the offline fake Bot
API): queue, summary, claim, live chat both ways, typing, hand back; call-backs when no one is online;
a crisis first; residents' markup shown as text; CSRF and lockout; an advisor who disappears; a restart
in the middle of a live chat."""
from __future__ import annotations

import re
import time
import uuid
from typing import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import select

from bot import conversations as store
from bot.handoff.models import CallbackRequest
from bot.handoff.models import HandoffRequest
from core.database import make_engine, session_factory
from tests.support.assistant import knowledge_base
from tests.browser.test_widget import CHROMIUM, CHROMIUM_ARGS, ask, conversation, launcher
from tests.support.console_client import PASSWORD, Console, add_advisor, everyone_offline
from tests.support.fake_telegram import FakeTelegram, start_polling_assistant
from tests.test_telegram import _telegram_env, buttons, message_update, button_update, plain

TIMEOUT = 60_000
AWAY_SECONDS = 8
expect.set_options(timeout=TIMEOUT)


class Running:
    """The assistant, which the restart test replaces."""

    def __init__(self, start):
        self.start = start
        self.assistant = start()

    @property
    def url(self) -> str:
        return self.assistant.url

    def restart(self) -> None:
        self.assistant.stop()
        self.assistant = self.start()


@pytest.fixture(scope="module")
def kb_url(tmp_path_factory) -> str:
    url = knowledge_base(tmp_path_factory.mktemp("console-kb"))
    for name in ("Sam", "Alex", "Robin"):
        add_advisor(url, name)
    return url


@pytest.fixture(scope="module")
def running(kb_url, telegram, tmp_path_factory) -> Iterator[Running]:
    workdir = tmp_path_factory.mktemp("console-assistant")
    env = {**_telegram_env(telegram, TELEGRAM_MODE="polling"), "SIGNPOST_ADVISOR_AWAY_SECONDS": str(AWAY_SECONDS),
           "SIGNPOST_MAX_MESSAGES_PER_MINUTE": "30"}

    def start():
        return start_polling_assistant(workdir, kb_url, telegram, env)

    holder = Running(start)
    yield holder
    holder.assistant.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: run scripts/browser.sh (make test does).")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def db(kb_url):
    engine = make_engine(kb_url)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def pages(browser) -> Iterator[list]:
    """Browser contexts opened by a test (each its own cookies and storage); no page may throw."""
    contexts, errors = [], []

    def new_page(**options) -> Page:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, **options)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    yield new_page
    for context in contexts:
        context.close()
    assert errors == []


def chat_id() -> int:
    return int(time.time() * 1000) % 10**9 + 10**9


def advisor_page(new_page, url: str, name: str) -> Page:
    page = new_page()
    page.goto(f"{url}/console")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text(f"Logged in as {name}")).to_be_visible()
    return page


def queue_entry(page: Page, words: str):
    return page.locator("#queue > li").filter(has_text=words)


def chat_log(page: Page):
    return page.get_by_role("log", name="Chat with resident")


def handoffs(db, cid: str) -> list[HandoffRequest]:
    with db() as session:
        return list(session.execute(select(HandoffRequest).where(HandoffRequest.conversation_id == cid)
                                    .order_by(HandoffRequest.id)).scalars())


def sent_texts(telegram: FakeTelegram, chat: int) -> list[str]:
    return [plain(m) for m in telegram.sent(chat)]


def wait_for_sent(telegram: FakeTelegram, chat: int, words: str, timeout: float = 60) -> str:
    return telegram.wait_for(lambda: next((t for t in sent_texts(telegram, chat) if words in t), None),
                             timeout=timeout, what=f"{words!r} sent to {chat}")


# -- nobody online: a call-back instead -----------------------------------------------------------------


def test_with_no_advisor_online_a_call_back_is_offered_and_kept_only_with_consent(running, telegram, db, kb_url):
    everyone_offline(kb_url)
    chat = chat_id()
    telegram.queue_update(message_update(chat, "/human"))
    offer = wait_for_sent(telegram, chat, "No advisor is free to chat right now")
    assert "phone number or email address" in offer and "0300 323 0181" in offer
    telegram.queue_update(message_update(chat, "07700 900123"))
    wait_for_sent(telegram, chat, "When is a good time")
    telegram.queue_update(message_update(chat, "weekday mornings"))
    wait_for_sent(telegram, chat, "Do you agree")
    question = telegram.sent(chat)[-1]
    yes = next(b for b in buttons(question) if b["text"] == "Yes, contact me")
    telegram.queue_update(button_update(chat, question, yes["callback_data"]))
    done = wait_for_sent(telegram, chat, "will contact you on 07700 900123")
    assert "0300 323 0181" in done and "Monday to Friday, 9am to 5pm" in done
    with db() as session:
        [kept] = session.execute(select(CallbackRequest).where(
            CallbackRequest.conversation_id == f"telegram:{chat}")).scalars().all()
        assert (kept.status, kept.contact, kept.good_time, kept.consent) == \
            ("open", "07700 900123", "weekday mornings", True)
    # The assistant is itself again afterwards.
    telegram.queue_update(message_update(chat, "debt advice in southport"))
    wait_for_sent(telegram, chat, "debt advice near Southport")

    advisor = Console(running.url)
    assert advisor.log_in("Robin")[0] == 200
    [listed] = [c for c in advisor.state()["callbacks"] if c["conversation"] == f"telegram:{chat}"]
    assert listed["contact"] == "07700 900123" and listed["consent"] is True
    assert advisor.post(f"callbacks/{listed['id']}/done", {"outcome": "signposted"})[0] == 200
    assert all(c["id"] != listed["id"] for c in advisor.state()["callbacks"])
    assert advisor.post("logout")[0] == 200


# -- the widget -------------------------------------------------------------------------------------------


def test_a_widget_resident_and_an_advisor_chat_both_ways_then_the_assistant_carries_on(running, pages, db):
    advisor = advisor_page(pages, running.url, "Sam")
    resident = pages()
    resident.goto(f"{running.url}/demo")
    launcher(resident).click()
    ask(resident, "debt advice in bootle")
    log = conversation(resident)
    expect(log).to_contain_text("debt advice near Bootle")
    ask(resident, "can i talk to a real person please")
    expect(log).to_contain_text("I've asked a person from Community First")

    entry = queue_entry(advisor, "can i talk to a real person please")
    expect(entry).to_contain_text("The resident asked for a person")
    expect(entry).to_contain_text("debt money")
    expect(entry).to_contain_text("Bootle")
    expect(entry.locator("dt", has_text="Already suggested")).to_be_visible()
    expect(entry.get_by_role("log", name="Transcript")).to_contain_text("Resident: debt advice in bootle")
    entry.get_by_role("button", name="Claim").click()
    expect(advisor.get_by_role("status")).to_have_text("You have this conversation.")
    expect(queue_entry(advisor, "can i talk to a real person please")).to_have_count(0)
    expect(log.locator(".sp-msg-advisor").last).to_contain_text("You're now talking to Sam")

    cid = resident.evaluate("() => Object.entries(localStorage).find(([k]) => k.startsWith('signpost'))[1]")
    with db() as session:
        assert session.get(store.Conversation, cid).mode == "advisor"

    # The advisor types: the resident sees it; the advisor's message arrives within a second.
    advisor.get_by_label("Message to resident").press_sequentially("Hello")
    expect(resident.get_by_text("The advisor is typing")).to_be_visible()
    advisor.get_by_label("Message to resident").fill("Hello, I'm Sam. What's worrying you most?")
    started = time.monotonic()
    advisor.get_by_role("button", name="Send", exact=True).click()
    expect(log.locator(".sp-msg-advisor").last).to_contain_text("Hello, I'm Sam. What's worrying you most?",
                                                                timeout=5000)
    assert time.monotonic() - started < 2.5  # relayed within a second (plus the browser's own work)

    # The resident types and answers: the advisor sees it live; the assistant says nothing.
    resident.get_by_role("textbox", name="Your message").press_sequentially("The rent")
    expect(advisor.get_by_text("The resident is typing…")).to_be_visible()
    resident.get_by_role("textbox", name="Your message").fill("The rent arrears letter, can you help?")
    resident.get_by_role("textbox", name="Your message").press("Enter")
    expect(chat_log(advisor)).to_contain_text("Resident: The rent arrears letter, can you help?")
    advisor.get_by_role("button", name=re.compile("^Would you like me to arrange")).click()
    expect(log.locator(".sp-msg-advisor").last).to_contain_text("Would you like me to arrange")
    bots_before = log.locator(".sp-msg-bot").count()

    advisor.get_by_role("button", name="Hand back to the assistant").click()
    expect(log.locator(".sp-msg-bot").last).to_contain_text("Sam has passed you back to the Signpost assistant")
    assert log.locator(".sp-msg-bot").count() == bots_before + 1  # the assistant stayed silent meanwhile
    ask(resident, "what about in southport?")
    expect(log.locator(".sp-msg-bot").last).to_contain_text("debt advice near Southport")  # it kept the need
    [request] = handoffs(db, cid)
    assert request.status == "returned"
    with db() as session:
        assert session.get(store.Conversation, cid).mode == "bot"
    advisor.get_by_role("button", name="Log out").click()
    expect(advisor.get_by_role("button", name="Log in")).to_be_visible()


def test_residents_markup_is_only_text_in_the_console(running, pages):
    advisor = advisor_page(pages, running.url, "Alex")
    resident = pages()
    resident.goto(f"{running.url}/demo")
    launcher(resident).click()
    nasty = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2"><b>bold</b>'
    ask(resident, nasty)
    expect(conversation(resident).locator(".sp-msg-bot")).to_have_count(2)
    ask(resident, "talk to a person")
    expect(conversation(resident)).to_contain_text("I've asked a person")
    entry = queue_entry(advisor, "talk to a person")
    expect(entry.get_by_role("log", name="Transcript")).to_contain_text(f"Resident: {nasty}")
    entry.get_by_role("button", name="Claim").click()
    expect(chat_log(advisor)).to_contain_text(f"Resident: {nasty}")
    assert advisor.locator("#app img, #app b, #app script").count() == 0
    assert advisor.evaluate("() => window.pwned") is None
    advisor.get_by_label("Outcome", exact=True).select_option("no_response")
    advisor.get_by_role("button", name="Close chat").click()
    expect(conversation(resident).locator(".sp-msg-bot").last).to_contain_text("Alex has ended the chat")


# -- Telegram -------------------------------------------------------------------------------------------------


def test_a_telegram_resident_and_an_advisor_chat_both_ways_then_the_assistant_carries_on(running, telegram, pages, db):
    advisor = advisor_page(pages, running.url, "Robin")
    chat = chat_id()
    cid = f"telegram:{chat}"
    telegram.queue_update(message_update(chat, "youth club in maghull"))
    wait_for_sent(telegram, chat, "Maghull")
    telegram.queue_update(message_update(chat, "/human"))
    wait_for_sent(telegram, chat, "I've asked a person from Community First")

    entry = queue_entry(advisor, "youth club in maghull")
    expect(entry).to_contain_text("Maghull")
    expect(entry).to_contain_text("telegram")
    entry.get_by_role("button", name="Claim").click()
    wait_for_sent(telegram, chat, "You're now talking to Robin")

    advisor.get_by_label("Message to resident").press_sequentially("Hi")
    telegram.wait_for(lambda: telegram.recorded("sendChatAction", chat), what="a typing indicator in Telegram")
    advisor.get_by_label("Message to resident").fill("Hi, Robin here. How old is your young person?")
    advisor.get_by_label("Message to resident").press("Enter")
    wait_for_sent(telegram, chat, "Hi, Robin here. How old is your young person?", timeout=5)

    before = len(telegram.sent(chat))
    telegram.queue_update(message_update(chat, "She's 14 and a bit shy"))
    expect(chat_log(advisor)).to_contain_text("Resident: She's 14 and a bit shy")
    time.sleep(1)
    assert len(telegram.sent(chat)) == before  # the assistant stayed silent

    advisor.get_by_role("button", name="Hand back to the assistant").click()
    wait_for_sent(telegram, chat, "Robin has passed you back")
    telegram.queue_update(message_update(chat, "what about on saturday?"))
    answer = wait_for_sent(telegram, chat, "Saturday")
    assert "Maghull" in answer
    assert handoffs(db, cid)[-1].status == "returned"


# -- the queue's order, CSRF and lockout ------------------------------------------------------------------


def test_a_crisis_jumps_the_queue(running):
    first, crisis = f"queue-{uuid.uuid4().hex[:8]}", f"queue-{uuid.uuid4().hex[:8]}"
    running.assistant.say(first, "can i talk to a real person")
    running.assistant.say(crisis, "i want to end it all tonight")
    first, crisis = f"rest:{first}", f"rest:{crisis}"  # REST senders' conversations
    advisor = Console(running.url)
    assert advisor.log_in("Alex")[0] == 200
    order = [e["conversation"] for e in advisor.state()["queue"] if e["conversation"] in (first, crisis)]
    assert order == [crisis, first]
    [top] = [e for e in advisor.state()["queue"] if e["conversation"] == crisis]
    assert top["crisis"] and advisor.state()["queue"][0]["crisis"]
    assert top["why"] == "Crisis: suicide or self-harm"  # the kind of risk, for the advisor who takes it
    advisor.post("logout")


def test_every_change_needs_the_csrf_token_and_the_cookie_is_httponly_and_strict(running):
    advisor = Console(running.url)
    assert advisor.log_in("Sam")[0] == 200
    cookie = advisor.set_cookie.lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/console" in cookie
    for path in ("heartbeat", "handoffs/1/claim", "handoffs/1/messages", "handoffs/1/handback", "handoffs/1/close",
                 "callbacks/1/done", "logout"):
        assert advisor.request("POST", path, {"text": "x"}, csrf=None)[0] == 403, path
        assert advisor.request("POST", path, {"text": "x"}, csrf="forged")[0] == 403, path
    assert advisor.request("GET", "state", csrf=None)[0] == 200
    stranger = Console(running.url)
    assert stranger.request("GET", "state")[0] == 401
    assert stranger.request("POST", "login", {"name": "Sam", "password": PASSWORD},
                            headers={"Origin": "https://evil.example"})[0] == 403
    assert advisor.post("logout")[0] == 200
    assert advisor.request("GET", "state")[0] == 401  # the session is gone


def test_wrong_passwords_slow_the_guesser_and_never_lock_the_advisor_out(running, kb_url):
    add_advisor(kb_url, "Lockme")
    # Through a proxy on this machine, as in public: the address counted is the one the proxy saw.
    guesser = {"X-Forwarded-For": "203.0.113.9"}
    someone = Console(running.url)
    for attempt in range(5):
        status, body, _ = someone.request("POST", "login", {"name": "Lockme", "password": "not the password"},
                                          headers=guesser)
        assert status == 401 and body["error"] == "Wrong name or password."
    # Now each try waits 1 s, 2 s, 4 s...: a guesser going on meets 429 (a stalled machine may let one more
    # try through first, which only makes the next wait longer).
    answers = [someone.request("POST", "login", {"name": "Lockme", "password": "not the password"}, headers=guesser)
               for attempt in range(3)]
    refused = [(body, headers) for status, body, headers in answers if status == 429]
    assert refused and all(status in (401, 429) for status, _, _ in answers)
    body, headers = refused[0]
    assert body["error"].startswith("Too many wrong passwords from here") and int(headers["Retry-After"]) >= 1
    unknown = someone.request("POST", "login", {"name": "Nobody at all", "password": "x"}, headers=guesser)
    expected = {401: "Wrong name or password.", 429: "Too many wrong passwords from here"}
    assert unknown[0] in expected and unknown[1]["error"].startswith(expected[unknown[0]])  # as a known name's
    advisor = Console(running.url)
    assert advisor.request("POST", "login", {"name": "Lockme", "password": PASSWORD},
                           headers={"X-Forwarded-For": "198.51.100.7"})[0] == 200  # at their own desk


# -- an advisor who disappears, and a restart -----------------------------------------------------------


def test_an_advisor_who_disconnects_mid_chat_returns_it_to_the_queue_and_the_resident_is_told(running, telegram):
    advisor = Console(running.url)
    assert advisor.log_in("Alex")[0] == 200
    advisor.keep_beating()
    chat = chat_id()
    telegram.queue_update(message_update(chat, "/human"))
    wait_for_sent(telegram, chat, "I've asked a person")
    entry = advisor.waiting_for(f"telegram:{chat}")
    assert advisor.post(f"handoffs/{entry['id']}/claim")[0] == 200
    wait_for_sent(telegram, chat, "You're now talking to Alex")
    advisor.stop_beating()  # the console's network goes
    told = wait_for_sent(telegram, chat, "lost their connection", timeout=AWAY_SECONDS + 30)
    assert "back in the queue" in told
    other = Console(running.url)
    assert other.log_in("Sam")[0] == 200
    back = other.waiting_for(f"telegram:{chat}")
    assert "Alex lost connection" in back["note"]
    assert other.post(f"handoffs/{entry['id']}/claim")[0] == 200
    assert advisor.post(f"handoffs/{entry['id']}/messages", {"text": "still me"})[0] == 409
    assert other.post(f"handoffs/{entry['id']}/close", {"outcome": "signposted"})[0] == 200
    other.post("logout")


def test_a_restart_in_the_middle_of_a_live_chat_loses_nothing(running, telegram, db):
    advisor = Console(running.url)
    assert advisor.log_in("Robin")[0] == 200
    advisor.keep_beating()
    try:
        chat = chat_id()
        cid = f"telegram:{chat}"
        telegram.queue_update(message_update(chat, "debt advice in formby"))
        wait_for_sent(telegram, chat, "Formby")
        telegram.queue_update(message_update(chat, "/human"))
        wait_for_sent(telegram, chat, "I've asked a person")
        entry = advisor.waiting_for(cid)
        assert advisor.post(f"handoffs/{entry['id']}/claim")[0] == 200
        assert advisor.post(f"handoffs/{entry['id']}/messages", {"text": "Before the restart"})[0] == 200
        wait_for_sent(telegram, chat, "Before the restart", timeout=5)

        running.assistant.stop()
        telegram.queue_update(message_update(chat, "Are you still there?"))  # arrives while the server is down
        running.assistant = running.start()
        advisor.url = running.url  # the same session (in SQL) on the new server

        deadline = time.monotonic() + 60
        while "Are you still there?" not in [m["text"] for m in advisor.chat(entry["id"])["messages"]]:
            assert time.monotonic() < deadline, "the message sent during the restart never reached the advisor"
            time.sleep(0.5)
        chat_now = advisor.chat(entry["id"])
        assert chat_now["handoff"]["status"] == "live" and chat_now["mine"]
        texts = [m["text"] for m in chat_now["messages"]]
        for said in ("debt advice in formby", "/human", "Before the restart", "Are you still there?"):
            assert any(said in t for t in texts), said
        assert advisor.post(f"handoffs/{entry['id']}/messages", {"text": "Yes, still here after the restart"})[0] == 200
        wait_for_sent(telegram, chat, "Yes, still here after the restart", timeout=10)
        assert not any("lost their connection" in t for t in sent_texts(telegram, chat))
        assert advisor.post(f"handoffs/{entry['id']}/handback")[0] == 200
        wait_for_sent(telegram, chat, "passed you back")
        telegram.queue_update(message_update(chat, "what about southport?"))
        wait_for_sent(telegram, chat, "debt advice near Southport")
        with db() as session:
            assert session.get(store.Conversation, cid).mode == "bot"
    finally:
        advisor.stop_beating()
