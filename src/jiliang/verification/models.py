"""Tables of the verification workflow: bookings, their instruments, and work-order progress.

A booking (申请) is addressed by an owner to one verifier and holds one or more instruments; each
instrument's result links to the registry record it produced. Registry rows are referred to by id
without a foreign key (as the certificates do), so this branch of the schema stands on its own. Work orders themselves are the
registry's ``reg_work_order`` rows; their assignee and outcome live here.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from jiliang.platform.db import Base, UTCDateTime, utcnow
from jiliang.platform.models import Audited

__all__ = ["Booking", "BookingItem", "MailMessage", "WorkOrderProgress"]


class Booking(Audited, Base):
    """A request for verification of an owner's instruments by one verifier."""

    __tablename__ = "vf_booking"
    __table_args__ = (
        # a double-submitted form carries the same key: one booking per owner and key
        UniqueConstraint("owner_id", "idempotency_key", name="uq_vf_booking_idempotency"),
        Index("ix_vf_booking_lab_state", "lab_id", "state", "id"),
        Index("ix_vf_booking_owner_state", "owner_id", "state", "id"),
        Index("ix_vf_booking_state_created", "state", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    lab_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    mode: Mapped[str] = mapped_column(String(12))  # send_in / on_site
    preferred_on: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=1)
    receipt_no: Mapped[str | None] = mapped_column(String(32), unique=True)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scheduled_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(Text)  # decline / cancel / reassign reason
    contact: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BookingItem(Audited, Base):
    """One instrument of a booking and, once verified, the registry record of its result."""

    __tablename__ = "vf_booking_item"

    booking_id: Mapped[int] = mapped_column(ForeignKey("vf_booking.id"), primary_key=True)
    instrument_id: Mapped[int] = mapped_column(Integer, primary_key=True, index=True)  # reg_instrument
    verification_id: Mapped[int | None] = mapped_column(Integer)  # reg_verification
    result: Mapped[str | None] = mapped_column(String(8))
    certificate_no: Mapped[str | None] = mapped_column(String(64))
    notice_no: Mapped[str | None] = mapped_column(String(64))
    performer: Mapped[str | None] = mapped_column(String(64))  # 检定员
    approver: Mapped[str | None] = mapped_column(String(64))  # 批准人


class WorkOrderProgress(Audited, Base):
    """Assignee and outcome of a registry work order (meter field check)."""

    __tablename__ = "vf_work_order_progress"

    work_order_id: Mapped[int] = mapped_column(Integer, primary_key=True)  # reg_work_order
    assignee_org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    assignee: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[str | None] = mapped_column(String(16))  # replaced / closed
    measured_error: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MailMessage(Base):
    """One e-mail notification in the outbox: written in the transaction of the state change it
    reports, sent after that transaction commits (``sent_at`` set once the server took it)."""

    __tablename__ = "vf_mail_outbox"
    __table_args__ = (Index("ix_vf_mail_outbox_pending", "sent_at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event: Mapped[str] = mapped_column(String(32))
    recipients: Mapped[list[str]] = mapped_column(JSON)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
