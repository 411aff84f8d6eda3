"""Words to search terms: spaCy lookup lemmas, then a light suffix stem.

Lemmas make "debts" find "debt" and "swims" find "swimming"; the stem joins word families that
lemmas keep apart ("evicted" -> "evict" and "eviction" -> "evict"). The same function builds the
index and reads the query, so both sides always agree.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable

from spacy.lang.en.stop_words import STOP_WORDS

# Longest first; each keeps a stem of at least four letters so short words stay whole.
_SUFFIXES = ("ations", "ation", "ments", "ment", "ions", "ion", "ings", "ing", "ers", "er", "ies", "es", "s")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_EXTRA_STOP = {"help", "near", "need", "want", "looking", "look", "find", "service", "services", "pls", "please"}


@lru_cache(maxsize=1)
def _nlp():
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()  # loads the lookup table from spacy-lookups-data: offline
    return nlp


def stem(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    # "swimm" (from "swimming") and "swim" should meet: undouble a final consonant.
    if len(word) >= 4 and word[-1] == word[-2] and word[-1] not in "aeiouls":
        word = word[:-1]
    return word


def _terms_of_doc(doc) -> list[str]:
    terms: list[str] = []
    for token in doc:
        text = token.lower_
        if not _WORD.fullmatch(text) or text in STOP_WORDS or text in _EXTRA_STOP:
            continue
        lemma = (token.lemma_ or text).lower()
        if lemma in STOP_WORDS:
            continue
        terms.append(stem(lemma)[:64])
    return terms


def terms(text: str) -> list[str]:
    """Search terms of a piece of text, in order, duplicates kept."""
    if not text:
        return []
    return _terms_of_doc(_nlp()(text))


def terms_of_many(texts: Iterable[str]) -> list[list[str]]:
    """``terms`` for many texts at once (spaCy's batched pipe), for building the index."""
    return [_terms_of_doc(doc) for doc in _nlp().pipe(t or "" for t in texts)]
