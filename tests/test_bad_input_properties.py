"""Whatever anyone sends, the server answers with a 4xx or a polite reply, never a 5xx or a dropped socket, and
it is still answering afterwards: thousands of generated requests to the REST channel, frames to the widget's
socket and calls to the advisor console's API, against a running server (hypothesis, derandomised so every
run tries the same cases)."""
from __future__ import annotations

import asyncio
import json
import string

import pytest
import websockets
from hypothesis import HealthCheck, given, settings, strategies as st

from tests.support.assistant import knowledge_base, start_assistant
from tests.support.console_client import Console, add_advisor
from tests.support.widget_client import call, hello, receive

SETTINGS = dict(derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                           max_leaves=12)
texts = st.text(max_size=300) | st.sampled_from(["help", "debt advice in Southport", "/greet", "/restart", "",
                                                 "\ud800", "forget me", "yes", "x" * 5000])
#: mostly the request's real shape with odd values, sometimes anything at all, sometimes not JSON
rest_bodies = st.one_of(
    st.fixed_dictionaries({"sender": st.text(min_size=1, max_size=20), "message": texts},
                          optional={"metadata": json_values, "input_channel": st.text(max_size=20)}),
    st.fixed_dictionaries({}, optional={"sender": json_values, "message": json_values}),
    json_values,
    st.binary(max_size=200),
    st.integers(1, 3000).map(lambda n: "[" * n),
)


@pytest.fixture(scope="module")
def kb_url(tmp_path_factory):
    return knowledge_base(tmp_path_factory.mktemp("properties-kb"))


@pytest.fixture(scope="module")
def server(tmp_path_factory, kb_url):
    # Generous per-conversation limits: the point is bad input, not floods (tests/test_security.py).
    running = start_assistant(tmp_path_factory.mktemp("properties"), kb_url,
                              {"SIGNPOST_MAX_MESSAGES_PER_MINUTE": "1000"})
    yield running
    running.stop()


def still_answering(server) -> None:
    status, body, _ = call("POST", f"{server.url}/webhooks/rest/webhook", {"sender": "check", "message": "hello"})
    assert status == 200 and json.loads(body)[0]["text"]


def encoded(body) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str) and body.startswith("["):
        return body.encode()
    return json.dumps(body).encode("utf-8", "surrogatepass")


@settings(max_examples=1000, **SETTINGS)
@given(body=rest_bodies)
def test_the_rest_channel_answers_anything_with_a_4xx_or_replies(server, body):
    status, raw, _ = call("POST", f"{server.url}/webhooks/rest/webhook", encoded(body))
    assert status < 500, (status, raw[:200])
    if status == 200:
        assert isinstance(json.loads(raw), list)


frames = st.one_of(
    st.fixed_dictionaries({"type": st.sampled_from(["message", "hello", "forget", "typing"])},
                          optional={"text": texts | json_values, "conversation": json_values | st.text(max_size=60),
                                    "ref": json_values, "title": json_values}),
    json_values.map(json.dumps),
    st.text(max_size=200),
    st.integers(1, 3000).map(lambda n: "{\"a\":" * n),
    st.binary(max_size=100),
)


@settings(max_examples=500, **SETTINGS)
@given(batch=st.lists(frames, min_size=1, max_size=5))
def test_the_widget_socket_answers_any_frames_politely_and_stays_up(server, batch):
    url = server.url.replace("http://", "ws://") + "/widget/socket"

    async def talk():
        async with websockets.connect(url) as ws:
            await hello(ws)
            for frame in batch:
                await ws.send(frame if isinstance(frame, (str, bytes)) else json.dumps(frame))
            # A message of our own after them: its receipt comes back, so nothing before it closed the socket.
            await ws.send(json.dumps({"type": "message", "text": "are you still there"}))
            while True:
                got = await receive(ws)
                assert got.get("type") in ("welcome", "error", "message", "typing", "forgotten"), got
                if got.get("author") == "resident" and got.get("text") == "are you still there":
                    return

    asyncio.run(talk())


paths = st.sampled_from(["state", "me", "heartbeat", "handoffs/{id}", "handoffs/{id}/claim", "handoffs/{id}/messages",
                         "handoffs/{id}/typing", "handoffs/{id}/handback", "handoffs/{id}/close", "handoffs/{id}/erase",
                         "callbacks/{id}/done", "handoffs/{id}?after={after}", "login", "logout", "nowhere"])
ids = st.one_of(st.integers(-5, 50), st.integers(2 ** 62, 10 ** 30), st.text(string.ascii_letters, min_size=1, max_size=5))


@pytest.fixture(scope="module")
def advisor(server, kb_url):
    add_advisor(kb_url, "Prop Tester")
    console = Console(server.url)
    assert console.log_in("Prop Tester")[0] == 200
    return console


@settings(max_examples=1000, **SETTINGS)
@given(method=st.sampled_from(["GET", "POST"]), path=paths, handoff=ids, after=ids,
       body=json_values | st.binary(max_size=100), csrf=st.booleans())
def test_the_console_api_answers_anything_with_a_4xx_or_its_answer(server, advisor, method, path, handoff, after,
                                                                     body, csrf):
    if path == "logout":
        return  # keeps the session for the next cases; logging out is tested in the console's own tests
    status, answer, _ = advisor.request(method, path.format(id=handoff, after=after),
                                        body if not isinstance(body, bytes) else None, csrf=csrf)
    assert status < 500, (method, path, status, answer)


def test_after_all_that_the_server_still_answers(server):
    still_answering(server)
