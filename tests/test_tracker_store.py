"""The conversation store (bot.tracker_store): what it hands Rasa is always what Rasa's own SQL store
would read from the same database, even when another process writes or a conversation is erased."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import CachedSQLTrackerStore

PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT / "domain.yml"))


@pytest.fixture
def database(tmp_path: Path) -> str:
    return str(tmp_path / "conversations.sqlite3")


def run(coroutine):
    return asyncio.run(coroutine)


def store(domain: Domain, database: str, **settings) -> CachedSQLTrackerStore:
    return CachedSQLTrackerStore(domain=domain, dialect="sqlite", db=database, **settings)


def turn(tracker: DialogueStateTracker, text: str, need: str) -> None:
    tracker.update(UserUttered(text, {"name": "need_debt_money", "confidence": 0.99}))
    tracker.update(ActionExecuted("action_search_services"))
    tracker.update(BotUttered(f"Here's what I found for {need}."))
    tracker.update(SlotSet("need", need))
    tracker.update(ActionExecuted("action_listen"))


def as_stored(tracker: DialogueStateTracker) -> list[dict]:
    return [event.as_dict() for event in tracker.events]


def session_start() -> list[Event]:
    """The events Rasa's action_session_start adds."""
    return [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]


def started(domain: Domain, sender: str) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(sender, session_start(), domain.slots)


def test_it_reads_back_exactly_what_rasas_own_store_reads(domain: Domain, database: str) -> None:
    cached = store(domain, database)
    tracker = started(domain, "alice")
    turn(tracker, "debt advice in southport", "debt_money")
    run(cached.save(tracker))
    again = run(cached.retrieve("alice"))
    turn(again, "and in bootle", "debt_money")
    run(cached.save(again))

    from_memory = run(cached.retrieve("alice"))
    from_rasa = run(SQLTrackerStore(domain=domain, dialect="sqlite", db=database).retrieve("alice"))
    assert as_stored(from_memory) == as_stored(from_rasa)
    assert from_memory.get_slot("need") == "debt_money"
    assert len([e for e in from_memory.events if isinstance(e, UserUttered)]) == 2


def test_a_write_by_another_process_is_seen(domain: Domain, database: str) -> None:
    ours, theirs = store(domain, database), store(domain, database)
    tracker = started(domain, "bob")
    turn(tracker, "food bank", "food")
    run(ours.save(tracker))
    run(ours.retrieve("bob"))  # now in our memory

    elsewhere = run(theirs.retrieve("bob"))
    turn(elsewhere, "youth club", "young_people")
    run(theirs.save(elsewhere))

    seen = run(ours.retrieve("bob"))
    assert seen.get_slot("need") == "young_people"
    assert as_stored(seen) == as_stored(run(theirs.retrieve("bob")))


def test_erasing_removes_the_conversation_from_the_database_and_memory(domain: Domain, database: str) -> None:
    cached = store(domain, database)
    tracker = started(domain, "carol")
    turn(tracker, "my landlord wants me out", "housing")
    run(cached.save(tracker))
    run(cached.retrieve("carol"))

    cached.erase("carol")
    assert run(cached.retrieve("carol")) is None
    assert run(SQLTrackerStore(domain=domain, dialect="sqlite", db=database).retrieve("carol")) is None
    assert "carol" not in cached._sessions


def test_an_erasure_made_directly_in_the_database_is_not_served_from_memory(domain: Domain, database: str) -> None:
    cached = store(domain, database)
    tracker = started(domain, "dan")
    turn(tracker, "debt", "debt_money")
    run(cached.save(tracker))
    rasa = SQLTrackerStore(domain=domain, dialect="sqlite", db=database)
    with rasa.session_scope() as session:
        session.query(rasa.SQLEvent).filter(rasa.SQLEvent.sender_id == "dan").delete()
        session.commit()
    assert run(cached.retrieve("dan")) is None


def test_a_new_session_starts_afresh_as_it_does_in_rasa(domain: Domain, database: str) -> None:
    cached = store(domain, database)
    tracker = started(domain, "erin")
    turn(tracker, "debt", "debt_money")
    run(cached.save(tracker))
    tracker = run(cached.retrieve("erin"))
    for event in session_start():
        tracker.update(event)
    run(cached.save(tracker))

    from_memory = run(cached.retrieve("erin"))
    from_rasa = run(SQLTrackerStore(domain=domain, dialect="sqlite", db=database).retrieve("erin"))
    assert as_stored(from_memory) == as_stored(from_rasa)
    assert from_memory.get_slot("need") is None


def test_memory_holds_at_most_cache_size_conversations(domain: Domain, database: str) -> None:
    cached = store(domain, database, cache_size=2)
    for sender in ("f1", "f2", "f3"):
        tracker = started(domain, sender)
        turn(tracker, "debt", "debt_money")
        run(cached.save(tracker))
    assert list(cached._sessions) == ["f2", "f3"]
    assert run(cached.retrieve("f1")).get_slot("need") == "debt_money"  # read from the database
