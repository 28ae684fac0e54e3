"""Stored estimation runs and their per-meter and per-area results.

A run belongs to the organization (the power utility) whose data it estimated; regulators see all
runs. Results are written in bulk (one audit entry per run), the run row itself is audited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from jiliang.platform.db import Base, UTCDateTime, utcnow
from jiliang.platform.models import Audited

__all__ = ["MeterAreaResult", "MeterEstimationRun", "MeterResult"]


class MeterEstimationRun(Audited, Base):
    __tablename__ = "meter_estimation_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    engine: Mapped[str] = mapped_column(String(16), default="local")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    meters: Mapped[int] = mapped_column(Integer, default=0)
    areas: Mapped[int] = mapped_column(Integer, default=0)
    messages: Mapped[list[str]] = mapped_column(JSON, default=list)
    # SHA-256 of the uploaded files and the run's settings: a replayed upload is recognised (0002)
    upload_digest: Mapped[str | None] = mapped_column(String(64), index=True)


class MeterResult(Base):
    __tablename__ = "meter_result"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("meter_estimation_run.id", ondelete="CASCADE"), index=True)
    meter_id: Mapped[str] = mapped_column(String(64), index=True)
    area_id: Mapped[str] = mapped_column(String(64), index=True)
    error_pct: Mapped[float | None] = mapped_column(Float)
    u_error_pct: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(24), index=True)
    limit_pct: Mapped[float | None] = mapped_column(Float)
    evidence: Mapped[str] = mapped_column(Text, default="{}")


class MeterAreaResult(Base):
    __tablename__ = "meter_area_result"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("meter_estimation_run.id", ondelete="CASCADE"), index=True)
    area_id: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(24))
    meters: Mapped[int] = mapped_column(Integer)
    meters_estimated: Mapped[int] = mapped_column(Integer)
    loss_rate_pct: Mapped[float | None] = mapped_column(Float)
    residual_rms_pct: Mapped[float | None] = mapped_column(Float)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# The lot tables (in-service meter lots) live in their own module; imported here so the meters
# models are registered together.
import jiliang.meters.lotmodels  # noqa: E402, F401

# the tables of the cheating checks (dispensers, chargers, key supervision) live beside these
from jiliang.meters import cheatmodels as _cheatmodels  # noqa: E402, F401
