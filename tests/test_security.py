"""Every finding of the security review (issue 12) replayed against running servers, as an attacker or a
careful resident would meet them, and shown fixed: posing as another conversation, bodies and floods that
stall everyone, a lockout turned on advisors, crashes on bad input, who may see what, and what the server
says about itself.

Two servers: one as ``make run`` starts it (no REST token: the REST channel only for this machine) and one set
up as a council would run it in public (a token, the council's own page as the only origin). A request "from
another machine" comes through a proxy on this one, with X-Forwarded-For, as it would in public.
"""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import websockets
from sqlalchemy import select

from bot import conversations as store
from bot.handoff.models import HandoffRequest
from bot.inbox import TOO_FAST
from bot.states import HandoffStatus
from core.database import make_engine, session_factory
from tests.support.assistant import knowledge_base, start_assistant
from tests.support.console_client import PASSWORD, Console, add_advisor
from tests.support.widget_client import call, hello, receive, run, say, texts

TOKEN = "s3cret-token-for-the-tests"
COUNCIL = "https://www.sefton.gov.uk"
PER_ADDRESS = 6
OUTSIDE = {"X-Forwarded-For": "203.0.113.7"}  # through a proxy on this machine: someone elsewhere


@pytest.fixture(scope="module")
def kb_url(tmp_path_factory):
    return knowledge_base(tmp_path_factory.mktemp("security-kb"))


@pytest.fixture(scope="module")
def open_server(tmp_path_factory, kb_url):
    running = start_assistant(tmp_path_factory.mktemp("open"), kb_url,
                              {"SIGNPOST_MAX_MESSAGES_PER_ADDRESS_PER_MINUTE": str(PER_ADDRESS)})
    yield running
    running.stop()


@pytest.fixture(scope="module")
def public_server(tmp_path_factory, kb_url):
    running = start_assistant(tmp_path_factory.mktemp("public"), kb_url,
                              {"SIGNPOST_REST_TOKEN": TOKEN, "SIGNPOST_ALLOWED_ORIGINS": COUNCIL,
                               "SIGNPOST_MAX_MESSAGES_PER_ADDRESS_PER_MINUTE": str(PER_ADDRESS)})
    yield running
    running.stop()


@pytest.fixture
def sessions(kb_url):
    engine = make_engine(kb_url)
    yield session_factory(engine)
    engine.dispose()


def rest(server, body, headers=None):
    status, raw, got = call("POST", f"{server.url}/webhooks/rest/webhook", body, headers)
    return status, json.loads(raw or b"null"), got


