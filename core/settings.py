"""Every setting Signpost reads from the environment, declared once: its name, default and meaning, and how
its value is checked. ``settings()`` reads them all once, at start-up, and a wrong value stops the start with
an error naming the setting. The README's settings table is generated from ``SETTINGS``
(``python -m core.settings``) and a test keeps the two the same.
"""
from __future__ import annotations

import datetime as dt
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "data" / "signpost.sqlite3"


class SettingsError(ValueError):
    """A setting has a value Signpost cannot use; the message names it."""


def _text(raw: str) -> str:
    return raw.strip()


def _url(raw: str) -> str:
    return raw.strip().rstrip("/")


def _instant(raw: str) -> Optional[dt.datetime]:
    if not raw.strip():
        return None
    moment = dt.datetime.fromisoformat(raw.strip())
    if moment.tzinfo is None:
        raise ValueError("give the time zone too, e.g. 2026-05-09T10:00:00+01:00")
    return moment


def _at_least(minimum: float, kind: Callable[[str], Any] = float) -> Callable[[str], Any]:
    def parse(raw: str) -> Any:
        value = kind(raw.strip())
        if value < minimum:
            raise ValueError(f"must be at least {minimum:g}")
        return value
    return parse


def _origins(raw: str) -> tuple[str, ...]:
    """Web origins as browsers send them: scheme, host and any port, no path."""
    from urllib.parse import urlsplit

    found = []
    for item in (part.strip().rstrip("/") for part in raw.split(",")):
        if not item:
            continue
        parts = urlsplit(item)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query:
            raise ValueError(f"{item!r} is not an origin like https://www.example.gov.uk")
        found.append(f"{parts.scheme}://{parts.netloc}".lower())
    return tuple(found)


