"""Search through its API on the shipped packs: need, place, time, age, cost and free text, on SQLite and
PostgreSQL."""
import datetime as dt

import pytest

from knowledge.geography.distance import miles_between
from knowledge.search import search
from knowledge.when import LONDON


def test_whats_on_for_toddlers_near_l20_tomorrow(db, now):
    result = search(db, need="baby_toddler", near="L20", when="tomorrow", age=2, now=now)
    assert result.found and result.problem is None
    tomorrow = (now + dt.timedelta(days=1)).date()
    for item in result.results:
        assert item.venue is not None and item.distance_miles is not None
        assert item.sessions and all(o.starts.date() == tomorrow for o in item.sessions)
        assert item.next_sessions[0].startswith("Tomorrow ")
        assert item.minimum_age is None or item.minimum_age <= 2
        assert item.maximum_age is None or item.maximum_age >= 2
        assert "baby_toddler" in item.needs
        assert item.illustrative  # pack venues and times are examples, and say so
    distances = [r.distance_miles for r in result.results]
    assert distances == sorted(distances)
    assert result.searched == "baby and toddler activities near L20 tomorrow for a 2-year-old"


def test_debt_advice_in_southport(db, now):
    result = search(db, text="debt advice", near="Southport", now=now)
    assert result.found
    assert all("debt_money" in r.needs for r in result.results)
    assert any(r.phone or r.web for r in result.results)


@pytest.mark.parametrize("written, expected_need", [("debts", "debt_money"), ("evicted", "housing")])
def test_word_forms_find_the_need(db, now, written, expected_need):
    result = search(db, text=written, area="sefton", now=now)
    assert result.found
    assert all(expected_need in r.needs for r in result.results)


def test_lemmas_find_other_forms_of_a_word(db, now):
    """"swims" is not in any description; "swimming" is."""
    result = search(db, text="swims", near="Bootle", now=now)
    assert result.found
    assert all("swim" in (r.name + " " + (r.description or "")).lower() for r in result.results)


def test_an_area_wide_service_answers_where_there_is_no_venue_nearby(db, now):
    result = search(db, need="debt_money", near="PR9", when="saturday", now=now, limit=10)
    area_wide = [r for r in result.results if r.area_wide]
    assert area_wide, "a phone line for all of Sefton should come back"
    for item in area_wide:
        assert item.coverage.startswith("Covers all of Sefton")
        assert item.venue is None and item.distance_miles is None
    # Venues with sessions on that day come before the phone lines.
    kinds = [r.area_wide for r in result.results]
    assert kinds == sorted(kinds)


def test_nothing_found_says_what_was_searched_and_pads_with_nothing(db, now):
    result = search(db, need="baby_toddler", near="Formby", when="sunday", age=1, now=now)
    assert result.results == []
    assert result.message() == "I couldn't find any baby and toddler activities near Formby on Sunday for a 1-year-old."
    nothing = search(db, text="trampolining for ferrets", area="plymouth", now=now)
    assert nothing.results == [] and "trampolining for ferrets" in nothing.message()


def test_free_only_and_age_filter(db, now):
    charged = search(db, need="baby_toddler", near="Bootle", age=0, now=now, limit=50)
    assert any(not r.is_free for r in charged.results)
    free = search(db, need="baby_toddler", near="Bootle", age=0, free_only=True, now=now, limit=50)
    assert free.found and all(r.is_free for r in free.results)
    teenagers = search(db, need="young_people", near="Bootle", age=15, now=now, limit=50)
    assert teenagers.found
    assert all((r.minimum_age or 0) <= 15 <= (r.maximum_age or 200) for r in teenagers.results)


def test_after_school_sessions_are_after_school(db, now):
    result = search(db, need="young_people", near="Plymouth", when="after school", now=now, limit=10)
    assert result.found
    for item in result.results:
        for session in item.sessions:
            assert session.starts.weekday() < 5 and session.ends.time() > dt.time(15, 0)


def test_more_pages_without_repeats(db, now):
    first = search(db, need="physical_activity", near="Bootle", now=now)
    assert first.more
    second = search(db, need="physical_activity", near="Bootle", now=now, offset=3)
    assert second.found
    assert not {r.id for r in first.results} & {r.id for r in second.results}


def test_a_location_pin_finds_the_nearest(db, now):
    # A pin by Southport's Lord Street.
    result = search(db, need="libraries", near=(53.6457, -3.0075), now=now)
    assert result.found and result.place.area_id == "sefton"
    assert result.results[0].distance_miles < 2
    venue = result.results[0].venue
    assert miles_between(53.6457, -3.0075, venue.latitude, venue.longitude) == pytest.approx(
        result.results[0].distance_miles, abs=0.06)


def test_a_place_picks_the_area(db, now):
    for place, area in (("PL4 8AA", "plymouth"), ("Loughborough", "leicestershire"), ("l203nj", "sefton")):
        result = search(db, need="parenting", near=place, now=now)
        assert result.found, place
        assert {r.area_id for r in result.results} == {area}


def test_places_outside_or_unknown_are_said_plainly(db, now):
    outside = search(db, need="debt_money", near="SW1A 1AA", now=now)
    assert outside.results == [] and outside.problem == "SW1A 1AA is outside the areas I cover."
    unknown = search(db, need="debt_money", near="Atlantis", now=now)
    assert unknown.results == [] and "Atlantis" in unknown.problem


def test_resident_words_for_a_need(db, now):
    assert search(db, need="skint", near="Bootle", now=now).need == "debt_money"
    assert search(db, text="bailiffs", near="Bootle", now=now).found


def test_sessions_are_in_london_time_after_the_clock_change(db):
    before = dt.datetime(2026, 10, 19, 8, 0, tzinfo=LONDON)  # the week before BST ends
    result = search(db, need="baby_toddler", near="Bootle", when="next week", now=before, limit=10)
    assert result.found
    for item in result.results:
        for session in item.sessions:
            assert session.starts.utcoffset() == dt.timedelta(0)  # GMT from 25 October
            assert session.starts.tzinfo is not None
