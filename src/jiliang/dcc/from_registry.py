"""Issue a digital calibration certificate from a registry verification / calibration record.

:func:`record_input` maps the plain record of
:func:`jiliang.registry.service.record_with_context` onto :class:`CalibrationRecordInput` (pure);
:func:`issue_from_record` fetches the record, checks the caller's lab issued it, and signs and
stores the certificate, linked to the instrument and the record.

Each reference standard used is written with its own calibration certificate's number and hash.
When that certificate is itself a DCC in this platform's register, the hash is the SHA-256 of its
exact signed bytes; otherwise it is the SHA-256 of the canonical JSON of the register's entry for it
(standard, certificate number, dates, uncertainty), and the referral text says so, so that anyone
with the register can recompute it.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from jiliang.dcc.errors import DccError
from jiliang.dcc.record import (
    CalibrationPoint,
    CalibrationRecordInput,
    ConditionInput,
    PartyInput,
    StandardInput,
)
from jiliang.registry.records import PartyRef, RecordContext, StandardUsed

__all__ = ["IssueContext", "issue_from_record", "record_input", "register_entry_digest"]

_POINT = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)\s*%\s*$")
_UNITS = {"%": "\\percent"}


@dataclass(frozen=True, slots=True)
class IssueContext:
    """What the record does not hold: who signs, the date of issue, the city printed on the certificate."""

    issued: date
    performer: str
    approver: str
    city: str = "滨江市"


def register_entry_digest(standard: StandardUsed) -> str:
    """SHA-256 of the canonical JSON of a standard's register entry and its calibration."""
    cal = standard.calibration
    entry = {
        "standard": standard.code or standard.id,
        "certificate_no": cal.certificate_no if cal else None,
        "calibrated_on": str(cal.calibrated_on if cal else None),
        "valid_until": str(cal.valid_until if cal else None),
        "uncertainty": cal.uncertainty if cal else None,
    }
    return hashlib.sha256(json.dumps(entry, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def _party(org: PartyRef | None, role: str, city: str) -> PartyInput:
    if org is None:
        raise DccError(f"the record names no {role}")
    return PartyInput(
        name_zh=org.name,
        name_en=org.name_en or org.name,
        city=city,
        address=org.address,
        accreditation_code=org.accreditation_code if role == "laboratory" else None,
    )


def _decimal(value: Any, what: str) -> Decimal:
    try:
        d = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise DccError(f"{what} {value!r} is not a number") from None
    if not d.is_finite():
        raise DccError(f"{what} {value!r} is not finite")
    return d


def _points(ctx: RecordContext) -> tuple[tuple[CalibrationPoint, ...], str]:
    errors = ctx.errors
    if not errors:
        raise DccError(f"record {ctx.id} has no measured points; a certificate needs results")
    units = {e.get("unit", "%") for e in errors}
    if len(units) != 1 or next(iter(units)) not in _UNITS:
        raise DccError(f"record {ctx.id}: errors in unit(s) {sorted(units)}; only % is supported")
    points = []
    for e in errors:
        if e.get("U") is None:
            raise DccError(
                f"record {ctx.id}: point {e.get('point')!r} has no expanded uncertainty U; "
                "a calibration certificate states one for every result"
            )
        m = _POINT.match(str(e.get("point", "")))
        if m is None:
            raise DccError(f"record {ctx.id}: test point {e.get('point')!r} is not a percentage of range")
        reference = _decimal(m.group(1), "test point")
        error = _decimal(e["error"], "error")
        points.append(
            CalibrationPoint(
                reference=reference,
                indication=reference + error,
                U=_decimal(e["U"], "U"),
                k=_decimal(e.get("k", 2), "k"),
                p=Decimal("0.95"),
            )
        )
    return tuple(points), _UNITS[next(iter(units))]


def _standards(ctx: RecordContext, dcc_digests: dict[str, str]) -> tuple[StandardInput, ...]:
    out = []
    for s in ctx.standards:
        cal = s.calibration
        if not cal or not cal.certificate_no:
            raise DccError(f"standard {s.name!r} has no calibration certificate on record")
        number = cal.certificate_no
        digest = dcc_digests.get(number)
        issuer = "数字校准证书 / DCC" if digest else "登记记录摘要 / register entry digest"
        out.append(
            StandardInput(
                name_zh=s.name or "计量标准",
                name_en=s.name_en or s.name or "measurement standard",
                serial_number=str(s.code or s.id),
                certificate_number=number,
                certificate_issuer=issuer,
                certificate_sha256=digest or register_entry_digest(s),
            )
        )
    return tuple(out)


def record_input(
    ctx: RecordContext, issue: IssueContext, dcc_digests: dict[str, str] | None = None
) -> CalibrationRecordInput:
    """Map a registry record (``record_with_context``) onto the certificate's input (pure)."""
    if ctx.result != "pass" or not ctx.certificate_no:
        raise DccError(f"record {ctx.id} did not pass or has no certificate number; nothing to certify")
    inst = ctx.instrument
    itype = inst.type
    day = ctx.verified_on
    if issue.issued < day:
        raise DccError(f"issue date {issue.issued} is before the calibration on {day}")
    points, unit = _points(ctx)
    conditions = []
    if ctx.temperature_c is not None:
        conditions.append(
            ConditionInput(
                "环境温度",
                "Ambient temperature",
                _decimal(ctx.temperature_c, "temperature"),
                "\\degreecelsius",
            )
        )
    if ctx.humidity_percent is not None:
        conditions.append(
            ConditionInput(
                "相对湿度", "Relative humidity", _decimal(ctx.humidity_percent, "humidity"), "\\percent"
            )
        )
    regulation = itype.regulation or "—"
    return CalibrationRecordInput(
        number=ctx.certificate_no,
        laboratory=_party(ctx.lab, "laboratory", issue.city),
        customer=_party(ctx.owner, "customer", issue.city),
        instrument_name_zh=itype.name,
        instrument_name_en=itype.name_en or itype.name,
        serial_number=inst.serial,
        manufacturer=inst.manufacturer,
        model=inst.model,
        received=day,
        calibrated_from=day,
        calibrated_to=day,
        issued=issue.issued,
        quantity_zh="测试点（量程百分数）",
        quantity_en="test point (percent of range)",
        unit=unit,
        points=points,
        method_zh=f"依据 {regulation}",
        method_en=f"According to {regulation}",
        method_norm=regulation,
        performer=issue.performer,
        approver=issue.approver,
        standards=_standards(ctx, dcc_digests or {}),
        conditions=tuple(conditions),
        asset_number=str(inst.id),
    )


def issue_from_record(
    session: Any, verification_id: int, *, lab_org_id: int, keys: Any, issue: IssueContext, now: datetime
) -> Any:
    """Issue, sign and store the certificate of a registry record made by the lab ``lab_org_id``."""
    from sqlalchemy import select

    from jiliang.dcc.models import DccCertificate
    from jiliang.dcc.service import issue as issue_certificate
    from jiliang.errors import NotFoundError
    from jiliang.registry.service import record_with_context

    ctx = record_with_context(session, verification_id)
    if ctx.lab is None or ctx.lab.id != lab_org_id:
        raise NotFoundError(f"record {verification_id} was not made by this laboratory")
    numbers = [s.calibration.certificate_no for s in ctx.standards if s.calibration]
    digests = (
        dict(
            session.execute(
                select(DccCertificate.number, DccCertificate.sha256).where(DccCertificate.number.in_(numbers))
            ).all()
        )
        if numbers
        else {}
    )
    record = record_input(ctx, issue, digests)
    return issue_certificate(
        session,
        record,
        keys=keys,
        lab_org_id=lab_org_id,
        now=now,
        customer_org_id=ctx.owner.id if ctx.owner else None,
        instrument_ref=ctx.instrument.id,
        calibration_record_ref=verification_id,
    )
