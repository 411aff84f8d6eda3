"""Open Referral UK import and export: an exact round trip, bad records reported by id, field and reason,
all-or-nothing loads, skipping bad records on request, and feeds that do not use our taxonomies."""
import copy
import json

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from knowledge.directory import DirectoryError
from knowledge.loading import import_openreferral, load_all_packs
from knowledge.models import DERIVED_TABLES, DIRECTORY_TABLES, Service
from knowledge.openreferral.export import export_directory
from knowledge.search import search


def snapshot(engine):
    """Every row of every table, in a stable order (ids of derived rows left out)."""
    tables = {}
    with engine.connect() as conn:
        for table in DIRECTORY_TABLES + DERIVED_TABLES:
            columns = [c for c in table.columns if c.name != "id" or table.name not in ("search_point",)]
            rows = conn.execute(select(*columns)).all()
            tables[table.name] = sorted((tuple(map(repr, r)) for r in rows))
    return tables


def export(engine, area=None):
    with Session(engine) as session:
        return export_directory(session, area)


@pytest.fixture
def exported(packs_engine, tmp_path):
    path = tmp_path / "directory.json"
    path.write_text(json.dumps(export(packs_engine)), encoding="utf-8")
    return path


def test_export_then_import_reproduces_the_database_exactly(packs_engine, second_empty_engine, exported):
    import_openreferral(second_empty_engine, exported)
    assert snapshot(second_empty_engine) == snapshot(packs_engine)
    # And again: importing the same file twice changes nothing.
    import_openreferral(second_empty_engine, exported)
    assert snapshot(second_empty_engine) == snapshot(packs_engine)


def test_the_export_is_in_open_referral_shape(exported):
    document = json.loads(exported.read_text())
    assert document["total_items"] == len(document["contents"]) > 200
    service = next(s for s in document["contents"] if s["schedules"])
    for key in ("id", "name", "description", "organization", "service_at_locations", "schedules", "cost_options",
                "contacts", "attributes", "minimum_age", "maximum_age", "eligibility_description"):
        assert key in service
    schedule = service["schedules"][0]
    assert schedule["freq"] == "WEEKLY" and schedule["byday"] in ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
    assert schedule["timezone"] == "Europe/London"
    location = service["service_at_locations"][0]["location"]
    assert location["addresses"][0]["postal_code"] and location["latitude"]
    taxonomies = {a["taxonomy_term"]["taxonomy"] for a in service["attributes"]}
    assert {"signpost-needs", "signpost-area"} <= taxonomies


def _with_bad_records(exported, tmp_path):
    document = json.loads(exported.read_text())
    bad = document["contents"]
    bad[0]["minimum_age"] = "three"
    bad[1]["schedules"] = [{"id": "x", "freq": "WEEKLY", "byday": "MO", "opens_at": "14:00", "closes_at": "13:00"}]
    bad[2]["attributes"] = [a for a in bad[2]["attributes"] if a["taxonomy_term"]["taxonomy"] != "signpost-needs"]
    bad[2]["name"], bad[2]["description"] = "Zzz", "Qqq"
    placed = next(s for s in bad[3:] if s["service_at_locations"])
    placed["service_at_locations"][0]["location"]["addresses"][0]["postal_code"] = "NOT A POSTCODE"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path, [s["id"] for s in bad[:3]] + [placed["id"]]


def test_a_file_with_bad_records_loads_nothing_and_says_why(empty_engine, exported, tmp_path):
    path, bad_ids = _with_bad_records(exported, tmp_path)
    with pytest.raises(DirectoryError) as caught:
        import_openreferral(empty_engine, path)
    reported = {(p.record, p.field) for p in caught.value.problems}
    assert (bad_ids[0], "minimum_age") in reported
    assert (bad_ids[1], "schedule") in reported
    assert (bad_ids[2], "needs") in reported
    assert (bad_ids[3], "location.postal_code") in reported
    assert any("closes at 13:00, before it opens at 14:00" in p.reason for p in caught.value.problems)
    with empty_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Service)).scalar_one() == 0


