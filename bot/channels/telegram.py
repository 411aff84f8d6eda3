"""The Telegram channel: residents talk to Signpost in a Telegram chat.

A Rasa custom input channel (``credentials.yml``: ``bot.channels.telegram.TelegramInput:``) running one
python-telegram-bot ``Application`` inside Rasa's own server: long polling for development, a webhook
for production (Telegram's secret token checked on every request). With no ``TELEGRAM_BOT_TOKEN`` it
stays off. Every message goes through ``bot.inbox`` (stored first, the same limits as the web widget,
silent while an advisor has the conversation); replies go out through ``telegram_outbox`` (split,
escaped, retried, never lost silently).

Settings (environment):
  TELEGRAM_BOT_TOKEN            the bot's token from @BotFather; unset: the channel is off
  TELEGRAM_MODE                 polling (default) | webhook
  TELEGRAM_WEBHOOK_URL          webhook mode: the public HTTPS address of /webhooks/telegram/webhook
  TELEGRAM_SECRET_TOKEN         webhook mode: the secret Telegram sends with every update
  TELEGRAM_API_BASE_URL         the Bot API address (default https://api.telegram.org/bot)
  SIGNPOST_PRIVACY_URL          the council's privacy notice, linked from /start and /privacy
  TELEGRAM_SEND_ATTEMPTS, TELEGRAM_RETRY_BACKOFF_SECONDS, TELEGRAM_RETRY_INTERVAL_SECONDS,
  TELEGRAM_RETRY_FOR_HOURS      how sends are retried (see the README)
"""
from __future__ import annotations

import asyncio
import collections
import datetime as dt
import hmac
import json
import logging
import re
import weakref
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Mapping, Optional

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from telegram import BotCommand, Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from bot import conversations as store
from bot import delivery, web_guard
from bot.channels.telegram_format import parse_callback
from bot.channels.telegram_outbox import CHANNEL, Outbox, SendPolicy, lock_for
from bot.forgetting import forget
from bot.delivery import Handler, Reply
from bot.inbox import Inbox
from bot.leases import Lease
from bot.states import Author
from core.settings import SettingsError, load, settings

log = logging.getLogger(__name__)

# Personal data and the token stay out of the logs: the Bot API address carries the token (httpx logs
# it), python-telegram-bot logs every call's parameters (residents' messages) at debug level, and
# repeats any answer it cannot parse (which may echo a message) at error level; that error reaches us
# as an exception, logged by its type.
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("telegram").setLevel(logging.INFO)
logging.getLogger("telegram.request").setLevel(logging.CRITICAL)

SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts as a webhook secret token
ALLOWED_UPDATES = ["message", "callback_query"]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: how often a server waiting to poll asks whether the polling server still holds its lease
LEASE_CHECK_SECONDS = 5.0
SHORTCUTS = [{"title": "What's on near me", "payload": "/whats_on"},
             {"title": "Money and debt advice", "payload": "/need_debt_money"},
             {"title": "Talk to a person", "payload": "/human_handoff"}]
COMMANDS = [BotCommand("start", "What I can do"), BotCommand("help", "How to ask"),
            BotCommand("human", "Talk to a person"), BotCommand("privacy", "What I keep and for how long"),
            BotCommand("forget", "Erase our conversation")]

START = ("Hello, I'm Signpost, the council's assistant. Tell me what you need and where, like \"debt advice "
         "in Southport\", and I'll find local services, when they're on and how to reach them.\n"
         "Share your location (\U0001F4CE, then Location) to find the nearest, or send /human to talk to a "
         "person at any time.\n"
         "Privacy: {privacy}")
HELP = ("Tell me what you need and where, in your own words: \"debt advice in Southport\", \"summat for my "
        "toddler tomorrow in Bootle\", \"youth club in Maghull after school\". I'll show you the nearest "
        "services, when they're on, what they cost and how to get in touch. Share your location "
        "(\U0001F4CE, then Location) to find what's nearest to you.\n\n"
        "/human - talk to a person from the council's advisor team\n"
        "/privacy - what I keep, for how long, and how to erase it\n"
        "/forget - erase our conversation\n\n"
        "If someone is in danger, call 999.")
