"""The plain-English check every text the assistant sends must pass: Flesch reading ease of at least 60
(GOV.UK aims for plain English a 9-year-old reads easily), line by line as a phone shows it.

Links, email addresses, phone numbers, postcodes, times and dates are not prose: they are taken out before
scoring, and each line of a card counts as a sentence of its own."""
from __future__ import annotations

import re

import textstat

READING_EASE = 60.0
_NOT_PROSE = re.compile(r"https?://\S+|\S+@\S+|\b\d[\d ]{5,}\d\b|\b\d{1,2}(:\d{2})?\s?(am|pm)\b|"
                        r"\b\d{1,2}:\d{2}(-\d{1,2}:\d{2})?\b|\b[A-Z]{1,2}\d{1,2}[A-Z]?\s?\d[A-Z]{2}\b|"
                        r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)?\s?\d{1,2} (january|february|"
                        r"march|april|may|june|july|august|september|october|november|december)\b", re.IGNORECASE)


def prose(text: str) -> str:
    """The text as sentences: one per line, without links, numbers and postcodes."""
    sentences = []
    for line in text.splitlines():
        line = _NOT_PROSE.sub("", line).strip(" -:|,*")
        if not re.search(r"[A-Za-z]", line):
            continue
        sentences.append(line if line[-1] in ".?!" else line + ".")
    return " ".join(sentences)


def reading_ease(text: str) -> float:
    return float(textstat.flesch_reading_ease(prose(text))) if prose(text) else 100.0


def assert_plain(text: str) -> None:
    score = reading_ease(text)
    assert score >= READING_EASE, f"reading ease {score:.0f} < {READING_EASE:.0f}: {text!r}"
