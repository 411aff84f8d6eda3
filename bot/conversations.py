"""Every conversation and message, stored in SQL before it is acknowledged, whatever the channel.

A conversation is identified as ``<channel>:<the channel's own id>`` ("telegram:123456",
"web:5f0c..."), never by a resident's name. Messages keep their text because advisors need the transcript;
they are erased on request (``forget``), with the assistant's own record of the conversation.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, String, Text, delete, func, select, update
from sqlalchemy.orm import Session

from bot.states import Author, MessageStatus, Mode
from core.database import Base, State, utcnow



class Conversation(Base):
    __tablename__ = "conversation"
    id = Column(String(200), primary_key=True)
    channel = Column(String(40), nullable=False)
    address = Column(String(200), nullable=False)  # where replies go: a Telegram chat id, a widget session
    mode = Column(State(Mode), nullable=False, default=Mode.BOT)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    last_seen = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class Message(Base):
    __tablename__ = "message"
    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(200), ForeignKey("conversation.id"), nullable=False)
    author = Column(State(Author), nullable=False)
    text = Column(Text, nullable=False, default="")
    buttons: Any = Column(JSON, nullable=False, default=list)
    extra: Any = Column(JSON, nullable=False, default=dict)  # a location pin, a button payload
    status = Column(State(MessageStatus), nullable=False)
    attempts = Column(Integer, nullable=False, default=0)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)

    __table_args__ = (Index("ix_message_conversation_created", "conversation_id", "created_at"),
                      Index("ix_message_status", "status"))


def storable(text: str) -> bool:
    """Whether ``text`` can be stored as it is: a lone surrogate ("\\ud800" in JSON) cannot be UTF-8."""
    try:
        text.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def readable(text: str) -> str:
    """``text`` with surrogate pairs joined and lone surrogates as U+FFFD, so it can always be stored."""
    return text if storable(text) else text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def conversation_id(channel: str, address: str) -> str:
    return f"{channel}:{address}"


def touch(session: Session, channel: str, address: str) -> Conversation:
    """The conversation for a channel address, created on first contact."""
    cid = conversation_id(channel, address)
    found = session.get(Conversation, cid)
    if found is None:
        found = Conversation(id=cid, channel=channel, address=str(address), mode=Mode.BOT, created_at=utcnow(),
                             last_seen=utcnow())
        session.add(found)
    else:
        found.last_seen = utcnow()
    return found


def record_incoming(session: Session, channel: str, address: str, text: str,
                    extra: Optional[dict[str, Any]] = None) -> Message:
    """Store a resident's message and commit, before anything else happens to it."""
    conversation = touch(session, channel, address)
    message = Message(conversation_id=conversation.id, author=Author.RESIDENT, text=text, extra=extra or {},
                      status=MessageStatus.RECEIVED, created_at=utcnow())
    session.add(message)
    session.commit()
    return message


def record_outgoing(session: Session, cid: str, author: Author, text: str, buttons: Optional[list] = None,
                    status: MessageStatus = MessageStatus.PENDING) -> Message:
    message = Message(conversation_id=cid, author=author, text=text, buttons=buttons or [], status=status,
                      created_at=utcnow())
    session.add(message)
    session.commit()
    return message


def mark(session: Session, message_id: int, status: MessageStatus, attempts: Optional[int] = None) -> None:
    values: dict[str, Any] = {"status": status}
    if attempts is not None:
        values["attempts"] = attempts
    session.execute(update(Message).where(Message.id == message_id).values(**values))
    session.commit()


def recent_incoming(session: Session, cid: str, seconds: int) -> int:
    since = utcnow() - dt.timedelta(seconds=seconds)
    return session.execute(select(func.count()).select_from(Message).where(
        Message.conversation_id == cid, Message.author == Author.RESIDENT, Message.created_at >= since)).scalar_one()


def unanswered(session: Session, channel: str, statuses: tuple[MessageStatus, ...] = (MessageStatus.RECEIVED, MessageStatus.DEFERRED),
               received_before: Optional[dt.datetime] = None) -> list[Message]:
    """Residents' messages stored but not yet answered (the server stopped mid-message, or the assistant could
    not answer), oldest first; and, with ``received_before``, those received before then and still not
    answered (a server died in the middle of them, while the others went on)."""
    chosen = Message.status.in_(statuses)
    if received_before is not None:
        chosen = chosen | ((Message.status == MessageStatus.RECEIVED) & (Message.created_at < received_before))
    return list(session.execute(
        select(Message).join(Conversation, Conversation.id == Message.conversation_id)
        .where(Conversation.channel == channel, chosen, Message.author == Author.RESIDENT)
        .order_by(Message.id)).scalars())


def earlier_texts(session: Session, cid: str, before_id: int, within: dt.timedelta, limit: int = 2) -> list[str]:
    """The resident's messages just before ``before_id`` (oldest first): what a safeguarding check reads
    with the newest one."""
    since = utcnow() - within
    rows = session.execute(select(Message.text).where(
        Message.conversation_id == cid, Message.author == Author.RESIDENT, Message.id < before_id,
        Message.created_at >= since).order_by(Message.id.desc()).limit(limit)).scalars().all()
    return list(reversed(rows))


def undelivered(session: Session, channel: str, cid: Optional[str] = None) -> list[Message]:
    """Replies not yet delivered (pending, or failed and kept for retry), oldest first; of one conversation
    when ``cid`` is given."""
    query = (select(Message).join(Conversation, Conversation.id == Message.conversation_id)
             .where(Conversation.channel == channel, Message.status.in_((MessageStatus.PENDING, MessageStatus.FAILED)), Message.author != Author.RESIDENT))
    if cid is not None:
        query = query.where(Message.conversation_id == cid)
    return list(session.execute(query.order_by(Message.id)).scalars())


def history(session: Session, cid: str, limit: int = 200) -> list[Message]:
    rows = session.execute(select(Message).where(Message.conversation_id == cid)
                           .order_by(Message.id.desc()).limit(limit)).scalars().all()
    return list(reversed(rows))


def forget(session: Session, cid: str) -> int:
    """Erase a conversation: its messages and the record of it. Returns how many messages went."""
    gone = session.execute(delete(Message).where(Message.conversation_id == cid)).rowcount
    session.execute(delete(Conversation).where(Conversation.id == cid))
    session.commit()
    return gone or 0
