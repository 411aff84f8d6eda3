"""The safeguarding classifier's data: enough of every kind, readable, and a held-out set that never leaks
into training (not the same words, and not near-copies of them)."""
from __future__ import annotations

from collections import Counter

import pytest

from nlu.safeguarding.categories import CATEGORIES
from nlu.safeguarding.data import TRAINING_DIR, held_out_examples, normalised, training_examples


@pytest.fixture(scope="module")
def training():
    return training_examples()


@pytest.fixture(scope="module")
def own_training():
    """The safeguarding data's own files, without the intent data's ordinary traffic."""
    return training_examples(TRAINING_DIR, intent_folder=None)


@pytest.fixture(scope="module")
def held_out():
    return held_out_examples()


def test_training_has_at_least_1500_risk_messages_and_100_of_each_kind(own_training):
    kinds = Counter(c for e in own_training for c in e.categories)
    assert sum(e.risk for e in own_training) >= 1500
    assert {c: kinds[c] for c in CATEGORIES if kinds[c] < 100} == {}


def test_training_has_at_least_1500_hard_benign_messages(own_training):
    assert sum(not e.risk for e in own_training) >= 1500


def test_the_held_out_set_has_at_least_300_risk_and_300_benign_with_every_kind(held_out):
    assert sum(e.risk for e in held_out) >= 300 and sum(not e.risk for e in held_out) >= 300
    kinds = Counter(c for e in held_out for c in e.categories)
    assert min(kinds[c] for c in CATEGORIES) >= 30


def test_no_held_out_message_is_in_training(training, held_out):
    seen = {normalised(e.text) for e in training}
    assert [e.text for e in held_out if normalised(e.text) in seen] == []


def test_no_held_out_message_is_a_near_copy_of_a_training_one(training, held_out):
    """Character 3-grams: a held-out message that differs from a training one by a word or a spelling is a
    leak too (cosine 0.9 and above)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 3)).fit([normalised(e.text) for e in training])
    train = vectorizer.transform([normalised(e.text) for e in training])
    tested = vectorizer.transform([normalised(e.text) for e in held_out])
    nearest = (tested @ train.T).max(axis=1).toarray().ravel()
    leaks = [(held_out[i].text, round(float(s), 3)) for i, s in enumerate(nearest)
             if s >= 0.9 and len(normalised(held_out[i].text).split()) > 3]
    assert leaks == []


def test_no_message_is_both_risk_and_benign_in_training(own_training):
    """``merge`` keeps one example per text: a text written as benign and as risk would be risk, silently."""
    from nlu.safeguarding.data import _training_file

    labels: dict[str, set[bool]] = {}
    for path in sorted(TRAINING_DIR.glob("*.yml")):
        for e in _training_file(path):
            labels.setdefault(normalised(e.text), set()).add(e.risk)
    assert [text for text, kinds in labels.items() if len(kinds) > 1] == []
