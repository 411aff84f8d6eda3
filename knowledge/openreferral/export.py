"""Export the directory as Open Referral UK (HSDS 3) JSON: a page of services with their organisation,
locations, schedules, eligibility, cost options, contacts and taxonomy attributes nested inside.

Area records, and organisations or venues no service uses, go in an ``x-signpost`` block so that
exporting then importing reproduces the database exactly.
"""
from __future__ import annotations

from typing import Any, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from knowledge.models import Area, Location, Organisation, Schedule, Service, ServiceAtLocation, ServiceNeed
from knowledge.openreferral import shape


def _organisation(org: Organisation) -> dict[str, Any]:
    return {
        "id": org.id,
        "name": org.name,
        "description": org.description,
        "email": org.email,
        "website": org.website,
        "phones": [{"id": f"{org.id}:phone", "number": org.phone}] if org.phone else [],
    }


def _location(loc: Location) -> dict[str, Any]:
    attributes = [shape.attribute(loc.id, "location", shape.AREA, loc.area_id)]
    if loc.kind:
        attributes.append(shape.attribute(loc.id, "location", shape.LOCATION_KIND, loc.kind))
    if loc.illustrative:
        attributes.append(shape.attribute(loc.id, "location", shape.QUALITY, "illustrative",
                                          "Illustrative: added by a data pack, not verified by the council"))
    return {
        "id": loc.id,
        "location_type": "physical",
        "name": loc.name,
        "latitude": loc.latitude,
        "longitude": loc.longitude,
        "addresses": [{
            "id": f"{loc.id}:address",
            "location_id": loc.id,
            "address_1": loc.address_1,
            "city": loc.city,
            "postal_code": loc.postal_code,
            "country": "GB",
            "address_type": "physical",
        }],
        "attributes": attributes,
    }


def _schedule(s: Schedule) -> dict[str, Any]:
    attributes = []
    if s.term_time_only:
        attributes.append(shape.attribute(s.id, "schedule", shape.SCHEDULE, "term_time_only", "Term time only"))
    if s.illustrative:
        attributes.append(shape.attribute(s.id, "schedule", shape.QUALITY, "illustrative"))
    return {
        "id": s.id,
        "service_id": s.service_id,
        "location_id": s.location_id,
        "freq": "WEEKLY",
        "interval": 1,
        "byday": shape.BYDAY[s.weekday],
        "opens_at": s.opens_at.strftime("%H:%M:%S"),
        "closes_at": s.closes_at.strftime("%H:%M:%S"),
        "valid_from": s.valid_from.isoformat() if s.valid_from else None,
        "valid_to": s.valid_to.isoformat() if s.valid_to else None,
        "timezone": "Europe/London",
        "description": s.description,
        "attributes": attributes,
    }


def _service(svc: Service) -> dict[str, Any]:
    a = shape.attribute
    attributes = [a(svc.id, "service", shape.AREA, svc.area_id, svc.area.name)]
    attributes += [a(svc.id, "service", shape.NEEDS, link.need_id, link.need.name) for link in svc.needs]
    attributes += [a(svc.id, "service", shape.AUDIENCE, who) for who in svc.audience or []]
    attributes += [a(svc.id, "service", shape.ACCESS, route) for route in svc.access or []]
    attributes += [a(svc.id, "service", shape.LOCALITY, loc) for loc in svc.localities or []]
    if svc.area_wide:
        attributes.append(a(svc.id, "service", shape.DELIVERY, "area_wide", "Covers the whole area"))
    if svc.source:
        attributes.append(a(svc.id, "service", shape.SOURCE, "document", "Source document", svc.source))
    charged = [c for c in svc.cost_options if (c.option or "").lower() != "free"]
    return {
        "id": svc.id,
        "organization_id": svc.organisation_id,
        "name": svc.name,
        "description": svc.description,
        "url": svc.url,
        "email": svc.email,
        "status": svc.status,
        "minimum_age": svc.minimum_age,
        "maximum_age": svc.maximum_age,
        "eligibility_description": ", ".join(w.replace("_", " ") for w in svc.audience or []) or None,
        "fees_description": "; ".join(c.amount_description or "Charged" for c in charged) or ("Free" if svc.is_free else None),
        "organization": _organisation(svc.organisation) if svc.organisation else None,
        "service_areas": [{"id": f"{svc.id}:area", "service_id": svc.id, "name": svc.area.name,
                           "description": ", ".join(svc.localities) if svc.localities else None}],
        "service_at_locations": [
            {"id": sal.id, "service_id": svc.id, "location_id": sal.location_id, "location": _location(sal.location)}
            for sal in sorted(svc.service_at_locations, key=lambda x: x.id)
        ],
        "schedules": [_schedule(s) for s in sorted(svc.schedules, key=lambda x: x.id)],
        "cost_options": [
            {"id": c.id, "service_id": svc.id, "option": c.option, "amount": c.amount, "currency": c.currency,
             "amount_description": c.amount_description}
            for c in sorted(svc.cost_options, key=lambda x: x.id)
        ],
        "contacts": [
            {"id": c.id, "service_id": svc.id, "name": c.name, "email": c.email,
             "phones": [{"id": f"{c.id}:phone", "number": c.phone}] if c.phone else []}
            for c in sorted(svc.contacts, key=lambda x: x.id)
        ],
        "attributes": attributes,
    }


def _area(area: Area) -> dict[str, Any]:
    return {c.name: getattr(area, c.name) for c in Area.__table__.columns}


def export_directory(session: Session, area_id: Optional[str] = None) -> dict[str, Any]:
    """The whole directory (or one area's) as an Open Referral UK page of services."""
    query = (
        select(Service)
        .options(
            selectinload(Service.area), selectinload(Service.organisation),
            selectinload(Service.needs).selectinload(ServiceNeed.need),
            selectinload(Service.cost_options), selectinload(Service.contacts), selectinload(Service.schedules),
            selectinload(Service.service_at_locations).selectinload(ServiceAtLocation.location),
        )
        .order_by(Service.id)
    )
    areas_query = select(Area).order_by(Area.id)
    orgs_query = select(Organisation).order_by(Organisation.id)
    locations_query = select(Location).order_by(Location.id)
    if area_id:
        query = query.where(Service.area_id == area_id)
        areas_query = areas_query.where(Area.id == area_id)
        locations_query = locations_query.where(Location.area_id == area_id)
    services = session.execute(query).scalars().all()
    contents = [_service(svc) for svc in services]
    used_orgs = {svc.organisation_id for svc in services}
    used_locations = {sal.location_id for svc in services for sal in svc.service_at_locations}
    extension = {
        "format": "Open Referral UK 3.0 (HSDS 3.0) with Signpost taxonomies",
        "areas": [_area(a) for a in session.execute(areas_query).scalars()],
        "organisations": [_organisation(o) for o in session.execute(orgs_query).scalars()
                          if o.id not in used_orgs and not area_id],
        "locations": [_location(loc) for loc in session.execute(locations_query).scalars()
                      if loc.id not in used_locations],
    }
    return {
        "total_items": len(contents),
        "total_pages": 1,
        "page_number": 1,
        "size": len(contents),
        "first_page": True,
        "last_page": True,
        "empty": not contents,
        "contents": contents,
        shape.EXTENSION: extension,
    }
