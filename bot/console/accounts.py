"""Advisor accounts and sessions: argon2 password hashes (guessing is slowed by ``bot.console.throttle``, never
by locking an account, which anyone could do to an advisor), and sessions kept in SQL (a restart logs no one out) under an HttpOnly, SameSite=Strict cookie with a CSRF
token for every change."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.console.models import AdvisorSession
from bot.handoff.models import Advisor
from bot.states import Presence
from core.database import aware, utcnow
from core.settings import settings

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._'-]{0,99}\Z")
MIN_PASSWORD = 10

def session_lifetime() -> dt.timedelta:
    return dt.timedelta(hours=settings().console_session_hours)


_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not-a-password-anyone-has")  # unknown names cost the same time as known ones


class AccountError(ValueError):
    pass


def add_advisor(session: Session, name: str, password: str, area_id: Optional[str] = None) -> Advisor:
    name = name.strip()
    if not NAME.match(name):
        raise AccountError("a name is 1-100 letters, digits, spaces or . _ ' -")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must be at least {MIN_PASSWORD} characters")
    if session.execute(select(Advisor).where(Advisor.name == name)).scalar_one_or_none():
        raise AccountError(f"there is already an advisor called {name!r}")
    advisor = Advisor(name=name, password_hash=_hasher.hash(password), created_at=utcnow(), area_id=area_id or None)
    session.add(advisor)
    session.commit()
    return advisor


def set_password(session: Session, name: str, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must be at least {MIN_PASSWORD} characters")
    advisor = session.execute(select(Advisor).where(Advisor.name == name)).scalar_one_or_none()
    if advisor is None:
        raise AccountError(f"no advisor called {name!r}")
    advisor.password_hash = _hasher.hash(password)
    advisor.failed_logins, advisor.locked_until = 0, None
    session.execute(delete(AdvisorSession).where(AdvisorSession.advisor_id == advisor.id))
    session.commit()


def set_area(session: Session, name: str, area_id: Optional[str]) -> None:
    """The area whose chats the advisor handles (None: every area)."""
    advisor = session.execute(select(Advisor).where(Advisor.name == name)).scalar_one_or_none()
    if advisor is None:
        raise AccountError(f"no advisor called {name!r}")
    advisor.area_id = area_id or None
    session.commit()


def remove_advisor(session: Session, name: str) -> None:
    advisor = session.execute(select(Advisor).where(Advisor.name == name)).scalar_one_or_none()
    if advisor is None:
        raise AccountError(f"no advisor called {name!r}")
    session.execute(delete(AdvisorSession).where(AdvisorSession.advisor_id == advisor.id))
    session.delete(advisor)
    session.commit()


def list_advisors(session: Session) -> list[Advisor]:
    return list(session.execute(select(Advisor).order_by(Advisor.name)).scalars())


@dataclass
class Login:
    ok: bool
    advisor: Optional[Advisor] = None
    token: Optional[str] = None  # the cookie's value (only its hash is stored)
    csrf: Optional[str] = None


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def log_in(session: Session, name: str, password: str, now: Optional[dt.datetime] = None) -> Login:
    """Check a name and password. An unknown name costs the same hashing as a known one, and fails the same
    way. Slow (argon2, tens of milliseconds): the console runs it off the event loop."""
    now = now or utcnow()
    advisor = session.execute(select(Advisor).where(Advisor.name == (name or "").strip())).scalar_one_or_none()
    if advisor is None:
        try:
            _hasher.verify(_DUMMY_HASH, password or "")
        except VerificationError:
            pass
        return Login(False)
    try:
        _hasher.verify(advisor.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return Login(False)
    if _hasher.check_needs_rehash(advisor.password_hash):
        advisor.password_hash = _hasher.hash(password)
    advisor.failed_logins, advisor.locked_until = 0, None
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session.add(AdvisorSession(token_hash=_hash_token(token), advisor_id=advisor.id, csrf_token=csrf,
                               created_at=now, expires_at=now + session_lifetime()))
    session.execute(delete(AdvisorSession).where(AdvisorSession.expires_at < now))
    session.commit()
    return Login(True, advisor=advisor, token=token, csrf=csrf)


def find_session(session: Session, token: Optional[str]) -> Optional[tuple[Advisor, AdvisorSession]]:
    if not token or len(token) > 200:
        return None
    found = session.get(AdvisorSession, _hash_token(token))
    if found is None or aware(found.expires_at) <= utcnow():
        return None
    advisor = session.get(Advisor, found.advisor_id)
    return (advisor, found) if advisor is not None else None


def csrf_ok(stored: AdvisorSession, given: Optional[str]) -> bool:
    return bool(given) and hmac.compare_digest(stored.csrf_token.encode(), given.encode())


def log_out(session: Session, token: str) -> Optional[int]:
    """End the session; the advisor's id, when it was one."""
    found = session.get(AdvisorSession, _hash_token(token))
    if found is None:
        return None
    advisor_id = found.advisor_id
    session.delete(found)
    if not session.execute(select(AdvisorSession).where(AdvisorSession.advisor_id == advisor_id)).first():
        session.execute(update(Advisor).where(Advisor.id == advisor_id).values(presence=Presence.OFFLINE))
    session.commit()
    return advisor_id
