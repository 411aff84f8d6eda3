"""The advisor console's rules, against real databases (SQLite, and PostgreSQL when the test script
started one) with no server: claiming races, the queue's order, lockout, sessions, presence, a chat
whose advisor disappears, and the call-back flow the Inbox carries."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import conversations as store
from bot.console import accounts
from bot.console.throttle import LoginThrottle
from bot.handoff import callbacks, presence, queue
from bot.handoff.models import Advisor, CallbackRequest, HandoffRequest
from bot.handoff.requests import request_handoff
from bot.states import Author, HandoffStatus
from core.database import make_engine, session_factory, utcnow
from core.migrate import upgrade

PROJECT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"


@pytest.fixture
def sessions(empty_engine):
    return session_factory(empty_engine)


def advisor(sessions, name: str) -> Advisor:
    with sessions() as session:
        made = accounts.add_advisor(session, name, PASSWORD)
        session.refresh(made)
        session.expunge(made)
        return made


def waiting_handoff(sessions, cid: str, reason: str = "asked", channel: str = "web") -> int:
    with sessions() as session:
        store.touch(session, channel, cid.partition(":")[2])
        session.commit()
        return request_handoff(session, cid, reason, {"need": "debt_money", "place": "Bootle"}, "sefton", channel).id


def test_two_advisors_pressing_claim_at_the_same_instant_a_hundred_times_exactly_one_wins(sessions):
    ana, ben = advisor(sessions, "Ana"), advisor(sessions, "Ben")
    ids = [waiting_handoff(sessions, f"web:race-{n}") for n in range(100)]
    winners: dict[int, list[str]] = {i: [] for i in ids}
    errors: list[BaseException] = []

    for handoff_id in ids:
        barrier = threading.Barrier(2)

        def press(who: Advisor) -> None:
            try:
                with sessions() as session:
                    barrier.wait()
                    if queue.claim(session, handoff_id, who) is not None:
                        winners[handoff_id].append(who.name)
            except BaseException as exc:  # noqa: BLE001 (reported below)
                errors.append(exc)

        threads = [threading.Thread(target=press, args=(who,)) for who in (ana, ben)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert all(len(names) == 1 for names in winners.values()), {i: n for i, n in winners.items() if len(n) != 1}
    assert {"Ana", "Ben"} >= {names[0] for names in winners.values()}
    with sessions() as session:
        rows = session.execute(select(HandoffRequest)).scalars().all()
        assert {r.status for r in rows} == {"live"}
        by_name = {"Ana": ana.id, "Ben": ben.id}
        assert all(r.advisor_id == by_name[winners[r.id][0]] for r in rows)
        modes = {c.mode for c in session.execute(select(store.Conversation)).scalars()}
        assert modes == {"advisor"}
        told = session.execute(select(store.Message).where(store.Message.author == Author.ADVISOR)).scalars().all()
        assert len(told) == 100  # the resident is told once, by the winner


def test_a_crisis_jumps_the_queue_then_longest_waiting_first(sessions):
    first = waiting_handoff(sessions, "web:first")
    second = waiting_handoff(sessions, "web:second", reason="nothing_found")
    crisis = waiting_handoff(sessions, "web:crisis", reason="crisis")
    with sessions() as session:
        order = [r.id for r in queue.queue(session)]
        assert order == [crisis, first, second]
        summary = queue.summary(session.get(HandoffRequest, crisis))
        assert summary["crisis"] and summary["why"].startswith("Crisis")
        assert summary["need"] == "debt money" and summary["place"] == "Bootle"


def test_wrong_passwords_never_lock_an_account(sessions):
    advisor(sessions, "Cara")
    with sessions() as session:
        for attempt in range(20):
            assert not accounts.log_in(session, "Cara", "wrong password").ok
        right = accounts.log_in(session, "Cara", PASSWORD)
        assert right.ok and right.token and right.csrf
        assert not accounts.log_in(session, "Nobody", PASSWORD).ok


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_guessing_slows_the_guesser_down_and_never_the_advisor_at_their_desk():
    clock = Clock()
    throttle = LoginThrottle(clock)
    for attempt in range(4):
        assert throttle.wait("203.0.113.9", "Cara") is None
        throttle.failed("203.0.113.9", "Cara")
    throttle.failed("203.0.113.9", "Cara")  # the fifth: now it waits, doubling each time
    assert throttle.wait("203.0.113.9", "Cara") == 1.0
    assert throttle.wait("203.0.113.9", "Nobody") == 1.0  # any name from there: nothing tells which exist
    assert throttle.wait("198.51.100.7", "Cara") is None  # Cara at her own desk
    clock.now += 1.0
    throttle.failed("203.0.113.9", "Cara")
    assert throttle.wait("203.0.113.9", "Cara") == 2.0
    for attempt in range(20):
        clock.now += 400
        throttle.failed("203.0.113.9", "Cara")
    assert throttle.wait("203.0.113.9", "Cara") == 300.0  # at most five minutes for the guesser
    assert throttle.wait("198.51.100.7", "Cara") == 30.0  # and half a minute for a name guessed that often
    throttle.succeeded("198.51.100.7", "Cara")
    assert throttle.wait("198.51.100.7", "Cara") is None


def test_unknown_and_known_names_are_counted_alike():
    clock = Clock()
    known, unknown = LoginThrottle(clock), LoginThrottle(clock)
    for attempt in range(12):
        known.failed(f"192.0.2.{attempt}", "Cara")
        unknown.failed(f"192.0.2.{attempt}", "Nobody")
    assert known.wait("198.51.100.7", "Cara") == unknown.wait("198.51.100.7", "Nobody") == 4.0


def test_sessions_are_stored_hashed_with_a_csrf_token_and_end_at_logout(sessions):
    advisor(sessions, "Dev")
    with sessions() as session:
        login = accounts.log_in(session, "Dev", PASSWORD)
        found = accounts.find_session(session, login.token)
        assert found is not None and found[0].name == "Dev"
        _, stored = found
        assert stored.token_hash != login.token and login.token not in stored.token_hash
        assert accounts.csrf_ok(stored, login.csrf) and not accounts.csrf_ok(stored, "forged") \
            and not accounts.csrf_ok(stored, None)
        stored_hash = session.get(Advisor, found[0].id).password_hash
        assert stored_hash.startswith("$argon2") and PASSWORD not in stored_hash
        accounts.log_out(session, login.token)
        assert accounts.find_session(session, login.token) is None


def test_presence_online_until_heartbeats_stop(sessions):
    eve = advisor(sessions, "Eve")
    with sessions() as session:
        assert presence.available(session) == 0
        presence.heartbeat(session, eve.id, "online")
        assert presence.available(session) == 1
        presence.heartbeat(session, eve.id, "away")
        assert presence.available(session) == 0
        presence.heartbeat(session, eve.id, "online")
        later = utcnow() + presence.away_after() + dt.timedelta(seconds=1)
        assert presence.available(session, later) == 0
        assert presence.state(session.get(Advisor, eve.id), later) == "away"


def test_an_advisor_who_stops_sending_heartbeats_loses_the_chat_to_the_queue_with_a_note(sessions):
    fay = advisor(sessions, "Fay")
    handoff_id = waiting_handoff(sessions, "web:dropped")
    with sessions() as session:
        presence.heartbeat(session, fay.id, "online")
        assert queue.claim(session, handoff_id, fay) is not None
        started = utcnow() - dt.timedelta(hours=1)
        assert queue.requeue_abandoned(session, started) == []  # heartbeats are fresh
        # A server that started a moment ago gives consoles time to reconnect before anything moves.
        stale = utcnow() + presence.away_after() + dt.timedelta(seconds=5)
        assert queue.requeue_abandoned(session, stale - dt.timedelta(seconds=1), now=stale) == []
        [told] = queue.requeue_abandoned(session, started, now=stale)
        assert told.conversation_id == "web:dropped" and "lost their connection" in told.text
        request = session.get(HandoffRequest, handoff_id)
        assert request.status == "waiting" and request.advisor_id is None and "Fay lost connection" in request.note
        assert session.get(store.Conversation, "web:dropped").mode == "bot"
        with pytest.raises(queue.NotYours):
            queue.say(session, handoff_id, fay, "still there?")


def test_hand_back_and_close_give_the_conversation_back_to_the_assistant(sessions):
    gus = advisor(sessions, "Gus")
    one, two = waiting_handoff(sessions, "web:one"), waiting_handoff(sessions, "web:two")
    with sessions() as session:
        queue.claim(session, one, gus)
        queue.claim(session, two, gus)
        store.record_incoming(session, "web", "one", "thanks")  # to the advisor: never for the assistant
        assert session.get(store.Conversation, "web:one").mode == "advisor"
        told = queue.hand_back(session, one, gus)
        assert "passed you back" in told.text
        assert session.get(store.Conversation, "web:one").mode == "bot"
        assert store.unanswered(session, "web") == []
        with pytest.raises(ValueError):
            queue.close(session, two, gus, "lost interest")
        queue.close(session, two, gus, "referred", "to Citizens Advice")
        closed = session.get(HandoffRequest, two)
        assert closed.status == "closed" and closed.outcome == "referred" and "Citizens Advice" in closed.note


def test_call_back_collects_contact_time_and_explicit_consent(sessions):
    cid = "telegram:4242"

    def say(session, text: str) -> callbacks.Answer:
        """As the Inbox does: the resident's message is stored, then the flow answers."""
        store.record_incoming(session, "telegram", "4242", text)
        answer = callbacks.answer(session, cid, text)
        store.record_outgoing(session, cid, Author.BOT, answer.text, answer.buttons)
        return answer

    with sessions() as session:
        store.touch(session, "telegram", "4242")
        session.commit()
        handoff_id = request_handoff(session, cid, "asked", {}, "sefton", "telegram").id
        assert callbacks.offer(session, cid, handoff_id, None, "asked")
        assert session.get(store.Conversation, cid).mode == "callback"
        assert "doesn't look like" in say(session, "<script>alert(1)</script>").text
        assert "good time" in say(session, "07700 900123").text
        consent = say(session, "weekday mornings")
        assert "Do you agree" in consent.text and [b["payload"] for b in consent.buttons] == ["yes", "no"]
        assert "yes or no" in say(session, "maybe").text
        assert "will contact you on 07700 900123" in say(session, "yes").text
        [kept] = callbacks.open_callbacks(session)
        assert (kept.contact_kind, kept.contact, kept.good_time, kept.consent) == \
            ("phone", "07700 900123", "weekday mornings", True)
        assert session.get(store.Conversation, cid).mode == "bot"
        assert session.get(HandoffRequest, handoff_id).status == "callback"
        assert callbacks.complete(session, kept.id, 1, "signposted") and not callbacks.complete(session, kept.id, 1, "x")

        # "no" to consent keeps nothing, not even in the transcript
        assert callbacks.offer(session, cid, None, None, "asked")
        say(session, "someone@example.org")
        say(session, "after teatime")
        assert "haven't kept your details" in say(session, "no").text
        declined = session.execute(select(CallbackRequest).where(CallbackRequest.status == "declined")).scalar_one()
        assert declined.contact is None and declined.good_time is None and not declined.consent
        texts = [m.text for m in store.history(session, cid)]
        assert not any("someone@example.org" in t or "after teatime" in t for t in texts)
        assert callbacks.REDACTED in texts
        assert "07700 900123" in texts  # the consented request keeps its details

        # "cancel" leaves the flow
        assert callbacks.offer(session, cid, None, None, "asked")
        assert "no call-back" in say(session, "cancel").text
        assert session.get(store.Conversation, cid).mode == "bot"


