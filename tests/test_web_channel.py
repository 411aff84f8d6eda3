"""The web widget's channel through its real interface: the WebSocket and the pages of the running
assistant (the real model, action server and knowledge base), spoken to as the widget does, with the
bad input a browser or anyone else might send. Plus ``deliver``, the push other server code uses."""
from __future__ import annotations

import http.client
import json
import re
import uuid

import pytest
import websockets
from sqlalchemy import text, update
from sqlalchemy.orm import Session

from bot import conversations as store
from bot import delivery
from bot.channels.web import CONVERSATION_ID, MAX_BAD_FRAMES, NOT_FOUND, UNREADABLE, WebChat
from bot.delivery import Reply
from bot.inbox import TOO_FAST, Inbox, too_long
from core.migrate import upgrade
from core.settings import settings
from bot.states import Author, MessageStatus
from core.database import make_engine, session_factory
from tests.support.assistant import knowledge_base, start_assistant
from tests.support.widget_client import answer, get, hello, receive, run, say, texts

PER_MINUTE = 4  # the flood limit for this suite's assistant (SIGNPOST_MAX_MESSAGES_PER_MINUTE)


class Server:
    """The running assistant, restartable on the same databases."""

    def __init__(self, workdir, kb_url: str):
        self.workdir, self.kb_url = workdir, kb_url
        self.running = self._start()

    def _start(self):
        return start_assistant(self.workdir, self.kb_url,
                               extra_env={"SIGNPOST_MAX_MESSAGES_PER_MINUTE": str(PER_MINUTE)})

    @property
    def url(self) -> str:
        return self.running.url

    @property
    def socket_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/widget/socket"

    def stop(self) -> None:
        self.running.stop()

    def start(self) -> None:
        self.running = self._start()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = Server(tmp_path_factory.mktemp("web-channel"), knowledge_base(tmp_path_factory.mktemp("web-kb")))
    yield running
    running.stop()


@pytest.fixture
def kb(server):
    engine = make_engine(server.kb_url)
    yield session_factory(engine)
    engine.dispose()


# -- the socket -----------------------------------------------------------------------------------------


def test_a_new_widget_gets_a_fresh_conversation_and_an_answer(server):
    async def talk():
        async with websockets.connect(server.socket_url) as ws:
            welcome = await hello(ws)
            assert CONVERSATION_ID.match(welcome["conversation"])
            assert welcome["history"] == [] and welcome["notice"] is None
            assert welcome["limits"] == {"chars": settings().max_message_chars, "kept_days": settings().retention_days}
            frames = await say(ws, "toddler groups in Bootle", ref="first-question")
            return welcome["conversation"], frames

    cid, frames = run(talk())
    echo = frames[0]
    assert echo == {"type": "message", "id": None, "author": "resident", "text": "toddler groups in Bootle",
                    "buttons": [], "ref": "first-question"}
    *notes, results = texts(frames)
    # When the safeguarding classifier is unsure it puts its one sentence of lines first (README: when the
    # classifier is unsure)
    assert all(n.startswith("In case you or someone else is not safe") for n in notes) and len(notes) <= 1
    assert results.startswith("Here's what I found: toddler groups near Bootle")
    reply = [f for f in frames if f["author"] == "bot"][-1]
    assert {"title": "Show me more", "payload": "/more_results"} in reply["buttons"]
    assert isinstance(reply["id"], int)


def test_history_comes_back_on_reconnection_in_order_with_button_labels(server, kb):
    async def talk():
        async with websockets.connect(server.socket_url) as ws:
            cid = (await hello(ws))["conversation"]
            await say(ws, "baby groups in bootle", ref="a1")
            await say(ws, "/more_results", title="Show me more", ref="a2")
        async with websockets.connect(server.socket_url) as ws:
            return cid, await hello(ws, cid)

    cid, welcome = run(talk())
    assert welcome["conversation"] == cid and welcome["notice"] is None
    history = welcome["history"]
    assert [m["author"] for m in history] == ["resident", "bot", "resident", "bot"]
    assert history[0]["text"] == "baby groups in bootle" and history[0]["ref"] == "a1"
    assert history[2]["text"] == "Show me more" and history[2]["ref"] == "a2"  # the label, not "/more_results"
    assert history[3]["text"].startswith("Here are some more")
    assert [m["id"] for m in history] == sorted(m["id"] for m in history)
    with kb() as session:
        stored = store.history(session, cid)
        assert [m.text for m in stored if m.author == Author.RESIDENT] == ["baby groups in bootle", "/more_results"]
        assert all(m.status == MessageStatus.SENT for m in stored if m.author == Author.BOT)


