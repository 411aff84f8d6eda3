"""No personal data in the logs: phone numbers, email addresses, full postcodes and names are redacted from every
log record (its message and arguments, its exception, its extra fields), from our loggers, Rasa's and Sanic's,
in the test process, in a process started the way ``rasa run`` starts, and in the running assistant's own logs."""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest
from hypothesis import given, settings, strategies as st

import bot  # noqa: F401  (installs the redaction, as every Signpost process does)
from core import log_privacy
from core.log_privacy import EMAIL, NAME, PHONE, POSTCODE, RedactingFilter, redact

PROJECT = Path(__file__).resolve().parent.parent
RESIDENT = "my name is Sam Jones, ring 07700 900123 or sam.jones@example.com, I live at L20 3NJ"
#: Many generated cases, the same ones on every run.
EXAMPLES = settings(max_examples=500, deadline=None, derandomize=True)
PERSONAL = ["Sam Jones", "Jones", "07700 900123", "900123", "sam.jones@example.com", "L20 3NJ", "3NJ"]


class Kept(logging.Handler):
    """Keeps what it would have written."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.lines.append(self.format(record))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


LOGGERS = ("rasa.core.processor", "sanic.error", "sanic.access")


@pytest.fixture
def kept() -> Iterator[Kept]:
    handler, levels = Kept(), {name: logging.getLogger(name).level for name in LOGGERS}
    yield handler
    for name, level in levels.items():
        logging.getLogger(name).removeHandler(handler)
        logging.getLogger(name).setLevel(level)


def listen(name: str, handler: logging.Handler) -> logging.Logger:
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    return logger


def assert_nothing_personal(text: str) -> None:
    found = [item for item in PERSONAL if item in text]
    assert not found, f"{found} in:\n{text}"


# -- the text -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("said, written", [
    ("ring me on 07700 900123 please", f"ring me on {PHONE} please"),
    ("or +44 7700 900123", f"or {PHONE}"),
    ("+44 (0)7700 900123 any time", f"{PHONE} any time"),
    ("home (0151) 496-0000.", f"home {PHONE}."),
    ("0800 123 4567 or 0808-157-0000", f"{PHONE} or {PHONE}"),
    ("landline 02079460000", f"landline {PHONE}"),
    ("email Sam.Jones+help@example.co.uk!", f"email {EMAIL}!"),
    ("we're at L20 3NJ, near pr81db", f"we're at {POSTCODE}, near {POSTCODE}"),
    ("EC1A 1BB and M1 1AE", f"{POSTCODE} and {POSTCODE}"),
    ("my name is Sam Jones and I need help", f"my name is {NAME} and I need help"),
    ("my name's sam jones, im in bootle", f"my name's {NAME}, im in bootle"),
    ("I'm called Zoë Łukasz-Brown.", f"I'm called {NAME}."),
    ("Hi, this is Sarah O'Neill from Crosby", f"Hi, this is {NAME} from Crosby"),
    ("Call me Dave", f"Call me {NAME}"),
    ("{'text': 'my name is Sam Jones'}", f"{{'text': 'my name is {NAME}'}}"),
])
def test_personal_data_is_replaced(said, written):
    assert redact(said) == written


@pytest.mark.parametrize("ordinary", [
    "toddler groups in Bootle on Saturday", "anything in L20?", "L20", "PR8 or L37", "at 10:30", "from 9:00-17:00",
    "£5 a session", "£1,250", "my 2 year old", "in 2026", "on 2026-11-23 09:00:00", "23/11/2026", "call me back",
    "this is urgent", "I'm looking for debt advice", "message 123456 failed",
    "web:12345678-1234-4123-8123-123456789012",
    "confidence 0.98765432101234", "at 1764784055.263568", "127.0.0.1:5005", "risk reply in web (self_harm)",
])
def test_ordinary_text_is_left_alone(ordinary):
    assert redact(ordinary) == ordinary


@st.composite
def uk_phone_numbers(draw: st.DrawFn) -> str:
    """UK numbers as people type them: mobiles, landlines, 0800s; grouped any way; national or international."""
    kind = draw(st.sampled_from(["07", "01", "02", "03", "0800", "0808"]))
    rest = 11 - len(kind) if kind != "0800" else draw(st.sampled_from([6, 7]))
    digits = kind + "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=rest, max_size=rest)))
    cuts = sorted(draw(st.sets(st.integers(1, len(digits) - 1), max_size=4)))
    separator = st.sampled_from([" ", "-", "  ", " - "])
    groups = [digits[a:b] for a, b in zip([0, *cuts], [*cuts, len(digits)])]
    number = groups[0] + "".join(draw(separator) + g for g in groups[1:])
    international = draw(st.sampled_from(["", "+44", "+44 ", "+44 (0)", "0044 ", "(+44) "]))
    if international:
        number = international + number[1:].lstrip(" -")
    return number


@EXAMPLES
@given(number=uk_phone_numbers(), before=st.sampled_from(["ring me on ", "tel: ", "", "(", "my number is "]))
def test_no_phone_number_survives(number, before):
    after = ")" if before == "(" else " after 3pm"
    assert redact(f"{before}{number}{after}") == f"{before}{PHONE}{after}"


@EXAMPLES
@given(address=st.emails().filter(lambda address: address.partition("@")[0].strip("'")))
def test_no_email_address_survives(address):
    quotes = address[:len(address) - len(address.lstrip("'"))]  # an apostrophe first is read as a quote
    assert redact(f"write to {address} please") == f"write to {quotes}{EMAIL} please"


@st.composite
def postcodes(draw: st.DrawFn) -> str:
    letters, digit = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), st.sampled_from("0123456789")
    shape = draw(st.sampled_from(["A9", "A99", "AA9", "AA99", "A9A", "AA9A"]))
    outward = "".join(draw(letters if c == "A" else digit) for c in shape)
    inward = draw(digit) + draw(letters) + draw(letters)
    postcode = outward + draw(st.sampled_from([" ", "", "  "])) + inward
    return draw(st.sampled_from([postcode, postcode.lower(), postcode.title()]))


@EXAMPLES
@given(postcode=postcodes())
def test_no_full_postcode_survives(postcode):
    assert redact(f"we live at {postcode}, near the library") == f"we live at {POSTCODE}, near the library"


name_words = st.from_regex(r"[A-Z][a-z]{1,10}(?:[-'][A-Z][a-z]{1,8})?", fullmatch=True).filter(
    lambda word: word.lower() not in log_privacy._NOT_NAMES)


@EXAMPLES
@given(introduction=st.sampled_from(["my name is", "My name is", "MY NAME IS", "my name's", "i'm called",
                                     "I am called", "call me", "Call me", "this is", "This is"]),
       name=st.lists(name_words, min_size=1, max_size=3), lower=st.booleans())
def test_no_introduced_name_survives(introduction, name, lower):
    surely = introduction.lower() not in ("call me", "this is")
    written = " ".join(name).lower() if lower and surely else " ".join(name)
    assert redact(f"hello, {introduction} {written} and i need help") == f"hello, {introduction} {NAME} and i need help"


everyday = st.one_of(
    st.builds("{}:{:02d}".format, st.integers(0, 23), st.integers(0, 59)),
    st.builds("£{}".format, st.integers(0, 9999)),
    st.builds("£{}.{:02d}".format, st.integers(0, 99), st.integers(0, 99)),
    st.builds("{} year old".format, st.integers(0, 99)), st.builds("{}".format, st.integers(1900, 2100)),
    st.builds("{}/{}/{}".format, st.integers(1, 31), st.integers(1, 12), st.integers(2020, 2030)),
    st.sampled_from(["L20", "PR8", "L37", "WA10", "Bootle", "toddler groups", "on Saturday", "call me back",
                     "this is urgent", "age 16-25", "ages 0 to 5", "Year 6", "room 101", "bus 47"]))


@EXAMPLES
@given(parts=st.lists(everyday, min_size=1, max_size=8), joiner=st.sampled_from([", ", " and ", " in ", " at "]))
def test_everyday_words_and_numbers_are_left_alone(parts, joiner):
    text = joiner.join(parts)
    assert redact(text) == text


# -- records --------------------------------------------------------------------------------------------------

def record(message: str, args: tuple = (), exc_info=None, **extra) -> logging.LogRecord:
    made = logging.LogRecord("rasa.core.processor", logging.ERROR, __file__, 1, message, args, exc_info)
    made.__dict__.update(extra)
    return made


def written(made: logging.LogRecord) -> str:
    assert RedactingFilter().filter(made) is True
    return logging.Formatter("%(message)s").format(made)


def exc_info(error: BaseException):
    try:
        raise error
    except BaseException:
        return sys.exc_info()


def test_a_record_s_arguments_are_redacted_with_its_message():
    made = record("resident %s said %r", ("web:1", {"text": RESIDENT}))
    said = f"my name is {NAME}, ring {PHONE} or {EMAIL}, I live at {POSTCODE}"
    assert written(made) == f"resident web:1 said {{'text': '{said}'}}"
    assert made.args == ()


def test_an_exception_s_message_and_traceback_are_redacted():
    try:
        try:
            raise KeyError("sam.jones@example.com")
        except KeyError as inner:
            raise ValueError("no service near L20 3NJ for 07700 900123") from inner
    except ValueError:
        made = record("search failed", exc_info=sys.exc_info())
    text = written(made)
    assert_nothing_personal(text)
    assert "ValueError: no service near [postcode] for [phone]" in text and f"KeyError: '{EMAIL}'" in text
    assert "Traceback (most recent call last)" in text and made.exc_info is None


def test_a_record_formatted_before_it_is_redacted_loses_its_clear_copies():
    made = record("said %s", (RESIDENT,), exc_info=exc_info(ValueError(RESIDENT)))
    logging.Formatter().format(made)  # another handler got there first: record.message and exc_text are set
    assert_nothing_personal(written(made) + made.message + made.exc_text)


def test_extra_fields_are_redacted():
    made = record("", host="127.0.0.1:5005", request="GET /demo?ref=07700900123", status=200, who=RESIDENT)
    RedactingFilter().filter(made)
    assert made.request == f"GET /demo?ref={PHONE}" and made.status == 200 and made.host == "127.0.0.1:5005"
    assert_nothing_personal(made.who)


def test_a_broken_record_is_redacted_never_raised():
    assert_nothing_personal(written(record("two %s %s", (RESIDENT,))))  # too few arguments

    class Unprintable:
        def __str__(self) -> str:
            raise RuntimeError(RESIDENT)

    made = record(Unprintable())  # type: ignore[arg-type]
    assert written(made) == log_privacy.WITHHELD


# -- loggers, handlers and the process ------------------------------------------------------------------------

def test_installing_is_done_on_import_and_twice_is_once(kept):
    assert log_privacy.installed()
    factory, add_handler = logging.getLogRecordFactory(), logging.Logger.addHandler
    listen("rasa.core.processor", kept)
    log_privacy.install()
    log_privacy.install()
    assert logging.getLogRecordFactory() is factory and logging.Logger.addHandler is add_handler
    assert sum(isinstance(f, RedactingFilter) for f in kept.filters) == 1


def test_rasa_s_loggers_are_redacted(kept):
    logger = listen("rasa.core.processor", kept)
    logger.debug("Received user message '%s'", RESIDENT)
    try:
        raise RuntimeError(f"action failed on {RESIDENT}")
    except RuntimeError:
        logger.exception("Encountered an exception while running action 'action_search_services'")
    assert len(kept.lines) == 2
    assert_nothing_personal(kept.text)
    assert all(mark in kept.text for mark in (PHONE, EMAIL, POSTCODE, NAME))


def test_caplog_sees_only_the_redacted_record(caplog):
    with caplog.at_level(logging.DEBUG, logger="bot.inbox"):
        logging.getLogger("bot.inbox").info("from %s: %s", "web:1", RESIDENT)
    assert_nothing_personal(caplog.text)
    assert caplog.records[0].getMessage().endswith(f"I live at {POSTCODE}")


def test_sanic_s_loggers_and_records_handed_straight_to_a_handler_are_redacted(kept):
    listen("sanic.access", kept).info("", extra={"request": "GET /widget?ref=07700900123", "host": "x", "status": 200})
    listen("sanic.error", kept)
    assert any(isinstance(f, RedactingFilter) for f in kept.filters)  # attached as it was added
    # A record that never went through a logger (a queue, a socket listener): the handler's filter catches it.
    kept.handle(logging.makeLogRecord({"name": "sanic.error", "levelno": logging.ERROR, "levelname": "ERROR",
                                       "msg": "Exception occurred while handling uri: %r", "args": (RESIDENT,)}))
    assert kept.records[0].request == f"GET /widget?ref={PHONE}" and kept.records[0].status == 200
    assert len(kept.lines) == 2
    assert_nothing_personal(kept.text)


def test_a_handler_attached_without_add_handler_gets_the_filter_when_installed(kept):
    logger = logging.getLogger("sanic.error")
    logger.handlers.append(kept)  # as some libraries do
    log_privacy.install()
    assert any(isinstance(f, RedactingFilter) for f in kept.filters)


STARTED_LIKE_RASA = textwrap.dedent(f"""
    import logging, sys
    sys.modules.setdefault("tensorflow", None)
    # `rasa run` configures its logging and structlog first, then imports our channels, then Sanic its own.
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog
    configure_logging_and_warnings(logging.DEBUG)
    configure_structlog(logging.DEBUG)
    import bot.channels  # what credentials.yml makes Rasa import
    import logging.config
    from sanic.log import LOGGING_CONFIG_DEFAULTS, access_logger, error_logger
    logging.config.dictConfig(LOGGING_CONFIG_DEFAULTS)
    import structlog
    said = {RESIDENT!r}
    structlog.get_logger().debug("processor.message.parse", parse_data_text=said)
    logging.getLogger("rasa.core.processor").debug("Received user message '%s'", said)
    try:
        raise ValueError(said)
    except ValueError:
        error_logger.exception("Exception occurred while handling uri: 'http://127.0.0.1/webhooks/rest/webhook'")
        logging.getLogger("rasa.core.actions.action").error("failed", exc_info=True)
    access_logger.info("", extra={{"status": 200, "byte": 2, "host": "127.0.0.1:5005",
                                   "request": "GET http://127.0.0.1:5005/widget?ref=07700900123"}})
    logging.getLogger("bot.inbox").warning("resident said %s", said)