def test_signpost_advisors_add_reads_the_password_from_stdin(tmp_path):
    db = f"sqlite:///{tmp_path / 'console.sqlite3'}"

    def signpost(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "bot.cli", "advisors", "--db", db, *args], input=stdin,
                              cwd=PROJECT, capture_output=True, text=True, timeout=120, env=dict(os.environ))

    added = signpost("add", "Hana", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    assert "Added Hana" in added.stdout
    again = signpost("add", "Hana", stdin=PASSWORD + "\n")
    assert again.returncode == 1 and "already" in again.stderr
    short = signpost("add", "Ian", stdin="short\n")
    assert short.returncode == 1 and "at least" in short.stderr
    assert "Hana\toffline\tevery area" in signpost("list").stdout
    assert signpost("add", "Jo", "--area", "sefton", stdin=PASSWORD + "\n").returncode == 0
    assert signpost("area", "Hana", "plymouth").returncode == 0
    listed = signpost("list").stdout
    assert "Hana\toffline\tplymouth" in listed and "Jo\toffline\tsefton" in listed
    assert signpost("area", "Nobody", "sefton").returncode == 1
    engine = make_engine(db)
    with session_factory(engine)() as session:
        assert accounts.log_in(session, "Hana", PASSWORD).ok
    engine.dispose()


def test_a_handoff_table_made_before_the_console_gains_its_columns_and_keeps_its_rows(tmp_path):
    import sqlite3

    path = tmp_path / "before.sqlite3"
    with sqlite3.connect(path) as old:
        old.execute("CREATE TABLE handoff_request (id INTEGER PRIMARY KEY, conversation_id VARCHAR(200) NOT NULL, "
                    "channel VARCHAR(40), area_id VARCHAR(64), reason VARCHAR(40) NOT NULL, priority INTEGER NOT NULL, "
                    "status VARCHAR(20) NOT NULL, summary JSON NOT NULL, created_at DATETIME NOT NULL)")
        old.execute("INSERT INTO handoff_request VALUES (1, 'web:x', 'web', 'sefton', 'asked', 1, 'waiting', '{}', "
                    "'2026-11-23 09:00:00')")
    upgrade(f"sqlite:///{path}")
    upgrade(f"sqlite:///{path}")  # twice: nothing to add the second time
    engine = make_engine(f"sqlite:///{path}")
    with session_factory(engine)() as session:
        [request] = queue.queue(session)
        assert (request.id, request.advisor_id, request.outcome) == (1, None, None)
        sam = accounts.add_advisor(session, "Sam", PASSWORD)
        assert queue.claim(session, 1, sam) == []  # claimed; no stored conversation to tell
        assert queue.claim(session, 1, sam) is None  # and only once
        assert session.get(HandoffRequest, 1).status == "live"
    engine.dispose()


def test_an_advisor_reads_back_only_their_areas_recent_closed_chats():
    now = utcnow()
    sefton, anywhere = Advisor(id=1, name="S", area_id="sefton"), Advisor(id=2, name="A", area_id=None)

    def request(status, area="sefton", advisor_id=3, closed_hours_ago=1):
        return HandoffRequest(status=status, area_id=area, advisor_id=advisor_id, created_at=now,
                              closed_at=now - dt.timedelta(hours=closed_hours_ago))

    assert queue.visible_to(request(HandoffStatus.WAITING, "plymouth"), sefton, now)  # the queue is everyone's
    assert not queue.visible_to(request(HandoffStatus.LIVE), sefton, now)  # a colleague's live chat
    assert queue.visible_to(request(HandoffStatus.LIVE, advisor_id=1), sefton, now)  # their own
    assert queue.visible_to(request(HandoffStatus.CLOSED), sefton, now)
    assert not queue.visible_to(request(HandoffStatus.CLOSED, "plymouth"), sefton, now)  # another area's
    assert queue.visible_to(request(HandoffStatus.CLOSED, "plymouth"), anywhere, now)  # no area: every area
    assert not queue.visible_to(request(HandoffStatus.CLOSED, closed_hours_ago=30), anywhere, now)  # too old
    assert queue.visible_to(request(HandoffStatus.CLOSED, closed_hours_ago=30, advisor_id=2), anywhere, now)