def test_bad_records_can_be_skipped(empty_engine, exported, tmp_path):
    path, bad_ids = _with_bad_records(exported, tmp_path)
    report, skipped = import_openreferral(empty_engine, path, skip_bad=True)
    assert {p.record for p in skipped} >= set(bad_ids)
    with empty_engine.connect() as conn:
        ids = set(conn.execute(select(Service.id)).scalars())
    assert ids and not ids & set(bad_ids)
    assert report.services == len(ids)


def test_nothing_already_stored_is_lost_when_a_bad_file_is_refused(packs_engine, exported, tmp_path, empty_engine):
    import_openreferral(empty_engine, exported)
    before = snapshot(empty_engine)
    path, _ = _with_bad_records(exported, tmp_path)
    with pytest.raises(DirectoryError):
        import_openreferral(empty_engine, path)
    assert snapshot(empty_engine) == before


def test_a_feed_without_our_taxonomies_is_understood(empty_engine, tmp_path, now):
    load_all_packs(empty_engine)
    feed = [{
        "id": "ext-citizens-advice-bootle",
        "name": "Money and debt advice drop-in",
        "description": "Free, confidential help if you are struggling with debts or bailiffs.",
        "organization": {"id": "ext-cab", "name": "Citizens Advice Sefton"},
        "cost_options": [{"id": "c1", "option": "Free", "amount": 0}],
        "service_at_locations": [{"id": "sal1", "location": {
            "id": "ext-bootle-one-stop-shop", "name": "Bootle One Stop Shop", "latitude": 53.4466,
            "longitude": -2.9912, "addresses": [{"address_1": "Stanley Road", "city": "Bootle", "postal_code": "l203nj"}]}}],
        "schedules": [{"id": "s1", "location_id": "ext-bootle-one-stop-shop", "freq": "WEEKLY", "byday": "TU,TH",
                       "opens_at": "10:00", "closes_at": "12:00"}],
    }]
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(feed), encoding="utf-8")
    report, skipped = import_openreferral(empty_engine, path, area="sefton")
    assert report.services == 1 and skipped == []
    with Session(empty_engine) as session:
        result = search(session, need="debt_money", near="L20", when="tomorrow", now=now, limit=10)
        found = [r for r in result.results if r.id == "ext-citizens-advice-bootle"]
        assert found and found[0].venue.postcode == "L20 3NJ" and found[0].next_sessions == ["Tomorrow 10:00-12:00"]
        assert found[0].is_free


def test_a_file_that_is_not_json_is_refused_plainly(empty_engine, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{ not json", encoding="utf-8")
    with pytest.raises(DirectoryError) as caught:
        import_openreferral(empty_engine, path)
    assert caught.value.problems[0].field == "file"


def test_duplicate_ids_are_reported_not_crashed_on(empty_engine, exported, tmp_path):
    document = json.loads(exported.read_text())
    placed = next(s for s in document["contents"] if s["schedules"])
    placed["schedules"].append(copy.deepcopy(placed["schedules"][0]))
    path = tmp_path / "duplicates.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(DirectoryError) as caught:
        import_openreferral(empty_engine, path)
    assert (placed["id"], "schedule") in {(p.record, p.field) for p in caught.value.problems}


def test_an_id_clashing_with_another_services_record_loads_nothing(empty_engine, exported, tmp_path):
    import_openreferral(empty_engine, exported)
    before = snapshot(empty_engine)
    document = json.loads(exported.read_text())
    first, second = [s for s in document["contents"] if s["contacts"]][:2]
    clash = {**copy.deepcopy(second), "id": "new-service", "contacts": copy.deepcopy(first["contacts"])}
    for item in clash["contacts"]:
        item["service_id"] = "new-service"
    clash["service_at_locations"], clash["schedules"], clash["cost_options"] = [], [], []
    path = tmp_path / "clash.json"
    path.write_text(json.dumps([clash]), encoding="utf-8")
    with pytest.raises(DirectoryError) as caught:
        import_openreferral(empty_engine, path)
    assert "clashes with a record already stored" in str(caught.value)
    assert snapshot(empty_engine) == before
