"""The old safety lexicon (the safeguarding classifier's fallback and baseline), the age parser and opening hours."""
import datetime as dt

import pytest
import yaml

from bot.handoff.front_door import describe_hours, is_open
from knowledge.when import LONDON
from nlu.ages import parse_age
from nlu.safeguarding.lexicon import only_idioms, shows_risk

PROJECT_TESTS = __import__("pathlib").Path(__file__).parent


@pytest.mark.parametrize("message", [
    "i want to end it all", "i dont want to be alive anymore", "my partner hit me again and im scared",
    "theres a kid next door being beaten", "he's going to kill me", "my son has taken an overdose",
    "i cant go on", "ive been self harming again", "i'm not safe at home",
    "i just want to kms", "my daughter took loads of paracetamol and wont tell me how many",
    "theres a man on the ledge of the car park roof", "im being kept somewhere and they wont let me leave",
])
def test_clear_risk_is_recognised(message):
    assert shows_risk(message)


def test_the_not_crisis_set_never_reads_as_risk():
    data = yaml.safe_load((PROJECT_TESTS / "nlu" / "not_crisis.yml").read_text())
    messages = [line.strip()[2:] for item in data["nlu"] for line in item["examples"].splitlines() if line.strip()]
    assert len(messages) >= 25
    for message in messages:
        plain = __import__("re").sub(r"\[([^\]]+)\]\([a-z_]+\)", r"\1", message)
        assert not shows_risk(plain), plain


@pytest.mark.parametrize("message", ["my toddler is dying to go swimming", "this form is killing me",
                                     "i could murder a cuppa", "the kids will kill me if we dont go to the park"])
def test_idioms_are_only_idioms(message):
    assert only_idioms(message) and not shows_risk(message)


@pytest.mark.parametrize("said, years", [
    ("my 2 year old", 2), ("15", 15), ("6 months", 0), ("teenager", 15), ("baby", 0), ("toddler", 2),
    ("she is 3", 3), ("2yo", 2), ("year 9", 14), ("three year old", 3), ("nothing", None), ("", None),
])
def test_ages(said, years):
    assert parse_age(said) == years


HOURS = [{"days": ["mon", "tue", "wed", "thu", "fri"], "opens": "09:00", "closes": "17:00"}]


def test_opening_hours_read_plainly_and_decide_open_or_closed():
    assert describe_hours(HOURS) == "Monday to Friday, 9am to 5pm"
    monday_10 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=LONDON)
    assert is_open(HOURS, monday_10)
    assert not is_open(HOURS, monday_10.replace(hour=18))
    assert not is_open(HOURS, dt.datetime(2026, 11, 28, 10, 0, tzinfo=LONDON))  # Saturday
    # British Summer Time: 09:30 in London is 08:30 UTC, and open.
    assert is_open(HOURS, dt.datetime(2026, 6, 1, 8, 30, tzinfo=dt.timezone.utc))


@pytest.mark.parametrize("message, entities", [
    ("stay and play for my toddler in bootle", [("age", "toddler")]),
    ("anything 2moro morning for my 2 year old", [("time", "2moro morning"), ("age", "2 year old")]),
    ("after school clubs for teenagers", [("time", "after school"), ("age", "teenagers")]),
    ("baby groups in formby on sunday", [("time", "on sunday"), ("age", "baby")]),
    ("whats on this weekend", [("time", "this weekend")]),
    ("i sat down and the sun came out", []),
    ("on sat", [("time", "on sat")]),
])
def test_times_and_ages_are_found_by_rule(message, entities):
    from nlu.entity_rules import find

    assert [(e["entity"], e["value"]) for e in find(message)] == entities


def test_safety_overrides_the_models_first_choice_only_when_it_must():
    from nlu.safeguarding.lexicon import safer_intent

    assert safer_intent("i want to end it all", ["greet", "crisis"]) == "crisis"
    assert safer_intent("my toddler is dying to go swimming", ["crisis", "need_physical_activity"]) == \
        "need_physical_activity"
    assert safer_intent("my toddler is dying to go swimming", ["need_physical_activity", "crisis"]) is None
    assert safer_intent("food bank in bootle", ["need_food"]) is None
