"""Handing a conversation over to a person, as every server shares it: the requests and their queue, the
advisors' presence, the call-back flow when no one can chat, the reply to a resident at risk, and the area's
front door with its opening hours. The assistant's actions reach the rest of ``bot`` only through here;
the advisors' console (``bot/console/``) is the screen on top of it."""
from __future__ import annotations

from bot.handoff import callbacks, presence
from bot.handoff.crisis import respond as crisis_reply
from bot.handoff.front_door import describe_hours, front_door, is_open
from bot.handoff.models import HandoffRequest
from bot.handoff.requests import request_handoff
from bot.states import Reason

__all__ = ["HandoffRequest", "Reason", "callbacks", "crisis_reply", "describe_hours", "front_door", "is_open",
           "presence", "request_handoff"]