@pytest.mark.parametrize("frame", [
    "not json at all", "[1, 2, 3]", '"hello"', "null", '{"type": 5}', '{"no": "type"}', '{"type": "dance"}',
    '{"type": "message", "text": 7}', '{"type": "message"}', b"\x00\x01binary",
])
def test_unreadable_frames_get_a_clear_message_and_the_conversation_carries_on(server, frame):
    async def talk():
        async with websockets.connect(server.socket_url) as ws:
            await hello(ws)
            await ws.send(frame)
            complaint = await receive(ws)
            frames = await say(ws, "hello")
            return complaint, frames

    complaint, frames = run(talk())
    assert complaint == {"type": "error", "text": UNREADABLE}
    assert texts(frames)[0].startswith("Hello! I can help you find local services")


def test_an_empty_message_is_not_passed_on(server):
    async def talk():
        async with websockets.connect(server.socket_url) as ws:
            await hello(ws)
            await ws.send(json.dumps({"type": "message", "text": "   "}))
            return await receive(ws)

    assert run(talk()) == {"type": "error", "text": "Please type a message first."}


def test_messages_before_hello_are_refused_politely(server):
    async def talk():
        async with websockets.connect(server.socket_url) as ws:
            await ws.send(json.dumps({"type": "message", "text": "hi"}))
            refused = await receive(ws)
            welcome = await hello(ws)  # and the widget can still start properly
            return refused, welcome

    refused, welcome = run(talk())
    assert refused["type"] == "error" and "reload the page" in refused["text"]
    assert CONVERSATION_ID.match(welcome["conversation"])


@pytest.mark.parametrize("asked", [
    f"web:{uuid.uuid4()}",  # well formed, never seen (or forgotten)
    "telegram:123456", "web:../../etc/passwd", "web:" + "a" * 5000, "WEB:" + str(uuid.uuid4()).upper(), 42,
])
def test_unknown_or_malformed_conversation_ids_start_a_new_conversation_and_say_so(server, asked, kb):
    async def talk():
        async with websockets.connect(server.socket_url) as ws:
            return await hello(ws, asked)

    welcome = run(talk())
    assert welcome["conversation"] != asked and CONVERSATION_ID.match(welcome["conversation"])
    assert welcome["notice"] == NOT_FOUND and welcome["history"] == []
    with kb() as session:
        assert session.get(store.Conversation, str(asked)) is None  # nothing was created under the asked id


def test_an_oversized_message_gets_the_polite_reply_and_only_its_start_is_kept(server, kb):
    async def talk():
        async with websockets.connect(server.socket_url) as ws:
            cid = (await hello(ws))["conversation"]
            return cid, await say(ws, "debt " * 400)  # 2,000 characters

    cid, frames = run(talk())
    assert texts(frames) == [too_long()]
    with kb() as session:
        [incoming] = [m for m in store.history(session, cid) if m.author == Author.RESIDENT]
        assert len(incoming.text) == settings().max_message_chars and incoming.status == MessageStatus.ANSWERED


def test_a_huge_frame_gets_a_clear_message_and_a_giant_one_a_polite_close(server):
    async def talk():
        async with websockets.connect(server.socket_url) as ws:
            await hello(ws)
            await ws.send(json.dumps({"type": "message", "text": "x" * 100_000}))
            huge = await receive(ws)
            still_talking = await say(ws, "hello")
        async with websockets.connect(server.socket_url, max_size=None) as ws:
            await hello(ws)
            # The server may close while the frame is still going out: then the send raises, not the receive.
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await ws.send("x" * (2 ** 20 + 1))
                await receive(ws)
        return huge, still_talking, closed.value

    huge, still_talking, closed = run(talk())
    assert huge == {"type": "error", "text": too_long()}
    assert texts(still_talking)[0].startswith("Hello!")
    assert closed.rcvd.code == 1009  # "message too big": a clean close, not a crash
    assert get(server.url + "/")[0] == 200


