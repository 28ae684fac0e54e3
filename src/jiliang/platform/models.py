"""Tables of the platform: districts, organizations, users, tokens, the audit log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from jiliang.platform.db import Base, UTCDateTime, utcnow

__all__ = [
    "ApiToken",
    "AuditCheckpoint",
    "AuditEntry",
    "AuditHead",
    "District",
    "OrgChangeRequest",
    "OrgKind",
    "Organization",
    "Role",
    "User",
]


class Role(StrEnum):
    """Who a user is to the platform. ``public`` is the anonymous visitor."""

    REGULATOR = "regulator"
    LAB = "lab"
    ENTERPRISE = "enterprise"
    PUBLIC = "public"


class OrgKind(StrEnum):
    """Kinds of organization in a city's measurement system."""

    REGULATOR = "regulator"  # 市场监管局
    INSTITUTE = "institute"  # 法定计量检定机构 (计量院/所)
    LAB = "lab"  # 校准实验室
    UTILITY = "utility"  # 供电、供水、燃气
    FUEL_STATION = "fuel_station"  # 加油站
    MARKET = "market"  # 集贸市场
    HOSPITAL = "hospital"  # 医疗机构
    FACTORY = "factory"  # 企业
    CHARGING = "charging"  # 充电桩运营商
    TAXI = "taxi"  # 出租汽车公司
    ENVIRONMENT = "environment"  # 环境监测站
    OTHER = "other"


class Audited:
    """Mixin: inserts, updates and deletes of these rows are written to the audit log."""

    __audited__ = True


class District(Base):
    __tablename__ = "district"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(64))


class Organization(Audited, Base):
    __tablename__ = "organization"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    name_en: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(24), index=True)
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id"), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    accreditation_code: Mapped[str | None] = mapped_column(String(64))
    # instrument type codes a lab is authorised by the regulator to verify (计量授权项目)
    authorised_type_codes: Mapped[list[str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    district: Mapped[District | None] = relationship(lazy="joined")


class OrgChangeRequest(Audited, Base):
    """An organization's request to change its registered details, decided by the regulator.

    ``changes`` maps field names (``name``, ``name_en``, ``credit_code``, ``accreditation_code``)
    to the requested values; ``before`` holds the values when the request was made.
    """

    __tablename__ = "org_change_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    before: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(Text)


class User(Audited, Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    email: Mapped[str | None] = mapped_column(String(254))  # for notifications (0004)

    organization: Mapped[Organization | None] = relationship(lazy="joined")

    __audit_exclude__ = ("password_hash",)


class ApiToken(Audited, Base):
    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(12))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")

    __audit_exclude__ = ("token_hash",)


class AuditEntry(Base):
    """One entry of the append-only, hash-chained audit log."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        # reading the log by actor, action and entity (web/audit.py; 0004)
        Index("ix_audit_entry_actor_seq", "actor", "seq"),
        Index("ix_audit_entry_action_seq", "action", "seq"),
        Index("ix_audit_entry_entity_id_action", "entity", "entity_id", "action"),
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(64), index=True)
    entity_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)


class AuditHead(Base):
    """The last sequence number and hash of the chain, so a removed tail is detected too."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """A signed checkpoint of the chain (entry count, head hash, time), also kept in a file outside
    the database; see :mod:`jiliang.platform.checkpoint`."""

    __tablename__ = "audit_checkpoint"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entries: Mapped[int] = mapped_column(Integer)
    head: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    public_key: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))