PRIVACY = ("What I keep: your messages to me and my replies (including any location you share), and, if you "
           "ask for a person, a short note of what you need for the council's advisor. They're linked to this "
           "Telegram chat, not to your name or phone number, and are used to answer you and so that an "
           "advisor can pick up where we left off.\n\n"
           "For how long: for {days} days after your last message, unless you erase them sooner.\n\n"
           "To erase them, send /forget: it removes your messages, my replies, any request for an advisor and "
           "my memory of what you asked, straight away. It can't remove the messages in your Telegram app; "
           "you can clear the chat there.\n\n"
           "Telegram also carries these messages under its own privacy policy: https://telegram.org/privacy"
           "{notice}")
FORGOTTEN = ("Done. I've erased our conversation: your messages, my replies, any request for an advisor and my "
             "memory of what you asked. The messages in your Telegram app stay there until you clear the chat. "
             "Send me a message any time to start again.")
FORGET_FAILED = ("Sorry, I couldn't erase our conversation just now. Please send /forget again in a minute; "
                 "if it still doesn't work, ask the council to erase it.")
NOT_TEXT = ("Sorry, I can only read text messages and shared locations. Please type what you're looking for, "
            "or share your location (\U0001F4CE, then Location).")
APOLOGY = ("Sorry, something went wrong on my side. Please try again in a minute. "
           "If someone is in danger, call 999.")
EXPIRED = "That button has expired. Please type what you need."


@dataclass(frozen=True)
class TelegramSettings:
    token: str = ""
    mode: str = "polling"
    webhook_url: str = ""
    secret_token: str = ""
    base_url: str = "https://api.telegram.org/bot"
    privacy_url: str = ""
    policy: SendPolicy = field(default_factory=SendPolicy)

    @property
    def enabled(self) -> bool:
        return bool(self.token)

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> "TelegramSettings":
        """The channel's part of the settings (``core.settings``: those read at start-up, or ``env``'s), with
        the checks that join several of them; a channel configured wrongly refuses to start, saying why."""
        given = settings() if env is None else load(env)
        result = cls(
            token=given.telegram_bot_token, mode=given.telegram_mode, webhook_url=given.telegram_webhook_url,
            secret_token=given.telegram_secret_token, base_url=given.telegram_api_base_url,
            privacy_url=given.privacy_url,
            policy=SendPolicy(attempts=given.telegram_send_attempts, backoff=given.telegram_retry_backoff_seconds,
                              retry_interval=given.telegram_retry_interval_seconds,
                              retry_for=dt.timedelta(hours=given.telegram_retry_for_hours)))
        if result.token and result.mode == "webhook":
            if not result.webhook_url.startswith("https://"):
                raise SettingsError("TELEGRAM_WEBHOOK_URL must be set to the public https:// address of "
                                    "/webhooks/telegram/webhook in webhook mode")
            if not SECRET.match(result.secret_token):
                raise SettingsError("TELEGRAM_SECRET_TOKEN must be set in webhook mode: 1-256 characters of "
                                    "A-Z, a-z, 0-9, _ and -")
        return result


def _fixed_answer(text: str, buttons: Optional[list[dict[str, str]]] = None) -> Handler:
    """Stands in for the assistant when the channel answers a command itself, so the command and its
    answer are stored and limited like any other message."""
    async def answer(message: UserMessage) -> None:  # one message, paragraphs and all
        await message.output_channel.send_text_with_buttons(message.sender_id, text, list(buttons or []))
    return answer


