"""Noisy copies of training examples, written the way residents type (slips of the thumb, no capitals or
punctuation, texting short forms), so the intent model does not lean on clean spelling."""
from __future__ import annotations

import random
import re
import zlib
from typing import Callable, Dict, List

TEXTING: Dict[str, List[str]] = {
    "you": ["u"], "your": ["ur"], "are": ["r"], "to": ["2"], "tomorrow": ["2moro", "tmrw"], "please": ["pls", "plz"],
    "for": ["4"], "and": ["n", "&"], "thanks": ["ta", "thx"], "thank you": ["ty", "thank u"], "because": ["cos", "coz"],
    "okay": ["ok"], "see": ["c"], "why": ["y"], "tonight": ["2nite"], "really": ["rly"], "people": ["ppl"],
    "don't": ["dont"], "can't": ["cant"], "i'm": ["im"], "what": ["wat"], "with": ["wiv"], "before": ["b4"],
}
_TEXTING_WORDS = re.compile(r"\b(" + "|".join(sorted(map(re.escape, TEXTING), key=len, reverse=True)) + r")\b",
                            re.IGNORECASE)
_LONG_WORD = re.compile(r"[A-Za-z]{4,}")
_PUNCTUATION = re.compile(r"[^\w\s'£&]")  # £ and & carry meaning ("£5", "n&m"), so they stay


def _typo(text: str, rng: random.Random) -> str:
    # One letter dropped, doubled or swapped with its neighbour, never the first: the word stays readable.
    words = list(_LONG_WORD.finditer(text))
    if not words:
        return text
    word = rng.choice(words)
    letters, i = list(word.group()), rng.randrange(1, len(word.group()) - 1)
    kind = rng.choice(("drop", "double", "swap"))
    if kind == "drop":
        del letters[i]
    elif kind == "double":
        letters.insert(i, letters[i])
    else:
        letters[i], letters[i + 1] = letters[i + 1], letters[i]
    return text[:word.start()] + "".join(letters) + text[word.end():]


def _texting(text: str, rng: random.Random) -> str:
    return _TEXTING_WORDS.sub(lambda m: rng.choice(TEXTING[m.group().lower()]), text)


def _lower(text: str, rng: random.Random) -> str:
    return text.lower()


def _strip_punctuation(text: str, rng: random.Random) -> str:
    return " ".join(_PUNCTUATION.sub(" ", text).split())


_NOISES: List[Callable[[str, random.Random], str]] = [_lower, _strip_punctuation, _texting]


def noisy_copies(text: str, copies: int) -> List[str]:
    """``copies`` distinct noisy versions of ``text``, the same every time for the same text (seeded by it),
    so a cross-validation fold and the full model see the same copies. Fewer if the text allows no more."""
    found: List[str] = []
    for copy in range(copies):
        rng = random.Random(zlib.crc32(f"{copy}:{text}".encode()))
        noisy = text
        for noise in _NOISES:
            if rng.random() < 0.5:
                noisy = noise(noisy, rng)
        # Always a slip of the thumb too, so the copy differs from the text and from the other copies.
        for _ in range(3):
            candidate = _typo(noisy, rng)
            if candidate != text and candidate not in found:
                found.append(candidate)
                break
    return found
