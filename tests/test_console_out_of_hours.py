"""Out of hours (a Sunday afternoon, pinned with SIGNPOST_NOW): even with an advisor online, asking for a
person offers a call-back; the resident's contact details, a good time and their explicit consent are
stored for the advisors, and they get the area's phone line and hours. Telegram through the offline fake
Bot API; the advisor through the console's HTTP API."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from bot.handoff.models import CallbackRequest
from bot.handoff.models import HandoffRequest
from core.database import make_engine, session_factory
from tests.support.assistant import knowledge_base, start_assistant
from tests.support.console_client import Console, add_advisor
from tests.support.fake_telegram import FakeTelegram
from tests.test_telegram import _telegram_env, message_update, plain

SUNDAY_AFTERNOON = "2026-11-22T14:00:00+00:00"


@pytest.fixture(scope="module")
def kb_url(tmp_path_factory) -> str:
    url = knowledge_base(tmp_path_factory.mktemp("out-of-hours-kb"))
    add_advisor(url, "Sam")
    return url


@pytest.fixture(scope="module")
def assistant(kb_url, telegram, tmp_path_factory):
    env = {**_telegram_env(telegram, TELEGRAM_MODE="polling"), "SIGNPOST_NOW": SUNDAY_AFTERNOON}
    running = start_assistant(tmp_path_factory.mktemp("out-of-hours"), kb_url, extra_env=env)
    yield running
    running.stop()


def said(telegram: FakeTelegram, chat: int, words: str) -> str:
    return telegram.wait_for(lambda: next((plain(m) for m in telegram.sent(chat) if words in plain(m)), None),
                             timeout=60, what=f"{words!r}")


def test_out_of_hours_a_call_back_is_offered_and_stored_with_consent(assistant, telegram, kb_url):
    advisor = Console(assistant.url)
    assert advisor.log_in("Sam")[0] == 200
    advisor.heartbeat("online")  # someone is online, but the front door is closed
    chat = int(time.time()) % 10**6 + 5 * 10**9
    telegram.queue_update(message_update(chat, "can i talk to a real person"))
    offer = said(telegram, chat, "closed right now")
    assert "Community First is closed right now" in offer and "email address" in offer
    assert "0300 323 0181" in offer and "Monday to Friday, 9am to 5pm" in offer
    telegram.queue_update(message_update(chat, "not sure"))
    said(telegram, chat, "doesn't look like a phone number")
    telegram.queue_update(message_update(chat, "jo.bloggs@example.org"))
    said(telegram, chat, "When is a good time")
    telegram.queue_update(message_update(chat, "Monday after 3pm"))
    said(telegram, chat, "Do you agree")
    telegram.queue_update(message_update(chat, "yes"))
    done = said(telegram, chat, "will contact you on jo.bloggs@example.org (Monday after 3pm)")
    assert "0300 323 0181" in done and "Monday to Friday, 9am to 5pm" in done

    engine = make_engine(kb_url)
    with session_factory(engine)() as session:
        [kept] = session.execute(select(CallbackRequest).where(
            CallbackRequest.conversation_id == f"telegram:{chat}")).scalars().all()
        assert (kept.status, kept.contact_kind, kept.contact, kept.good_time, kept.consent) == \
            ("open", "email", "jo.bloggs@example.org", "Monday after 3pm", True)
        assert kept.consented_at is not None and kept.area_id == "sefton"
        request = session.get(HandoffRequest, kept.handoff_id)
        assert request.status == "callback"
    engine.dispose()
    [listed] = [c for c in advisor.state()["callbacks"] if c["conversation"] == f"telegram:{chat}"]
    assert listed["summary"]["why"] == "The resident asked for a person"
