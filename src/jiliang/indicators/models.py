"""Tables of the indicators capability: monthly values (computed, rebuilt, entered) and reports."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from jiliang.platform.db import Base, UTCDateTime, utcnow
from jiliang.platform.models import Audited
from jiliang.registry.models import RATE_WHERE_PG, RATE_WHERE_SQLITE, Instrument

__all__ = ["INSTRUMENT_DUE_INDEX", "IndicatorReport", "IndicatorValue", "Origin", "ReportStatus"]

#: The city's 受检率 as the indicators read it (queries.verification_rate): the instruments counted
#: by last result and due date, so those *not* on time (a few percent) are index searches and the
#: count of all is a pass over a two-column index. On the registry's table, created by the
#: indicators' migration 0002.
INSTRUMENT_DUE_INDEX = Index(
    "ix_ind_instrument_due",
    Instrument.__table__.c.last_result,
    Instrument.__table__.c.next_due_on,
    sqlite_where=text(RATE_WHERE_SQLITE),
    postgresql_where=text(RATE_WHERE_PG),
)


class Origin(StrEnum):
    COMPUTED = "computed"  # the month's snapshot, computed by the indicator's query
    REBUILT = "rebuilt"  # computed afterwards for a past month from dated records
    MANUAL = "manual"  # entered by a person, with evidence
    DEMO = "demo"  # demo data


class ReportStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class IndicatorValue(Audited, Base):
    """One indicator's value for one month (``period`` YYYY-MM), by origin."""

    __tablename__ = "ind_value"
    __table_args__ = (UniqueConstraint("indicator", "period", "origin", name="uq_ind_value_month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicator: Mapped[str] = mapped_column(String(64), index=True)
    period: Mapped[str] = mapped_column(String(7))
    on: Mapped[date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)
    numerator: Mapped[float | None] = mapped_column(Float)
    denominator: Mapped[float | None] = mapped_column(Float)
    origin: Mapped[str] = mapped_column(String(12))
    evidence: Mapped[str | None] = mapped_column(Text)
    entered_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IndicatorReport(Audited, Base):
    """A mid-term or final evaluation report (中期评估 / 总结评估): drafted, edited, published."""

    __tablename__ = "ind_report"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    as_of: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default=ReportStatus.DRAFT.value)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    narrative_zh: Mapped[str] = mapped_column(Text)
    narrative_en: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
