"""Turning the assistant's replies into Telegram messages: text escaped for Telegram's HTML formatting,
long replies split cleanly under Telegram's 4,096-character limit, and buttons as inline keyboards whose
callback data points back at the stored reply (Telegram allows only 64 bytes of it)."""
from __future__ import annotations

import html
import re
from typing import Any, Optional

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

TELEGRAM_LIMIT = 4096  # characters of a message's text after entities parsing, counted in UTF-16 units
ROW_WIDTH = 30  # characters of button titles on one keyboard row
ROW_BUTTONS = 3
CALLBACK = re.compile(r"^b:(\d{1,18}):(\d{1,3})$")


def telegram_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units: an emoji can count twice)."""
    return len(text.encode("utf-16-le")) // 2


def _fit(text: str, limit: int) -> int:
    """How many characters of ``text`` fit in ``limit`` Telegram units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return index
    return len(text)


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split plain text into parts of at most ``limit``, at a paragraph, line, sentence or word break
    when there is one in the second half of the part, else mid-word."""
    text = (text or "").strip()
    parts: list[str] = []
    while text:
        if telegram_length(text) <= limit:
            parts.append(text)
            break
        cut = max(1, _fit(text, limit))
        window = text[:cut]
        for separator, keep in (("\n\n", 0), ("\n", 0), (". ", 1), (" ", 0)):
            at = window.rfind(separator)
            if at >= cut // 2:
                cut = at + keep
                break
        part = text[:cut].rstrip()
        if part:
            parts.append(part)
        text = text[cut:].lstrip()
    return parts


def to_html(text: str) -> str:
    """Plain text made safe for ``parse_mode=HTML`` (Telegram reads &lt; &gt; &amp; &quot; and numeric
    entities, and counts each as one character)."""
    return html.escape(text)


def callback_data(message_id: int, index: int) -> str:
    return f"b:{message_id}:{index}"


def parse_callback(data: Optional[str]) -> Optional[tuple[int, int]]:
    """(stored reply id, button index) from a button press, or None if it is not one of ours."""
    found = CALLBACK.match(data or "")
    return (int(found.group(1)), int(found.group(2))) if found else None


def keyboard(buttons: list[dict[str, Any]], message_id: Optional[int]) -> Optional[InlineKeyboardMarkup]:
    """The reply's buttons as an inline keyboard: short titles share a row, long ones get their own."""
    if not buttons or message_id is None:
        return None
    rows: list[list[InlineKeyboardButton]] = []
    row: list[InlineKeyboardButton] = []
    width = 0
    for index, button in enumerate(buttons):
        title = str(button.get("title") or button.get("payload") or "…")
        if row and (len(row) >= ROW_BUTTONS or width + len(title) > ROW_WIDTH):
            rows.append(row)
            row, width = [], 0
        row.append(InlineKeyboardButton(title, callback_data=callback_data(message_id, index)))
        width += len(title)
    rows.append(row)
    return InlineKeyboardMarkup(rows)