""")


def test_a_process_started_as_rasa_starts_writes_nothing_personal():
    done = subprocess.run([sys.executable, "-c", STARTED_LIKE_RASA], cwd=PROJECT, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "FORCE_JSON_LOGGING": "1", "LOG_LEVEL": "DEBUG"})
    assert done.returncode == 0, done.stderr
    written = done.stdout + done.stderr
    assert_nothing_personal(written)
    assert written.count(f"I live at {POSTCODE}") >= 5, written  # each of the five records above was written
    assert f"/widget?ref={PHONE}" in written and f"ValueError: my name is {NAME}" in written


# -- the running assistant ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def assistant(tmp_path_factory):
    from tests.support.assistant import knowledge_base, start_assistant

    url = knowledge_base(tmp_path_factory.mktemp("log-privacy-kb"))
    # Debug level: Rasa then logs each message's text, its entities and the slots it sets.
    running = start_assistant(tmp_path_factory.mktemp("log-privacy"), url,
                              {"LOG_LEVEL": "DEBUG", "SIGNPOST_REST_TOKEN": "log-privacy-test"})
    yield running
    running.stop()


def test_the_assistant_s_own_logs_keep_nothing_personal(assistant):
    for message in (RESIDENT, "debt advice near L20 3NJ", "this is Sam Jones, call me on 07700 900123"):
        body = json.dumps({"sender": "log-privacy", "message": message}).encode()
        request = urllib.request.Request(f"{assistant.url}/webhooks/rest/webhook", data=body, headers={
            "Content-Type": "application/json", "Authorization": "Bearer log-privacy-test"})
        with urllib.request.urlopen(request, timeout=60) as response:
            assert json.load(response)
    assistant.stop()  # so every log line is written
    logs = "\n".join((assistant.workdir / name).read_text() for name in ("rasa.log", "actions.log"))
    assert_nothing_personal(logs)
    assert f"my name is {NAME}, ring {PHONE} or {EMAIL}, I live at {POSTCODE}" in logs  # Rasa did log the message