def bearer(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# -- nobody can pose as a resident ----------------------------------------------------------------------

def test_without_a_token_the_rest_channel_answers_only_this_machine(open_server):
    status, body, _ = rest(open_server, {"sender": "me", "message": "hello"}, OUTSIDE)
    assert status == 403 and "SIGNPOST_REST_TOKEN" in body["error"]
    status, body, _ = rest(open_server, {"sender": "me", "message": "hello"})  # a developer's curl
    assert status == 200 and body and body[0]["recipient_id"] == "me"
    # Through a proxy on this machine, the address it adds last decides: a local client is local...
    assert rest(open_server, {"sender": "me", "message": "hi"}, {"X-Forwarded-For": "127.0.0.1"})[0] == 200
    # ...and one elsewhere is not, whatever it wrote in the header itself.
    forged = {"X-Forwarded-For": "127.0.0.1, 203.0.113.7"}
    assert rest(open_server, {"sender": "me", "message": "hi"}, forged)[0] == 403
    assert rest(open_server, {"sender": "me", "message": "hi"}, {"Forwarded": "for=127.0.0.1"})[0] == 403


def test_with_a_token_the_rest_channel_asks_for_it(public_server):
    message = {"sender": "tool", "message": "hello"}
    assert rest(public_server, message)[0] == 401
    assert rest(public_server, message, bearer("wrong"))[0] == 401
    assert rest(public_server, message, {"Authorization": TOKEN})[0] == 401  # not as a bearer token
    status, body, _ = rest(public_server, message, {**bearer(), **OUTSIDE})
    assert status == 200 and body[0]["text"]


def test_a_rest_sender_never_names_another_channels_conversation(public_server, sessions):
    # The finding: posting as "telegram:<chat id>" put a false crisis in the queue labelled Telegram.
    status, body, _ = rest(public_server, {"sender": "telegram:424242", "message": "I want to end my life"}, bearer())
    assert status == 200 and "116 123" in " ".join(b["text"] for b in body)
    with sessions() as session:
        assert session.get(store.Conversation, "telegram:424242") is None
        assert session.get(store.Conversation, "rest:telegram:424242") is not None
        flagged = session.execute(select(HandoffRequest).where(
            HandoffRequest.conversation_id == "rest:telegram:424242")).scalars().all()
        assert flagged and {h.channel for h in flagged} == {"rest"}


# -- limits before work ---------------------------------------------------------------------------------

def test_bodies_over_a_few_kilobytes_get_413_and_nothing_is_stored(open_server, sessions):
    with sessions() as session:
        before = session.query(store.Message).count()
    huge = json.dumps({"sender": "big", "message": "x" * 1_000_000})
    status, body, _ = rest(open_server, huge)
    assert status == 413 and "too large" in body["error"]
    status, body, _ = rest(open_server, b"x" * 200_000)
    assert status == 413 and "too large" in body["error"]
    with sessions() as session:
        assert session.query(store.Message).count() == before
    assert rest(open_server, {"sender": "big", "message": "hello"})[0] == 200  # and it still answers


def test_one_address_gets_its_allowance_whatever_sender_ids_it_uses(public_server):
    flooder = {**bearer(), "X-Forwarded-For": "198.51.100.23"}
    statuses = [rest(public_server, {"sender": f"flood-{n}", "message": "hi"}, flooder)[0]
                for n in range(PER_ADDRESS + 2)]
    assert statuses[:PER_ADDRESS] == [200] * PER_ADDRESS and statuses[PER_ADDRESS:] == [429, 429]
    status, body, headers = rest(public_server, {"sender": "flood-new", "message": "hi"}, flooder)
    assert status == 429 and body["error"] == TOO_FAST and int(headers["retry-after"]) >= 1
    assert rest(public_server, {"sender": "someone", "message": "hi"},
                {**bearer(), "X-Forwarded-For": "198.51.100.99"})[0] == 200  # someone else is not held up


def test_a_new_socket_is_not_a_fresh_allowance(open_server):
    url = open_server.url.replace("http://", "ws://") + "/widget/socket"
    address = {"X-Forwarded-For": "198.51.100.44"}

    async def flood():
        answers = []
        for socket_number in range(PER_ADDRESS):
            async with websockets.connect(url, extra_headers=address) as ws:
                await hello(ws)
                answers.append(await say(ws, "hi"))
        async with websockets.connect(url, extra_headers=address) as ws:  # one more, on a new socket
            await hello(ws)
            await ws.send(json.dumps({"type": "message", "text": "hi"}))
            return answers, await receive(ws)

    answers, refused = run(flood())
    assert all(texts(a) for a in answers)
    assert refused == {"type": "error", "text": TOO_FAST}


def test_logins_and_oversized_messages_at_once_do_not_stop_residents_being_answered(open_server, kb_url):
    add_advisor(kb_url, "Busy Advisor")
    outcomes: dict[str, list[int]] = {"login": [], "oversized": []}

    def logins(n: int) -> None:
        outcomes["login"].append(Console(open_server.url).request(
            "POST", "login", {"name": f"nobody {n}", "password": "guess"},
            headers={"X-Forwarded-For": f"192.0.2.{n}"})[0])

    def oversized(n: int) -> None:
        outcomes["oversized"].append(rest(open_server, {"sender": f"big-{n}", "message": "y" * 500_000})[0])

    with ThreadPoolExecutor(max_workers=16) as pool:
        abuse = [pool.submit(logins, n) for n in range(40)] + [pool.submit(oversized, n) for n in range(20)]
        replies = [rest(open_server, {"sender": f"resident-{n}", "message": "debt advice in Southport"})
                   for n in range(5)]
        for job in abuse:
            job.result()
    assert all(status == 200 and body and body[0]["text"] for status, body, _ in replies)
    assert set(outcomes["login"]) <= {401, 429} and len(outcomes["login"]) == 40
    assert set(outcomes["oversized"]) == {413}


# -- the lockout cannot be turned on advisors --------------------------------------------------------------

def test_guessing_an_advisors_password_never_locks_them_out(open_server, kb_url):
    add_advisor(kb_url, "Dana")
    guesser = Console(open_server.url)
    for n in range(12):
        guesser.request("POST", "login", {"name": "Dana", "password": "wrong guess"},
                        headers={"X-Forwarded-For": "203.0.113.66"})
    status, _, _ = Console(open_server.url).request("POST", "login", {"name": "Dana", "password": PASSWORD},
                                                    headers={"X-Forwarded-For": "198.51.100.3"})
    assert status in (200, 429)  # never locked; at worst half a minute's wait for a name under attack
    dana = Console(open_server.url)
    assert dana.log_in("Dana")[0] in (200, 429)


# -- crashes on bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize("body", [b"", b"[]", b'"a string"', b"null", b"{not json", b"[" * 8000,
                                  b'{"sender": "\\ud800", "message": "hi"}', b'{"sender": "x", "message": 5}',
                                  b'{"sender": "x", "message": "hi", "metadata": ' + b'{"a": ' * 50 + b"1" + b"}" * 51,
                                  b"\xff\xfe\x00"])
