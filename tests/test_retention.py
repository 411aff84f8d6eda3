"""Personal data has a lifetime: the purge (bot/retention.py) erases conversations whose last message is older
than the retention period from every table and from Rasa's tracker store, keeps recent ones, and is safe to run
again; the command line and the server's daily task run it. Erasure on request (bot/forgetting.py) is checked
on SQLite and PostgreSQL, and on SQLite erased words are gone from the database file's bytes too."""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import pytest
from rasa.shared.core.domain import Domain
from sqlalchemy import event, text
from sqlalchemy.pool import Pool

from bot import forgetting, retention
from bot.cli import main
from bot.handoff.models import CallbackRequest, HandoffRequest
from bot.states import Author, CallbackStatus, HandoffStatus, MessageStatus, Priority, Reason
from bot.conversations import Message
from bot.tracker_store import CachedSQLTrackerStore
from core import database
from core.database import make_engine, session_factory, utcnow
from core.migrate import upgrade
from tests.support.residents import NOTHING, converse, held, tracked

PROJECT = Path(__file__).resolve().parent.parent
WORDS = "my landlord in Bootle is changing the locks on Friday"


def days_ago(days: float) -> dt.datetime:
    return utcnow() - dt.timedelta(days=days)


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT / "domain.yml"))


@pytest.fixture
def url(empty_engine, setting) -> str:
    """The test's database (SQLite or PostgreSQL), as Signpost's one database: Rasa's tracker store included."""
    found = empty_engine.url.render_as_string(hide_password=False)
    setting("SIGNPOST_DATABASE_URL", found)
    return found


@pytest.fixture
def sessions(url, empty_engine):
    return session_factory(empty_engine)


@pytest.fixture
def tracker_store(url, domain):
    """The server's tracker store (endpoints.yml) on the test's database."""
    store = CachedSQLTrackerStore(domain=domain)
    yield store
    store.engine.dispose()


@pytest.fixture
def history(sessions, tracker_store) -> None:
    """An old conversation, a recent one, an old one an advisor wrote in lately, and leftovers of old ones
    already gone from Signpost's tables: a handoff, a call-back and tracker events."""
    converse(sessions, tracker_store, "telegram:old", WORDS, days_ago(100))
    converse(sessions, tracker_store, "web:recent", "food bank in Southport", days_ago(10))
    converse(sessions, tracker_store, "web:advised", "debt advice", days_ago(120), handoff=False)
    with sessions() as session:
        session.add(Message(conversation_id="web:advised", author=Author.ADVISOR, text="I've rung them for you.",
                            status=MessageStatus.SENT, created_at=days_ago(2)))
        session.add(HandoffRequest(conversation_id="web:gone", channel="web", reason=Reason.CRISIS,
                                   priority=Priority.CRISIS, status=HandoffStatus.CLOSED, summary={},
                                   created_at=days_ago(200), closed_at=days_ago(199)))
        session.add(CallbackRequest(conversation_id="web:gone", status=CallbackStatus.DONE, contact="a@b.example",
                                    consent=True, created_at=days_ago(200), done_at=days_ago(199)))
        # Gone too, but an advisor closed it within the period: kept until that is old as well.
        session.add(HandoffRequest(conversation_id="web:closed-lately", channel="web", reason=Reason.ASKED,
                                   priority=Priority.NORMAL, status=HandoffStatus.CLOSED, summary={},
                                   created_at=days_ago(95), closed_at=days_ago(5)))
        session.commit()
    tracked(tracker_store, "rest:only-rasa-knows", "bus pass", days_ago(300))
    tracked(tracker_store, "rest:rasa-lately", "bus pass", days_ago(1))


def kept(sessions, cid: str) -> dict[str, int]:
    return {kind: count for kind, count in held(sessions, cid).items() if count}


def test_the_purge_erases_old_conversations_everywhere_and_keeps_recent_ones(sessions, tracker_store, history):
    report = retention.purge(sessions, tracker_store)

    assert report.counts() == {"conversations": 1, "messages": 2, "handoffs": 2, "callbacks": 2,
                               "tracker_events": 12}
    assert held(sessions, "telegram:old") == NOTHING
    assert asyncio.run(tracker_store.retrieve("telegram:old")) is None
    assert held(sessions, "web:gone") == NOTHING
    assert held(sessions, "rest:only-rasa-knows") == NOTHING
    assert kept(sessions, "web:recent") == {"conversation": 1, "message": 2, "handoff_request": 1,
                                            "callback_request": 1, "events": 6}
    assert kept(sessions, "web:advised") == {"conversation": 1, "message": 3, "events": 6}
    assert kept(sessions, "web:closed-lately") == {"handoff_request": 1}
    assert kept(sessions, "rest:rasa-lately") == {"events": 6}
    assert WORDS not in str(report) and "telegram:old" not in str(report)


def test_running_it_again_changes_nothing(sessions, tracker_store, history):
    retention.purge(sessions, tracker_store)
    before = {cid: held(sessions, cid) for cid in ("web:recent", "web:advised", "rest:rasa-lately")}

    again = retention.purge(sessions, tracker_store)

    assert set(again.counts().values()) == {0}
    assert {cid: held(sessions, cid) for cid in before} == before


def test_the_period_is_the_setting_or_the_one_given(sessions, tracker_store, history, setting):
    setting("SIGNPOST_RETENTION_DAYS", "9")
    assert retention.purge(sessions, tracker_store, days=11).conversations == 1  # the old one only
    assert held(sessions, "web:recent")["conversation"] == 1
    assert retention.purge(sessions, tracker_store).conversations == 1  # 9 days: the recent one's turn
    assert held(sessions, "web:recent") == NOTHING


