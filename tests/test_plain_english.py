"""Every text the assistant can send reads as plain English: the domain's responses and the national
lines here; what the actions say is checked on every reply of the REST conversation tests
(``tests.support.assistant.Assistant.say``)."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from knowledge.national import _lines
from tests.support.plain_english import assert_plain, reading_ease

DOMAIN = yaml.safe_load((Path(__file__).resolve().parent.parent / "domain.yml").read_text(encoding="utf-8"))
RESPONSES = [(name, variant["text"]) for name, variants in DOMAIN["responses"].items() for variant in variants
             if variant.get("text")]


@pytest.mark.parametrize("name,text", RESPONSES, ids=[name for name, _ in RESPONSES])
def test_every_response_reads_plainly(name: str, text: str) -> None:
    assert_plain(text)


def test_every_national_line_reads_plainly() -> None:
    for need, lines in _lines().items():
        for line in lines:
            assert_plain(line.sentence())


def test_the_check_tells_plain_from_officialese() -> None:
    assert reading_ease("Here is what I found near Bootle on Saturday for a 2-year-old.") >= 60
    assert reading_ease("Eligibility determination necessitates comprehensive documentation of household "
                        "circumstances, notwithstanding exceptional administrative considerations.") < 30
