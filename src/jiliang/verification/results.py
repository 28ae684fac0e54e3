"""Recording the result of a booked verification: test points, conformity, certificate or notice.

Each test point gives the error found, the maximum permissible error (MPE) of the instrument's JJG
and the expanded uncertainty U (coverage factor k). The conformity of each point is decided by
:func:`jiliang.uncertainty.conformity.decide` under the chosen decision rule (JCGM 106, ILAC-G8);
the instrument passes when every point is accepted. The record is written by
:func:`jiliang.registry.service.record_verification`; a pass is then certified by
:func:`jiliang.dcc.from_registry.issue_from_record` (a signed DCC), a fail carries the notice of
failure (检定结果通知书) numbered from the record. All of it is one transaction: a certificate that
cannot be issued leaves nothing stored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiliang.errors import ConflictError, FieldError, InputError, NotFoundError
from jiliang.platform.audit import AuditChange, record
from jiliang.platform.auth import Principal
from jiliang.registry.models import MeasurementStandard, Verification
from jiliang.verification import mail
from jiliang.verification.bookings import BookingView, _audit, _load, _view, parties_of
from jiliang.verification.machines import BOOKING
from jiliang.verification.models import Booking, BookingItem

__all__ = [
    "RULES",
    "MeasuredPoint",
    "PointDecision",
    "ResultInput",
    "decide_points",
    "lab_standards",
    "record_result",
    "standard_warnings",
]

RULES = ("simple", "guard_band", "non_binary")
RECORDABLE = ("accepted", "scheduled", "in_progress")


@dataclass(frozen=True, slots=True)
class MeasuredPoint:
    """One test point: at ``point`` percent of the range, error found, MPE and U (same unit, %)."""

    point: float
    error: float
    mpe: float
    U: float
    k: float = 2.0

    def problems(self, i: int) -> list[FieldError]:
        out = []
        for name in ("point", "error", "mpe", "U", "k"):
            v = getattr(self, name)
            if not math.isfinite(v):
                out.append(FieldError(f"points.{i}.{name}", f"{name} must be a finite number"))
        if out:
            return out
        if not 0 <= self.point <= 100:
            out.append(
                FieldError(f"points.{i}.point", f"test point {self.point:g} % is outside the range 0–100 %")
            )
        if self.mpe <= 0:
            out.append(FieldError(f"points.{i}.mpe", "MPE must be greater than 0"))
        if self.U < 0:
            out.append(FieldError(f"points.{i}.U", "U must not be negative"))
        if self.k <= 0:
            out.append(FieldError(f"points.{i}.k", "k must be greater than 0"))
        return out

    @property
    def label(self) -> str:
        return f"{self.point:g}%"


@dataclass(frozen=True, slots=True)
class PointDecision:
    """The decision on one point (JCGM 106 symbols: w guard band, p_c conformance probability)."""

    point: str
    accepted: bool
    decision: str
    w: float
    p_c: float


@dataclass(frozen=True, slots=True)
class ResultInput:
    instrument_id: int
    verified_on: date
    points: tuple[MeasuredPoint, ...]
    standard_ids: tuple[int, ...]
    performer: str
    approver: str
    rule: str = "guard_band"
    temperature_c: float | None = None
    humidity_percent: float | None = None
    acknowledge_warnings: bool = False  # go on although a standard is expired or out of scope

    def __post_init__(self) -> None:
        problems: list[FieldError] = []
        if not self.points:
            problems.append(FieldError("points", "give at least one test point"))
        for i, p in enumerate(self.points):
            problems.extend(p.problems(i))
        labels = [p.label for p in self.points]
        if len(set(labels)) != len(labels):
            problems.append(FieldError("points", "each test point may appear once"))
        if not self.standard_ids:
            problems.append(FieldError("standard_ids", "choose the standards used"))
        if self.rule not in RULES:
            problems.append(FieldError("rule", f"decision rule must be one of {', '.join(RULES)}"))
        for name in ("performer", "approver"):
            value = getattr(self, name).strip()
            if not value or len(value) > 64:
                problems.append(FieldError(name, f"{name} must have 1–64 characters"))
        if self.performer.strip() and self.performer.strip() == self.approver.strip():
            problems.append(FieldError("approver", "the approver must be another person than the performer"))
        if problems:
            raise InputError(problems[0].message, fields=problems)


def decide_points(points: tuple[MeasuredPoint, ...], rule: str) -> tuple[PointDecision, ...]:
    """Each point against ±MPE with u = U/k under ``rule`` (JCGM 106 §8; ILAC-G8 §4.2).

    >>> [d.accepted for d in decide_points((MeasuredPoint(10, 0.2, 1.0, 0.25), MeasuredPoint(50, 0.9, 1.0, 0.25)), "guard_band")]
    [True, False]
    """
    from jiliang.uncertainty.conformity import decide

    out = []
    for p in points:
        d = decide(p.error, p.U / p.k, -p.mpe, p.mpe, rule, k=p.k)
        out.append(PointDecision(p.label, d.accepted, d.decision, d.w, d.p_c))
    return tuple(out)


def lab_standards(session: Session, lab_id: int) -> list[MeasurementStandard]:
    """The measurement standards a lab holds (what its results may name)."""
    return list(
        session.scalars(
            select(MeasurementStandard)
            .where(MeasurementStandard.holder_id == lab_id)
            .order_by(MeasurementStandard.id)
        )
    )


def _item(session: Session, b: Booking, instrument_id: int) -> BookingItem:
    item = session.get(BookingItem, (b.id, instrument_id))
    if item is None:
        raise NotFoundError(f"instrument {instrument_id} is not in booking {b.id}")
    if item.verification_id is not None:
        raise ConflictError(
            f"instrument {instrument_id} already has a result in booking {b.id}", code="result_exists"
        )
    return item


def _check_standards(session: Session, lab_id: int, ids: tuple[int, ...]) -> None:
    own = {s.id for s in lab_standards(session, lab_id)}
    bad = [i for i in ids if i not in own]
    if bad:
        raise InputError(
            f"standard {bad[0]} is not one of this laboratory's standards",
            fields=[
                FieldError("standard_ids", f"standard {bad[0]} is not one of this laboratory's standards")
            ],
        )


def standard_warnings(session: Session, ids: tuple[int, ...], type_code: str, on: date) -> list[FieldError]:
    """Traceability check of the standards chosen, before saving: each must have a calibration
    valid on ``on`` and (working standards) cover the instrument's type. Warnings, not errors: the
    user may acknowledge them, and they are recorded with the result."""
    from jiliang.registry.models import StandardCalibration

    out = []
    for std in session.scalars(select(MeasurementStandard).where(MeasurementStandard.id.in_(ids))):
        cal = session.scalar(
            select(StandardCalibration)
            .where(StandardCalibration.standard_id == std.id, StandardCalibration.calibrated_on <= on)
            .order_by(StandardCalibration.calibrated_on.desc())
            .limit(1)
        )
        if cal is None or cal.valid_until < on:
            when = (
                "no calibration on record" if cal is None else f"its calibration expired on {cal.valid_until}"
            )
            out.append(FieldError("standard_ids", f"standard {std.code}: {when}"))
        if std.covers and type_code not in std.covers:
            out.append(FieldError("standard_ids", f"standard {std.code} does not cover {type_code}"))
    return out


def record_result(
    session: Session, principal: Principal, booking_id: int, ri: ResultInput, *, now: datetime, keys: Any
) -> BookingView:
    """The verifier records one instrument's result; pass → signed certificate, fail → notice."""
    from jiliang.registry.service import ErrorFound, record_verification

    b = _load(session, principal, booking_id, lock=True)
    if "lab" not in parties_of(principal, b):
        from jiliang.errors import PermissionDeniedError

        raise PermissionDeniedError("only the verifier of the booking records its results")
    if b.state not in RECORDABLE:
        raise ConflictError(
            f"cannot record a result on a booking that is {b.state} (allowed: {', '.join(RECORDABLE)})",
            code="transition_not_allowed",
        )
    item = _item(session, b, ri.instrument_id)
    _check_standards(session, b.lab_id, ri.standard_ids)
    warnings = _warn(session, ri)
    decisions = decide_points(ri.points, ri.rule)
    result = "pass" if all(d.accepted for d in decisions) else "fail"
    number = f"JD{ri.verified_on.year}-{b.id:06d}-{ri.instrument_id}" if result == "pass" else None
    v = record_verification(
        session,
        principal,
        ri.instrument_id,
        verified_on=ri.verified_on,
        today=now.date(),
        result=result,
        certificate_no=number,
        standard_ids=list(ri.standard_ids),
        errors=[ErrorFound(p.label, p.error, p.mpe) for p in ri.points],
        temperature_c=ri.temperature_c,
        humidity_percent=ri.humidity_percent,
    )
    _add_uncertainty(v, ri, decisions)
    if warnings:
        record(
            session,
            [
                AuditChange(
                    "acknowledge",
                    "reg_verification",
                    str(v.id),
                    None,
                    {"warnings": [w.message for w in warnings]},
                )
            ],
        )
    session.flush()
    if result == "pass":
        _certify(session, v, b.lab_id, ri, keys, now)
    item.verification_id = v.id
    item.result = result
    item.certificate_no = v.certificate_no
    item.notice_no = v.notice_no
    item.performer = ri.performer.strip()
    item.approver = ri.approver.strip()
    session.flush()
    _advance(session, principal, b, now)
    return _view(session, principal, b)


