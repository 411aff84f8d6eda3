"""Sending to a resident on whatever channel they used, from anywhere in the server process (the
assistant's replies, and an advisor's messages once a person has the conversation).

Each channel registers one ``deliver(address, reply) -> bool`` when it starts; ``send`` finds it from
the conversation id ("telegram:123456" -> the Telegram channel, address "123456").
"""
from __future__ import annotations

from typing import Awaitable, Callable

from bot.inbox import Reply

Deliver = Callable[[str, Reply], Awaitable[bool]]
_channels: dict[str, Deliver] = {}


def register(channel: str, deliver: Deliver) -> None:
    _channels[channel] = deliver


def registered() -> list[str]:
    return sorted(_channels)


async def send(conversation_id: str, reply: Reply) -> bool:
    """Deliver to the conversation's channel; False when the channel is not running or delivery failed."""
    channel, _, address = conversation_id.partition(":")
    deliver = _channels.get(channel)
    if deliver is None:
        return False
    return await deliver(address, reply)


# -- typing indicators ----------------------------------------------------------------------------------

Typing = Callable[[str, bool], Awaitable[bool]]
_typing: dict[str, Typing] = {}
_resident_typing: dict[str, float] = {}  # conversation id -> when the resident last typed (monotonic)


def register_typing(channel: str, show: Typing) -> None:
    """A channel that can show the resident "typing..." registers how."""
    _typing[channel] = show


async def typing(conversation_id: str, on: bool) -> bool:
    """Show (or stop showing) that the advisor is typing, where the channel allows it."""
    channel, _, address = conversation_id.partition(":")
    show = _typing.get(channel)
    if show is None:
        return False
    try:
        return await show(address, on)
    except Exception:  # an indicator is a nicety: never let it break anything
        return False


def resident_typed(conversation_id: str) -> None:
    """The resident is typing (the widget says so; Telegram does not tell bots)."""
    import time

    _resident_typing[conversation_id] = time.monotonic()
    if len(_resident_typing) > 10000:
        _resident_typing.clear()


def resident_is_typing(conversation_id: str, within: float = 4.0) -> bool:
    import time

    seen = _resident_typing.get(conversation_id)
    return seen is not None and time.monotonic() - seen < within


def resident_stopped(conversation_id: str) -> None:
    _resident_typing.pop(conversation_id, None)
