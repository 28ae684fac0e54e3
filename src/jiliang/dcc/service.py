"""The certificate register: issue (sign and store the exact bytes), list, fetch, revoke, supersede.

Keys: each laboratory signs with its own key and certificate, issued by the platform CA on first
use (:mod:`jiliang.dcc.trust`); no key is derivable from anything in the code.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from jiliang.dcc.errors import DccError
from jiliang.dcc.models import CertificateStatus, DccCertificate
from jiliang.dcc.record import CalibrationRecordInput, build_certificate
from jiliang.dcc.trust import IssuingKeys, LabIdentity
from jiliang.errors import ConflictError, NotFoundError, PermissionDeniedError

__all__ = [
    "NUMBER_PATTERN",
    "UPLOAD_MAX_BYTES",
    "Parties",
    "base_url",
    "check_parties",
    "find_number",
    "get_certificate",
    "issue",
    "list_certificates",
    "normalise_number",
    "public_status",
    "revoke",
    "signature_of",
    "supersede",
    "verify_file",
]

NUMBER_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$")
"""Certificate numbers: letters, digits, ``.``, ``_``, ``-``; at most 64 characters (URL-safe)."""


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
    """Build, validate, sign with the laboratory's own key (XAdES B-LT, timestamp at ``now``), store."""
    from cryptography import x509

    from jiliang.dcc.signing import sign
    from jiliang.dcc.writer import to_xml

    if not NUMBER_PATTERN.match(record.number):
        raise DccError(f"certificate number {record.number!r} must match {NUMBER_PATTERN.pattern}")
    if session.scalar(select(DccCertificate.id).where(DccCertificate.number == record.number)) is not None:
        raise ConflictError(f"certificate {record.number!r} already exists")
    from jiliang.platform.models import Organization

    lab = session.get(Organization, lab_org_id)
    if lab is None:
        raise NotFoundError(f"laboratory organisation {lab_org_id} not found")
    signer = keys.signer_for(LabIdentity.of(lab), now)
    xml = to_xml(build_certificate(record))
    tsa = keys.tsa
    signed = sign(
        xml,
        signer,
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
        signer_subject=x509.load_der_x509_certificate(signer.certificate_der).subject.rfc4514_string(),
        signed_xml=signed,
        sha256=hashlib.sha256(signed).hexdigest(),
        status=CertificateStatus.VALID.value,
    )
    session.add(row)
    session.flush()
    return row


UPLOAD_MAX_BYTES = 5 * 1024 * 1024
"""Largest certificate file accepted for upload verification."""


def normalise_number(raw: str) -> str:
    """A number as people type or copy it: full-width forms folded (NFKC), every space removed.

    >>> normalise_number(" bjjl - 2026 - 00001 ")
    'bjjl-2026-00001'
    >>> normalise_number("ＢＪＪＬ－２０２６　０１")
    'BJJL-202601'
    """
    import unicodedata

    return "".join(unicodedata.normalize("NFKC", raw).split())


def find_number(session: Session, raw: str) -> str | None:
    """The registered number ``raw`` means, tolerant of case and spaces; None when there is none
    (or, in case, when two numbers differ only in case and neither matches exactly)."""
    wanted = normalise_number(raw)
    if not NUMBER_PATTERN.match(wanted):
        return None
    exact = session.scalar(select(DccCertificate.number).where(DccCertificate.number == wanted))
    if exact is not None:
        return exact
    found = list(
        session.scalars(
            select(DccCertificate.number).where(func.upper(DccCertificate.number) == wanted.upper()).limit(2)
        )
    )
    return found[0] if len(found) == 1 else None


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


def base_url(configured: str | None, request_base: str) -> str:
    """The base of public links and QR codes: ``public_base_url`` when set, else the address the
    request came to (scheme, host and port the server is reached at)."""
    return (configured or request_base).rstrip("/")


