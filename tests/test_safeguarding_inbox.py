"""The inbox answers risk before the assistant sees the message, on a real database with the shipped packs:
the routes for the kind of risk first, an honest word about a person (at night with nobody online, and in the
day with an advisor online), the queue, a disclosure spread over several messages, staying careful after it,
and the assistant being down. The assistant here is a stand-in that records what reached it: the channel
suites (``test_safeguarding_channels.py``) do the same through the real Rasa and action server."""
from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any, Optional

import pytest
from rasa.core.channels.channel import UserMessage
from sqlalchemy import select

from bot import conversations as store
from bot.console import accounts
from bot.handoff import presence, queue
from bot.handoff.models import HandoffRequest
from bot.inbox import Inbox
from bot.states import Author, MessageStatus, Presence
from core.database import make_engine, session_factory, utcnow
from tests.support.assistant import knowledge_base

NIGHT = "2026-11-24T01:05:00+00:00"  # a Tuesday, 1.05am: every front door closed
DAY = "2026-11-23T11:00:00+00:00"  # a Monday late morning: open


class Assistant:
    """What the inbox passes messages to: answers every message, or (``down``) nothing, as Rasa does when the
    action server is unreachable."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.down = False

    async def __call__(self, message: UserMessage) -> None:
        self.seen.append(message.text)
        if not self.down:
            await message.output_channel.send_text_message(message.sender_id, f"You asked: {message.text}")


@pytest.fixture(scope="module")
def sessions(tmp_path_factory):
    engine = make_engine(knowledge_base(tmp_path_factory.mktemp("safeguarding-kb")))
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def inbox(sessions) -> Inbox:
    return Inbox("web", sessions)


@pytest.fixture
def assistant() -> Assistant:
    return Assistant()


_n = 0


def address() -> str:
    global _n
    _n += 1
    return f"resident-{_n}"


def say(inbox: Inbox, who: str, text: str, assistant: Assistant) -> list[str]:
    return [r.text for r in asyncio.run(inbox.receive(who, text, assistant))]


def request_of(sessions, who: str) -> Optional[HandoffRequest]:
    with sessions() as session:
        return session.execute(select(HandoffRequest).where(HandoffRequest.conversation_id == f"web:{who}")
                               .order_by(HandoffRequest.id.desc())).scalars().first()


@pytest.fixture
def night(setting):
    setting("SIGNPOST_NOW", NIGHT)


@pytest.fixture
def advisor_online(sessions, setting):
    setting("SIGNPOST_NOW", DAY)
    with sessions() as session:
        advisor = accounts.add_advisor(session, f"Sam {address()}", "a long enough password")
        presence.heartbeat(session, advisor.id, Presence.ONLINE)
    yield
    with sessions() as session:
        presence.heartbeat(session, advisor.id, "away")


def test_at_night_with_nobody_online_the_routes_come_first_and_no_person_is_promised(inbox, assistant, sessions, night):
    who = address()
    [reply] = say(inbox, who, "my partner just hit me and im scared", assistant)
    assert reply.startswith("If you are in danger right now, call 999.")
    assert "0808 2000 247" in reply and "day or night" in reply
    assert "I've asked a person" not in reply and "no person can join this chat yet" in reply
    assert "closed right now" in reply and "call you back" in reply
    assert "Which part" not in reply
    assert assistant.seen == []  # Rasa never saw it
    request = request_of(sessions, who)
    assert request.priority == 0 and request.reason == "crisis"
    assert "domestic_abuse" in request.summary["safeguarding"]


def test_a_line_closed_at_that_hour_is_said_to_be_closed(inbox, assistant, night):
    [reply] = say(inbox, address(), "we got kicked out today and have nowhere to sleep tonight, me and the baby", assistant)
    shelter = next(line for line in reply.splitlines() if "0808 800 4444" in line)
    assert "closed right now" in shelter
    assert "116 123" in reply  # a line that never closes is always there too


def test_in_the_day_with_an_advisor_online_the_resident_is_told_one_is_coming(inbox, assistant, sessions,
                                                                             advisor_online):
    [reply] = say(inbox, address(), "no one would even notice if i was gone", assistant)
    assert reply.splitlines()[0].startswith("If you have hurt yourself or taken something")
    assert "116 123" in reply
    assert "is online and I've asked them to join this chat" in reply
    with sessions() as session:  # other tests' crises are waiting too: the place counts them
        ahead = sum(1 for r in queue.queue(session) if r.priority == 0) - 1
    assert ("You're first in the queue" if ahead == 0 else f"{ahead} people are ahead of you" if ahead > 1
            else "1 person is ahead of you") in reply


def test_a_child_writing_about_themselves_gets_childline_first(inbox, assistant, night):
    [reply] = say(inbox, address(), "im 13 and my stepdad hits me with his belt when mum is at work", assistant)
    routes = [line for line in reply.splitlines() if line.startswith("- ")]
    assert "0800 1111" in routes[0]
    assert "tell an adult you trust" in reply


def test_the_area_s_own_front_door_follows_the_national_lines(inbox, assistant, night):
    [reply] = say(inbox, address(), "the kids next door are always hungry and left on their own all night", assistant)
    assert "0808 800 5000" in reply
    assert "To report a worry about a child: Sefton Council children's services" in reply


def test_the_queue_shows_what_kind_of_risk(inbox, assistant, sessions, night):
    who = address()
    say(inbox, who, "he took my passport and makes me work in the car wash for nothing", assistant)
    with sessions() as session:
        entry = next(queue.summary(r) for r in queue.queue(session) if r.conversation_id == f"web:{who}")
    assert entry["crisis"] and entry["why"].startswith("Crisis: ") and "modern slavery" in entry["why"]


@pytest.mark.parametrize("text", [
    "suicide awareness course for our volunteers in bootle",
    "I could kill for a coffee, any cafes near Bootle",
    "my toddler is dying to go swimming",
    "county lines awareness talk for parents at the school",
    "grief support group in crosby after losing my dad",
    "kickboxing classes for kids in southport",
    "debt advice in southport",
])
def test_look_alikes_go_to_the_assistant_as_usual(inbox, assistant, sessions, text):
    who = address()
    assert say(inbox, who, text, assistant) == [f"You asked: {text}"]
    assert request_of(sessions, who) is None


def test_a_disclosure_over_two_messages_is_caught_when_it_becomes_clear(inbox, assistant, night):
    who = address()
    say(inbox, who, "my partner gets really angry when hes had a drink", assistant)
    [reply] = say(inbox, who, "hes got the hammer out", assistant)
    assert reply.startswith("If you are in danger right now, call 999.")


def test_after_a_risk_reply_the_conversation_stays_careful(inbox, assistant, night):
    who = address()
    say(inbox, who, "my husband just punched me in the face", assistant)
    [reply] = say(inbox, who, "he's still here", assistant)
    assert "call 999" in reply and "You asked" not in reply
    assert assistant.seen == []


def test_with_the_assistant_down_an_ordinary_message_gets_an_honest_apology_and_is_answered_later(
        inbox, assistant, sessions):
    who = address()
    assistant.down = True
    [reply] = say(inbox, who, "debt advice in southport", assistant)
    assert "can't answer that right now" in reply and "0300 323 0181" in reply  # Sefton's front door
    with sessions() as session:
        [message] = [m for m in store.history(session, f"web:{who}") if m.author == Author.RESIDENT]
        assert message.status == MessageStatus.DEFERRED
    # A retry while it is still down says nothing more; once it is back, the message is answered.
    assert [c for c, _ in asyncio.run(inbox.catch_up(assistant, deferred_only=True)) if c == f"web:{who}"] == []
    assistant.down = False
    answered = dict(asyncio.run(inbox.catch_up(assistant, deferred_only=True)))
    assert [r.text for r in answered[f"web:{who}"]] == ["You asked: debt advice in southport"]
    with sessions() as session:
        [message] = [m for m in store.history(session, f"web:{who}") if m.author == Author.RESIDENT]
        assert message.status == MessageStatus.ANSWERED


def test_with_the_assistant_down_a_risk_message_still_gets_its_routes(inbox, assistant, night):
    assistant.down = True
    [reply] = say(inbox, address(), "i want to end my life", assistant)
    assert "116 123" in reply


def test_with_an_advisor_in_the_chat_the_assistant_stays_silent_and_the_chat_is_flagged(inbox, assistant, sessions):
    who = address()
    say(inbox, who, "can i talk to a person", assistant)
    with sessions() as session:
        session.add(HandoffRequest(conversation_id=f"web:{who}", channel="web", area_id="sefton", reason="asked",
                                   priority=1, status="live", summary={}, created_at=store.utcnow()))
        session.get(store.Conversation, f"web:{who}").mode = "advisor"
        session.commit()
    assert say(inbox, who, "my dad hits me when he's drunk and im scared to go home", assistant) == []
    request = request_of(sessions, who)
    assert request.priority == 0 and request.status == "live" and request.summary["safeguarding"]


def test_at_night_every_mention_of_a_line_that_has_closed_says_so(inbox, assistant, night):
    """NSPCC and Shelter keep hours; at 1.05am each mention of them, in the full reply and in the careful one
    after it, says they are closed."""
    who = address()
    replies = say(inbox, who, "the kids next door are always hungry and nobody comes home", assistant)
    replies += say(inbox, who, "they're still on their own now", assistant)
    mentions = [part for reply in replies for part in reply.replace("; ", "\n").splitlines() if "0808 800 5000" in part]
    assert len(mentions) >= 2 and all("closed" in part for part in mentions)


def test_a_message_a_dead_server_left_unanswered_is_answered_and_one_in_flight_is_left_alone(
        inbox, assistant, sessions):
    abandoned, in_flight = address(), address()
    with sessions() as session:
        for who, ago in ((abandoned, 180), (in_flight, 10)):
            message = store.record_incoming(session, "web", who, "debt advice in southport")
            message.created_at = utcnow() - dt.timedelta(seconds=ago)
            session.commit()
    answered = dict(asyncio.run(inbox.catch_up(assistant, deferred_only=True)))
    assert [r.text for r in answered[f"web:{abandoned}"]] == ["You asked: debt advice in southport"]
    assert f"web:{in_flight}" not in answered  # another server may be answering it right now