class TelegramChannel:
    """The running channel: one Application, its handlers, and the outbox."""

    def __init__(self, settings: TelegramSettings, on_new_message: Handler, inbox: Optional[Inbox] = None):
        self.settings = settings
        self.on_new_message = on_new_message
        self.inbox = inbox or Inbox(CHANNEL)
        self.application = self._build()
        self.outbox = Outbox(self.application.bot, self.inbox, settings.policy)
        self.sanic_app: Any = None
        self.ready = False
        self._locks: "weakref.WeakValueDictionary[str, asyncio.Lock]" = weakref.WeakValueDictionary()
        self._seen: collections.deque[int] = collections.deque(maxlen=1000)  # webhook redeliveries
        self._tasks: list[asyncio.Task] = []

    def _build(self) -> Application:
        builder = (Application.builder().token(self.settings.token).base_url(self.settings.base_url)
                   .concurrent_updates(32).job_queue(None)
                   .connect_timeout(10).read_timeout(20).write_timeout(20).pool_timeout(10))
        if self.settings.mode == "webhook":
            builder = builder.updater(None)
        application = builder.build()
        private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
        for name, callback in (("start", self.on_start), ("help", self.on_help), ("human", self.on_human),
                               ("privacy", self.on_privacy), ("forget", self.on_forget)):
            application.add_handler(CommandHandler(name, callback, filters=private))
        application.add_handler(MessageHandler(private & filters.COMMAND, self.on_help))
        application.add_handler(MessageHandler(private & filters.LOCATION, self.on_location))
        application.add_handler(MessageHandler(private & filters.TEXT, self.on_text))
        application.add_handler(MessageHandler(private, self.on_other))
        application.add_handler(CallbackQueryHandler(self.on_button))
        application.add_error_handler(self.on_error)
        return application

    def chat_lock(self, chat_id: str) -> asyncio.Lock:
        """One message at a time per chat, so the assistant reads a resident's messages in order."""
        return lock_for(self._locks, chat_id)

    # -- what residents send -----------------------------------------------------------------------------

    async def pass_on(self, update: Update, text: str, extra: Optional[dict[str, Any]] = None,
                      answer: Optional[Handler] = None) -> None:
        """Store the message, let the assistant (or a fixed answer) reply, and send the replies."""
        chat_id = str(update.effective_chat.id)
        async with self.chat_lock(chat_id):
            try:
                replies = await self.inbox.receive(chat_id, text, answer or self.on_new_message, extra=extra)
            except Exception as exc:  # the message stays stored (if it got that far) and is answered at start
                log.error("a Telegram message could not be answered (%s)", type(exc).__name__)
                log.debug("why", exc_info=True)
                replies = None
            else:
                self.outbox.enqueue(chat_id, replies)
        if replies is None:
            await self.outbox.send_unstored(chat_id, APOLOGY)

    async def on_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        privacy = self.settings.privacy_url or "send /privacy to see what I keep and how to erase it"
        await self.pass_on(update, update.message.text, answer=_fixed_answer(START.format(privacy=privacy),
                                                                            SHORTCUTS))

    async def on_help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.pass_on(update, update.message.text, answer=_fixed_answer(HELP, SHORTCUTS))

    async def on_privacy(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        url = self.settings.privacy_url
        text = PRIVACY.format(days=settings().retention_days,
                              notice=f"\n\nThe council's privacy notice: {url}" if url else "")
        await self.pass_on(update, update.message.text, answer=_fixed_answer(text))

    async def on_human(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.pass_on(update, "/human_handoff", extra={"command": "/human"})

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.pass_on(update, update.message.text)

    async def on_location(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        location = update.message.location
        latitude, longitude = round(location.latitude, 4), round(location.longitude, 4)
        place = f"{latitude:.4f},{longitude:.4f}"
        await self.pass_on(update, "/inform_place" + json.dumps({"place": place}),
                           extra={"location": {"latitude": latitude, "longitude": longitude}})

    async def on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Photos, stickers, voice notes: a polite word (stored as what kind of message it was)."""
        message = update.message
        kind = next((k for k in ("photo", "sticker", "voice", "video", "video_note", "audio", "document",
                                 "animation", "contact", "poll") if getattr(message, k, None)), "message")
        await self.pass_on(update, f"({kind})", answer=_fixed_answer(NOT_TEXT))

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A quick-reply button: its payload, found from the stored reply it belongs to, is the message."""
        query = update.callback_query
        chat = update.effective_chat
        pressed = parse_callback(query.data)
        button = self._stored_button(str(chat.id), *pressed) if chat and pressed else None
        if button is None:
            await self._quietly(query.answer(EXPIRED))
            return
        await self._quietly(query.answer())
        if query.message is not None:  # the keyboard has done its job: take it away so it isn't pressed twice
            await self._quietly(query.edit_message_reply_markup(reply_markup=None))
        await self.pass_on(update, button["payload"], extra={"button": button["title"]})

    def _stored_button(self, chat_id: str, message_id: int, index: int) -> Optional[dict[str, str]]:
        with self.inbox.sessions() as session:
            message = session.get(store.Message, message_id)
            if (message is None or message.author == Author.RESIDENT
                    or message.conversation_id != store.conversation_id(CHANNEL, chat_id)):
                return None
            buttons = list(message.buttons or [])
        if index >= len(buttons):
            return None
        button = buttons[index]
        payload = button.get("payload") or button.get("title")
        return {"payload": payload, "title": button.get("title") or payload} if payload else None

    async def on_forget(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Erase the conversation: our messages and handoff records, and Rasa's tracker. Nothing about it is
        stored afterwards, not even this command."""
        chat_id = str(update.effective_chat.id)
        cid = store.conversation_id(CHANNEL, chat_id)
        agent = getattr(getattr(self.sanic_app, "ctx", None), "agent", None)
        erased = None
        async with self.chat_lock(chat_id):
            try:
                if agent is None:
                    raise RuntimeError("the assistant is not loaded")
                async with agent.lock_store.lock(cid):  # not while the assistant is answering this chat
                    erased = forget(self.inbox.sessions, cid, agent.tracker_store)
            except Exception as exc:
                log.error("erasing a Telegram conversation failed (%s)", type(exc).__name__)
                log.debug("why", exc_info=True)
        if erased is None:
            await self.outbox.send_unstored(chat_id, FORGET_FAILED)
            return
        log.info("erased a Telegram conversation on request (%d messages)", erased)
        await self.outbox.send_unstored(chat_id, FORGOTTEN)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("a Telegram update could not be handled (%s)", type(context.error).__name__)
        log.debug("why", exc_info=context.error)

    @staticmethod
    async def _quietly(call: Awaitable[Any]) -> None:
        try:
            await call
        except TelegramError as exc:
            log.info("a Telegram button acknowledgement failed (%s)", type(exc).__name__)

    # -- webhook -----------------------------------------------------------------------------------------

    async def webhook(self, request: Request) -> response.HTTPResponse:
        if self.settings.mode != "webhook":
            return response.json({"error": "the Telegram channel is polling, not using a webhook"}, status=404)
        secret = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(secret.encode(), self.settings.secret_token.encode()):
            return response.json({"error": "forbidden"}, status=403)
        if not self.ready:
            return response.json({"error": "starting"}, status=503)  # Telegram sends it again later
        try:
            data = json.loads(request.body or b"")
            update = Update.de_json(data, self.application.bot) if isinstance(data, dict) else None
        except Exception:  # not JSON, or not shaped like an update
            update = None
        if update is None:
            return response.json({"error": "not a Telegram update"}, status=400)
        if update.update_id in self._seen:
            return response.json({"ok": True})
        self._seen.append(update.update_id)
        # Answered before acknowledging: the message and the replies are stored once Telegram hears "ok"
        # (the replies are then sent in the background).
        await self.application.process_update(update)
        return response.json({"ok": True})

    # -- starting and stopping ---------------------------------------------------------------------------

    async def _until_done(self, what: str, call: Callable[[], Awaitable[Any]]) -> Any:
        """Telegram unreachable at start must not stop the assistant: keep trying, ever more slowly."""
        delay = 1.0
        while True:
            try:
                return await call()
            except InvalidToken:
                raise
            except TelegramError as exc:
                log.warning("Telegram: %s failed (%s); trying again in %.0f s", what, type(exc).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)

    async def show_typing(self, chat_id: str, on: bool) -> bool:
        """An advisor is typing: Telegram shows "typing..." for about five seconds (it has no "stop")."""
        if not on:
            return True
        try:
            await self.application.bot.send_chat_action(chat_id, "typing")
            return True
        except TelegramError as exc:
            log.info("Telegram: could not show typing (%s)", type(exc).__name__)
            return False

    async def start(self, app: Any) -> None:
        self.sanic_app = app
        self.inbox.attach(app)
        self._tasks.append(asyncio.get_running_loop().create_task(self._start()))

    async def _start(self) -> None:
        try:
            await self._until_done("connecting", self.application.initialize)
        except InvalidToken:
            log.error("Telegram rejected TELEGRAM_BOT_TOKEN: the Telegram channel is off")
            return
        await self.application.start()
        delivery.register(CHANNEL, self.outbox.deliver)
        delivery.register_typing(CHANNEL, self.show_typing)
        # First what was left undone when the server last stopped: replies not yet delivered, then
        # messages stored but not yet answered, before any new message is read.
        engine = self.inbox.sessions.kw["bind"]
        if not Lease(engine, "telegram").shared:  # one server: nothing can be in flight elsewhere
            await self.outbox.retry_undelivered()
            for cid, replies in await self.inbox.catch_up(self.on_new_message):
                self.outbox.enqueue(cid.partition(":")[2], replies)

        async def push(cid: str, replies: list[Reply]) -> None:
            self.outbox.enqueue(cid.partition(":")[2], replies)
        try:
            await self.application.bot.set_my_commands(COMMANDS)
        except TelegramError as exc:
            log.info("Telegram: could not set the command menu (%s)", type(exc).__name__)
        if self.settings.mode == "webhook":
            await self._until_done("setting the webhook", lambda: self.application.bot.set_webhook(
                self.settings.webhook_url, secret_token=self.settings.secret_token,
                allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False))
        else:
            self._tasks.append(asyncio.get_running_loop().create_task(self._poll_while_leased(engine)))
        self.ready = True
        self._tasks.append(asyncio.get_running_loop().create_task(self.outbox.retry_forever(
            Lease(engine, "telegram-retries"))))
        # Messages the assistant could not answer (the action server down): answered once it is back.
        self._tasks.append(asyncio.get_running_loop().create_task(self._retry_unanswered(push)))
        log.info("Telegram channel running (%s)", self.settings.mode)

    async def _poll_while_leased(self, engine: Any) -> None:
        """Long polling on one server only (Telegram refuses two at once): the one holding the lease polls;
        the others wait, and one takes over when it dies or loses its hold on the database."""
        lease = Lease(engine, "telegram-polling")
        updater = self.application.updater
        while True:
            held = lease.held()
            if held and not updater.running:
                await self._until_done("starting to poll", lambda: updater.start_polling(
                    allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False))
            elif not held and updater.running:
                log.warning("Telegram: another server polls now")
                await updater.stop()
            await asyncio.sleep(LEASE_CHECK_SECONDS)

    async def _retry_unanswered(self, push: Callable[[str, list[Reply]], Awaitable[None]]) -> None:
        await asyncio.sleep(settings().retry_unanswered_seconds)
        await self.inbox.keep_answering(self.on_new_message, push, deferred_only=True)

    async def stop(self) -> None:
        self.ready = False
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        application = self.application
        try:
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            if application.running:
                await application.stop()
            await self.outbox.drain(timeout=5)
            await application.shutdown()
        except Exception as exc:
            log.warning("Telegram channel did not stop cleanly (%s)", type(exc).__name__)


class TelegramInput(InputChannel):
    """Rasa's view of the channel: its routes under /webhooks/telegram/ and its start and stop."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[str, Any]]) -> "TelegramInput":
        return cls(TelegramSettings.from_env())  # configured from the environment, never credentials.yml

    def __init__(self, settings: Optional[TelegramSettings] = None) -> None:
        self.settings = settings or TelegramSettings.from_env()
        self.channel: Optional[TelegramChannel] = None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        telegram = Blueprint("telegram_webhook", __name__)
        telegram.listener("before_server_start")(web_guard.before_start)
        if self.settings.enabled:
            self.channel = TelegramChannel(self.settings, on_new_message)
        channel = self.channel

        @telegram.route("/", methods=["GET"])
        async def health(request: Request) -> response.HTTPResponse:
            if channel is None:
                return response.json({"status": "off"})
            return response.json({"status": self.settings.mode if channel.ready else "starting"})

        @telegram.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> response.HTTPResponse:
            if channel is None:
                return response.json({"error": "the Telegram channel is off (no TELEGRAM_BOT_TOKEN)"}, status=503)
            return await channel.webhook(request)

        if channel is not None:
            @telegram.listener("after_server_start")
            async def start(app: Any, loop: Any) -> None:  # after the assistant is loaded
                await channel.start(app)

            @telegram.listener("before_server_stop")
            async def stop(app: Any, loop: Any) -> None:
                await channel.stop()

        return telegram
