"""How relevant each service is to what the resident wrote: words, meaning, need and name, combined.

- **Words** (BM25F): the resident's words against each service's name, provider and description, a
  word's own form counting fully and its family ("~box" for "boxing") for less, never substrings.
  Scored as a share of what the query's words could score, so "nothing matches" is visible.
- **Meaning**: cosine between the resident's sentence embedding and the service's (computed at load).
- **Need**: the need the conversation knows (the intent, or the needs vocabulary's synonyms in the
  words) narrows nothing by itself but lifts the services filed under it, their main need most.
- **Name**: a service whose distinctive name words the resident wrote ("fit and fed") is lifted above
  everything, whatever need the intent model guessed.

A service is relevant when its score passes an absolute floor, is within reach of the best one, and the
resident's words (their terms, their meaning, the needs they name) give enough evidence, so a need the intent
model guessed never pads a list on its own. The weights are chosen on ``bench/retrieval/tuning.yml``
(``python -m bench.retrieval_bench --tuning``) by a small grid over meaning, words, need, floor and
evidence; more evidence buys "nothing" answered as nothing at the cost of hits, and a harder rule that
meaning must agree with the words moved along the same curve. These defaults are the balance chosen.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional, Sequence

import numpy as np

from knowledge.directory import FAMILY_PREFIX
from knowledge.ranking.index import DirectoryIndex

K1, B = 1.2, 0.75


@dataclass(frozen=True)
class Weights:
    words: float = 1.0
    meaning: float = 1.5
    meaning_floor: float = 0.2  # cosine below this says nothing (unrelated sentences sit around 0.1)
    family: float = 0.5  # a family-only match ("toddlers" for "toddler groups" is own-form) counts this much
    need_main: float = 0.35
    need_other: float = 0.2
    name: float = 1.0
    name_coverage: float = 0.75  # share of a name's word weight the resident must have written
    name_idf: float = 4.0  # and at least this much of it, so "support" alone never names a service
    floor: float = 0.3  # the least score worth showing
    evidence: float = 0.1  # and the least the words must give: a need the intent model guessed is not enough
    reach: float = 0.6  # and at least this share of the best score

    def only(self, kind: str) -> "Weights":
        """The variants the bench compares with the hybrid: ``words`` alone, ``meaning`` alone."""
        if kind == "words":
            return replace(self, meaning=0.0)
        if kind == "meaning":
            return replace(self, words=0.0, name=0.0)
        return self


DEFAULT = Weights()


@dataclass
class Query:
    """What is ranked on: the resident's words as (own form, family) pairs, their embedding, the needs."""

    forms: Sequence[tuple[str, str]]
    vector: Optional[np.ndarray]
    needs: Sequence[str] = ()  # strongest first: the conversation's need, then needs the words name
    said_needs: Sequence[str] = ()  # the needs the words name ("bailiffs"): evidence, as words are

    @property
    def has_words(self) -> bool:
        return bool(self.forms)


@dataclass
class Scores:
    total: np.ndarray
    words: np.ndarray
    meaning: np.ndarray
    need: np.ndarray
    named: np.ndarray  # bool: the resident named this service
    said: np.ndarray  # what the resident's words say for the service: words, meaning, the needs they name


def _bm25(index: DirectoryIndex, term: str, scores: np.ndarray, weight: float, norm: np.ndarray) -> float:
    """Add one term's BM25F contribution to ``scores``; return the most it could have added."""
    idf = index.idf(term)
    postings = index.postings.get(term)
    if postings is not None:
        tf = postings.weights
        scores[postings.services] += weight * idf * tf * (K1 + 1) / (tf + K1 * norm[postings.services])
    return weight * idf * (K1 + 1)


def word_scores(index: DirectoryIndex, forms: Sequence[tuple[str, str]], weights: Weights) -> np.ndarray:
    """BM25F of the words for every service, as a share (0..1) of what the words could score."""
    scores = np.zeros(index.size, np.float32)
    if not forms or not index.size:
        return scores
    norm = (1 - B + B * index.lengths / max(index.average_length, 1e-6)).astype(np.float32)
    most = 0.0
    for own, family in dict.fromkeys(forms):
        most += _bm25(index, own, scores, 1.0, norm)
        most += _bm25(index, FAMILY_PREFIX + family, scores, weights.family, norm)
    return scores / most if most else scores


def named(index: DirectoryIndex, forms: Sequence[tuple[str, str]], weights: Weights) -> np.ndarray:
    """Services whose name the resident wrote: most of the name's word weight, and enough of it."""
    found = np.zeros(index.size, dtype=bool)
    if not forms:
        return found
    written = {own for own, _ in forms} | {FAMILY_PREFIX + family for _, family in forms}
    candidates: set[int] = set()
    for own, _ in forms:
        postings = index.postings.get(own)
        if postings is not None and postings.df <= max(index.size // 20, 3):
            candidates.update(postings.services.tolist())
    for i in candidates:
        name = index.name_terms[i]
        if not name:
            continue
        mass = sum(index.idf(w) for w in name)
        have = sum(index.idf(w) for w in name if w in written)
        if mass and have / mass >= weights.name_coverage and have >= weights.name_idf:
            found[i] = True
    return found


def need_scores(index: DirectoryIndex, needs: Sequence[str], weights: Weights) -> np.ndarray:
    scores = np.zeros(index.size, np.float32)
    for strength, need in zip((1.0, 0.6, 0.4), needs):
        services, ranks = index.needs.get(need, (np.zeros(0, np.int32), np.zeros(0, np.int16)))
        lift = np.where(ranks == 0, weights.need_main, weights.need_other).astype(np.float32) * strength
        scores[services] = np.maximum(scores[services], lift)
    return scores


def score(index: DirectoryIndex, query: Query, weights: Weights = DEFAULT) -> Scores:
    words = word_scores(index, query.forms, weights) if weights.words else np.zeros(index.size, np.float32)
    meaning = np.zeros(index.size, np.float32)
    if weights.meaning and query.vector is not None and index.vectors.shape[1] == len(query.vector):
        meaning = np.maximum(index.vectors @ query.vector.astype(np.float32) - weights.meaning_floor, 0.0)
    need = need_scores(index, query.needs, weights)
    name = named(index, query.forms, weights) if weights.name else np.zeros(index.size, dtype=bool)
    total = weights.words * words + weights.meaning * meaning + need + weights.name * name
    said = weights.words * words + weights.meaning * meaning
    if query.said_needs and (weights.words or weights.meaning):
        said = said + need_scores(index, query.said_needs, weights)
    return Scores(total, words, meaning, need, name, said)


def relevant(scores: Scores, eligible: np.ndarray, weights: Weights = DEFAULT) -> np.ndarray:
    """Indexes of the eligible services worth showing, best first."""
    candidates = np.flatnonzero(eligible)
    if not len(candidates):
        return candidates
    total = scores.total[candidates]
    # Reach is measured without the lift for a name: "stay and play" names one service, and the other play
    # sessions are as relevant as they were.
    best = float((total - weights.name * scores.named[candidates]).max())
    said = scores.said[candidates]
    keep = candidates[((total >= weights.floor) & (total >= weights.reach * best) & (said >= weights.evidence))
                      | scores.named[candidates]]
    return keep[np.argsort(-scores.total[keep], kind="stable")]