def test_flooding_gets_a_polite_reply(server, kb):
    async def talk():
        async with websockets.connect(server.socket_url) as ws:
            cid = (await hello(ws))["conversation"]
            for n in range(PER_MINUTE + 2):
                await ws.send(json.dumps({"type": "message", "text": "hello", "ref": f"flood-{n}"}))
            return cid, [await answer(ws) for _ in range(PER_MINUTE + 2)]

    cid, rounds = run(talk())
    answers = [texts(frames) for frames in rounds]
    assert all(a and a[0].startswith("Hello!") for a in answers[:PER_MINUTE])
    assert answers[PER_MINUTE:] == [[TOO_FAST], [TOO_FAST]]
    with kb() as session:  # every message was stored, flood or not
        assert sum(m.author == Author.RESIDENT for m in store.history(session, cid)) == PER_MINUTE + 2


def test_a_stream_of_garbage_is_closed_politely(server):
    async def talk():
        async with websockets.connect(server.socket_url) as ws:
            await hello(ws)
            for _ in range(MAX_BAD_FRAMES):
                await ws.send("{{{")
            frames = []
            with pytest.raises(websockets.ConnectionClosed) as closed:
                while True:
                    frames.append(await receive(ws))
            return frames, closed.value

    frames, closed = run(talk())
    assert frames == [{"type": "error", "text": UNREADABLE}] * MAX_BAD_FRAMES
    assert closed.rcvd.code == 1008 and "unreadable" in closed.rcvd.reason


def test_the_assistant_stays_silent_while_an_advisor_has_the_conversation(server, kb):
    async def talk():
        async with websockets.connect(server.socket_url) as ws:
            cid = (await hello(ws))["conversation"]
            await say(ws, "hello")
            with kb() as session:
                session.execute(update(store.Conversation).where(store.Conversation.id == cid).values(mode="advisor"))
                session.commit()
            return cid, await say(ws, "are you still there?", ref="to-the-advisor")

    cid, frames = run(talk())
    assert [f["author"] for f in frames] == ["resident"]  # the receipt, and no reply from the assistant
    with kb() as session:
        assert store.history(session, cid)[-1].text == "are you still there?"


def test_forget_me_erases_the_conversation_and_starts_a_new_one(server, kb):
    async def talk():
        async with websockets.connect(server.socket_url) as ws:
            cid = (await hello(ws))["conversation"]
            await say(ws, "debt advice in southport")
            await ws.send(json.dumps({"type": "forget"}))
            forgotten = await receive(ws)
            after = await say(ws, "hello")
        async with websockets.connect(server.socket_url) as ws:
            return cid, forgotten, after, await hello(ws, cid)

    cid, forgotten, after, welcome = run(talk())
    assert forgotten["type"] == "forgotten" and CONVERSATION_ID.match(forgotten["conversation"])
    assert forgotten["conversation"] != cid
    assert texts(after)[0].startswith("Hello!")
    assert welcome["notice"] == NOT_FOUND
    with kb() as session:
        assert store.history(session, cid) == []
        assert session.get(store.Conversation, cid) is None
        assert len(store.history(session, forgotten["conversation"])) == 2  # the new conversation carried on
    tracker = make_engine(server.kb_url)  # Rasa's tracker store shares the database
    with tracker.connect() as connection:  # and the assistant's own memory of it went too
        assert connection.execute(text("SELECT count(*) FROM events WHERE sender_id = :cid"), {"cid": cid}).scalar() == 0
        assert connection.execute(text("SELECT count(*) FROM events WHERE sender_id = :cid"),
                                  {"cid": forgotten["conversation"]}).scalar() > 0
    tracker.dispose()


# -- the pages ------------------------------------------------------------------------------------------


def test_the_demo_page_carries_the_widget_and_allows_nothing_from_elsewhere(server):
    status, page, headers = get(server.url + "/demo")
    assert status == 200 and headers["content-type"].startswith("text/html")
    tag = re.search(r"<script src=\"/widget/widget.js\"[^>]*>", page).group(0)
    assert 'data-council="Sefton Council"' in tag and f'data-server="{server.url}"' in tag
    assert "default-src 'self'" in headers["content-security-policy"]
    assert "http" not in page.replace(server.url, "")  # every asset is the server's own


@pytest.mark.parametrize("asset,kind", [("widget.js", "text/javascript"), ("widget.css", "text/css")])
def test_widget_files_are_served(server, asset, kind):
    status, body, headers = get(f"{server.url}/widget/{asset}")
    assert status == 200 and headers["content-type"].startswith(kind) and body


