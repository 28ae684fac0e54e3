"""Tables of the cheating checks: sites (fuel stations, charging sites), analyses, flags, outcomes.

A site belongs to an organization (the station's or the charger operator's); regulators see all.
An analysis stores its results as JSON (residuals, series for the charts) and its flags as rows,
so the key-supervision list can be built with one query. The files a person submitted are kept
as they were received (a submission: who, when, the SHA-256 of each file and of the whole set,
the files compressed), so every result can be traced to its data and run again; a replayed
upload is recognised by its digest.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from jiliang.platform.db import Base, UTCDateTime, utcnow
from jiliang.platform.models import Audited

__all__ = [
    "CheatAnalysis",
    "CheatFlag",
    "CheatOutcome",
    "CheatSite",
    "CheatSubmission",
    "CheatSubmissionFile",
]


class CheatSite(Audited, Base):
    __tablename__ = "cheat_site"
    __table_args__ = (UniqueConstraint("org_id", "code", name="uq_cheat_site_org_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))  # fuel_station | charging_site
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CheatSubmission(Base):
    """The data a person submitted for a site: who, when, the digest of the files, the choices made
    with them (approved software, accuracy class). Audited with the analysis made from it."""

    __tablename__ = "cheat_submission"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("cheat_site.id"), index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_by: Mapped[str] = mapped_column(String(64))
    data_digest: Mapped[str] = mapped_column(String(64), index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)


class CheatSubmissionFile(Base):
    """One submitted file as received: ``sha256`` and ``size`` of the bytes received, ``content``
    compressed with zlib (checked against ``sha256`` when read back)."""

    __tablename__ = "cheat_submission_file"
    __table_args__ = (UniqueConstraint("submission_id", "name", name="uq_cheat_submission_file_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("cheat_submission.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(16))  # totalisers | tank | events | registers | sessions
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class CheatAnalysis(Base):
    """One analysis of a site's data; audited explicitly with a summary (the result JSON is large)."""

    __tablename__ = "cheat_analysis"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("cheat_site.id"), index=True)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("cheat_submission.id"), index=True)
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
