"""Stored meter lots: the lot, its members, and the field results of its sample.

A lot belongs to the utility (organization) that owns its meters; the regulator draws, decides and
publishes. Lots and results are audited row by row; members are written in bulk with one audit
entry per lot (as estimation results are).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jiliang.platform.db import Base, UTCDateTime, utcnow
from jiliang.platform.models import Audited

__all__ = ["MeterLot", "MeterLotMember", "MeterLotResult"]


class MeterLot(Audited, Base):
    __tablename__ = "meter_lot"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    rule_key: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    maker: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(64))
    batch: Mapped[str] = mapped_column(String(64))
    install_year: Mapped[int] = mapped_column(Integer)
    part: Mapped[int] = mapped_column(Integer, default=0)
    size: Mapped[int] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(Integer)
    ac: Mapped[int] = mapped_column(Integer)
    re: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="formed", index=True)
    p_est: Mapped[float | None] = mapped_column(Float)
    u_p_est: Mapped[float | None] = mapped_column(Float)
    m_est: Mapped[int] = mapped_column(Integer, default=0)
    pass_prob: Mapped[float | None] = mapped_column(Float)
    estimate_run_id: Mapped[int | None] = mapped_column(Integer)
    seed: Mapped[str | None] = mapped_column(String(24))
    members_sha256: Mapped[str | None] = mapped_column(String(64))
    sample: Mapped[list[str]] = mapped_column(JSON, default=list)
    replacements: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    decision: Mapped[str | None] = mapped_column(String(16))
    extend_years: Mapped[int | None] = mapped_column(Integer)
    nonconforming: Mapped[int | None] = mapped_column(Integer)
    clause: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MeterLotMember(Base):
    """A meter of a lot. The unique index on ``(lot_id, meter_no)`` serves the look-ups by lot (no
    index on ``lot_id`` alone: a third index per member slowed storing a million of them)."""

    __tablename__ = "meter_lot_member"
    __table_args__ = (
        UniqueConstraint("lot_id", "meter_no", name="uq_meter_lot_member"),
        Index("ix_meter_lot_member_meter_no", "meter_no"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("meter_lot.id", ondelete="CASCADE"))
    meter_no: Mapped[str] = mapped_column(String(64))
    instrument_id: Mapped[int | None] = mapped_column(Integer)
    p_nc: Mapped[float | None] = mapped_column(Float)


class MeterLotResult(Audited, Base):
    __tablename__ = "meter_lot_result"
    __table_args__ = (UniqueConstraint("lot_id", "meter_no", name="uq_meter_lot_result"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("meter_lot.id", ondelete="CASCADE"), index=True)
    meter_no: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    error_pct: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(64))
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
