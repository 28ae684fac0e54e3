"""The table of saved uncertainty budgets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from jiliang.platform.db import Base, UTCDateTime, utcnow
from jiliang.platform.models import Audited

__all__ = ["UncertaintyBudget"]


class UncertaintyBudget(Audited, Base):
    """A measurement model file (YAML or JSON) saved by a user of an organization."""

    __tablename__ = "uncertainty_budget"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
