"""Does a message show that someone may be at risk, and of what? The one check every channel's inbox runs
before Rasa, and Rasa's own safety net (``nlu/safety_net.py``) runs inside the NLU pipeline: the same model.

The model is trained from ``nlu/safeguarding/data/`` by ``python -m nlu.safeguarding.train`` (``make`` does it)
into ``nlu/build/safeguarding/``. Should it be missing or unreadable, the old lexicon answers instead and
names every category, so a clear statement of risk still gets every route.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from nlu.safeguarding.categories import CATEGORIES, Category
from nlu.safeguarding.lexicon import shows_risk
from nlu.safeguarding.model import SafeguardingModel, Scores

log = logging.getLogger(__name__)

MODEL_PATH = Path(__file__).resolve().parent.parent / "build" / "safeguarding" / "model.joblib"
#: earlier messages read with this one, so a disclosure spread over several messages is caught when it
#: becomes clear ("my partner gets angry", then "he's got the hammer out")
CONTEXT_MESSAGES = 2
#: ...but only when the newest message has some sign of risk of its own: "he's still here" (0.2) or "they are
#: still here" (0.03) are read with the disclosure before them; "baby groups in bootle", "thanks" or "what about
#: saturday" (under 0.001) get their ordinary answer
CONTEXT_FLOOR = 0.01


@dataclass(frozen=True)
class Assessment:
    categories: frozenset[Category]
    score: float  # the model's probability of any risk (1.0 from the lexicon)
    by: str  # "model", "lexicon" (the model could not be loaded) or "none" (a button or a command)
    in_context: bool = False  # clear only with the earlier messages
    sure: bool = True  # False: risk by the threshold chosen for recall, but it may be a look-alike

    @property
    def risk(self) -> bool:
        return bool(self.categories)

    def ordered(self) -> list[Category]:
        return [c for c in CATEGORIES if c in self.categories]


NO_RISK = Assessment(frozenset(), 0.0, "none")


@lru_cache(maxsize=1)
def model() -> Optional[SafeguardingModel]:
    try:
        import joblib

        return SafeguardingModel.from_state(joblib.load(MODEL_PATH))
    except Exception as exc:  # missing or unreadable: the lexicon keeps the emergency routes working
        log.error("safeguarding model not loaded (%s): using the lexicon", type(exc).__name__)
        return None


def _embed(texts: list[str]) -> np.ndarray:
    from knowledge.embedding import encode_shared

    return encode_shared(texts)


def score_texts(texts: Sequence[str], loaded: SafeguardingModel) -> list[Scores]:
    return loaded.scores(_embed(list(texts)), texts)


_BOUNDARY = re.compile(r"(?<=[.!?;\n])\s+|\s*[.!?;]+\s*$|,\s+(?=(?:but|and|cos|because|coz|tbh|honestly|he|she|they|i|im|i'm|my)\b)",
                       re.IGNORECASE)


def clauses(text: str) -> list[str]:
    """The message's sentences (and clauses after "but", "cos", "my ..."), when it has more than one: a
    disclosure inside a request ("any youth clubs in netherton? my lad said he wants to die") is read on its
    own too, so the request's words do not drown it."""
    parts = [p.strip() for p in _BOUNDARY.split(text) if p and len(p.split()) >= 2]
    return parts if len(parts) > 1 else []


def best_scores(loaded: SafeguardingModel, text: str) -> Scores:
    """The message's scores, or those of its riskiest clause when that is riskier."""
    texts = [text, *clauses(text)]
    scored = score_texts(texts, loaded)
    return max(scored, key=lambda s: s.risk)


def _window_scores(loaded: SafeguardingModel, texts: list[str]) -> Scores:
    """The scores of several messages read as one: their n-grams together, their embeddings averaged."""
    vectors = _embed(texts)
    mean = vectors.mean(axis=0)
    mean /= max(float(np.linalg.norm(mean)), 1e-9)
    return loaded.scores(mean[None, :], [" \n".join(texts)])[0]


def assess(text: str, earlier: Sequence[str] = ()) -> Assessment:
    """The categories of risk ``text`` shows, read alone and then with up to two ``earlier`` messages of the
    same conversation (oldest first)."""
    text = (text or "").strip()
    if not text or text.startswith("/"):
        return NO_RISK  # a command or a button's payload names what it wants itself
    loaded = model()
    if loaded is None:
        return Assessment(frozenset(CATEGORIES), 1.0, "lexicon") if shows_risk(text) else NO_RISK
    sure = loaded.config.sure_threshold
    alone = best_scores(loaded, text)
    found = loaded.decide(alone)
    if found and alone.risk >= sure:
        return Assessment(found, alone.risk, "model")
    context = [t for t in earlier if t and not t.startswith("/")][-CONTEXT_MESSAGES:]
    if context and alone.risk >= CONTEXT_FLOOR:
        together = _window_scores(loaded, [*context, text])
        if together.risk >= sure and together.risk > alone.risk:
            return Assessment(loaded.decide(together), together.risk, "model", in_context=True)
    if found:
        return Assessment(found, alone.risk, "model", sure=False)
    return Assessment(frozenset(), alone.risk, "model")