def _warn(session: Session, ri: ResultInput) -> list[FieldError]:
    from jiliang.registry.models import Instrument, InstrumentType

    code = session.scalar(
        select(InstrumentType.code)
        .join(Instrument, Instrument.type_id == InstrumentType.id)
        .where(Instrument.id == ri.instrument_id)
    )
    warnings = standard_warnings(session, ri.standard_ids, code or "", ri.verified_on)
    if warnings and not ri.acknowledge_warnings:
        raise InputError(
            "check the standards: " + "; ".join(w.message for w in warnings) + " (acknowledge to go on)",
            fields=warnings,
            code="needs_acknowledgement",
        )
    return warnings


def _add_uncertainty(v: Verification, ri: ResultInput, decisions: tuple[PointDecision, ...]) -> None:
    """The registry stores error and MPE per point; add U, k and the decision made on each."""
    v.errors = [
        {
            "point": p.label,
            "error": p.error,
            "mpe": p.mpe,
            "unit": "%",
            "U": p.U,
            "k": p.k,
            "rule": ri.rule,
            "decision": d.decision,
            "p_c": round(d.p_c, 6),
        }
        for p, d in zip(ri.points, decisions, strict=True)
    ]


def _certify(
    session: Session, v: Verification, lab_id: int, ri: ResultInput, keys: Any, now: datetime
) -> None:
    from jiliang.dcc.from_registry import IssueContext, issue_from_record

    issue_from_record(
        session,
        v.id,
        lab_org_id=lab_id,
        keys=keys,
        issue=IssueContext(issued=now.date(), performer=ri.performer.strip(), approver=ri.approver.strip()),
        now=now,
    )


def _advance(session: Session, principal: Principal, b: Booking, now: datetime) -> None:
    """First result: the booking is in progress; last result: it is completed."""
    left = session.scalar(
        select(BookingItem.instrument_id)
        .where(BookingItem.booking_id == b.id, BookingItem.verification_id.is_(None))
        .limit(1)
    )
    action = "complete" if left is None else ("start" if b.state != "in_progress" else None)
    if action is None:
        return
    before = b.state
    b.state = BOOKING.step(b.state, action, "system")
    b.version += 1
    b.updated_at = now
    if action == "complete":
        b.completed_at = now
    session.flush()
    _audit(session, principal, b, action, before, None)
    mail.booking_event(session, b, action, now)
