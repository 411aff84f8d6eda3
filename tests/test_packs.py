"""The shipped data packs: complete, well-formed, honest about what is illustrative, and every need the
documents offer in an area reachable through search."""
import datetime as dt

import pytest
from sqlalchemy import func, select

from knowledge.models import Area, Location, Schedule, Service, ServiceAtLocation
from knowledge.packs import pack_files, read_pack
from knowledge.search import search
from knowledge.vocabulary import need_ids

#: Needs the source documents offer in each area (a need a document never mentions is left out).
NEEDS_OFFERED = {
    "sefton": need_ids(),
    "plymouth": need_ids() - {"digital_inclusion"},
    "leicestershire": need_ids() - {"sexual_health"},
}
YOUTH_NEEDS = {"young_people"}


def test_every_area_has_a_pack_and_each_pack_is_valid():
    assert {p.stem for p in pack_files()} == set(NEEDS_OFFERED)
    for path in pack_files():
        rows = read_pack(path)
        assert rows.service, path


@pytest.mark.parametrize("area_id, at_least", [("sefton", 100), ("plymouth", 50), ("leicestershire", 40)])
def test_each_area_holds_the_services_its_documents_name(db, area_id, at_least):
    count = db.execute(select(func.count()).select_from(Service).where(Service.area_id == area_id)).scalar_one()
    assert count >= at_least


@pytest.mark.parametrize("area_id, team", [
    ("sefton", "Community First"), ("leicestershire", "First Contact Plus"), ("plymouth", "Family Hubs")])
def test_areas_have_their_front_door_and_advisor_team(db, area_id, team):
    area = db.get(Area, area_id)
    assert area.advisor_team == team
    assert area.phone and area.web
    assert area.opening_hours and all(h["opens"] < h["closes"] for h in area.opening_hours)
    assert len(area.localities) >= 3


@pytest.mark.parametrize("area_id", sorted(NEEDS_OFFERED))
def test_every_need_offered_reaches_a_service_in_the_area(db, area_id, now):
    missing = [need for need in sorted(NEEDS_OFFERED[area_id])
               if not search(db, need=need, area=area_id, now=now).found]
    assert missing == []


def test_charged_sessions_are_marked_as_charged(db):
    """The Sefton offer marks Baby Yoga, Baby Massage and Messy Play with ££."""
    for name in ("Baby Yoga", "Baby Massage", "Messy Play"):
        service = db.execute(select(Service).where(Service.area_id == "sefton", Service.name.ilike(f"%{name}%"))).scalars().first()
        assert service is not None, name
        assert service.is_free is False, name
    free = db.execute(select(Service).where(Service.area_id == "sefton", Service.name.ilike("%stay and play%"))).scalars().first()
    assert free.is_free is True


def test_living_well_sefton_has_its_phone_line(db):
    service = db.execute(select(Service).where(Service.name.ilike("%living well sefton%"))).scalars().first()
    assert service is not None
    assert any(c.phone for c in service.contacts) or service.organisation.phone


def test_every_venue_and_session_a_pack_invented_is_marked_illustrative(db):
    assert db.execute(select(func.count()).select_from(Location).where(Location.illustrative.is_(False))).scalar_one() == 0
    assert db.execute(select(func.count()).select_from(Schedule).where(Schedule.illustrative.is_(False))).scalar_one() == 0


def test_sessions_are_plausible(db):
    rows = db.execute(select(Schedule, Service).join(Service, Service.id == Schedule.service_id)).all()
    assert len(rows) > 200
    for schedule, service in rows:
        assert dt.time(8, 0) <= schedule.opens_at < schedule.closes_at <= dt.time(21, 0), schedule.id
        if schedule.weekday == 6:
            pytest.fail(f"{schedule.id} meets on a Sunday")
        if schedule.weekday == 5:
            assert schedule.opens_at <= dt.time(13, 0), schedule.id  # Saturday mornings only
        # Sessions for school-age young people only (not, say, a training course for 16-24 year olds).
        school_age_only = (service.minimum_age is not None and service.minimum_age >= 11
                           and service.maximum_age is not None and service.maximum_age <= 18)
        if school_age_only and schedule.weekday < 5:
            assert schedule.opens_at >= dt.time(15, 0), f"{schedule.id}: youth sessions are after school"


def test_every_venue_based_service_has_a_venue(db):
    without = db.execute(
        select(Service.id).where(Service.area_wide.is_(False))
        .where(~Service.id.in_(select(ServiceAtLocation.service_id)))).scalars().all()
    assert without == []


def test_descriptions_are_plain_english(db):
    jargon = ("ASPIRE", "STP", "EHAT", "CAF ")
    for name, description in db.execute(select(Service.name, Service.description)):
        for word in jargon:
            assert word not in (description or ""), f"{name}: {word}"
        assert description and len(description) >= 20, name
