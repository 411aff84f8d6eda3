"""Postcode handling: normalising, validating and finding postcodes in what residents write."""
import pytest

from knowledge.geography.postcodes import find_district, find_postcode, normalise_district, normalise_postcode


@pytest.mark.parametrize("written, expected", [
    ("l203nj", "L20 3NJ"),
    ("L20 3NJ", "L20 3NJ"),
    ("  pr8   1aa ", "PR8 1AA"),
    ("pl13bw", "PL1 3BW"),
    ("LE11 3EE", "LE11 3EE"),
    ("SW1A1AA", "SW1A 1AA"),
    ("ec1a 1bb", "EC1A 1BB"),
])
def test_valid_postcodes_are_normalised(written, expected):
    assert normalise_postcode(written) == expected


@pytest.mark.parametrize("written", [
    "", "L20", "L20 3N", "L203NJX", "Q1 1AA", "L20 3CI",  # Q never leads; C and I never in the inward letters
    "l2o 3nj", "12345", "bootle", "LL20 33NJ",
])
def test_invalid_postcodes_are_rejected(written):
    assert normalise_postcode(written) is None


def test_districts_are_recognised_on_their_own():
    assert normalise_district("l20") == "L20"
    assert normalise_district("pr9") == "PR9"
    assert normalise_district("L20 3NJ") is None


def test_a_postcode_is_found_inside_a_message():
    assert find_postcode("anything for toddlers near l20 3nj tomorrow?") == "L20 3NJ"
    assert find_postcode("I live at number 12") is None
    assert find_district("summat in l21 2moro") == "L21"
    assert find_district("my 2 year old") is None
