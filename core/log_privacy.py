"""Personal data kept out of the logs: phone numbers, email addresses, full postcodes and the names residents
give ("my name is ...") are replaced by ``[phone]``, ``[email]``, ``[postcode]`` and ``[name]`` in every log
record, whichever library made it (ours, Rasa's, Sanic's), before any handler writes it. ``install()`` does it
for the whole process; ``bot`` and ``actions`` call it when they are imported.
"""
from __future__ import annotations

import logging
import re
from typing import Any, Callable

PHONE, EMAIL, POSTCODE, NAME = "[phone]", "[email]", "[postcode]", "[name]"
#: What a record says when it could not be checked: it is not written as it was (it might hold anything).
WITHHELD = "[log message withheld: it could not be checked for personal data]"

# An apostrophe may be inside an address (o'neill@...) but not begin one: there it is a quote, as in a repr.
# Lengths are bounded as addresses' are, so a long run of letters costs a moment, not a quadratic search.
_EMAIL = re.compile(r"[\w.!#$%&*+/=?^`{|}~-][\w.!#$%&'*+/=?^`{|}~-]{0,63}@[\w-]{1,63}(?:\.[\w-]{1,63})+")
# Any run of 10 to 14 digits with spaces, dashes or brackets between them: UK mobiles and landlines, 0800s, +44
# and 0044 forms, and foreign numbers too.
_PHONE = re.compile(r"""
    (?<![\w+.\-])                                # not the middle of a word, number, decimal or id
    (?: \+ | \( (?=\+?\d[\d ]{0,5}\)) \+? )?      # a leading +, or a bracket around an area code
    \d (?: (?:[^\S\r\n]|[\-()]){0,3} \d ){9,13}    # the digits
    (?!\w|[-.]\w)                                # and not followed by more of one
""", re.VERBOSE)
_ISO_DATE = re.compile(r"\d{4}-\d\d-\d\d(?!\d)")  # "2026-11-23 09:00" is a moment, not a phone number
# A full postcode: outward code (L20, PR8, M1A) and inward code (3NJ); a district alone stays.
_POSTCODE = re.compile(r"\b[A-Za-z]{1,2}\d[A-Za-z\d]?[^\S\r\n]{0,2}\d[A-Za-z]{2}\b")
# Words after these are a name whatever their case ("my name is sam jones") ...
_SURELY_NAME = r"my\s+name(?:\s+is|['’]s|s)?|i\s*['’]?\s*m\s+called|i\s+am\s+called|they\s+call\s+me"
# ... after these only if capitalised: "call me back" and "this is urgent" are no one's name.
_MAYBE_NAME = r"call\s+me|this\s+is|i\s*['’]?m|i\s+am"
_INTRODUCTION = re.compile(rf"\b(?:(?P<surely>{_SURELY_NAME})|(?P<maybe>{_MAYBE_NAME}))\b:?", re.IGNORECASE)
_WORD = re.compile(r"[^\S\r\n]+([^\W\d_](?:[\w\-]|['’](?=\w))*)")
_MAX_NAME_WORDS = 3
#: Words that end a name: what follows "my name is sam" is usually one of these, not a surname.
_NOT_NAMES = frozenset("""
    a about am an and any are as at be but can could do for from have hello help here hi i i'm im in is it just
    live living looking me my need no not of on or please so thank thanks the there to trying want was we what
    where who why will with would yes you
""".split())


def _phone(match: re.Match[str]) -> str:
    found = match.group(0)
    return found if _ISO_DATE.match(found.lstrip("(+")) else PHONE


def _names(text: str) -> str:
    out, position = [], 0
    for introduction in _INTRODUCTION.finditer(text):
        if introduction.start() < position:
            continue
        capitalised_only = introduction.group("maybe") is not None
        start = end = introduction.end()
        for _ in range(_MAX_NAME_WORDS):
            word = _WORD.match(text, end)
            if word is None:
                break
            token = word.group(1)
            if token.lower() in _NOT_NAMES or (capitalised_only and not token[0].isupper()):
                break
            if end == start:
                start = word.start(1)
            end = word.end()
        if end > introduction.end():
            out += [text[position:start], NAME]
            position = end
    return "".join(out) + text[position:] if out else text


