"""The controlled vocabulary of needs, and turning a resident's words into a need.

The vocabulary lives in ``knowledge/data/needs.yaml``; synonyms are compared as search terms (lemmas,
see ``knowledge.text``) so "bailiff", "bailiffs" and "Bailiffs" all mean debt and money.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from knowledge.text import terms

NEEDS_FILE = Path(__file__).parent / "data" / "needs.yaml"
TAXONOMY = "signpost-needs"


@dataclass(frozen=True)
class NeedTerm:
    id: str
    name: str
    synonyms: tuple[str, ...] = field(default_factory=tuple)


@lru_cache(maxsize=1)
def needs() -> tuple[NeedTerm, ...]:
    data = yaml.safe_load(NEEDS_FILE.read_text(encoding="utf-8"))
    return tuple(NeedTerm(n["id"], n["name"], tuple(n.get("synonyms") or ())) for n in data["needs"])


@lru_cache(maxsize=1)
def need_ids() -> frozenset[str]:
    return frozenset(n.id for n in needs())


def need_name(need_id: str) -> str:
    for need in needs():
        if need.id == need_id:
            return need.name
    raise KeyError(need_id)


@lru_cache(maxsize=1)
def _phrases() -> dict[str, tuple[tuple[tuple[str, ...], str], ...]]:
    """For each first term, the (term sequence, need id) of every name and synonym starting with it,
    longest phrases first."""
    phrases: dict[tuple[str, ...], str] = {}
    for need in needs():
        for phrase in (need.name, *need.synonyms):
            key = tuple(terms(phrase))
            if key:
                phrases.setdefault(key, need.id)
    by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for key, need_id in sorted(phrases.items(), key=lambda item: -len(item[0])):
        by_first.setdefault(key[0], []).append((key, need_id))
    return {first: tuple(items) for first, items in by_first.items()}


def _contains(haystack: list[str], needle: tuple[str, ...]) -> bool:
    n = len(needle)
    return any(tuple(haystack[i : i + n]) == needle for i in range(len(haystack) - n + 1))


def match_needs(text: str) -> list[str]:
    """Need ids a piece of text mentions, strongest (longest phrase) first, without repeats."""
    if not text:
        return []
    lowered = text.strip().lower()
    if lowered in need_ids():
        return [lowered]
    words = terms(text)
    matches: list[tuple[tuple[str, ...], str]] = []
    for first in dict.fromkeys(words):
        matches.extend((phrase, need_id) for phrase, need_id in _phrases().get(first, ())
                       if _contains(words, phrase))
    matches.sort(key=lambda item: -len(item[0]))
    return list(dict.fromkeys(need_id for _, need_id in matches))


def resolve_need(text: str | None) -> str | None:
    """The need id meant by ``text`` (an id, a name or a resident's words), or None."""
    if not text:
        return None
    found = match_needs(text)
    return found[0] if found else None
