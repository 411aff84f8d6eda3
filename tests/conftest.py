"""Fixtures shared by the suites: real databases (SQLite, and PostgreSQL when the test script started
one), loaded with the shipped data packs, and a fixed "now" so tests about times are deterministic."""
from __future__ import annotations

import datetime as dt
import os
import sys
import uuid
from pathlib import Path
from typing import Iterator, Optional

import pytest

# The knowledge base never needs TensorFlow; keep its slow import out of the test process (Rasa's own
# tests run in their own processes).
sys.modules.setdefault("tensorflow", None)  # type: ignore[arg-type]

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from core.database import make_engine, session_factory  # noqa: E402
from core.migrate import upgrade  # noqa: E402
from knowledge.loading import load_all_packs  # noqa: E402
from knowledge.when import LONDON  # noqa: E402

PROJECT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("SIGNPOST_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not POSTGRES_URL, reason="PostgreSQL not started (scripts/test.sh starts it)"))]

#: A Monday morning, so "tomorrow" is a Tuesday and "Saturday" is five days away.
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=LONDON)


def _new_database(backend: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, callable]:
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("db") / "signpost.sqlite3"
        return f"sqlite:///{path}", lambda: None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()

    return url, drop


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each database the suite runs on: every fixture below follows it, so tests never mix the two."""
    return request.param


def _empty_engine(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    url, drop = _new_database(backend, tmp_path_factory)
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()
    drop()


@pytest.fixture
def empty_engine(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A fresh, empty database with the schema in place (made by the migrations)."""
    yield from _empty_engine(backend, tmp_path_factory)


@pytest.fixture
def second_empty_engine(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """Another empty database (for round trips)."""
    yield from _empty_engine(backend, tmp_path_factory)


@pytest.fixture(scope="session")
def packs_engine(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A database holding every shipped data pack, shared by read-only tests."""
    url, drop = _new_database(backend, tmp_path_factory)
    upgrade(url)
    engine = make_engine(url)
    load_all_packs(engine)
    yield engine
    engine.dispose()
    drop()


@pytest.fixture
def db(packs_engine: Engine):
    """A session on the loaded packs."""
    with session_factory(packs_engine)() as session:
        yield session


@pytest.fixture
def now() -> dt.datetime:
    return NOW


@pytest.fixture(scope="module")
def telegram():
    """A fake Telegram Bot API on 127.0.0.1 for one test module (see tests/support/fake_telegram.py)."""
    from tests.support.fake_telegram import TOKEN, FakeTelegram

    fake = FakeTelegram(TOKEN).start()
    yield fake
    fake.stop()


@pytest.fixture
def setting():
    """Change a setting for one test, as the environment would at start-up: ``setting("SIGNPOST_NOW", ...)``.
    Settings are read once (core.settings), so they are read again here and after the test."""
    from core import settings as configuration

    before: dict[str, Optional[str]] = {}

    def change(name: str, value: str) -> None:
        before.setdefault(name, os.environ.get(name))
        os.environ[name] = value
        configuration.reload()

    yield change
    for name, value in before.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    configuration.reload()