def _one_of(*choices: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return value
    return parse


@dataclass(frozen=True)
class Setting:
    field: str  # the attribute of ``Settings``
    name: str  # the environment variable
    default: str  # as written in the environment ("" for none)
    meaning: str
    parse: Callable[[str], Any] = _text
    shown_default: str = ""  # how the README shows a default that is computed


SETTINGS: tuple[Setting, ...] = (
    Setting("database_url", "SIGNPOST_DATABASE_URL", "",
            "the database for everything: the knowledge base, conversations, handoffs, advisors and Rasa's "
            "tracker store (any SQLAlchemy URL, e.g. `postgresql+psycopg2://user@host/signpost`)",
            shown_default="the SQLite file `data/signpost.sqlite3`"),
    Setting("redis_url", "SIGNPOST_REDIS_URL", "",
            "scaled mode (`make run-scaled`): the Redis for Rasa's lock store, e.g. `redis://10.0.0.5:6379/0`; "
            "unset, a private one is started", shown_default="a private Redis started by the script"),
    Setting("default_area", "SIGNPOST_DEFAULT_AREA", "sefton",
            "the area whose localities are offered as buttons before a resident names a place"),
    Setting("postcodes_url", "SIGNPOST_POSTCODES_URL", "",
            "optional postcodes.io-compatible lookup for full postcodes (districts work without it)", _url),
    Setting("privacy_url", "SIGNPOST_PRIVACY_URL", "",
            "the council's privacy notice, linked when a resident asks what is kept (else the council's website)"),
    Setting("now", "SIGNPOST_NOW", "",
            "pin \"now\" (ISO 8601 with a time zone) for demos and tests; unset, the real clock", _instant),
    Setting("max_message_chars", "SIGNPOST_MAX_MESSAGE_CHARS", "1000",
            "the longest message a resident may send; longer ones get a polite reply", _at_least(1, int)),
    Setting("max_messages_per_minute", "SIGNPOST_MAX_MESSAGES_PER_MINUTE", "20",
            "messages a conversation may send in a minute before it is asked to slow down", _at_least(1, int)),
    Setting("max_messages_per_address_per_minute", "SIGNPOST_MAX_MESSAGES_PER_ADDRESS_PER_MINUTE", "60",
            "messages one network address may send in a minute, across all its conversations and sockets, "
            "before it is asked to slow down (REST: HTTP 429)", _at_least(1, int)),
    Setting("rest_token", "SIGNPOST_REST_TOKEN", "",
            "bearer token the REST channel asks for (`Authorization: Bearer ...`); unset, it answers only "
            "requests made on 127.0.0.1 itself, and is off for any other address"),
    Setting("allowed_origins", "SIGNPOST_ALLOWED_ORIGINS", "",
            "the web pages (origins, comma separated, e.g. `https://www.sefton.gov.uk`) whose widget may open "
            "the chat socket", _origins, shown_default="the server's own address"),
    Setting("retention_days", "SIGNPOST_RETENTION_DAYS", "90",
            "how long conversations, handoffs, call-backs and Rasa's tracker events are kept after their last "
            "message; `signpost privacy purge` (run by the server once a day) removes older ones",
            _at_least(1, int)),
    Setting("retry_unanswered_seconds", "SIGNPOST_RETRY_UNANSWERED_SECONDS", "30",
            "how often messages the assistant could not answer (Rasa or the action server down) are tried again",
            _at_least(0.1)),
    Setting("abandoned_after_seconds", "SIGNPOST_ABANDONED_AFTER_SECONDS", "120",
            "a resident's message received this long ago and still not answered was left by a server that died "
            "mid-turn: the server answering what was left answers it", _at_least(1)),
    Setting("advisor_away_seconds", "SIGNPOST_ADVISOR_AWAY_SECONDS", "15",
            "without a console heartbeat for this long an advisor counts as away", _at_least(1)),
    Setting("console_session_hours", "SIGNPOST_CONSOLE_SESSION_HOURS", "12",
            "how long a console login lasts", _at_least(0.01)),
    Setting("telegram_bot_token", "TELEGRAM_BOT_TOKEN", "",
            "the bot's token from @BotFather; unset, the Telegram channel is off"),
    Setting("telegram_mode", "TELEGRAM_MODE", "polling", "`polling` or `webhook`", _one_of("polling", "webhook")),
    Setting("telegram_webhook_url", "TELEGRAM_WEBHOOK_URL", "",
            "webhook mode: the public `https://` address of `/webhooks/telegram/webhook`"),
    Setting("telegram_secret_token", "TELEGRAM_SECRET_TOKEN", "",
            "webhook mode: 1-256 characters of `A-Z a-z 0-9 _ -`"),
    Setting("telegram_api_base_url", "TELEGRAM_API_BASE_URL", "https://api.telegram.org/bot",
            "the Bot API address: a local Bot API server, or the tests' fake"),
    Setting("telegram_send_attempts", "TELEGRAM_SEND_ATTEMPTS", "5",
            "attempts at a message before it is kept as failed", _at_least(1, int)),
    Setting("telegram_retry_backoff_seconds", "TELEGRAM_RETRY_BACKOFF_SECONDS", "1",
            "wait after a timeout or a 5xx; doubles each attempt (at most 60 s)", _at_least(0)),
    Setting("telegram_retry_interval_seconds", "TELEGRAM_RETRY_INTERVAL_SECONDS", "60",
            "how often replies kept as failed are tried again", _at_least(0.1)),
    Setting("telegram_retry_for_hours", "TELEGRAM_RETRY_FOR_HOURS", "24",
            "how long they are tried; after that they stay stored and an error is logged", _at_least(0)),
)


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str
    default_area: str
    postcodes_url: str
    privacy_url: str
    now: Optional[dt.datetime]
    max_message_chars: int
    max_messages_per_minute: int
    max_messages_per_address_per_minute: int
    rest_token: str
    allowed_origins: tuple[str, ...]
    retention_days: int
    retry_unanswered_seconds: float
    abandoned_after_seconds: float
    advisor_away_seconds: float
    console_session_hours: float
    telegram_bot_token: str
    telegram_mode: str
    telegram_webhook_url: str
    telegram_secret_token: str
    telegram_api_base_url: str
    telegram_send_attempts: int
    telegram_retry_backoff_seconds: float
    telegram_retry_interval_seconds: float
    telegram_retry_for_hours: float


def load(env: Mapping[str, str] = os.environ) -> Settings:
    """Every setting from ``env``, checked; raises ``SettingsError`` naming the first wrong one."""
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = env.get(setting.name, "")
        raw = raw if raw.strip() else setting.default
        try:
            values[setting.field] = setting.parse(raw)
        except ValueError as exc:
            raise SettingsError(f"{setting.name}={raw!r}: {exc}") from None
    if not values["database_url"]:
        values["database_url"] = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    return Settings(**values)


_current: Optional[Settings] = None


def settings() -> Settings:
    """The settings, read from the environment the first time they are asked for (at start-up)."""
    global _current
    if _current is None:
        _current = load()
    return _current


def reload(env: Mapping[str, str] = os.environ) -> Settings:
    """Read them again: for a test that changes the environment, or a tool given other values."""
    global _current
    _current = load(env)
    return _current


def markdown_table() -> str:
    """The README's settings table."""
    rows = ["| Setting | Default | Meaning |", "|---|---|---|"]
    for setting in SETTINGS:
        default = setting.shown_default or (f"`{setting.default}`" if setting.default else "unset")
        rows.append(f"| `{setting.name}` | {default} | {setting.meaning} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
    sys.exit(0)
