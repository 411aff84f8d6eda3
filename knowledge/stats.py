"""Counts that tell a service team what the directory holds: per area, per need, and what is illustrative."""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knowledge.models import Area, Location, Need, Organisation, Schedule, Service, ServiceNeed


def directory_stats(session: Session) -> dict[str, Any]:
    count = lambda model: session.execute(select(func.count()).select_from(model)).scalar_one()  # noqa: E731
    per_area = {
        area_id: {"name": name, "services": services}
        for area_id, name, services in session.execute(
            select(Area.id, Area.name, func.count(Service.id)).outerjoin(Service, Service.area_id == Area.id)
            .group_by(Area.id, Area.name).order_by(Area.id))
    }
    for area_id, area_wide in session.execute(
            select(Service.area_id, func.count()).where(Service.area_wide.is_(True)).group_by(Service.area_id)):
        per_area[area_id]["area_wide"] = area_wide
    needs: dict[str, dict[str, Any]] = {
        need_id: {"name": name, "services": 0, "by_area": {}}
        for need_id, name in session.execute(select(Need.id, Need.name).order_by(Need.id))
    }
    for need_id, area_id, n in session.execute(
            select(ServiceNeed.need_id, Service.area_id, func.count())
            .join(Service, Service.id == ServiceNeed.service_id).group_by(ServiceNeed.need_id, Service.area_id)):
        needs[need_id]["services"] += n
        needs[need_id]["by_area"][area_id] = n
    return {
        "areas": per_area,
        "organisations": count(Organisation),
        "locations": count(Location),
        "illustrative_locations": session.execute(
            select(func.count()).select_from(Location).where(Location.illustrative.is_(True))).scalar_one(),
        "services": count(Service),
        "charged_services": session.execute(
            select(func.count()).select_from(Service).where(Service.is_free.is_(False))).scalar_one(),
        "schedules": count(Schedule),
        "needs": needs,
    }