@pytest.mark.parametrize("path", ["/widget/nothing.js", "/widget/demo.html", "/widget/..%2f..%2fcredentials.yml",
                                  "/widget/%2e%2e%2fweb.py"])
def test_only_the_widget_files_are_served(server, path):
    assert get(server.url + path)[0] == 404


def test_plain_requests_to_the_socket_are_refused_without_a_server_error(server):
    assert get(server.url + "/widget/socket")[0] == 426
    connection = http.client.HTTPConnection(server.url.removeprefix("http://"), timeout=30)
    connection.request("GET", "/widget/socket", headers={
        "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Key": "not a key",
        "Sec-WebSocket-Version": "13"})
    assert connection.getresponse().status == 400
    connection.close()


# -- pushing to a widget from elsewhere in the server (the advisor console) ------------------------------


class FakeSocket:
    def __init__(self, fail: bool = False):
        self.sent: list[dict] = []
        self.fail = fail

    async def send(self, data: str) -> None:
        if self.fail:
            raise ConnectionError("gone")
        self.sent.append(json.loads(data))


def test_deliver_pushes_an_advisors_message_to_every_open_widget_of_the_conversation(tmp_path):
    from bot.channels.web import Client

    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    upgrade(url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    channel = WebChat(inbox=Inbox("web", sessions))
    channel.blueprint(lambda message: None)  # registers the channel with bot.delivery
    address = str(uuid.uuid4())
    cid = f"web:{address}"
    with sessions() as session:
        store.record_incoming(session, "web", address, "can I talk to someone")
        said = store.record_outgoing(session, cid, Author.ADVISOR, "Hello, I'm Sam from the advisor team.")
    tabs = [Client(FakeSocket()), Client(FakeSocket()), Client(FakeSocket(fail=True))]
    for tab in tabs:
        channel._join(tab, cid)

    assert "web" in delivery.registered()
    assert run(delivery.send(cid, Reply(said.text, [], said.id)))
    for tab in tabs[:2]:
        assert tab.ws.sent == [{"type": "message", "id": said.id, "author": "advisor",
                                "text": "Hello, I'm Sam from the advisor team.", "buttons": [], "ref": None}]
    with Session(engine) as session:
        assert session.get(store.Message, said.id).status == MessageStatus.SENT

    with sessions() as session:  # nobody connected: not delivered, kept for the next reconnection
        later = store.record_outgoing(session, cid, Author.ADVISOR, "Are you still there?")
    for tab in tabs:
        channel._leave(tab)
    assert not run(delivery.send(cid, Reply(later.text, [], later.id)))
    with Session(engine) as session:
        assert session.get(store.Message, later.id).status == MessageStatus.PENDING
        assert [m.id for m in store.undelivered(session, "web", cid)] == [later.id]
    engine.dispose()


# -- a restart loses nothing (keep last: it restarts the suite's assistant) ------------------------------


def test_a_message_stored_before_a_restart_is_answered_after_it(server, kb):
    async def first_visit():
        async with websockets.connect(server.socket_url) as ws:
            cid = (await hello(ws))["conversation"]
            await say(ws, "hello")
            return cid

    cid = run(first_visit())
    server.stop()
    # The server stopped just after storing the resident's next message, before the assistant saw it.
    with kb() as session:
        waiting = store.record_incoming(session, "web", cid.partition(":")[2], "debt advice in southport",
                                        {"ref": "before-restart"})
    server.start()

    async def come_back():
        async with websockets.connect(server.socket_url) as ws:
            welcome = await hello(ws, cid)
            seen = welcome["history"]
            while not any(m.get("author") == "bot" and m["id"] > waiting.id for m in seen):
                seen.append(await receive(ws))  # answered after we reconnected: pushed live
            return welcome, seen

    welcome, seen = run(come_back())
    assert welcome["notice"] is None and welcome["conversation"] == cid
    assert [m["text"] for m in seen if m.get("author") == "resident"] == ["hello", "debt advice in southport"]
    answer_text = [m["text"] for m in seen if m.get("author") == "bot" and m["id"] > waiting.id][0]
    assert "debt advice near Southport" in answer_text
    with kb() as session:
        assert session.get(store.Message, waiting.id).status == MessageStatus.ANSWERED
        assert store.undelivered(session, "web", cid) == []
