"""The schema comes from the migrations alone, on SQLite and PostgreSQL: from an empty database, and from the
schema of the last release before migrations with its rows kept; either way the tables then match the models
exactly, and running the migrations again changes nothing."""
from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from bot.handoff.models import HandoffRequest
from bot.states import HandoffStatus
from core import migrate
from bot.tables import metadata
from core.database import make_engine, session_factory
from tests.conftest import _new_database

RELEASE = Path(__file__).resolve().parent / "migrations"


def differences(url: str) -> list:
    """What the database's tables lack or have beyond the models (Alembic's own comparison)."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), metadata)
    finally:
        engine.dispose()


@pytest.fixture
def database(backend, tmp_path_factory):
    url, drop = _new_database(backend, tmp_path_factory)
    yield backend, url
    drop()


def test_an_empty_database_gets_every_table_as_the_models_have_it(database):
    _, url = database
    assert migrate.current(url) is None
    migrate.upgrade(url)
    assert migrate.current(url) == migrate.head()
    assert differences(url) == []
    migrate.upgrade(url)  # again: nothing to do
    assert differences(url) == []


def test_the_last_releases_database_is_brought_up_to_date_and_keeps_its_rows(database):
    backend, url = database
    engine = make_engine(url)
    with engine.begin() as connection:
        script = (RELEASE / f"release_before_migrations.{backend}.sql").read_text()
        for statement in script.split(";\n"):
            sql = "\n".join(line for line in statement.splitlines() if not line.startswith("--")).strip()
            if sql:
                connection.exec_driver_sql(sql)
        connection.execute(text(
            "INSERT INTO handoff_request (conversation_id, channel, area_id, reason, priority, status, summary, "
            "created_at) VALUES ('web:kept', 'web', 'sefton', 'crisis', 0, 'waiting', '{}', '2026-11-23 09:00:00')"))
    assert "alembic_version" not in inspect(engine).get_table_names()
    migrate.upgrade(url)
    assert migrate.current(url) == migrate.head()
    assert differences(url) == []
    with session_factory(engine)() as session:
        [kept] = session.query(HandoffRequest).all()
        assert (kept.conversation_id, kept.status) == ("web:kept", HandoffStatus.WAITING)
    engine.dispose()
