"""Tables of the supervision capability: plans, draws, tasks, credit classes, commitments."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jiliang.platform.db import Base, UTCDateTime, utcnow
from jiliang.platform.models import Audited

__all__ = [
    "CommitmentStatus",
    "CreditClass",
    "DrawRow",
    "InspectionPlan",
    "InspectionTask",
    "IntegrityCommitment",
    "NetContentInspection",
    "NetContentStatus",
    "PlanStatus",
    "TaskStatus",
]


class PlanStatus(StrEnum):
    DRAFT = "draft"  # lists may still change
    COMMITTED = "committed"  # lists frozen, seed commitment published
    DRAWN = "drawn"  # draw stored, seed revealed, tasks assigned
    PUBLISHED = "published"  # results published


class TaskStatus(StrEnum):
    ASSIGNED = "assigned"
    PASSED = "passed"
    RECTIFY = "rectify"  # findings: rectification due, re-inspection follows
    FAILED = "failed"
    CLOSED = "closed"  # rectified and re-inspected


class CommitmentStatus(StrEnum):
    SUBMITTED = "submitted"
    PUBLISHED = "published"
    REJECTED = "rejected"
    BROKEN = "broken"


class InspectionPlan(Audited, Base):
    """A 双随机 plan: its scope, policy, frozen input lists and the seed commitment."""

    __tablename__ = "sv_plan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    scope: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default=PlanStatus.DRAFT.value, index=True)
    policy: Mapped[dict[str, Any]] = mapped_column(JSON)
    targets_csv: Mapped[str] = mapped_column(Text)
    inspectors_csv: Mapped[str] = mapped_column(Text)
    seed_commitment: Mapped[str | None] = mapped_column(String(64))
    seed: Mapped[str | None] = mapped_column(String(128))  # platform-held secret until the draw
    public_value: Mapped[str | None] = mapped_column(String(200))
    committed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DrawRow(Audited, Base):
    """One draw of a plan; a redraw keeps the earlier one, marked discarded with the reason."""

    __tablename__ = "sv_draw"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("sv_plan.id"), index=True)
    record_json: Mapped[str] = mapped_column(Text)
    discarded: Mapped[bool] = mapped_column(Boolean, default=False)
    discard_reason: Mapped[str | None] = mapped_column(String(500))
    drawn_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InspectionTask(Audited, Base):
    """One drawn target with its inspector team, and the result they record."""

    __tablename__ = "sv_task"
    __table_args__ = (Index("ix_sv_task_org_plan", "org_id", "plan_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("sv_plan.id"), index=True)
    draw_id: Mapped[int] = mapped_column(ForeignKey("sv_draw.id"), index=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    target_key: Mapped[str] = mapped_column(String(64))
    target_name: Mapped[str] = mapped_column(String(200))
    inspectors: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), default=TaskStatus.ASSIGNED.value)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    note: Mapped[str | None] = mapped_column(Text)
    inspected_on: Mapped[date | None] = mapped_column(Date)
    rectify_by: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class CreditClass(Audited, Base):
    """An organization's current credit class with the facts and rule that gave it."""

    __tablename__ = "sv_credit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), unique=True)
    credit_class: Mapped[str] = mapped_column(String(1), index=True)
    score: Mapped[int] = mapped_column(Integer)
    edition: Mapped[str] = mapped_column(String(32))
    computed_on: Mapped[date] = mapped_column(Date)
    listing: Mapped[str | None] = mapped_column(String(8), index=True)  # red, black or none
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON)


class IntegrityCommitment(Audited, Base):
    """诚信计量自我承诺: submitted by an enterprise, reviewed and published by the regulator."""

    __tablename__ = "sv_commitment"
    __table_args__ = (UniqueConstraint("org_id", "year", name="uq_sv_commitment_org_year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    sector: Mapped[str] = mapped_column(String(24))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default=CommitmentStatus.SUBMITTED.value)
    review_note: Mapped[str | None] = mapped_column(String(500))
    broken_by_task: Mapped[int | None] = mapped_column(ForeignKey("sv_task.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_on: Mapped[date | None] = mapped_column(Date)


class NetContentStatus(StrEnum):
    DRAFT = "draft"  # packer and lot described
    DRAWN = "drawn"  # sample drawn from a stored seed
    JUDGED = "judged"  # measurements entered, verdict computed
    PUBLISHED = "published"  # verdict on the public page (inspections only)


class NetContentInspection(Audited, Base):
    """定量包装商品净含量 inspection (or a packer's self-check) of one lot: JJF 1070.

    ``kind`` is ``inspection`` (by the regulator, may be published) or ``self_check`` (by the packer,
    never published). ``sample_items`` are the 1-based positions in the lot drawn from ``seed``.
    """

    __tablename__ = "sv_netcontent"
    __table_args__ = (Index("ix_sv_netcontent_org_kind", "org_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("sv_task.id"), index=True)
    product: Mapped[str] = mapped_column(String(200))
    batch: Mapped[str | None] = mapped_column(String(64))
    nominal: Mapped[str] = mapped_column(String(24))
    unit: Mapped[str] = mapped_column(String(8))
    lot_size: Mapped[int] = mapped_column(Integer)
    sample_size: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default=NetContentStatus.DRAFT.value, index=True)
    seed: Mapped[str | None] = mapped_column(String(64))
    sample_items: Mapped[list[int] | None] = mapped_column(JSON)
    net_values: Mapped[list[float] | None] = mapped_column(JSON)
    tare_method: Mapped[str | None] = mapped_column(String(12))
    verdict: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    decision: Mapped[str | None] = mapped_column(String(8), index=True)
    mean: Mapped[float | None] = mapped_column(Float)
    inspected_on: Mapped[date | None] = mapped_column(Date)
    published_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    drawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    judged_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
