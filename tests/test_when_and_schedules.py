"""Times residents name, and real session dates from weekly schedules across the clock changes."""
import datetime as dt

import pytest

from knowledge.schedules import WeeklySession, describe, occurrences
from knowledge.when import LONDON, parse_when

MONDAY_9AM = dt.datetime(2026, 11, 23, 9, 0, tzinfo=LONDON)


@pytest.mark.parametrize("said, first, last, daypart", [
    ("today", "2026-11-23", "2026-11-23", None),
    ("2moro", "2026-11-24", "2026-11-24", None),
    ("tomorrow morning", "2026-11-24", "2026-11-24", "morning"),
    ("on Saturday", "2026-11-28", "2026-11-28", None),
    ("sat afternoon", "2026-11-28", "2026-11-28", "afternoon"),
    ("this week", "2026-11-23", "2026-11-29", None),
    ("the weekend", "2026-11-28", "2026-11-29", None),
    ("next week", "2026-11-30", "2026-12-06", None),
    ("evenings", "2026-11-23", "2026-11-29", "evening"),
    ("after school", "2026-11-23", "2026-11-29", "after school"),
    ("tonight", "2026-11-23", "2026-11-23", "evening"),
    ("monday", "2026-11-23", "2026-11-23", None),
    ("next monday", "2026-11-30", "2026-11-30", None),
])
def test_when_phrases(said, first, last, daypart):
    window = parse_when(said, MONDAY_9AM)
    assert (window.first.isoformat(), window.last.isoformat(), window.daypart) == (first, last, daypart)


def test_after_school_means_school_days_only():
    window = parse_when("after school", MONDAY_9AM)
    assert all(d.weekday() < 5 for d in window.dates())
    assert window.overlaps(dt.time(15, 30), dt.time(17, 0))
    assert not window.overlaps(dt.time(10, 0), dt.time(11, 0))


def test_no_time_named():
    assert parse_when("debt advice in southport", MONDAY_9AM) is None


def _sunday_10am():
    return WeeklySession(weekday=6, opens_at=dt.time(10, 0), closes_at=dt.time(11, 30))


@pytest.mark.parametrize("now, before_utc_hour, after_utc_hour", [
    # 25 October 2026: BST ends, clocks go back; 28 March 2027: BST starts, clocks go forward.
    (dt.datetime(2026, 10, 13, 9, 0, tzinfo=LONDON), 9, 10),
    (dt.datetime(2027, 3, 16, 9, 0, tzinfo=LONDON), 10, 9),
])
def test_sessions_keep_their_local_time_across_the_clock_change(now, before_utc_hour, after_utc_hour):
    window = type(parse_when("today", now))(now.date(), now.date() + dt.timedelta(days=13), "two weeks")
    found = occurrences([_sunday_10am()], window, now, limit=5)
    assert [o.starts.strftime("%H:%M") for o in found] == ["10:00", "10:00"]
    utc_hours = [o.starts.astimezone(dt.timezone.utc).hour for o in found]
    assert utc_hours == [before_utc_hour, after_utc_hour]
    assert [(o.ends - o.starts) for o in found] == [dt.timedelta(minutes=90)] * 2


def test_a_session_on_the_morning_of_the_change_is_at_its_wall_clock_time():
    now = dt.datetime(2026, 10, 25, 0, 30, tzinfo=LONDON)
    found = occurrences([_sunday_10am()], parse_when("today", now), now)
    assert found[0].starts.isoformat() == "2026-10-25T10:00:00+00:00"  # GMT again from 02:00 BST


def test_term_time_sessions_skip_school_holidays():
    now = dt.datetime(2026, 10, 19, 8, 0, tzinfo=LONDON)
    monday = WeeklySession(weekday=0, opens_at=dt.time(10), closes_at=dt.time(11), term_time_only=True)
    holidays = [(dt.date(2026, 10, 26), dt.date(2026, 10, 30))]
    window = type(parse_when("today", now))(now.date(), now.date() + dt.timedelta(days=21), "three weeks")
    found = occurrences([monday], window, now, holidays)
    assert [o.starts.date().isoformat() for o in found] == ["2026-10-19", "2026-11-02", "2026-11-09"]


def test_finished_sessions_are_not_next_and_dates_read_plainly():
    now = dt.datetime(2026, 11, 23, 11, 30, tzinfo=LONDON)
    monday = WeeklySession(weekday=0, opens_at=dt.time(10), closes_at=dt.time(11))
    found = occurrences([monday], parse_when("this week", now), now)
    assert found == []
    found = occurrences([monday], parse_when("next week", now), now)
    assert describe(found[0], now) == "Monday 30 November 10:00-11:00"


def test_validity_dates_bound_a_schedule():
    now = MONDAY_9AM
    tuesday = WeeklySession(weekday=1, opens_at=dt.time(10), closes_at=dt.time(11),
                            valid_from=dt.date(2026, 12, 1), valid_to=dt.date(2026, 12, 8))
    window = type(parse_when("today", now))(now.date(), now.date() + dt.timedelta(days=27), "four weeks")
    assert [o.starts.date().isoformat() for o in occurrences([tuesday], window, now, limit=9)] == [
        "2026-12-01", "2026-12-08"]
