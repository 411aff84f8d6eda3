"""Words to search terms (spaCy lemmas) and residents' words to needs."""
import pytest

from knowledge.text import terms
from knowledge.vocabulary import match_needs, resolve_need


@pytest.mark.parametrize("written, indexed", [
    ("debts", "debt"), ("evicted", "eviction"), ("swims", "swimming"), ("toddlers", "toddler"),
    ("classes", "class"), ("bailiffs", "bailiff"),
])
def test_word_forms_meet_in_one_term(written, indexed):
    assert terms(written) == terms(indexed) != []


def test_stop_words_are_dropped():
    assert terms("is there any help for me near here") == []


@pytest.mark.parametrize("said, need", [
    ("skint", "debt_money"), ("bailiffs at the door", "debt_money"), ("cant pay my bills", "debt_money"),
    ("been sanctioned on universal credit", "benefits"), ("we're being evicted", "housing"),
    ("stay and play", "baby_toddler"), ("i'm so lonely", "loneliness"), ("esol classes", "adult_learning"),
    ("my son has autism", "send"), ("Debt and money", "debt_money"), ("debt_money", "debt_money"),
])
def test_residents_words_name_a_need(said, need):
    assert resolve_need(said) == need


def test_words_naming_no_need():
    assert match_needs("what's the weather like") == []
    assert resolve_need("") is None
