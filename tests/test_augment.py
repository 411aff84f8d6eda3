"""Noisy copies of training examples (nlu.augment): the same every time, readable, and never the text itself."""
from __future__ import annotations

from nlu.augment import noisy_copies


def test_copies_are_repeatable_and_differ_from_the_text() -> None:
    text = "Where can I get help with my debts tomorrow please?"
    first, again = noisy_copies(text, 2), noisy_copies(text, 2)
    assert first == again
    assert len(first) == 2 and len(set(first)) == 2
    assert text not in first
    # A slip of the thumb changes one letter at most, so the words mostly survive.
    assert all(len(set(copy.lower().split()) & set(text.lower().strip("?").split())) >= 4 for copy in first)


def test_a_text_with_no_long_word_yields_no_copy() -> None:
    assert noisy_copies("hi", 1) == []

