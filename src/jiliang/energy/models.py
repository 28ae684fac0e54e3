"""Tables of the energy metering review and carbon measurement.

A key energy-using unit (重点用能单位) is an organization; its meters link registry instruments
(one instrument at most once: the unique constraint is the rule "a meter linked twice").
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jiliang.platform.db import Base, UTCDateTime, utcnow
from jiliang.platform.models import Audited

__all__ = [
    "EnergyActivity",
    "EnergyFinding",
    "EnergyMeter",
    "EnergyRequirement",
    "EnergyReview",
    "EnergyUnit",
]


class EnergyUnit(Audited, Base):
    """A key energy-using unit: the organization, its energy types and yearly consumption (tce)."""

    __tablename__ = "en_unit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), unique=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    energy_types: Mapped[list[str]] = mapped_column(JSON)
    consumption_tce: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EnergyRequirement(Audited, Base):
    """The theoretical number of meters needed (理论需要量) for an energy type at a level."""

    __tablename__ = "en_requirement"
    __table_args__ = (UniqueConstraint("unit_id", "energy_type", "level"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("en_unit.id"), index=True)
    energy_type: Mapped[str] = mapped_column(String(32))
    level: Mapped[int] = mapped_column(Integer)
    required: Mapped[int] = mapped_column(Integer)


class EnergyMeter(Audited, Base):
    """A meter of the unit's inventory: a registry instrument at a metering point and level."""

    __tablename__ = "en_meter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("en_unit.id"), index=True)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("reg_instrument.id"), unique=True)
    energy_type: Mapped[str] = mapped_column(String(32))
    level: Mapped[int] = mapped_column(Integer)
    point: Mapped[str] = mapped_column(String(200))
    requirement: Mapped[str | None] = mapped_column(String(32))  # GB 17167 Table 4 row code
    accuracy_class: Mapped[str | None] = mapped_column(String(32))  # when the registry has none


class EnergyReview(Audited, Base):
    """An energy metering review (能源计量审查) of a unit, dated, with the edition in force then."""

    __tablename__ = "en_review"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("en_unit.id"), index=True)
    review_date: Mapped[date] = mapped_column(Date)
    edition: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), index=True, default="draft")
    reviewer: Mapped[str] = mapped_column(String(64))
    conclusion: Mapped[str | None] = mapped_column(Text)
    report_json: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EnergyFinding(Audited, Base):
    """A finding of a review: found by the checks (``auto``) or written by the reviewer."""

    __tablename__ = "en_finding"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("en_review.id"), index=True)
    severity: Mapped[str] = mapped_column(String(12))  # major / minor / note
    clause: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    auto: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EnergyActivity(Audited, Base):
    """Activity data of a period: a quantity in the factor's unit, from a meter or estimated."""

    __tablename__ = "en_activity"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("en_unit.id"), index=True)
    period: Mapped[str] = mapped_column(String(16), index=True)
    energy_type: Mapped[str] = mapped_column(String(32))
    quantity: Mapped[float] = mapped_column(Float)
    meter_id: Mapped[int | None] = mapped_column(ForeignKey("en_meter.id"), index=True)
    u_rel: Mapped[float | None] = mapped_column(Float)  # unmetered: stated relative uncertainty
    factor_code: Mapped[str] = mapped_column(String(64))
    factor_value: Mapped[float | None] = mapped_column(Float)  # own factor instead of a shipped one
    factor_u_rel: Mapped[float | None] = mapped_column(Float)
    factor_source: Mapped[str | None] = mapped_column(String(300))
