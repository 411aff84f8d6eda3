"""Which area a conversation belongs to before the resident names a place, and its council's own website."""
from __future__ import annotations

from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.settings import settings
from knowledge.models import Area, Organisation


def default_area_id(session: Session) -> Optional[str]:
    """SIGNPOST_DEFAULT_AREA, or the only area when the deployment holds one."""
    configured = settings().default_area
    if session.get(Area, configured):
        return configured
    ids = session.execute(select(Area.id).order_by(Area.id)).scalars().all()
    return ids[0] if len(ids) == 1 else None


def council_website(session: Session, area_id: Optional[str]) -> Optional[str]:
    """The council's own website (bins, council tax, parking live there): its organisation's web address."""
    area = session.get(Area, area_id) if area_id else None
    if area is None:
        return None
    return session.execute(select(Organisation.website).where(Organisation.name == area.council,
                                                              Organisation.website.is_not(None)).limit(1)).scalar()
