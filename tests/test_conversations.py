"""Conversations through Rasa's REST channel against the running assistant: the real model, the real
action server and the knowledge base of the shipped packs."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.handoff.requests import HandoffRequest
from knowledge.db import make_engine
from tests.assistant import knowledge_base, start_assistant



@pytest.fixture(scope="module")
def kb_url(tmp_path_factory):
    return knowledge_base(tmp_path_factory.mktemp("assistant-kb"))


@pytest.fixture(scope="module")
def assistant(kb_url, tmp_path_factory):
    running = start_assistant(tmp_path_factory.mktemp("assistant"), kb_url)
    yield running
    running.stop()


@pytest.fixture
def resident():
    return f"resident-{uuid.uuid4().hex[:10]}"


def buttons(replies):
    return [b["title"] for r in replies for b in r.get("buttons") or []]


def handoffs(kb_url, sender):
    """The handoff requests of a REST sender's conversation (``rest:<sender>``)."""
    engine = make_engine(kb_url)
    with Session(engine) as session:
        found = session.execute(select(HandoffRequest).where(HandoffRequest.conversation_id == f"rest:{sender}")).scalars().all()
    engine.dispose()
    return found


def test_greeting_offers_what_it_can_do(assistant, resident):
    replies = assistant.say(resident, "hiya")
    assert "I can help you find local services" in replies[0]["text"]
    assert "Talk to a person" in buttons(replies)


def test_debt_advice_in_southport(assistant, resident):
    text = assistant.text(resident, "where can i get debt advice in southport")
    assert "debt and money near Southport" in text
    assert "1. " in text and "2. " in text


def test_a_place_is_asked_for_with_the_localities_as_buttons(assistant, resident):
    replies = assistant.say(resident, "any baby groups?")
    assert "Which part of Sefton are you in" in replies[0]["text"]
    assert buttons(replies) == ["North", "Central", "South"]
    text = assistant.text(resident, '/inform_place{"place": "South Sefton"}')
    assert "baby and toddler activities near South" in text


def test_follow_ups_remember_need_place_time_and_age(assistant, resident):
    first = assistant.say(resident, "stay and play for my toddler in bootle")
    assert "baby and toddler activities near Bootle for age 2" in first[0]["text"]
    assert "Show me more" in buttons(first)
    more = assistant.text(resident, "more")
    assert more.startswith("Here are some more: services for baby and toddler activities near Bootle")
    assert "4. " in more
    saturday = assistant.text(resident, "what about saturday?")
    assert "near Bootle Saturday" in saturday
    crosby = assistant.text(resident, "and in crosby?")
    assert "near Crosby Saturday" in crosby or "Crosby" in crosby
    number = assistant.text(resident, "whats their number")
    assert number.startswith("How to get in touch:")


def test_are_any_free(assistant, resident):
    assistant.say(resident, "baby massage in bootle")
    text = assistant.text(resident, "are any free?")
    assert "free services for baby and toddler activities" in text
    assert "A charge applies" not in text


def test_nothing_found_says_so_and_offers_a_way_forward(assistant, resident):
    text = assistant.text(resident, "baby groups in formby on sunday")
    assert "Sorry, I couldn't find any" in text
    replies = assistant.say(resident, "baby groups in formby on sunday")
    assert "Talk to a person" in buttons(replies)


def test_a_crisis_gets_the_emergency_routes_in_the_very_next_reply(assistant, resident, kb_url):
    replies = assistant.say(resident, "i want to end it all tonight")
    first = replies[0]["text"]
    assert first.startswith("If you have hurt yourself or taken something")
    for number in ("999", "116 123", "111"):  # Samaritans and NHS 111 for suicide
        assert number in first
    [request] = handoffs(kb_url, resident)
    assert request.reason == "crisis" and request.priority == 0
    assert request.summary["safeguarding"] == ["suicide_self_harm"]


def test_an_idiom_is_not_a_crisis(assistant, resident, kb_url):
    text = assistant.text(resident, "my toddler is dying to go swimming in maghull")
    assert "999" not in text
    assert handoffs(kb_url, resident) == []


def test_asking_for_a_person_records_the_handoff_and_gives_the_front_door(assistant, resident, kb_url):
    assistant.say(resident, "debt advice in bootle")
    text = assistant.text(resident, "can i talk to a real person")
    assert "Community First" in text and "0300 323 0181" in text
    [request] = handoffs(kb_url, resident)
    assert request.reason == "asked" and request.summary["need"] == "debt_money"


def test_two_misunderstandings_offer_a_person(assistant, resident, kb_url):
    first = assistant.say(resident, "???")
    assert "say it another way" in first[0]["text"]
    second = assistant.say(resident, "the")
    assert "talk to a person" in second[0]["text"]
    third = assistant.text(resident, "/affirm")
    assert "Community First" in third
    [request] = handoffs(kb_url, resident)
    assert request.reason == "misunderstood"


def test_out_of_scope_says_what_it_can_help_with(assistant, resident):
    text = assistant.text(resident, "tell me a joke")
    assert text.startswith("Sorry, I can't help with that. I can find local services")


def test_bad_input_is_answered_not_crashed_on(assistant, resident):
    for message in ("", " ", "<script>alert(1)</script>", "x" * 5000, "\u0000\u202e", "/need_debt_money{bad json"):
        replies = assistant.say(resident, message)
        assert isinstance(replies, list)


def test_a_new_question_starts_afresh_but_keeps_the_place(assistant, resident):
    assistant.say(resident, "toddler groups in bootle on saturday")
    text = assistant.text(resident, "i need debt advice")
    assert "services for debt and money near Bootle." in text