def redact(text: str) -> str:
    """The text with phone numbers, email addresses, full postcodes and introduced names replaced."""
    text = _EMAIL.sub(EMAIL, text)  # first: an address may hold digits or a postcode-like part
    text = _PHONE.sub(_phone, text)
    text = _POSTCODE.sub(POSTCODE, text)
    return _names(text)


# What every record has; anything else on a record came from ``extra=`` (Sanic's access log: the URL).
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
_formatter = logging.Formatter()
_CLEAN = "_signpost_redacted"  # the message a record had once redacted (so a second handler need not redo it)


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # arguments that do not fit the message: Python would print them in a logging error
        return f"{record.msg} [arguments withheld: they did not fit the message]"


def redact_record(record: logging.LogRecord) -> None:
    """Redact the record in place: its message with its arguments (formatted, then redacted; the arguments are
    then dropped), its exception and stack, and any extra text. Never raises: what cannot be checked is withheld."""
    try:
        if getattr(record, _CLEAN, None) is not record.msg or record.args:
            record.msg, record.args = redact(_message(record)), ()
            setattr(record, _CLEAN, record.msg)
        if record.exc_info:
            # Formatted here, as a Formatter would, so that no handler formats it again from the exception.
            record.exc_text, record.exc_info = _formatter.formatException(record.exc_info), None
        for key in ("exc_text", "stack_info", *(k for k in vars(record) if k not in _STANDARD or k == "message")):
            value = getattr(record, key, None)
            if isinstance(value, str) and key != _CLEAN:
                setattr(record, key, redact(value))
    except Exception:
        try:
            record.msg, record.args, record.exc_info = WITHHELD, (), None
            record.exc_text = record.stack_info = None
            for key in [k for k in vars(record) if k not in _STANDARD or k == "message"]:
                setattr(record, key, WITHHELD)
        except Exception:
            pass


class RedactingFilter(logging.Filter):
    """A handler filter that redacts every record it sees and lets it through."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


_FILTER = RedactingFilter()
_MARK = "_signpost_redacting"


def _attach(handler: logging.Handler) -> None:
    if not any(isinstance(f, RedactingFilter) for f in handler.filters):
        handler.addFilter(_FILTER)


def _redacting_factory(make: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        redact_record(record)
        return record

    setattr(factory, _MARK, True)
    return factory


def _loggers() -> list[logging.Logger]:
    found = [logging.getLogger()]
    found += [item for item in list(logging.Logger.manager.loggerDict.values()) if isinstance(item, logging.Logger)]
    return found


def install() -> None:
    """Redact every record made in this process from now on. Idempotent.

    Three ways, because each alone misses some: the record factory redacts each record as it is made, for any
    logger and any handler, present or future; ``extra=`` fields are set on a record after the factory, so the
    filter also goes on every handler there is, and on every handler added later (Sanic and Rasa configure
    theirs while starting, after our import); a handler given a record directly (``makeLogRecord``, a queue)
    is covered by its filter."""
    if not getattr(logging.getLogRecordFactory(), _MARK, False):
        logging.setLogRecordFactory(_redacting_factory(logging.getLogRecordFactory()))
    add_handler = logging.Logger.addHandler
    if not getattr(add_handler, _MARK, False):
        def adding(self: logging.Logger, handler: logging.Handler) -> None:
            _attach(handler)
            add_handler(self, handler)

        setattr(adding, _MARK, True)
        logging.Logger.addHandler = adding  # type: ignore[method-assign]
    for logger in _loggers():
        for handler in list(logger.handlers):
            _attach(handler)


def installed() -> bool:
    return bool(getattr(logging.getLogRecordFactory(), _MARK, False)
                and getattr(logging.Logger.addHandler, _MARK, False))
