"""UK postcodes: normalise, validate and split into outward code (district) and inward code.

"l203nj" -> "L20 3NJ". The rules are the Royal Mail format rules (letters that never appear in
given positions), so "Q1 1AA" is rejected while "SW1A 1AA" and "L20 3NJ" are accepted.
"""
from __future__ import annotations

import re
from typing import Optional

# Outward: A9, A99, AA9, AA99, A9A, AA9A. First letter never Q/V/X; second never I/J/Z.
_OUTWARD = r"(?:[A-PR-UWYZ][0-9][0-9A-HJKPSTUW]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9ABEHMNPRVWXY]?)"
# Inward: digit then two letters, never C, I, K, M, O or V.
_INWARD = r"[0-9][ABD-HJLNP-UW-Z]{2}"
_FULL = re.compile(rf"^({_OUTWARD})({_INWARD})$")
_DISTRICT = re.compile(rf"^{_OUTWARD}$")
_CANDIDATE = re.compile(r"\b([A-Za-z]{1,2}[0-9][0-9A-Za-z]?)\s*([0-9][A-Za-z]{2})\b")
_DISTRICT_CANDIDATE = re.compile(r"\b([A-Za-z]{1,2}[0-9][0-9A-Za-z]?)\b")


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text or "").upper()


def normalise_postcode(text: str) -> Optional[str]:
    """A full postcode in its standard form ("L20 3NJ"), or None if ``text`` is not one."""
    match = _FULL.match(_squash(text))
    if not match:
        return None
    return f"{match.group(1)} {match.group(2)}"


def normalise_district(text: str) -> Optional[str]:
    """A postcode district ("L20") in capitals, or None if ``text`` is not one."""
    squashed = _squash(text)
    return squashed if _DISTRICT.match(squashed) else None


def district_of(postcode: str) -> str:
    """The outward code of a normalised postcode."""
    return postcode.split(" ", 1)[0]


def find_postcode(text: str) -> Optional[str]:
    """The first valid full postcode written anywhere in ``text``."""
    for match in _CANDIDATE.finditer(text or ""):
        postcode = normalise_postcode(match.group(1) + match.group(2))
        if postcode:
            return postcode
    return None


def find_district(text: str) -> Optional[str]:
    """The first token of ``text`` that is shaped like a postcode district (caller checks it exists)."""
    for match in _DISTRICT_CANDIDATE.finditer(text or ""):
        district = normalise_district(match.group(1))
        if district and any(ch.isdigit() for ch in district):
            return district
    return None
