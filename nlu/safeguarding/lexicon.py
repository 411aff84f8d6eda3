"""Today's lexicon: words that show someone may be at risk, and the idioms that only sound alarming.

It came before the safeguarding classifier (``nlu.safeguarding.classifier``) and stays for two jobs: the
benchmark compares the classifier against it, and it answers if the classifier's model cannot be loaded, so
a clear statement of risk still gets the routes.
"""
from __future__ import annotations

import re
from typing import Optional, Sequence

CRISIS = "crisis"

# Clear statements of risk to life, self-harm, abuse or a child in danger.
_RISK = [
    r"\b(kill|killin|hurt|harm|cut)(ing)?\s+(my ?self|meself|myslef)\b",
    r"\bsuicid(e|al)\b", r"\bend (it all|my life|things)\b", r"\btake my (own )?life\b",
    r"\b(don'?t|dont|do not) want to (live|be alive|be here)( anymore)?\b", r"\bbetter off dead\b",
    r"\b(want|wanna|going) to die\b", r"\bwish i (was|were) dead\b", r"\bno reason to live\b",
    r"\b(taken|took|take) an? overdose\b", r"\boverdos(e|ed)\b", r"\bself[- ]?harm(ing)?\b",
    r"\b(he|she|they|partner|husband|wife|boyfriend|girlfriend|dad|mum|step ?dad) (hits?|hit|beats?|beat|punche[sd]|chok(es|ed)|strangl(es|ed)|kick(s|ed)) me\b",
    r"\b(going|gonna|threatens?|threatened) to kill (me|us|the kids|my)\b",
    r"\b(scared|frightened|afraid) (for my life|he will kill|she will kill)\b",
    r"\b(child|kid|baby|boy|girl|son|daughter)\b.*\b(being (hurt|hit|beaten|abused)|in danger|not safe)\b",
    r"\b(abus(ing|ed)|beat(ing|en)|hurting|touching) (a|my|the|our|his|her) (child|kid|baby|son|daughter)\b",
    r"\b(sexually|being) abused\b", r"\braped?\b", r"\bin danger\b", r"\bnot safe at home\b",
    r"\bcan'?t (go on|take (it|this) anymore|cope anymore)\b",
    r"\bkms\b",  # "kill myself" in texting
    r"\b(took|taken|swallowed|had) (loads|lots|a load|a lot|too many|a handful|a bottle|a whole (box|packet))"
    r"( of)? (my |her |his )?(pills|tablets|paracetamol|painkillers|meds)\b",
    r"\b(ledge|edge) of (the|a) (bridge|roof|car ?park|multi ?storey|building|cliff)\b", r"\bon the ledge\b",
    r"\b(locked|kept|held) (in|up|somewhere)\b.*\b(won'?t|wont|will not) let me leave\b",
]
# Idioms: alarming words used harmlessly. A message whose only alarming words sit inside these is safe.
_IDIOMS = [
    r"\bdying (to|for)\b", r"\bkilling me\b", r"\b(could|would|i'?ll) (murder|kill) (a|for a|for)\b",
    r"\b(kill|murder) (a|the) (cuppa|brew|pint|burger|pizza|kebab|chippy)\b",
    r"\bwill kill (me|us) if\b", r"\bdriving me (mad|crazy|insane|up the wall)\b",
    r"\b(died|dying|dead) (laughing|of embarrassment|of boredom)\b", r"\bbored to death\b",
    r"\bscared to death of (spiders|heights|the dentist)\b", r"\bend of (the|my) tether\b",
    r"\bkilling (my ?self|meself) (with|on|over|trying|doing|at|laughing)\b",
]
_RISK_RE = [re.compile(p) for p in _RISK]
_IDIOM_RE = [re.compile(p) for p in _IDIOMS]


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", (text or "").lower().replace("\u2019", "'")).strip()


def shows_risk(text: str) -> bool:
    """True when the message clearly says someone may be at risk (after setting idioms aside)."""
    lowered = _clean(text)
    for idiom in _IDIOM_RE:
        lowered = idiom.sub(" ", lowered)
    return any(pattern.search(lowered) for pattern in _RISK_RE)


def only_idioms(text: str) -> bool:
    """True when the message's alarming words are all idioms ("dying to go swimming")."""
    lowered = _clean(text)
    return any(idiom.search(lowered) for idiom in _IDIOM_RE) and not shows_risk(text)


def safer_intent(text: str, ranking: Sequence[str]) -> Optional[str]:
    """The intent safety puts in place of the model's first choice (``ranking[0]``), or None to keep it:
    ``crisis`` for a clear statement of risk; for a ``crisis`` made only of idioms, the next intent."""
    if shows_risk(text):
        return CRISIS
    if ranking and ranking[0] == CRISIS and only_idioms(text):
        return next((intent for intent in ranking[1:] if intent != CRISIS), None)
    return None
