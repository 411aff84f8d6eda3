"""Messages on their way to a resident, and their delivery on whatever channel the resident used, from anywhere
in the server process (the assistant's replies, and an advisor's messages once a person has the conversation).

A ``Reply`` is what is sent; its stored copy is marked sent once the channel delivered it, or failed (kept, to
be tried again) when it could not. Each channel registers one ``deliver(address, reply) -> bool`` when it
starts; ``send`` finds it from the conversation id ("telegram:123456" -> the Telegram channel, "123456").
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Optional

from sqlalchemy.orm import sessionmaker

from bot import conversations as store
from bot.states import MessageStatus

if TYPE_CHECKING:
    from rasa.core.channels.channel import UserMessage

log = logging.getLogger(__name__)

#: how a channel hands a resident's message to the assistant (Rasa's ``on_new_message``)
Handler = Callable[["UserMessage"], Awaitable[Any]]


@dataclass
class Reply:
    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)
    message_id: Optional[int] = None  # the stored copy, marked sent once delivered
    extra: dict[str, Any] = field(default_factory=dict)


def delivered(sessions: sessionmaker, reply: Reply) -> None:
    if reply.message_id is not None:
        with sessions() as session:
            store.mark(session, reply.message_id, MessageStatus.SENT)


def failed(sessions: sessionmaker, reply: Reply, attempts: int) -> None:
    """Delivery gave up for now: kept as failed, to be retried, never dropped silently."""
    if reply.message_id is not None:
        with sessions() as session:
            store.mark(session, reply.message_id, MessageStatus.FAILED, attempts)
        log.warning("delivery failed after %d attempts; message %s kept for retry", attempts, reply.message_id)


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
