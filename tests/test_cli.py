"""The ``signpost kb`` command line, run as a person or a script would run it."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent


def signpost(*args: str, db: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "bot.cli", "kb", "--db", db, *args]
    return subprocess.run(command, cwd=PROJECT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "SIGNPOST_POSTCODES_URL": ""})


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    db = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'kb.sqlite3'}"
    done = signpost("load", db=db)
    assert done.returncode == 0, done.stderr
    return db, done


def test_load_reports_what_it_loaded(loaded):
    _, done = loaded
    for area in ("sefton", "plymouth", "leicestershire"):
        assert f"{area}.yaml:" in done.stdout
    assert "services" in done.stdout and "weekly sessions loaded" in done.stdout


def test_load_if_empty_leaves_a_full_database_alone(loaded):
    db, _ = loaded
    again = signpost("load", "--if-empty", db=db)
    assert again.returncode == 0 and "nothing loaded" in again.stdout


def test_search_reads_like_an_answer(loaded):
    db, _ = loaded
    done = signpost("search", "--need", "baby_toddler", "--near", "l20", "--age", "2", db=db)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "Here is what I found: baby and toddler activities near L20 for a 2-year-old."
    assert lines[2].startswith("1. ")
    assert "miles" in done.stdout and "Next:" in done.stdout


def test_search_as_json(loaded):
    db, _ = loaded
    done = signpost("search", "debt", "advice", "--near", "Southport", "--json", db=db)
    result = json.loads(done.stdout)
    assert result["results"] and result["place"]["name"] == "Southport"
    assert all("debt_money" in r["needs"] for r in result["results"])


def test_nothing_found_is_an_answer_not_an_error(loaded):
    db, _ = loaded
    done = signpost("search", "underwater", "basket", "weaving", "--near", "Formby", db=db)
    assert done.returncode == 0
    assert done.stdout.strip() == "I couldn't find any underwater basket weaving near Formby."


def test_stats(loaded):
    db, _ = loaded
    done = signpost("stats", "--json", db=db)
    stats = json.loads(done.stdout)
    assert set(stats["areas"]) == {"sefton", "plymouth", "leicestershire"}
    assert stats["services"] > 250 and stats["illustrative_locations"] == stats["locations"]
    human = signpost("stats", db=db)
    assert "Debt and money:" in human.stdout


def test_export_and_validate_the_export(loaded, tmp_path):
    db, _ = loaded
    out = tmp_path / "export.json"
    done = signpost("export", "-o", str(out), db=db)
    assert done.returncode == 0 and out.exists()
    checked = signpost("validate", str(out), db=db)
    assert checked.returncode == 0 and "OK" in checked.stdout


def test_validate_reports_record_field_and_reason(loaded, tmp_path):
    db, _ = loaded
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"id": "svc-1", "name": "Thing", "minimum_age": -4,
                                "attributes": [{"taxonomy_term": {"taxonomy": "signpost-needs", "code": "unicorns"}}]}]))
    done = signpost("validate", str(bad), "--area", "sefton", db=db)
    assert done.returncode == 1
    assert "svc-1 minimum_age: must be a whole number of years from 0 to 120, not -4" in done.stdout + done.stderr
    assert "svc-1 needs: unknown need 'unicorns'" in done.stdout + done.stderr


def test_a_bad_load_loads_nothing_and_exits_1(loaded, tmp_path):
    db, _ = loaded
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"contents": [{"id": "svc-2", "name": "", "attributes": []}]}))
    done = signpost("load", str(bad), "--area", "sefton", db=db)
    assert done.returncode == 1
    assert "Nothing was loaded" in done.stderr and "svc-2 name: is missing" in done.stderr


def test_usage_errors_are_clear(loaded, tmp_path):
    db, _ = loaded
    missing = signpost("load", str(tmp_path / "nope.json"), db=db)
    assert missing.returncode == 2 and "No such file" in missing.stderr
    age = signpost("search", "--need", "debt", "--age", "400", db=db)
    assert age.returncode == 2 and "--age" in age.stderr
    outside = signpost("search", "--need", "debt", "--near", "SW1A 1AA", db=db)
    assert outside.returncode == 0 and "outside the areas I cover" in outside.stdout


def test_a_database_indexed_the_old_way_is_reindexed_by_the_setup_load(loaded):
    from sqlalchemy import delete, func, select, update

    from core.database import make_engine
    from knowledge.models import DirectoryVersion, Service, ServiceVector

    db, _ = loaded
    engine = make_engine(db)
    with engine.begin() as conn:  # as a database from before service vectors would be
        conn.execute(delete(ServiceVector))
        conn.execute(update(DirectoryVersion).values(derived_format=0))
    done = signpost("load", "--if-empty", db=db)
    assert done.returncode == 0, done.stderr
    assert "Rebuilt the search index" in done.stdout
    with engine.connect() as conn:
        services = conn.execute(select(func.count()).select_from(Service)).scalar_one()
        assert conn.execute(select(func.count()).select_from(ServiceVector)).scalar_one() == services
    again = signpost("load", "--if-empty", db=db)
    assert "Rebuilt" not in again.stdout
    engine.dispose()
