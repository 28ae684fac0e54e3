"""The certificate register: issue (sign and store the exact bytes), list, fetch, revoke, supersede.

Keys: the platform signs with the CA folder ``<data_dir>/dcc-ca`` when it exists (made with
``jiliang dcc ca init <data_dir>/dcc-ca``); otherwise with the **demo PKI**, whose keys are
derived deterministically from a fixed public label (:func:`demo_pki`) — fine for the demo city
and tests, worthless as a secret. A production deployment puts its lab key (or an HSM-backed
:class:`~jiliang.dcc.signing.Signer`) behind :class:`IssuingKeys`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from jiliang.dcc.errors import DccError
from jiliang.dcc.models import CertificateStatus, DccCertificate
from jiliang.dcc.record import CalibrationRecordInput, build_certificate
from jiliang.errors import ConflictError, NotFoundError

__all__ = [
    "NUMBER_PATTERN",
    "IssuingKeys",
    "demo_pki",
    "get_certificate",
    "issue",
    "list_certificates",
    "platform_keys",
    "public_status",
    "revoke",
    "supersede",
]

NUMBER_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$")
"""Certificate numbers: letters, digits, ``.``, ``_``, ``-``; at most 64 characters (URL-safe)."""


@dataclass(frozen=True)
class IssuingKeys:
    """What the platform signs with: a signer, its chain and CRLs to embed, a TSA, the trust bundle."""

    signer: Any  # a jiliang.dcc.signing.Signer
    certificates: tuple[Any, ...]
    crls: tuple[Any, ...]
    tsa: Any
    trust_pem: bytes


def _derived_key(label: str) -> Any:
    from cryptography.hazmat.primitives.asymmetric import ec

    n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551  # order of P-256
    value = int.from_bytes(hashlib.sha256(f"jiliang-demo-pki:{label}".encode()).digest(), "big") % (n - 1) + 1
    return ec.derive_private_key(value, ec.SECP256R1())


@lru_cache(maxsize=1)
def demo_pki() -> Any:
    """The demo PKI: keys derived from fixed labels, certificates valid 2020-01-01 to 2060-01-01.

    Every process rebuilds the same keys and names, so certificates signed by one process verify
    in another. Public by construction: for the demo city and tests only.
    """
    from jiliang.dcc.pki import TestPki, _cert, _crl

    start = datetime(2020, 1, 1, tzinfo=UTC)
    root_key, sub_key, signer_key, tsa_key = (_derived_key(x) for x in ("root", "sub", "signer", "tsa"))
    from cryptography.x509.oid import ExtendedKeyUsageOID

    root = _cert("Jiliang Demo Root CA", root_key, None, root_key, ca=True, not_before=start, days=40 * 365)
    sub = _cert("Jiliang Demo Issuing CA", sub_key, root, root_key, ca=True, not_before=start, days=40 * 365)
    signer = _cert(
        "滨江市计量检测研究院 (demo seal)",
        signer_key,
        sub,
        sub_key,
        ca=False,
        not_before=start,
        days=40 * 365,
    )
    tsa = _cert(
        "Jiliang Demo TSA",
        tsa_key,
        sub,
        sub_key,
        ca=False,
        not_before=start,
        days=40 * 365,
        eku=ExtendedKeyUsageOID.TIME_STAMPING,
    )
    return TestPki(
        root,
        root_key,
        sub,
        sub_key,
        signer,
        signer_key,
        tsa,
        tsa_key,
        _crl(sub, sub_key, [], start),
        _crl(root, root_key, [], start),
    )


def platform_keys(data_dir: Path | None) -> IssuingKeys:
    """The keys the platform issues with (see the module docstring); trust = both PKIs' roots."""
    from jiliang.dcc.pki import load_test_pki
    from jiliang.dcc.signing import EcdsaSigner

    demo = demo_pki()
    pki = demo
    folder = data_dir / "dcc-ca" if data_dir is not None else None
    if folder is not None and (folder / "signer.key").is_file():
        pki = load_test_pki(folder)
    trust = pki.trust_pem + (demo.trust_pem if pki is not demo else b"")
    return IssuingKeys(
        signer=EcdsaSigner(pki.signer_key, pki.signer, (pki.sub,)),
        certificates=(pki.sub, pki.root, pki.tsa_cert),
        crls=pki.crls,
        tsa=pki.tsa(),
        trust_pem=trust,
    )


