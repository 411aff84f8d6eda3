"""Conversations through Rasa's REST channel against the running assistant: the real model, the real
action server and the knowledge base of the shipped packs."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.handoff.models import HandoffRequest
from core.database import make_engine
from tests.support.assistant import knowledge_base, start_assistant



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
    assert "debt advice near Southport" in text
    assert "1. " in text and "2. " in text


def test_a_place_is_asked_for_with_the_localities_as_buttons(assistant, resident):
    replies = assistant.say(resident, "any baby groups?")
    assert "Which part of Sefton are you in" in replies[0]["text"]
    assert buttons(replies) == ["North", "Central", "South"]
    text = assistant.text(resident, '/inform_place{"place": "South Sefton"}')
    assert "baby groups near South" in text


def test_follow_ups_remember_need_place_time_and_age(assistant, resident):
    first = assistant.say(resident, "any groups for my toddler in bootle")
    assert "near Bootle for a 2-year-old" in first[0]["text"]
    assert "Show me more" in buttons(first)
    more = assistant.text(resident, "more")
    assert more.startswith("Here are some more: groups for my toddler near Bootle")
    assert "4. " in more
    saturday = assistant.text(resident, "what about saturday?")
    assert "near Bootle on Saturday" in saturday
    crosby = assistant.text(resident, "and in crosby?")
    assert "groups for my toddler near Crosby on Saturday for a 2-year-old" in crosby
    number = assistant.text(resident, "whats their number")  # the services shown, or the nearest on other days
    assert number.startswith("How to get in touch:")


def test_are_any_free(assistant, resident):
    assistant.say(resident, "baby massage in bootle")
    text = assistant.text(resident, "are any free?")
    assert "free baby massage near Bootle" in text
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
    # Rasa's own payload for "not understood": which messages the model cannot read is measured by the
    # NLU bench (out-of-scope rejection, fallback), not pinned here to one trained model's margins.
    first = assistant.say(resident, "/nlu_fallback")
    assert "say it another way" in first[0]["text"]
    second = assistant.say(resident, "/nlu_fallback")
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
    assert "debt advice near Bootle." in text


# --- searching on the resident's own words (issue 10) ---

def first_result(text: str) -> str:
    """The name on the first card of a results message."""
    for line in text.splitlines():
        if line.startswith("1. "):
            return line[3:]
    return ""


@pytest.mark.parametrize("message,expected", [
    ("breastfeeding support in bootle", "Breastfeeding"),
    ("bereavement support for children in southport", "Bereavement"),
    ("is there a toddler read and rhyme time in bootle", "Toddler Read and Rhyme Time"),
])
def test_the_words_pick_the_service_not_only_the_need(assistant, resident, message, expected):
    text = assistant.text(resident, message)
    assert expected in first_result(text), text


def test_nothing_close_says_what_was_searched_and_gives_the_routes_that_exist(assistant, resident):
    text = assistant.text(resident, "i cant afford food for the kids this week, im in bootle")
    if "1. " in text:  # something in the directory answers food: it must be about food
        assert "food" in text.lower()
    else:
        assert text.startswith("Sorry, I couldn't find any")
        assert "trussell.org.uk" in text  # the national food bank finder
        assert "0300 323 0181" in text  # and Sefton's front door
    replies = assistant.say(resident, "baby groups in formby on sunday")
    text = "\n".join(r["text"] for r in replies)
    assert "1. " not in text, "nothing relevant: no padding with unrelated services"
    assert "0300 323 0181" in text and "Talk to a person" in buttons(replies)


def test_a_follow_up_chain_keeps_the_words_until_the_subject_changes(assistant, resident):
    first = assistant.text(resident, "breastfeeding support in bootle")
    assert "Breastfeeding" in first_result(first)
    crosby = assistant.text(resident, "what about in crosby?")
    assert "near Crosby" in crosby and ("Breastfeeding" in first_result(crosby) or "couldn't find" in crosby)
    number = assistant.text(resident, "whats their number")
    assert number.startswith("How to get in touch:")
    when = assistant.text(resident, "when is it on?")
    assert when.startswith("When they're on:")
    rent = assistant.text(resident, "forget that, its my rent im worried about")
    assert "housing" in rent.lower() and "Breastfeeding" not in rent


def test_a_named_service_is_answered_directly(assistant, resident):
    text = assistant.text(resident, "is bookstart free?")
    assert "Bookstart" in text and "Which part of Sefton" not in text
    assert "Free" in text or "charge" in text


def test_their_number_after_nothing_found_gives_the_front_door(assistant, resident):
    assistant.say(resident, "baby groups in formby on sunday")
    text = assistant.text(resident, "whats their number")
    assert "0300 323 0181" in text


def test_cards_carry_the_example_note_themselves(assistant, resident):
    text = assistant.text(resident, "stay and play in bootle")
    cards = [card for card in text.split("\n\n") if card[:2] in ("1.", "2.", "3.")]
    assert cards
    for card in cards:
        assert "Venue and times are examples" in card


# --- privacy and council questions (issue 10) ---

def test_the_privacy_question_gets_a_plain_answer_and_the_notice(assistant, resident):
    replies = assistant.say(resident, "what do you keep about me?")
    text = replies[0]["text"]
    assert "I keep your messages" in text and "https://www.sefton.gov.uk" in text
    assert "Erase our chat" in buttons(replies)


def test_a_council_question_gets_the_councils_own_website(assistant, resident):
    text = assistant.text(resident, "when is my bin collection")
    assert "https://www.sefton.gov.uk" in text and "Sorry, I can't help" not in text


def test_forget_me_asks_once_then_erases_everything(assistant, resident, kb_url):
    from bot import conversations as store

    assistant.say(resident, "debt advice in bootle")
    confirm = assistant.say(resident, "delete everything you know about me")
    assert confirm[0]["text"].startswith("Do you want me to erase our conversation?")
    assert buttons(confirm) == ["Yes, erase it", "No, keep it"]
    done = assistant.text(resident, "yes")
    assert done.startswith("Done. I've erased our conversation")
    engine = make_engine(kb_url)
    with Session(engine) as session:
        left = session.execute(select(store.Message).where(store.Message.conversation_id == f"rest:{resident}")).all()
    engine.dispose()
    assert left == []
    # Rasa's memory went too: a follow-up has nothing to refer to.
    assert "Which service do you mean?" in assistant.text(resident, "whats their number")


def test_no_to_erasing_keeps_the_conversation(assistant, resident):
    assistant.say(resident, "forget me")
    assert assistant.text(resident, "no").startswith("Okay, I've kept it.")