def test_a_conversation_written_in_during_the_period_is_not_erased(sessions, tracker_store, history):
    # The check runs again inside the erasing transaction: a conversation found idle, then written in, stays.
    cutoff = retention.cutoff_for()
    assert forgetting.erase(sessions, "web:recent", tracker_store, only_if=retention._taken_if_idle(cutoff)) is None
    assert forgetting.erase(sessions, "web:advised", tracker_store, only_if=retention._taken_if_idle(cutoff)) is None
    assert held(sessions, "web:recent")["message"] == 2 and held(sessions, "web:advised")["message"] == 3


def test_the_command_prints_the_counts_and_erases_tracker_events_without_rasa(url, sessions, history, capsys):
    assert main(["privacy", "purge", "--db", url]) == 0
    out = capsys.readouterr().out
    assert "more than 90 days ago" in out
    for line in ("conversations: 1", "messages: 2", "handoffs: 2", "call-backs: 2", "tracker events: 12"):
        assert line in out
    assert held(sessions, "telegram:old") == NOTHING and held(sessions, "rest:only-rasa-knows") == NOTHING

    assert main(["privacy", "purge", "--db", url, "--days", "5"]) == 0
    assert "conversations: 1" in capsys.readouterr().out  # the recent one (ten days old)
    assert held(sessions, "web:recent") == NOTHING
    assert kept(sessions, "web:advised")["message"] == 3  # an advisor wrote two days ago


def test_the_command_refuses_a_period_under_a_day(url, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["privacy", "purge", "--db", url, "--days", "0"])
    assert exited.value.code == 2 and "at least 1" in capsys.readouterr().err


def test_the_daily_task_purges_at_start_then_waits_a_day_once_per_process(sessions, tracker_store, history):
    app = SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(tracker_store=tracker_store)))
    waits = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        raise asyncio.CancelledError  # the end of the first day: as when the server stops

    with pytest.raises(asyncio.CancelledError):
        asyncio.run(retention.purge_daily(app, sessions, sleep=sleep))
    assert waits == [24 * 60 * 60]
    assert held(sessions, "telegram:old") == NOTHING

    converse(sessions, tracker_store, "telegram:older", WORDS, days_ago(150))
    asyncio.run(retention.purge_daily(app, sessions, sleep=sleep))  # another channel's start: nothing more
    assert waits == [24 * 60 * 60]
    assert held(sessions, "telegram:older")["message"] == 2


def test_a_failed_purge_is_logged_by_its_type_only(tmp_path, caplog):
    broken = session_factory(make_engine(f"sqlite:///{tmp_path / 'no-schema.sqlite3'}"))  # no tables at all
    app = SimpleNamespace(ctx=SimpleNamespace())
    with caplog.at_level(logging.INFO, logger="bot.retention"):
        assert asyncio.run(retention.purge_now(app, broken)) is None
    [record] = caplog.records
    assert record.levelno == logging.ERROR and record.getMessage().endswith("(OperationalError)")


def test_forgetting_erases_one_conversation_everywhere(sessions, tracker_store, history):
    assert forgetting.forget(sessions, "web:recent", tracker_store) == 2
    assert held(sessions, "web:recent") == NOTHING
    assert asyncio.run(tracker_store.retrieve("web:recent")) is None
    assert kept(sessions, "telegram:old")["message"] == 2  # only the one asked for


def file_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def closed(engines) -> None:
    """Every connection closed after a checkpoint: what the file holds is all there is."""
    with engines[0].connect() as connection:
        connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    for engine in engines:
        engine.dispose()


@pytest.fixture
def sqlite_keeping_deleted_bytes():
    """SQLite as many builds have it (Debian's overwrites deleted rows by default, which would hide whether
    Signpost asks for it): every new connection starts with ``secure_delete`` off, before Signpost's own setup."""
    def off(dbapi_connection, _record) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.execute("PRAGMA secure_delete=OFF")

    event.listen(Pool, "connect", off)  # class-wide listeners run before an engine's own
    yield
    event.remove(Pool, "connect", off)


@pytest.mark.parametrize("secure", [True, False], ids=["secure_delete", "without it"])
def test_on_sqlite_erased_words_are_gone_from_the_files_bytes(secure, tmp_path, setting, domain, monkeypatch,
                                                              sqlite_keeping_deleted_bytes):
    if not secure:  # the control: without the pragma the words stay, so the check below can see them
        monkeypatch.setattr(database, "_secure_delete", lambda dbapi_connection, record: None)
    path = tmp_path / "signpost.sqlite3"
    url = f"sqlite:///{path}"
    setting("SIGNPOST_DATABASE_URL", url)
    upgrade(url)
    engine = make_engine(url)
    tracker_store = CachedSQLTrackerStore(domain=domain)
    words = "zebra crossing 7731 my landlord is changing the locks"
    converse(session_factory(engine), tracker_store, "telegram:42", words, days_ago(1))
    converse(session_factory(engine), tracker_store, "telegram:43", "food bank", days_ago(1))
    closed([engine, tracker_store.engine])
    assert words.encode() in file_bytes(path)

    forgetting.forget(session_factory(engine), "telegram:42", tracker_store)
    closed([engine, tracker_store.engine])

    stored = file_bytes(path)
    assert held(session_factory(engine), "telegram:42") == NOTHING
    assert (b"zebra crossing" in stored) is not secure
    assert b"food bank" in stored  # the other conversation is still there
