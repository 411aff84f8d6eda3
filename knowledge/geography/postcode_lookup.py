"""Optional exact coordinates for full postcodes from a postcodes.io-compatible service.

Set ``SIGNPOST_POSTCODES_URL`` (e.g. ``https://api.postcodes.io`` or a council's own mirror) to use
it. Without it, or when the service is slow, down or does not know the postcode, callers fall back
to the offline district centres: a resident is never left waiting on a third party.
"""
from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from typing import Optional

from core.settings import settings

log = logging.getLogger(__name__)
TIMEOUT_SECONDS = 2.0


def lookup_postcode(postcode: str) -> Optional[tuple[float, float]]:
    """(latitude, longitude) of a normalised postcode, or None (not configured, unknown or unreachable)."""
    base = settings().postcodes_url
    if not base:
        return None
    key = (base, postcode)
    if key not in _answers:
        answer = _lookup(base, postcode)
        if answer is _UNREACHABLE:
            return None  # not remembered: the service may be back next time
        if len(_answers) >= _CACHE_SIZE:
            _answers.clear()
        _answers[key] = answer
    return _answers[key]


_UNREACHABLE = (float("nan"), float("nan"))
_CACHE_SIZE = 4096
_answers: dict[tuple[str, str], Optional[tuple[float, float]]] = {}


def _lookup(base: str, postcode: str) -> Optional[tuple[float, float]]:
    url = f"{base}/postcodes/{urllib.parse.quote(postcode)}"
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            body = json.load(response)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None  # the service does not know it: a fact worth remembering
        log.warning("postcode lookup failed (HTTP %s), using district centres", exc.code)
        return _UNREACHABLE
    except (urllib.error.URLError, OSError, ValueError) as exc:
        # The postcode itself is personal data: log only that the lookup failed.
        log.warning("postcode lookup unavailable, using district centres: %s", type(exc).__name__)
        return _UNREACHABLE
    result = body.get("result") if isinstance(body, dict) else None
    if not result or result.get("latitude") is None or result.get("longitude") is None:
        return None
    return float(result["latitude"]), float(result["longitude"])
