"""Speaking to the widget's socket as the widget does, and plain HTTP calls with their headers: shared by the
widget's tests and the security tests."""
from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request
from typing import Any, Optional, Union


def run(coroutine):
    return asyncio.run(coroutine)


async def receive(ws, timeout: float = 60) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def hello(ws, conversation: Optional[str] = None) -> dict[str, Any]:
    await ws.send(json.dumps({"type": "hello", "conversation": conversation}))
    welcome = await receive(ws)
    assert welcome["type"] == "welcome"
    return welcome


async def say(ws, text: str, **fields) -> list[dict[str, Any]]:
    """Send a message as the widget does; the messages that came back before the typing indicator went off."""
    await ws.send(json.dumps({"type": "message", "text": text, **fields}))
    return await answer(ws)


async def answer(ws) -> list[dict[str, Any]]:
    frames = []
    while True:
        frame = await receive(ws)
        if frame == {"type": "typing", "on": False}:
            return frames
        if frame["type"] != "typing":
            frames.append(frame)


def texts(frames, author="bot") -> list[str]:
    return [f["text"] for f in frames if f["type"] == "message" and f["author"] == author]


def get(url: str) -> tuple[int, str, dict[str, str]]:
    status, body, headers = call("GET", url)
    return status, body.decode(), headers


def call(method: str, url: str, body: Union[None, bytes, str, Any] = None,
         headers: Optional[dict[str, str]] = None, timeout: float = 60) -> tuple[int, bytes, dict[str, str]]:
    """Any HTTP request: ``body`` as raw bytes, text, or anything else as JSON. Status, body and headers (lower
    case), 4xx and 5xx included."""
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    data = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read(), {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as error:
        return error.code, error.read(), {k.lower(): v for k, v in error.headers.items()}
