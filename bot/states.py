"""Every state a conversation, a message, a handoff, a call-back or an advisor can be in: one definition each.

They are ``str`` enums, so what is stored in the database is the plain value ("waiting", "advisor") and a
value read back compares equal to its member.
"""
from __future__ import annotations

from enum import Enum, IntEnum


class Mode(str, Enum):
    """Who answers the resident."""

    BOT = "bot"  # the assistant
    ADVISOR = "advisor"  # a person has the conversation: the assistant stays silent
    CALLBACK = "callback"  # the resident is leaving call-back details (bot/handoff/callbacks.py)


class Author(str, Enum):
    RESIDENT = "resident"
    BOT = "bot"
    ADVISOR = "advisor"


class MessageStatus(str, Enum):
    # A resident's message: stored, then answered; or deferred: the assistant could not answer (Rasa or the
    # action server down), the resident was told so, and it is answered once they are back.
    RECEIVED = "received"
    ANSWERED = "answered"
    DEFERRED = "deferred"
    # A reply: waiting to be delivered, delivered, or given up for now (kept to retry).
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class HandoffStatus(str, Enum):
    WAITING = "waiting"  # in the advisors' queue
    LIVE = "live"  # an advisor has it
    RETURNED = "returned"  # handed back to the assistant
    CLOSED = "closed"  # with an outcome
    CALLBACK = "callback"  # the resident is giving call-back details
    CANCELLED = "cancelled"


class Reason(str, Enum):
    """Why a person was asked for."""

    ASKED = "asked"
    MISUNDERSTOOD = "misunderstood"
    NOTHING_FOUND = "nothing_found"
    CRISIS = "crisis"


class Priority(IntEnum):
    CRISIS = 0  # the top of the queue
    NORMAL = 1


class CallbackStatus(str, Enum):
    COLLECTING = "collecting"  # the resident is answering
    OPEN = "open"  # for advisors to work through
    DONE = "done"
    DECLINED = "declined"
    CANCELLED = "cancelled"


class CallbackStep(str, Enum):
    CONTACT = "contact"
    TIME = "time"
    CONSENT = "consent"


class Presence(str, Enum):
    ONLINE = "online"
    AWAY = "away"  # chose it, or missed heartbeats
    OFFLINE = "offline"  # logged out
