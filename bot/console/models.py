"""The console's own table: advisors' login sessions. Advisors, handoffs and call-backs are shared with the
assistant (bot/handoff/models.py); the transcript is ``message`` (bot/conversations.py)."""
from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String

from core.database import Base, utcnow


class AdvisorSession(Base):
    __tablename__ = "advisor_session"
    token_hash = Column(String(64), primary_key=True)  # sha256 of the cookie: a stolen table is no login
    advisor_id = Column(Integer, ForeignKey("advisor.id", ondelete="CASCADE"), nullable=False, index=True)
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    expires_at = Column(DateTime(timezone=True), nullable=False)
