"""Tables of the registry: instrument types, instruments, standards, reference materials,
verification and calibration records, the standards' own calibrations, reminders, work orders.

Indexes follow the questions asked most: the filtered register (status, type, owner, district),
the due list (``next_due_on``), the metrics by district/type/owner, a record's standards, and a
standard's calibration history (for traceability).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, validates

from jiliang.platform.cells import identity_text
from jiliang.platform.db import Base, UTCDateTime, utcnow
from jiliang.platform.models import Audited

__all__ = [
    "Instrument",
    "InstrumentStatus",
    "InstrumentType",
    "MeasurementStandard",
    "ReferenceMaterial",
    "Reminder",
    "StandardCalibration",
    "StandardLevel",
    "Use",
    "Verification",
    "VerificationStandard",
    "WorkOrder",
]


class InstrumentStatus(StrEnum):
    IN_USE = "in_use"
    BOOKED = "booked"
    OVERDUE = "overdue"
    BLOCKED = "blocked"
    RETIRED = "retired"


class Use(StrEnum):
    """The four fields of compulsory verification (强制检定的四个领域)."""

    TRADE_SETTLEMENT = "trade_settlement"  # 贸易结算
    SAFETY = "safety"  # 安全防护
    MEDICAL = "medical"  # 医疗卫生
    ENVIRONMENT = "environment"  # 环境监测


class StandardLevel(StrEnum):
    NATIONAL = "national"  # 计量基准 (national primary standard)
    PUBLIC = "public"  # 社会公用计量标准
    DEPARTMENTAL = "departmental"  # 部门最高计量标准
    ENTERPRISE = "enterprise"  # 企事业单位最高计量标准


class InstrumentType(Audited, Base):
    """An item of the catalogue (or a type the city added)."""

    __tablename__ = "reg_instrument_type"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(48), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(100))
    uses: Mapped[list[str]] = mapped_column(JSON)
    regulation: Mapped[str | None] = mapped_column(String(200))
    period_months: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[str] = mapped_column(String(48))
    tolerance_percent: Mapped[float | None] = mapped_column(Float)
    aliases: Mapped[list[str]] = mapped_column(JSON)
    edition: Mapped[str] = mapped_column(String(16))  # catalogue edition, or "city"
    effective_from: Mapped[date] = mapped_column(Date)
    compulsory: Mapped[bool] = mapped_column(Boolean, default=True)


def _serial_key(context: Any) -> str:
    """Default of ``serial_key`` for inserts that give only ``serial`` (ORM or Core)."""
    return identity_text(str(context.get_current_parameters()["serial"]))


# the instruments 受检率 counts (compulsory, not retired), spelled as each database's planner must
# see them in the query to use the partial index (see registry.metrics._grouped)
RATE_WHERE_SQLITE = "compulsory IS 1 AND status != 'retired'"
RATE_WHERE_PG = "compulsory IS true AND status != 'retired'"


class Instrument(Audited, Base):
    __tablename__ = "reg_instrument"
    __table_args__ = (
        UniqueConstraint("owner_id", "type_id", "serial", name="uq_reg_instrument_identity"),
        # identity: one instrument per owner, type and serial in its identity form (0002)
        Index("uq_reg_instrument_serial_key", "owner_id", "type_id", "serial_key", unique=True),
        # due list: next_due_on range, status filter, ordered by due date
        Index("ix_reg_instrument_due", "next_due_on", "status"),
        # filtered lists are ordered by id: each index ends with id so a page is an index range
        Index("ix_reg_instrument_status_id", "status", "id"),
        Index("ix_reg_instrument_type_status_id", "type_id", "status", "id"),
        Index("ix_reg_instrument_district_type_id", "district_id", "type_id", "id"),
        Index("ix_reg_instrument_owner_status_id", "owner_id", "status", "id"),
        # 受检率 in one index-only pass, in group order (metrics._grouped; 0003)
        Index(
            "ix_reg_instrument_rate",
            "district_id",
            "type_id",
            "owner_id",
            "last_result",
            "next_due_on",
            sqlite_where=text(RATE_WHERE_SQLITE),
            postgresql_where=text(RATE_WHERE_PG),
        ),
        # serial prefix search (LIKE 'abc%') on PostgreSQL whatever the collation
        Index("ix_reg_instrument_serial", "serial", postgresql_ops={"serial": "varchar_pattern_ops"}),
        Index(
            "ix_reg_instrument_serial_key", "serial_key", postgresql_ops={"serial_key": "varchar_pattern_ops"}
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("reg_instrument_type.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id"))
    serial: Mapped[str] = mapped_column(String(64))  # as written by the owner (display form)
    serial_key: Mapped[str] = mapped_column(String(128), default=_serial_key)  # identity form
    model: Mapped[str | None] = mapped_column(String(100))
    manufacturer: Mapped[str | None] = mapped_column(String(200))
    accuracy_class: Mapped[str | None] = mapped_column(String(32))
    measuring_range: Mapped[str | None] = mapped_column(String(100))
    location: Mapped[str | None] = mapped_column(String(200))
    use: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(12), default=InstrumentStatus.IN_USE.value)
    compulsory: Mapped[bool] = mapped_column(Boolean, default=True)
    period_months: Mapped[int | None] = mapped_column(Integer)  # overrides the type's period
    last_verified_on: Mapped[date | None] = mapped_column(Date)
    last_result: Mapped[str | None] = mapped_column(String(8))
    next_due_on: Mapped[date | None] = mapped_column(Date)
    booked_on: Mapped[date | None] = mapped_column(Date)
    booked_lab_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @validates("serial")
    def _keep_serial_key(self, _key: str, value: str) -> str:
        self.serial_key = identity_text(value)
        return value


class MeasurementStandard(Audited, Base):
    """A measurement standard (计量标准) or a national primary standard (计量基准).

    ``uncertainty`` is the relative expanded uncertainty (k=2) in percent of the value, so ratios
    between a standard and what it calibrates are comparable across ranges.
    """

    __tablename__ = "reg_standard"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(16), index=True)
    quantity: Mapped[str] = mapped_column(String(48), index=True)
    range_min: Mapped[float | None] = mapped_column(Float)
    range_max: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(32))
    uncertainty: Mapped[float | None] = mapped_column(Float)
    accuracy_class: Mapped[str | None] = mapped_column(String(32))
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    approval_no: Mapped[str | None] = mapped_column(String(64))  # 计量标准考核证书
    approval_valid_until: Mapped[date | None] = mapped_column(Date)
    covers: Mapped[list[str]] = mapped_column(JSON)  # instrument type codes it can verify
    published: Mapped[bool] = mapped_column(Boolean, default=True)


class StandardCalibration(Audited, Base):
    """A standard's own calibration by a higher standard: one link of a traceability chain."""

    __tablename__ = "reg_standard_calibration"
    __table_args__ = (Index("ix_reg_standard_calibration_std_on", "standard_id", "calibrated_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    standard_id: Mapped[int] = mapped_column(ForeignKey("reg_standard.id"))
    by_standard_id: Mapped[int | None] = mapped_column(ForeignKey("reg_standard.id"))
    lab_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    calibrated_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    certificate_no: Mapped[str] = mapped_column(String(64))
    uncertainty: Mapped[float | None] = mapped_column(Float)


class ReferenceMaterial(Audited, Base):
    """A certified reference material (有证标准物质)."""

    __tablename__ = "reg_reference_material"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # e.g. GBW(E)…
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    quantity: Mapped[str] = mapped_column(String(48))
    certified_value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(32))
    uncertainty: Mapped[float] = mapped_column(Float)  # expanded, same unit, k=2
    producer: Mapped[str] = mapped_column(String(200))
    holder_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    expires_on: Mapped[date] = mapped_column(Date, index=True)
    published: Mapped[bool] = mapped_column(Boolean, default=True)


class Verification(Audited, Base):
    """A verification (检定) or calibration (校准) of an instrument by a lab."""

    __tablename__ = "reg_verification"
    __table_args__ = (
        Index("ix_reg_verification_instrument_on", "instrument_id", "verified_on"),
        Index("ix_reg_verification_lab_instrument", "lab_id", "instrument_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("reg_instrument.id"))
    lab_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    kind: Mapped[str] = mapped_column(String(12), default="verification")
    verified_on: Mapped[date] = mapped_column(Date)
    result: Mapped[str] = mapped_column(String(8))  # pass / fail
    errors: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)  # [{point, error, mpe, unit}]
    certificate_no: Mapped[str | None] = mapped_column(String(64), index=True)
    next_due_on: Mapped[date | None] = mapped_column(Date)
    notice_no: Mapped[str | None] = mapped_column(String(64))  # 检定结果通知书 on failure
    temperature_c: Mapped[float | None] = mapped_column(Float)
    humidity_percent: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class VerificationStandard(Base):
    """The standards used for a verification."""

    __tablename__ = "reg_verification_standard"
    __table_args__ = (Index("ix_reg_verification_standard_std", "standard_id"),)

    verification_id: Mapped[int] = mapped_column(ForeignKey("reg_verification.id"), primary_key=True)
    standard_id: Mapped[int] = mapped_column(ForeignKey("reg_standard.id"), primary_key=True)


class Reminder(Base):
    """A reminder or notice sent about an instrument: due_30, due_15, overdue, blocked, notice."""

    __tablename__ = "reg_reminder"
    __table_args__ = (
        UniqueConstraint("instrument_id", "kind", "due_on", name="uq_reg_reminder_once"),
        Index("ix_reg_reminder_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("reg_instrument.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    due_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)


class WorkOrder(Audited, Base):
    """A work order or status note attached to an instrument (e.g. replacement of a meter)."""

    __tablename__ = "reg_work_order"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("reg_instrument.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="open")
    source: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
