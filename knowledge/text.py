"""Words to search terms: each word's own form, and its family (spaCy lookup lemma, then a light stem).

The own form folds plurals only ("toddlers" -> "toddler"), so "boxing" stays "boxing" and never meets
"Out of the Box"; the family joins what lemmas keep apart ("evicted", "eviction" -> "evict") and counts
for less in search. The same functions build the index and read the query, so both sides agree.
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


def _own_form(word: str, lemma: str) -> str:
    """The word with only a plural folded away: "clubs" -> "club", "boxing" -> "boxing"."""
    if lemma != word and (word in (lemma + "s", lemma + "es") or (word.endswith("ies") and word[:-3] + "y" == lemma)):
        return lemma
    return word


def _forms_of_doc(doc) -> list[tuple[str, str]]:
    forms: list[tuple[str, str]] = []
    for token in doc:
        text = token.lower_
        if not _WORD.fullmatch(text) or text in STOP_WORDS or text in _EXTRA_STOP:
            continue
        lemma = (token.lemma_ or text).lower()
        if lemma in STOP_WORDS:
            continue
        forms.append((_own_form(text, lemma)[:64], stem(lemma)[:64]))
    return forms


def forms(text: str) -> list[tuple[str, str]]:
    """(own form, family) of each search word of a piece of text, in order, duplicates kept."""
    if not text:
        return []
    return _forms_of_doc(_nlp()(text))


def forms_of_many(texts: Iterable[str]) -> list[list[tuple[str, str]]]:
    """``forms`` for many texts at once (spaCy's batched pipe), for building the index."""
    return [_forms_of_doc(doc) for doc in _nlp().pipe(t or "" for t in texts)]


def terms(text: str) -> list[str]:
    """The family of each search word of a piece of text, in order, duplicates kept."""
    return [family for _, family in forms(text)]