def test_bad_rest_bodies_get_400(open_server, body):
    status, _, _ = call("POST", f"{open_server.url}/webhooks/rest/webhook", body)
    assert status == 400


def test_a_lone_surrogate_is_kept_readable_not_lost(open_server, sessions):
    status, body, _ = rest(open_server, b'{"sender": "surrogate", "message": "food bank in Bootle \\ud83d"}')
    assert status == 200 and body
    with sessions() as session:
        kept = [m.text for m in store.history(session, "rest:surrogate") if m.author == "resident"]
    assert kept == ["food bank in Bootle \ufffd"]


def test_the_widget_survives_a_frame_nested_thousands_deep_and_a_lone_surrogate(open_server, sessions):
    url = open_server.url.replace("http://", "ws://") + "/widget/socket"

    async def talk():
        async with websockets.connect(url) as ws:
            await ws.send("[" * 5000 + "]" * 5000)
            unreadable = await receive(ws)
            welcome = await hello(ws)
            await ws.send('{"type": "message", "text": "help \\udc00 please"}')
            frames = []
            while not any(f.get("author") == "bot" for f in frames):
                frames.append(await receive(ws))
            return unreadable, welcome["conversation"], frames

    unreadable, conversation, frames = run(talk())
    assert unreadable["type"] == "error"
    with sessions() as session:
        kept = [m.text for m in store.history(session, conversation) if m.author == "resident"]
    assert kept == ["help \ufffd please"]


def test_console_ids_and_positions_out_of_range_are_not_found_not_500(open_server, kb_url):
    add_advisor(kb_url, "Eve")
    eve = Console(open_server.url)
    assert eve.log_in("Eve")[0] == 200
    for path in ("handoffs/99999999999999999999", "handoffs/-1", "handoffs/0",
                 "handoffs/1?after=99999999999999999999999999999", "handoffs/1?after=nonsense"):
        status, _, _ = eve.request("GET", path)
        assert status in (200, 404), path
    for path in ("handoffs/99999999999999999999/claim", "callbacks/99999999999999999999/done"):
        assert eve.request("POST", path, {})[0] in (404, 409, 400), path


# -- who may see what ------------------------------------------------------------------------------------

