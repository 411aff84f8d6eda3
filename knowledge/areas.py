"""Which area a conversation belongs to before the resident names a place."""
from __future__ import annotations

import os
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.models import Area


def default_area_id(session: Session) -> Optional[str]:
    """SIGNPOST_DEFAULT_AREA, or the only area when the deployment holds one."""
    configured = os.environ.get("SIGNPOST_DEFAULT_AREA", "sefton")
    if session.get(Area, configured):
        return configured
    ids = session.execute(select(Area.id).order_by(Area.id)).scalars().all()
    return ids[0] if len(ids) == 1 else None