def issue(
    session: Session,
    record: CalibrationRecordInput,
    *,
    keys: IssuingKeys,
    lab_org_id: int,
    now: datetime,
    customer_org_id: int | None = None,
    instrument_ref: int | None = None,
    calibration_record_ref: int | None = None,
) -> DccCertificate:
    """Build, validate, sign (XAdES B-LT, timestamp at ``now``) and store a certificate."""
    from cryptography import x509

    from jiliang.dcc.signing import sign
    from jiliang.dcc.writer import to_xml

    if not NUMBER_PATTERN.match(record.number):
        raise DccError(f"certificate number {record.number!r} must match {NUMBER_PATTERN.pattern}")
    if session.scalar(select(DccCertificate.id).where(DccCertificate.number == record.number)) is not None:
        raise ConflictError(f"certificate {record.number!r} already exists")
    xml = to_xml(build_certificate(record))
    tsa = keys.tsa
    signed = sign(
        xml,
        keys.signer,
        signing_time=now,
        timestamp=lambda digest: tsa.stamp(digest, at=now),
        certificates=keys.certificates,
        crls=keys.crls,
    )
    row = DccCertificate(
        number=record.number,
        lab_org_id=lab_org_id,
        customer_org_id=customer_org_id,
        instrument_ref=instrument_ref,
        calibration_record_ref=calibration_record_ref,
        issued_at=now,
        signer_subject=x509.load_der_x509_certificate(keys.signer.certificate_der).subject.rfc4514_string(),
        signed_xml=signed,
        sha256=hashlib.sha256(signed).hexdigest(),
        status=CertificateStatus.VALID.value,
    )
    session.add(row)
    session.flush()
    return row


def get_certificate(session: Session, number: str) -> DccCertificate:
    """The certificate with this number, or NotFoundError."""
    row = session.scalar(select(DccCertificate).where(DccCertificate.number == number))
    if row is None:
        raise NotFoundError(f"certificate {number!r} not found")
    return row


def list_certificates(
    session: Session,
    *,
    org_id: int | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[DccCertificate]]:
    """Certificates (newest first) issued by or to ``org_id`` (all when None); total and a page."""
    q = select(DccCertificate)
    if org_id is not None:
        q = q.where(or_(DccCertificate.lab_org_id == org_id, DccCertificate.customer_org_id == org_id))
    if status is not None:
        if status not in {s.value for s in CertificateStatus}:
            raise DccError(f"status {status!r} is not one of valid, revoked, superseded")
        q = q.where(DccCertificate.status == status)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    rows = session.scalars(
        q.order_by(DccCertificate.issued_at.desc(), DccCertificate.id.desc()).limit(limit).offset(offset)
    )
    return int(total), list(rows)


def _reason(reason: str) -> str:
    text = " ".join(reason.split())
    if not 3 <= len(text) <= 2000:
        raise DccError("a reason of 3 to 2000 characters is required")
    return text


def revoke(session: Session, number: str, reason: str, *, now: datetime) -> DccCertificate:
    """Mark a valid certificate revoked with a reason."""
    text = _reason(reason)
    row = get_certificate(session, number)
    if row.status != CertificateStatus.VALID.value:
        raise ConflictError(f"certificate {number!r} is already {row.status}")
    row.status = CertificateStatus.REVOKED.value
    row.reason = text
    row.status_changed_at = now
    session.flush()
    return row


def supersede(session: Session, number: str, by: str, reason: str, *, now: datetime) -> DccCertificate:
    """Mark ``number`` superseded by the (valid) certificate ``by``, with a reason."""
    text = _reason(reason)
    row = get_certificate(session, number)
    new = get_certificate(session, by)
    if new.id == row.id:
        raise DccError("a certificate cannot supersede itself")
    if row.status != CertificateStatus.VALID.value:
        raise ConflictError(f"certificate {number!r} is already {row.status}")
    if new.status != CertificateStatus.VALID.value:
        raise ConflictError(f"the replacement {by!r} is {new.status}")
    if new.lab_org_id != row.lab_org_id:
        raise DccError("a certificate can only be superseded by one of the same laboratory")
    row.status = CertificateStatus.SUPERSEDED.value
    row.reason = text
    row.superseded_by = new.id
    row.status_changed_at = now
    session.flush()
    return row


def public_status(session: Session, number: str) -> dict[str, Any]:
    """What anyone may know about a certificate number: status, signer, dates, hash."""
    from jiliang.platform.models import Organization

    row = get_certificate(session, number)
    lab = session.get(Organization, row.lab_org_id)
    by = session.get(DccCertificate, row.superseded_by) if row.superseded_by else None
    return {
        "number": row.number,
        "status": row.status,
        "laboratory": lab.name if lab else None,
        "laboratory_en": lab.name_en if lab else None,
        "signer": row.signer_subject,
        "issued_at": row.issued_at.isoformat(),
        "status_changed_at": row.status_changed_at.isoformat() if row.status_changed_at else None,
        "reason": row.reason if row.status != CertificateStatus.VALID.value else None,
        "superseded_by": by.number if by else None,
        "sha256": row.sha256,
    }