def test_an_advisor_cannot_read_a_colleagues_live_chat(open_server, kb_url, sessions):
    add_advisor(kb_url, "Fay")
    add_advisor(kb_url, "Gus")
    fay, gus = Console(open_server.url), Console(open_server.url)
    assert fay.log_in("Fay")[0] == 200 and gus.log_in("Gus")[0] == 200  # online: the resident is queued
    rest(open_server, {"sender": "needs-a-person", "message": "can I talk to a person please"})
    with sessions() as session:
        handoff = session.execute(select(HandoffRequest).where(
            HandoffRequest.conversation_id == "rest:needs-a-person")).scalars().first()
        assert handoff is not None
        handoff_id = handoff.id
    assert gus.request("GET", f"handoffs/{handoff_id}")[0] == 200  # in the queue: anyone may look
    assert fay.post(f"handoffs/{handoff_id}/claim")[0] == 200
    assert fay.request("GET", f"handoffs/{handoff_id}")[0] == 200
    assert gus.request("GET", f"handoffs/{handoff_id}")[0] == 404  # Fay's live chat, not Gus's
    with sessions() as session:
        assert session.get(HandoffRequest, handoff_id).status == HandoffStatus.LIVE


def test_an_advisor_can_erase_a_conversation_the_resident_asked_them_to(open_server, kb_url, sessions):
    add_advisor(kb_url, "Hal")
    rest(open_server, {"sender": "erase-me", "message": "I need to talk to a human"})
    with sessions() as session:
        handoff_id = session.execute(select(HandoffRequest.id).where(
            HandoffRequest.conversation_id == "rest:erase-me")).scalars().first()
    hal = Console(open_server.url)
    assert hal.log_in("Hal")[0] == 200
    status, body = hal.post(f"handoffs/{handoff_id}/erase")
    assert status == 200 and body["erased_messages"] >= 2
    with sessions() as session:
        assert session.get(store.Conversation, "rest:erase-me") is None
        assert session.get(HandoffRequest, handoff_id) is None


def test_the_widget_socket_accepts_only_the_configured_pages(open_server, public_server):
    def opens(server, origin):
        url = server.url.replace("http://", "ws://") + "/widget/socket"

        async def attempt():
            try:
                async with websockets.connect(url, origin=origin) as ws:
                    await hello(ws)
                    return True
            except websockets.exceptions.InvalidStatusCode as refused:
                assert refused.status_code == 403
                return False
        return run(attempt())

    assert opens(public_server, COUNCIL)
    assert not opens(public_server, "https://evil.example")
    assert not opens(public_server, public_server.url)  # in public, only the council's page
    assert opens(open_server, open_server.url)  # by default the server's own pages (the demo)
    assert not opens(open_server, "https://evil.example")


# -- what the server says about itself -------------------------------------------------------------------

def test_no_version_banner_and_security_headers_on_every_page(open_server):
    for path in ("/", "/version"):
        status, body, _ = call("GET", open_server.url + path)
        assert b"Rasa" not in body and b"3.6" not in body, path
    for path, kind in (("/demo", "text/html"), ("/console", "text/html"), ("/widget/widget.js", "javascript"),
                       ("/webhooks/rest/", "json"), ("/", "text/plain")):
        status, _, headers = call("GET", open_server.url + path)
        assert status == 200 and kind in headers["content-type"], path
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["referrer-policy"], path
        if kind == "text/html":
            policy = headers["content-security-policy"]
            assert "frame-ancestors 'none'" in policy and "'unsafe-inline'" not in policy, path


def test_delete_my_data_in_the_widget_asks_once_then_erases_everything(open_server, sessions):
    url = open_server.url.replace("http://", "ws://") + "/widget/socket"

    async def talk():
        async with websockets.connect(url) as ws:
            conversation = (await hello(ws))["conversation"]
            await say(ws, "where can I get debt advice in Southport")
            asked = await say(ws, "delete my data")
            done = await say(ws, "yes")
            return conversation, asked, done

    conversation, asked, done = run(talk())
    question = [f for f in asked if f.get("author") == "bot"]
    assert question and question[-1]["buttons"], asked  # it asks once, with a yes and a no
    assert any("erased our conversation" in text for text in texts(done)), done
    with sessions() as session:
        assert session.get(store.Conversation, conversation) is None