def signature_of(signed_xml: bytes, settings: Any, *, now: datetime) -> Any:
    """The signature block of a stored certificate: verified with the platform's trust context."""
    from jiliang.dcc.render import signature_info
    from jiliang.dcc.trust import trust_context
    from jiliang.dcc.verify import verify_with

    return signature_info(verify_with(signed_xml, trust_context(settings), now=now))


def _published_instrument(signed_xml: bytes) -> dict[str, str | None]:
    """The calibrated instrument as the certificate itself publishes it: name, model, serial
    number and the customer (the owner named in the certificate)."""
    from jiliang.dcc.reader import from_xml

    try:
        cert = from_xml(signed_xml)
    except DccError:
        return {}
    item = cert.items[0] if cert.items else None
    serial = next(
        (
            i.value
            for i in (item.identifications if item else ())
            if "serial" in (i.name.get("en") if i.name else "").lower()
        ),
        item.identifications[0].value if item and item.identifications else None,
    )
    return {
        "name_zh": item.name.get("zh") if item else None,
        "name_en": item.name.get("en") if item else None,
        "manufacturer": item.manufacturer if item else None,
        "model": item.model if item else None,
        "serial_number": serial,
        "owner_zh": cert.customer.name.get("zh"),
        "owner_en": cert.customer.name.get("en"),
    }


def _register_state(
    session: Session, instrument_ref: int | None, today: date | None
) -> dict[str, Any] | None:
    """The instrument's state in the register on ``today``: a certificate may be valid while the
    instrument is past its due date, and then it may not be used (停用) whatever the certificate says."""
    if instrument_ref is None or today is None:
        return None
    from jiliang.registry.models import Instrument
    from jiliang.registry.status import status_for

    inst = session.get(Instrument, instrument_ref)
    if inst is None:
        return None
    state = inst.status
    if state in ("in_use", "overdue"):  # the status job may not have run yet today
        state = status_for(inst.next_due_on, inst.last_result, today)
    return {"status": state, "next_due_on": inst.next_due_on.isoformat() if inst.next_due_on else None}


def public_status(session: Session, number: str, today: date | None = None) -> dict[str, Any]:
    """What anyone may know about a certificate number: status, signer, dates, hash, and the
    instrument as the certificate publishes it. The number is matched tolerant of case and spaces.

    With ``today``, ``in_register`` says whether the register lets the instrument be used that day
    (``blocked`` once past its due date, ``retired``, ``in_use``…) and its due date."""
    from jiliang.platform.models import Organization

    row = get_certificate(session, find_number(session, number) or number)
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
        "instrument": _published_instrument(row.signed_xml),
        "in_register": _register_state(session, row.instrument_ref, today),
    }


def verify_file(
    session: Session, data: bytes, settings: Any, *, now: datetime, at: datetime | None = None
) -> dict[str, Any]:
    """Verify an uploaded signed certificate with the platform's trust context, and say what the
    register holds for its number (status, whether these are the very bytes issued).

    The one service behind the API's ``POST /api/certificates/verify`` and the public page's upload.
    """
    from jiliang.dcc.trust import trust_context
    from jiliang.dcc.verify import verify_with

    report = verify_with(data, trust_context(settings), now=now, at=at, max_bytes=UPLOAD_MAX_BYTES)
    out = report.as_dict()
    out["register"] = None
    if report.certificate_number:
        try:
            status = public_status(session, report.certificate_number)
        except NotFoundError:
            return out
        out["register"] = {
            "status": status["status"],
            "same_bytes": status["sha256"] == hashlib.sha256(data).hexdigest(),
            "superseded_by": status["superseded_by"],
        }
    return out


@dataclass(frozen=True, slots=True)
class Parties:
    """Who a certificate may name: the customer organisation and the instrument (None: none)."""

    customer_org_id: int | None
    instrument_ref: int | None
    customer_name: str | None = None
    """The registered customer's names, which the certificate carries (None: a free-text customer)."""
    customer_name_en: str | None = None


