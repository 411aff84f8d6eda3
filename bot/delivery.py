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
