"""SQLAlchemy models of the service directory, shaped on Open Referral UK (HSDS 3).

Areas (councils) hold organisations, locations and services; a service has needs (our taxonomy),
eligibility, cost options, contacts, the locations it is offered at and its regular weekly schedules.
Derived tables make search fast: ``search_point`` (one row per service, venue and need, with the filters
search uses), ``service_term`` (an inverted index of words), ``service_vector`` (each service's sentence
embedding) and ``directory_version`` (bumped on every change, so a search process knows to re-read).
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    Boolean,
    LargeBinary,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
)
from sqlalchemy.orm import relationship

from core.database import Base


class Area(Base):
    """A council area: its localities, its front door for residents and its advisor team."""

    __tablename__ = "area"
    id = Column(String(64), primary_key=True)
    name = Column(String(200), nullable=False)
    council = Column(String(200), nullable=False)
    advisor_team = Column(String(200), nullable=False)
    front_door_name = Column(String(200))
    phone = Column(String(64))
    email = Column(String(200))
    web = Column(String(500))
    # [{"days": ["mon", ...], "opens": "09:00", "closes": "17:00"}]
    opening_hours: Any = Column(JSON, nullable=False, default=list)
    # {"illustrative": true, "periods": [{"from": "2026-10-26", "to": "2026-10-30", "name": ...}]}
    school_holidays: Any = Column(JSON, nullable=False, default=dict)
    # Where to report a worry about a child or an adult, and where to turn with nowhere to sleep tonight:
    # {"children": {"name", "phone", "web", "hours"}, "adults": {...}, "homeless": {...}, "illustrative": bool}
    safeguarding: Any = Column(JSON, nullable=False, default=dict)
    localities: Any = Column(JSON, nullable=False, default=list)  # locality names, in display order
    sources: Any = Column(JSON, nullable=False, default=list)

    services = relationship("Service", back_populates="area")


class Need(Base):
    """A need from the controlled vocabulary (``knowledge/data/needs.yaml``)."""

    __tablename__ = "need"
    id = Column(String(64), primary_key=True)
    name = Column(String(200), nullable=False)
    synonyms: Any = Column(JSON, nullable=False, default=list)


class Organisation(Base):
    __tablename__ = "organisation"
    id = Column(String(128), primary_key=True)
    name = Column(String(300), nullable=False)
    description = Column(Text)
    email = Column(String(200))
    website = Column(String(500))
    phone = Column(String(64))


class Location(Base):
    """A venue. ``illustrative`` marks venues a data pack added that no council has verified."""

    __tablename__ = "location"
    id = Column(String(128), primary_key=True)
    area_id = Column(String(64), ForeignKey("area.id"), nullable=False, index=True)
    name = Column(String(300), nullable=False)
    kind = Column(String(64))
    address_1 = Column(String(300))
    city = Column(String(120))
    postal_code = Column(String(16))
    latitude = Column(Float)
    longitude = Column(Float)
    illustrative = Column(Boolean, nullable=False, default=False)


class Service(Base):
    __tablename__ = "service"
    id = Column(String(128), primary_key=True)
    area_id = Column(String(64), ForeignKey("area.id"), nullable=False, index=True)
    organisation_id = Column(String(128), ForeignKey("organisation.id"), index=True)
    name = Column(String(300), nullable=False)
    description = Column(Text)
    url = Column(String(500))
    email = Column(String(200))
    status = Column(String(32), nullable=False, default="active")
    # Eligibility: ages in years (None = no limit) and who it is for.
    minimum_age = Column(Integer)
    maximum_age = Column(Integer)
    audience: Any = Column(JSON, nullable=False, default=list)
    # How to get it: drop_in, self_referral, booking, professional_referral.
    access: Any = Column(JSON, nullable=False, default=list)
    is_free = Column(Boolean, nullable=False, default=True)
    area_wide = Column(Boolean, nullable=False, default=False)
    localities: Any = Column(JSON)  # None = the whole area
    source = Column(String(200))

    area = relationship(Area, back_populates="services")
    organisation = relationship(Organisation)
    needs = relationship("ServiceNeed", cascade="all, delete-orphan", order_by="ServiceNeed.rank")
    cost_options = relationship("CostOption", cascade="all, delete-orphan")
    contacts = relationship("Contact", cascade="all, delete-orphan")
    service_at_locations = relationship("ServiceAtLocation", cascade="all, delete-orphan")
    schedules = relationship("Schedule", cascade="all, delete-orphan")


class ServiceNeed(Base):
    """Links a service to a need (Open Referral's taxonomy attribute); rank 0 is the main need."""

    __tablename__ = "service_need"
    service_id = Column(String(128), ForeignKey("service.id"), primary_key=True)
    need_id = Column(String(64), ForeignKey("need.id"), primary_key=True)
    rank = Column(Integer, nullable=False, default=0)
    need = relationship(Need)


class CostOption(Base):
    __tablename__ = "cost_option"
    id = Column(String(200), primary_key=True)
    service_id = Column(String(128), ForeignKey("service.id"), nullable=False, index=True)
    option = Column(String(200))
    amount = Column(Float)
    currency = Column(String(3))
    amount_description = Column(Text)


class Contact(Base):
    __tablename__ = "contact"
    id = Column(String(200), primary_key=True)
    service_id = Column(String(128), ForeignKey("service.id"), nullable=False, index=True)
    name = Column(String(200))
    phone = Column(String(64))
    email = Column(String(200))


class ServiceAtLocation(Base):
    __tablename__ = "service_at_location"
    id = Column(String(300), primary_key=True)
    service_id = Column(String(128), ForeignKey("service.id"), nullable=False, index=True)
    location_id = Column(String(128), ForeignKey("location.id"), nullable=False, index=True)
    location = relationship(Location)


class Schedule(Base):
    """A regular weekly session (RFC 5545 style: FREQ=WEEKLY;BYDAY=MO) in Europe/London local time."""

    __tablename__ = "schedule"
    id = Column(String(300), primary_key=True)
    service_id = Column(String(128), ForeignKey("service.id"), nullable=False, index=True)
    location_id = Column(String(128), ForeignKey("location.id"), index=True)
    weekday = Column(Integer, nullable=False)  # Monday = 0, as in Python
    opens_at: Optional[dt.time] = Column(Time, nullable=False)
    closes_at: Optional[dt.time] = Column(Time, nullable=False)
    valid_from: Optional[dt.date] = Column(Date)
    valid_to: Optional[dt.date] = Column(Date)
    term_time_only = Column(Boolean, nullable=False, default=False)
    illustrative = Column(Boolean, nullable=False, default=False)
    description = Column(Text)


class SearchPoint(Base):
    """Derived: one row per (service, venue, need) carrying every filter search applies.

    Area-wide services have no venue (``location_id`` and coordinates are NULL). ``days_mask`` has bit
    ``1 << weekday`` set for each weekday the service meets at that venue (0: no timetable).
    """

    __tablename__ = "search_point"
    id = Column(Integer, primary_key=True, autoincrement=True)
    service_id = Column(String(128), ForeignKey("service.id"), nullable=False, index=True)
    location_id = Column(String(128), ForeignKey("location.id"))
    need_id = Column(String(64), nullable=False)
    need_rank = Column(Integer, nullable=False, default=0)  # 0 when it is the service's main need
    area_id = Column(String(64), nullable=False)
    latitude = Column(Float)
    longitude = Column(Float)
    minimum_age = Column(Integer)
    maximum_age = Column(Integer)
    is_free = Column(Boolean, nullable=False)
    area_wide = Column(Boolean, nullable=False)
    days_mask = Column(Integer, nullable=False, default=0)

    __table_args__ = (
        Index("ix_search_point_need_lat", "need_id", "latitude"),
        Index("ix_search_point_lat", "latitude"),
        Index("ix_search_point_area_wide", "area_id", "area_wide", "need_id"),
    )


class ServiceTerm(Base):
    """Derived: inverted index of the words of each service's name, provider and description.

    ``term`` is a word's own form ("boxing") or, prefixed with ``~``, its family ("~box"); see
    ``knowledge.text``. ``weight`` is the word's count with each field weighted (a name counts more).
    """

    __tablename__ = "service_term"
    term = Column(String(65), primary_key=True)
    service_id = Column(String(128), ForeignKey("service.id"), primary_key=True, index=True)
    weight = Column(Float, nullable=False, default=1.0)


class ServiceVector(Base):
    """Derived: the sentence embedding of a service's name and description (float32 bytes, unit length),
    computed when the service is loaded so that a search only embeds the resident's words."""

    __tablename__ = "service_vector"
    service_id = Column(String(128), ForeignKey("service.id"), primary_key=True)
    vector = Column(LargeBinary, nullable=False)


class DirectoryVersion(Base):
    """One row whose ``serial`` goes up with every load, so a search process re-reads its index."""

    __tablename__ = "directory_version"
    id = Column(Integer, primary_key=True)
    serial = Column(Integer, nullable=False, default=0)
    derived_format = Column(Integer, nullable=False, default=0)  # how the derived rows were built


#: Tables holding a directory's own data, parents before children (for loading and deleting).
DIRECTORY_TABLES = [
    Area.__table__,
    Need.__table__,
    Organisation.__table__,
    Location.__table__,
    Service.__table__,
    ServiceNeed.__table__,
    CostOption.__table__,
    Contact.__table__,
    ServiceAtLocation.__table__,
    Schedule.__table__,
]
DERIVED_TABLES = [SearchPoint.__table__, ServiceTerm.__table__, ServiceVector.__table__]
