"""Background jobs run once across servers: a lease is held by one server at a time, and taken over when its
holder's connection dies (Debian's PostgreSQL); on SQLite the one server always holds it."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from bot.leases import Lease
from core.database import make_engine
from tests.conftest import POSTGRES_URL


def test_on_sqlite_the_one_server_always_holds_every_lease(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'one.sqlite3'}")
    assert Lease(engine, "job").held() and Lease(engine, "job").held()
    engine.dispose()


@pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL not started (scripts/test.sh starts it)")
def test_one_server_holds_a_lease_and_another_takes_it_over_when_the_holder_dies():
    first, second, admin = make_engine(POSTGRES_URL), make_engine(POSTGRES_URL), make_engine(POSTGRES_URL)
    mine, theirs = Lease(first, "test-job"), Lease(second, "test-job")
    other_job = Lease(second, "another-job")
    try:
        assert mine.held() and mine.held()  # kept while held
        assert not theirs.held()
        assert other_job.held()  # a different job is free
        mine.release()  # the holder stops
        assert theirs.held() and not mine.held()
        # The holder dies without letting go: its session is killed, as a SIGKILL or a lost network would.
        with admin.connect() as connection:
            pid = theirs._connection.execute(text("SELECT pg_backend_pid()")).scalar()
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            connection.commit()
        assert not theirs.held()  # it notices the lease is gone
        assert mine.held()  # and another server takes the job over
    finally:
        for lease in (mine, theirs, other_job):
            lease.release()
        for engine in (first, second, admin):
            engine.dispose()
