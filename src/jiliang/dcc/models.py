"""Tables of the certificate register: one row per issued certificate, with its exact signed bytes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from jiliang.platform.db import Base, UTCDateTime, utcnow
from jiliang.platform.models import Audited

__all__ = ["CertificateStatus", "DccCertificate"]


class CertificateStatus(StrEnum):
    """Public status of an issued certificate."""

    VALID = "valid"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"


class DccCertificate(Audited, Base):
    """An issued digital calibration certificate.

    ``signed_xml`` holds the bytes exactly as signed and delivered (never re-serialised);
    ``sha256`` is their hash, shown on the public verification page.
    """

    __tablename__ = "dcc_certificate"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    lab_org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    customer_org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"), index=True)
    instrument_ref: Mapped[int | None] = mapped_column(Integer, index=True)
    calibration_record_ref: Mapped[int | None] = mapped_column(Integer, index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    signer_subject: Mapped[str] = mapped_column(String(300))
    signed_xml: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), default=CertificateStatus.VALID.value, index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    superseded_by: Mapped[int | None] = mapped_column(ForeignKey("dcc_certificate.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # The bytes are large; the audit log records their hash through ``sha256``.
    __audit_exclude__ = ("signed_xml",)
