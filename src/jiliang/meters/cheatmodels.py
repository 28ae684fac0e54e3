"""Tables of the cheating checks: sites (fuel stations, charging sites), analyses, flags, outcomes.

A site belongs to an organization (the station's or the charger operator's); regulators see all.
An analysis stores its results as JSON (residuals, series for the charts) and its flags as rows,
so the key-supervision list can be built with one query. Raw readings are not stored: an
analysis keeps the SHA-256 of the files it was made from, and a replayed upload is recognised.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jiliang.platform.db import Base, UTCDateTime, utcnow
from jiliang.platform.models import Audited

__all__ = ["CheatAnalysis", "CheatFlag", "CheatOutcome", "CheatSite"]


class CheatSite(Audited, Base):
    __tablename__ = "cheat_site"
    __table_args__ = (UniqueConstraint("org_id", "code", name="uq_cheat_site_org_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))  # fuel_station | charging_site
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CheatAnalysis(Base):
    """One analysis of a site's data; audited explicitly with a summary (the result JSON is large)."""

    __tablename__ = "cheat_analysis"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("cheat_site.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    data_digest: Mapped[str] = mapped_column(String(64), index=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    period_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)


class CheatFlag(Base):
    __tablename__ = "cheat_flag"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    analysis_id: Mapped[int] = mapped_column(ForeignKey("cheat_analysis.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("cheat_site.id"), index=True)
    device_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="")


class CheatOutcome(Audited, Base):
    """What an inspection or field check found at a site, and whether the site was on the list."""

    __tablename__ = "cheat_outcome"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("cheat_site.id"), index=True)
    checked_on: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(16))  # inspection | field_check
    confirmed: Mapped[bool] = mapped_column(Boolean)
    flagged: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(500), default="")
    recorded_by: Mapped[str] = mapped_column(String(64))