def _lab_knows(
    session: Session, lab_org_id: int, *, instrument_id: int | None = None, owner_id: int | None = None
) -> bool:
    """Whether the lab verified (or is booked for) this instrument / an instrument of this owner."""
    from jiliang.registry.models import Instrument, Verification

    verified = select(Verification.id).join(Instrument, Instrument.id == Verification.instrument_id)
    booked = select(Instrument.id).where(Instrument.booked_lab_id == lab_org_id)
    verified = verified.where(Verification.lab_id == lab_org_id)
    if instrument_id is not None:
        verified, booked = (q.where(Instrument.id == instrument_id) for q in (verified, booked))
    if owner_id is not None:
        verified, booked = (q.where(Instrument.owner_id == owner_id) for q in (verified, booked))
    return any(session.scalar(q.limit(1)) is not None for q in (verified, booked))


def _named(session: Session, customer_org_id: int | None, instrument_ref: int | None) -> Parties:
    from jiliang.platform.models import Organization

    org = session.get(Organization, customer_org_id) if customer_org_id is not None else None
    if org is None:
        return Parties(None, instrument_ref)
    return Parties(org.id, instrument_ref, org.name, org.name_en or org.name)


def check_parties(
    session: Session,
    *,
    lab_org_id: int,
    customer_org_id: int | None,
    instrument_ref: int | None,
    calibration_record_ref: int | None,
    customer_names: tuple[str, ...],
) -> Parties:
    """The customer organisation a laboratory may name on a certificate, or an error.

    A registry record must be the laboratory's own; an instrument must be one it verified or is
    booked for; the customer is the instrument's owner, or else an organisation the laboratory has
    worked for (it verified or is booked for one of its instruments). A free-text customer may not
    carry the name of a registered organisation.
    """
    from jiliang.errors import InputError
    from jiliang.platform.models import Organization
    from jiliang.registry.models import Instrument, Verification

    if calibration_record_ref is not None:
        v = session.get(Verification, calibration_record_ref)
        if v is None or v.lab_id != lab_org_id:
            raise PermissionDeniedError(
                f"registry record {calibration_record_ref} was not made by this laboratory"
            )
        if instrument_ref is not None and instrument_ref != v.instrument_id:
            raise InputError(
                f"registry record {calibration_record_ref} is not about instrument {instrument_ref}"
            )
        instrument_ref = v.instrument_id
    if instrument_ref is not None:
        inst = session.get(Instrument, instrument_ref)
        if inst is None:
            raise InputError(f"instrument {instrument_ref} does not exist")
        if calibration_record_ref is None and not _lab_knows(session, lab_org_id, instrument_id=inst.id):
            raise PermissionDeniedError(
                f"instrument {instrument_ref} was never verified by or booked with this laboratory"
            )
        if customer_org_id is not None and customer_org_id != inst.owner_id:
            raise PermissionDeniedError(f"the customer must be the owner of instrument {instrument_ref}")
        return _named(session, inst.owner_id, inst.id)
    if customer_org_id is not None:
        if session.get(Organization, customer_org_id) is None:
            raise InputError(f"customer organization {customer_org_id} does not exist")
        if customer_org_id != lab_org_id and not _lab_knows(session, lab_org_id, owner_id=customer_org_id):
            raise PermissionDeniedError(
                f"organization {customer_org_id} is not a customer of this laboratory"
            )
        return _named(session, customer_org_id, None)
    names = [n.strip() for n in customer_names if n.strip()]
    clash = session.scalar(
        select(Organization.name)
        .where(or_(Organization.name.in_(names), Organization.name_en.in_(names)))
        .limit(1)
    )
    if clash is not None:
        raise PermissionDeniedError(
            f"customer {clash!r} is a registered organization: give its customer_org_id "
            "(a customer of this laboratory)"
        )
    return Parties(None, None)
