"""Tables of comparison rounds: the round, its participants and their submitted results."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jiliang.platform.db import Base, UTCDateTime, utcnow
from jiliang.platform.models import Audited

__all__ = ["ComparisonParticipant", "ComparisonRound", "ComparisonSubmission"]


class ComparisonRound(Audited, Base):
    """A comparison (计量比对) of one measurand, piloted by a lab or the institute."""

    __tablename__ = "comparison_round"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    measurand: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(40))
    pilot_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), index=True, default="open")
    estimator: Mapped[str | None] = mapped_column(String(40))
    seed: Mapped[int | None] = mapped_column(Integer)
    excluded: Mapped[str] = mapped_column(Text, default="")
    result_json: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ComparisonParticipant(Audited, Base):
    """A lab (organization) taking part in a round."""

    __tablename__ = "comparison_participant"
    __table_args__ = (UniqueConstraint("round_id", "org_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("comparison_round.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)


class ComparisonSubmission(Audited, Base):
    """A participant's result: value, expanded uncertainty U with k, and ν (∞ when empty)."""

    __tablename__ = "comparison_submission"
    __table_args__ = (UniqueConstraint("round_id", "org_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("comparison_round.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    value: Mapped[float] = mapped_column(Float)
    U: Mapped[float] = mapped_column(Float)
    k: Mapped[float] = mapped_column(Float)
    dof: Mapped[float | None] = mapped_column(Float)
    submitted_by: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
