"""Service functions of the registry: scoped lists, details, traces, due lists, booking, notices,
the status job, and the hooks other capabilities use (a record as plain data, work orders).

Role scoping: the rules of who may see and act on what live in :mod:`jiliang.registry.access`:
a regulator everything; an enterprise its own organization's instruments; a lab the instruments it
has a relationship with (booked with it, verified by it, or in its authorised scope); the public no
instrument, and only published standards and reference materials.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, insert, or_, select, update
from sqlalchemy.orm import Session, aliased

from jiliang.errors import InputError, NotFoundError, PermissionDeniedError
from jiliang.platform.audit import AuditChange, record
from jiliang.platform.auth import Principal
from jiliang.platform.cells import identity_text
from jiliang.platform.models import District, Organization, Role
from jiliang.registry import access
from jiliang.registry import trace as tr
from jiliang.registry.models import (
    Instrument,
    InstrumentStatus,
    InstrumentType,
    MeasurementStandard,
    ReferenceMaterial,
    Reminder,
    StandardCalibration,
    Verification,
    VerificationStandard,
    WorkOrder,
)
from jiliang.registry.records import (
    InstrumentRef,
    InstrumentTypeRef,
    PartyRef,
    RecordContext,
    StandardCalibrationRef,
    StandardUsed,
)
from jiliang.registry.status import REMINDER_DAYS, JobResult

__all__ = [
    "ErrorFound",
    "InstrumentFilter",
    "add_city_type",
    "add_work_order",
    "book",
    "due_list",
    "find_instrument",
    "instrument_detail",
    "list_instruments",
    "list_reference_materials",
    "list_standards",
    "list_types",
    "notify",
    "record_verification",
    "record_with_context",
    "run_status_job",
    "scope_instruments",
    "standard_detail",
    "trace_instrument",
    "trace_standard",
    "trace_verification",
]

COUNT_CAP = 10_000  # counts above this are reported as "more than"


@dataclass(frozen=True, slots=True)
class InstrumentFilter:
    q: str | None = None  # serial starts with
    type_id: int | None = None
    owner_id: int | None = None
    district_id: int | None = None
    status: str | None = None
    use: str | None = None
    due_before: date | None = None

    def __post_init__(self) -> None:
        if self.status is not None and self.status not in {s.value for s in InstrumentStatus}:
            raise InputError(f"unknown status {self.status!r}")
        if self.q is not None and len(self.q) > 100:
            raise InputError("search text is longer than 100 characters")


def scope_instruments(stmt: Select[Any], principal: Principal) -> Select[Any]:
    """``stmt`` limited to the instruments ``principal`` may act on (see :mod:`jiliang.registry.access`)."""
    return access.scope_instruments(stmt, principal)


def _filtered(principal: Principal, f: InstrumentFilter) -> Select[Any]:
    stmt = scope_instruments(select(Instrument.id), principal)
    if f.q:  # serial prefix, in the identity form (case, width and invisible characters ignored)
        key = identity_text(f.q)
        prefix = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Instrument.serial_key.like(prefix + "%", escape="\\"))
    if f.type_id is not None:
        stmt = stmt.where(Instrument.type_id == f.type_id)
    if f.owner_id is not None:
        stmt = stmt.where(Instrument.owner_id == f.owner_id)
    if f.district_id is not None:
        stmt = stmt.where(Instrument.district_id == f.district_id)
    if f.status:
        stmt = stmt.where(Instrument.status == f.status)
    if f.use:
        stmt = stmt.where(Instrument.use == f.use)
    if f.due_before is not None:
        stmt = stmt.where(Instrument.next_due_on <= f.due_before)
    return stmt


_ROW_COLS = (
    Instrument.id,
    Instrument.serial,
    Instrument.model,
    Instrument.manufacturer,
    Instrument.accuracy_class,
    Instrument.measuring_range,
    Instrument.location,
    Instrument.use,
    Instrument.status,
    Instrument.compulsory,
    Instrument.last_verified_on,
    Instrument.last_result,
    Instrument.next_due_on,
    Instrument.booked_on,
    Instrument.type_id,
    Instrument.owner_id,
    Instrument.district_id,
    InstrumentType.code.label("type_code"),
    InstrumentType.name.label("type_name"),
    InstrumentType.name_en.label("type_name_en"),
    Organization.name.label("owner_name"),
    Organization.name_en.label("owner_name_en"),
)


def _rows(session: Session, ids_stmt: Select[Any]) -> list[dict[str, Any]]:
    sub = ids_stmt.subquery()
    stmt = (
        select(*_ROW_COLS)
        .join(sub, sub.c.id == Instrument.id)
        .join(InstrumentType, InstrumentType.id == Instrument.type_id)
        .join(Organization, Organization.id == Instrument.owner_id)
    )
    return [dict(r._mapping) for r in session.execute(stmt)]


def _count(session: Session, stmt: Select[Any]) -> tuple[int, bool]:
    n = session.scalar(select(func.count()).select_from(stmt.limit(COUNT_CAP + 1).subquery())) or 0
    return (min(n, COUNT_CAP), n <= COUNT_CAP)


def list_instruments(
    session: Session, principal: Principal, f: InstrumentFilter, limit: int = 50, offset: int = 0
) -> tuple[int, bool, list[dict[str, Any]]]:
    """``(total, exact, rows)``: counts stop at :data:`COUNT_CAP` (``exact`` False beyond)."""
    stmt = _filtered(principal, f)
    total, exact = _count(session, stmt)
    page = stmt.order_by(Instrument.id).limit(limit).offset(offset)
    rows = _rows(session, page)
    rows.sort(key=lambda r: r["id"])
    return total, exact, rows


def due_list(
    session: Session, principal: Principal, within_days: int, today: date, limit: int = 500, offset: int = 0
) -> tuple[int, bool, list[dict[str, Any]]]:
    """Instruments due within ``within_days`` days of ``today``, and those already overdue/blocked,
    soonest first."""
    if not 0 <= within_days <= 3660:
        raise InputError(f"--within must be 0..3660 days, got {within_days}")
    horizon = today + timedelta(days=within_days)
    # "not retired" rather than a list of statuses: the planner then takes the due-date index
    stmt = _filtered(principal, InstrumentFilter()).where(
        Instrument.next_due_on <= horizon, Instrument.status != InstrumentStatus.RETIRED.value
    )
    total, exact = _count(session, stmt)
    page = stmt.order_by(Instrument.next_due_on, Instrument.id).limit(limit).offset(offset)
    rows = _rows(session, page)
    rows.sort(key=lambda r: (r["next_due_on"], r["id"]))
    for r in rows:
        r["days_left"] = (r["next_due_on"] - today).days
    return total, exact, rows


def _get_instrument(session: Session, principal: Principal, instrument_id: int) -> Instrument:
    return access.require_instrument(session, principal, instrument_id)


def _history(session: Session, instrument_id: int) -> list[dict[str, Any]]:
    lab = aliased(Organization)
    rows = session.execute(
        select(Verification, lab.name, lab.name_en)
        .outerjoin(lab, lab.id == Verification.lab_id)
        .where(Verification.instrument_id == instrument_id)
        .order_by(Verification.verified_on.desc(), Verification.id.desc())
    ).all()
    ids = [v.id for v, _n, _e in rows]
    used: dict[int, list[dict[str, Any]]] = {}
    for vid, sid, code, name in session.execute(
        select(
            VerificationStandard.verification_id,
            MeasurementStandard.id,
            MeasurementStandard.code,
            MeasurementStandard.name,
        )
        .join(MeasurementStandard, MeasurementStandard.id == VerificationStandard.standard_id)
        .where(VerificationStandard.verification_id.in_(ids or [-1]))
    ):
        used.setdefault(vid, []).append({"id": sid, "code": code, "name": name})
    return [
        {
            "id": v.id,
            "kind": v.kind,
            "verified_on": v.verified_on,
            "result": v.result,
            "certificate_no": v.certificate_no,
            "notice_no": v.notice_no,
            "next_due_on": v.next_due_on,
            "lab_id": v.lab_id,
            "lab_name": n,
            "lab_name_en": e,
            "errors": v.errors,
            "standards": used.get(v.id, []),
        }
        for v, n, e in rows
    ]


def instrument_detail(session: Session, principal: Principal, instrument_id: int) -> dict[str, Any]:
    inst = _get_instrument(session, principal, instrument_id)
    rows = _rows(session, select(Instrument.id).where(Instrument.id == inst.id))
    out = rows[0]
    t = session.get(InstrumentType, inst.type_id)
    assert t is not None
    out["type"] = {
        "id": t.id,
        "code": t.code,
        "name": t.name,
        "name_en": t.name_en,
        "regulation": t.regulation,
        "period_months": t.period_months,
        "uses": t.uses,
    }
    out["history"] = _history(session, inst.id)
    out["work_orders"] = [
        {
            "id": w.id,
            "kind": w.kind,
            "status": w.status,
            "note": w.note,
            "source": w.source,
            "created_at": w.created_at,
        }
        for w in session.scalars(
            select(WorkOrder).where(WorkOrder.instrument_id == inst.id).order_by(WorkOrder.id)
        )
    ]
    return out


# ---------------------------------------------------------------- traceability


def _graph(
    session: Session, start: set[int]
) -> tuple[dict[int, tr.StandardNode], dict[int, list[tr.CalibrationLink]]]:
    """Every standard reachable upward from ``start``, with all their calibrations.

    One query: a recursive CTE walks the calibration links upward (UNION drops repeats, so a
    loop ends) and the standards it reaches are returned with their calibrations.
    """
    if not start:
        return {}, {}
    seed = select(MeasurementStandard.id.label("sid")).where(MeasurementStandard.id.in_(sorted(start)))
    reach = seed.cte("reach", recursive=True)
    reach = reach.union(
        select(StandardCalibration.by_standard_id)
        .join(reach, StandardCalibration.standard_id == reach.c.sid)
        .where(StandardCalibration.by_standard_id.is_not(None))
    )
    rows = session.execute(
        select(
            MeasurementStandard.id,
            MeasurementStandard.code,
            MeasurementStandard.level,
            MeasurementStandard.quantity,
            MeasurementStandard.range_min,
            MeasurementStandard.range_max,
            MeasurementStandard.uncertainty,
            MeasurementStandard.approval_valid_until,
            MeasurementStandard.name,
            StandardCalibration.by_standard_id,
            StandardCalibration.calibrated_on,
            StandardCalibration.valid_until,
            StandardCalibration.certificate_no,
            StandardCalibration.uncertainty,
        )
        .join(reach, reach.c.sid == MeasurementStandard.id)
        .outerjoin(StandardCalibration, StandardCalibration.standard_id == MeasurementStandard.id)
    )
    standards: dict[int, tr.StandardNode] = {}
    cals: dict[int, list[tr.CalibrationLink]] = {}
    for r in rows:
        if r[0] not in standards:
            standards[r[0]] = tr.StandardNode(*r[:9])
        if r[10] is not None:
            cals.setdefault(r[0], []).append(tr.CalibrationLink(r[0], *r[9:]))
    return standards, cals


def _tolerance(accuracy_class: str | None, type_tol: float | None) -> float | None:
    if accuracy_class:
        text = accuracy_class.replace("级", "").replace("S", "").strip()
        try:
            value = float(text)
            if 0 < value <= 20:
                return value
        except ValueError:
            pass
    return type_tol


def _trace_of(
    session: Session, inst: Instrument, vid: int, on: date, certificate_no: str | None, ratio_min: float
) -> tr.Traceability:
    t = session.get(InstrumentType, inst.type_id)
    assert t is not None
    used = list(
        session.scalars(
            select(VerificationStandard.standard_id).where(VerificationStandard.verification_id == vid)
        )
    )
    standards, cals = _graph(session, set(used))
    node = tr.InstrumentNode(
        inst.id, f"{t.name} {inst.serial}", t.quantity, _tolerance(inst.accuracy_class, t.tolerance_percent)
    )
    return tr.trace_record(
        node, used, on, standards, cals, certificate_no=certificate_no, ratio_min=ratio_min
    )


def trace_verification(session: Session, verification_id: int, ratio_min: float) -> tr.Traceability:
    """The chains behind one verification record, checked for its date."""
    v = session.get(Verification, verification_id)
    if v is None:
        raise NotFoundError(f"verification {verification_id} not found")
    inst = session.get(Instrument, v.instrument_id)
    assert inst is not None
    return _trace_of(session, inst, v.id, v.verified_on, v.certificate_no, ratio_min)


def trace_instrument(
    session: Session, principal: Principal, instrument_id: int, ratio_min: float
) -> tr.Traceability:
    """The chain behind the instrument's latest verification."""
    inst = _get_instrument(session, principal, instrument_id)
    latest = session.execute(
        select(Verification.id, Verification.verified_on, Verification.certificate_no)
        .where(Verification.instrument_id == inst.id)
        .order_by(Verification.verified_on.desc(), Verification.id.desc())
        .limit(1)
    ).first()
    if latest is None:
        t = session.get(InstrumentType, inst.type_id)
        assert t is not None
        node = tr.InstrumentNode(inst.id, f"{t.name} {inst.serial}", t.quantity)
        return tr.trace_record(node, [], inst.last_verified_on or date.min, {}, {}, ratio_min=ratio_min)
    return _trace_of(session, inst, latest.id, latest.verified_on, latest.certificate_no, ratio_min)


def _visible_standard(principal: Principal, s: MeasurementStandard) -> bool:
    return access.may_see_standard(principal, s)


def trace_standard(
    session: Session, principal: Principal, standard_id: int, on: date, ratio_min: float
) -> tr.Traceability:
    s = session.get(MeasurementStandard, standard_id)
    if s is None or not _visible_standard(principal, s):
        raise NotFoundError(f"standard {standard_id} not found")
    standards, cals = _graph(session, {standard_id})
    return tr.trace_standard(standard_id, standards, cals, on, ratio_min=ratio_min)


# ---------------------------------------------------------------- standards and reference materials


def _standard_scope(stmt: Select[Any], principal: Principal) -> Select[Any]:
    return stmt.where(access.standard_clause(principal))


def list_standards(
    session: Session,
    principal: Principal,
    *,
    q: str | None = None,
    level: str | None = None,
    quantity: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[dict[str, Any]]]:
    holder = aliased(Organization)
    stmt = _standard_scope(select(MeasurementStandard, holder.name, holder.name_en), principal).outerjoin(
        holder, holder.id == MeasurementStandard.holder_id
    )
    if q:
        stmt = stmt.where(
            or_(MeasurementStandard.code.like(f"%{q}%"), MeasurementStandard.name.like(f"%{q}%"))
        )
    if level:
        stmt = stmt.where(MeasurementStandard.level == level)
    if quantity:
        stmt = stmt.where(MeasurementStandard.quantity == quantity)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.execute(stmt.order_by(MeasurementStandard.id).limit(limit).offset(offset)).all()
    return total, [_standard_dict(s) | {"holder_name": n, "holder_name_en": e} for s, n, e in rows]


def _standard_dict(s: MeasurementStandard) -> dict[str, Any]:
    return {
        "id": s.id,
        "code": s.code,
        "name": s.name,
        "name_en": s.name_en,
        "level": s.level,
        "quantity": s.quantity,
        "range_min": s.range_min,
        "range_max": s.range_max,
        "unit": s.unit,
        "uncertainty": s.uncertainty,
        "accuracy_class": s.accuracy_class,
        "holder_id": s.holder_id,
        "approval_no": s.approval_no,
        "approval_valid_until": s.approval_valid_until,
        "covers": s.covers,
        "published": s.published,
    }


def standard_detail(session: Session, principal: Principal, standard_id: int) -> dict[str, Any]:
    s = session.get(MeasurementStandard, standard_id)
    if s is None or not _visible_standard(principal, s):
        raise NotFoundError(f"standard {standard_id} not found")
    out = _standard_dict(s)
    holder = session.get(Organization, s.holder_id) if s.holder_id else None
    out["holder_name"] = holder.name if holder else None
    out["holder_name_en"] = holder.name_en if holder else None
    by = aliased(MeasurementStandard)
    out["calibrations"] = [
        {
            "calibrated_on": c.calibrated_on,
            "valid_until": c.valid_until,
            "certificate_no": c.certificate_no,
            "uncertainty": c.uncertainty,
            "by_standard_id": c.by_standard_id,
            "by_code": code,
        }
        for c, code in session.execute(
            select(StandardCalibration, by.code)
            .outerjoin(by, by.id == StandardCalibration.by_standard_id)
            .where(StandardCalibration.standard_id == s.id)
            .order_by(StandardCalibration.calibrated_on.desc())
        )
    ]
    return out


def list_reference_materials(
    session: Session, principal: Principal, *, q: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[int, list[dict[str, Any]]]:
    stmt = select(ReferenceMaterial)
    if not principal.is_regulator:
        cond: ColumnElement[bool] = ReferenceMaterial.published.is_(True)
        if principal.org_id is not None:
            cond = or_(cond, ReferenceMaterial.holder_id == principal.org_id)
        stmt = stmt.where(cond)
    if q:
        stmt = stmt.where(or_(ReferenceMaterial.code.like(f"%{q}%"), ReferenceMaterial.name.like(f"%{q}%")))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(ReferenceMaterial.id).limit(limit).offset(offset))
    return total, [
        {
            "id": r.id,
            "code": r.code,
            "name": r.name,
            "name_en": r.name_en,
            "quantity": r.quantity,
            "certified_value": r.certified_value,
            "unit": r.unit,
            "uncertainty": r.uncertainty,
            "producer": r.producer,
            "expires_on": r.expires_on,
            "published": r.published,
        }
        for r in rows
    ]


# ---------------------------------------------------------------- booking, notices, status job


def _owned_ids(session: Session, principal: Principal, ids: Sequence[int]) -> list[int]:
    if not ids:
        raise InputError("no instrument selected")
    if len(ids) > 5000:
        raise InputError(f"at most 5000 instruments at once, got {len(ids)}")
    found = list(
        session.scalars(scope_instruments(select(Instrument.id), principal).where(Instrument.id.in_(ids)))
    )
    missing = sorted(set(ids) - set(found))
    if missing:
        raise NotFoundError(f"instrument {missing[0]} not found")
    return found


def book(
    session: Session,
    principal: Principal,
    ids: Sequence[int],
    on: date,
    today: date,
    lab_id: int | None = None,
) -> int:
    """Book verification of the instruments on ``on`` (with ``lab_id``): they become ``booked``."""
    if principal.role not in (Role.REGULATOR, Role.ENTERPRISE):
        raise PermissionDeniedError("only owners and the regulator book verifications")
    if on < today:
        raise InputError(f"booking date {on} is in the past")
    if on > today + timedelta(days=366):
        raise InputError(f"booking date {on} is more than a year ahead")
    if lab_id is not None:
        lab = session.get(Organization, lab_id)
        if lab is None or lab.kind not in ("institute", "lab"):
            raise InputError(f"organization {lab_id} is not a verification lab")
    found = _owned_ids(session, principal, ids)
    rows = session.scalars(select(Instrument).where(Instrument.id.in_(found)))
    n = 0
    for inst in rows:
        if inst.status == InstrumentStatus.RETIRED.value:
            raise InputError(f"instrument {inst.id} is retired")
        inst.status = InstrumentStatus.BOOKED.value
        inst.booked_on = on
        inst.booked_lab_id = lab_id
        n += 1
    session.flush()
    return n


def notify(
    session: Session, principal: Principal, ids: Sequence[int], today: date, note: str | None = None
) -> int:
    """Send a notice to the owners of the instruments (one per instrument and day)."""
    if principal.role not in (Role.REGULATOR, Role.LAB):
        raise PermissionDeniedError("only the regulator and labs send notices")
    if note is not None and len(note) > 500:
        raise InputError("note is longer than 500 characters")
    found = _owned_ids(session, principal, ids)
    rows = session.execute(select(Instrument.id, Instrument.owner_id).where(Instrument.id.in_(found))).all()
    done = set(
        session.scalars(
            select(Reminder.instrument_id).where(
                Reminder.instrument_id.in_(found), Reminder.kind == "notice", Reminder.due_on == today
            )
        )
    )
    values = [
        {"instrument_id": i, "owner_id": o, "kind": "notice", "due_on": today, "note": note}
        for i, o in rows
        if i not in done
    ]
    if values:
        session.execute(insert(Reminder), values)
        record(
            session,
            [
                AuditChange("notify", "reg_instrument", str(v["instrument_id"]), None, {"note": note})
                for v in values
            ],
        )
    return len(values)


def run_status_job(session: Session, today: date) -> JobResult:
    """Overdue/blocked transitions for ``today`` and the 30- and 15-day reminders (idempotent)."""
    yesterday = today - timedelta(days=1)
    to_block = list(
        session.scalars(
            select(Instrument.id).where(
                Instrument.status.in_([InstrumentStatus.IN_USE.value, InstrumentStatus.OVERDUE.value]),
                Instrument.next_due_on < yesterday,
            )
        )
    )
    to_overdue = list(
        session.scalars(
            select(Instrument.id).where(
                Instrument.status == InstrumentStatus.IN_USE.value, Instrument.next_due_on == yesterday
            )
        )
    )
    changes: list[AuditChange] = []
    for ids, status in ((to_block, InstrumentStatus.BLOCKED), (to_overdue, InstrumentStatus.OVERDUE)):
        for i in range(0, len(ids), 5000):
            chunk = ids[i : i + 5000]
            session.execute(update(Instrument).where(Instrument.id.in_(chunk)).values(status=status.value))
        changes.extend(
            AuditChange("update", "reg_instrument", str(i), None, {"status": status.value}, "status job")
            for i in ids
        )
    counts = []
    for days in REMINDER_DAYS:
        kind = f"due_{days}"
        sent = select(Reminder.id).where(
            Reminder.instrument_id == Instrument.id,
            Reminder.kind == kind,
            Reminder.due_on == Instrument.next_due_on,
        )
        rows = session.execute(
            select(Instrument.id, Instrument.owner_id, Instrument.next_due_on).where(
                Instrument.status.in_([InstrumentStatus.IN_USE.value, InstrumentStatus.BOOKED.value]),
                Instrument.next_due_on > today,
                Instrument.next_due_on <= today + timedelta(days=days),
                ~sent.exists(),
            )
        ).all()
        if rows:
            session.execute(
                insert(Reminder),
                [{"instrument_id": i, "owner_id": o, "kind": kind, "due_on": d} for i, o, d in rows],
            )
        counts.append(len(rows))
    record(session, changes)
    return JobResult(today, len(to_overdue), len(to_block), counts[0], counts[1])


# ---------------------------------------------------------------- hooks for other capabilities


def _party_ref(o: Organization | None) -> PartyRef | None:
    if o is None:
        return None
    return PartyRef(o.id, o.name, o.name_en, o.credit_code, o.address, o.accreditation_code)


def _standards_used(session: Session, v: Verification) -> tuple[StandardUsed, ...]:
    """The standards of a record, each with its own latest calibration on the record's day."""
    out = []
    for s in session.scalars(
        select(MeasurementStandard)
        .join(VerificationStandard, VerificationStandard.standard_id == MeasurementStandard.id)
        .where(VerificationStandard.verification_id == v.id)
        .order_by(MeasurementStandard.id)
    ):
        cal = session.execute(
            select(StandardCalibration)
            .where(
                StandardCalibration.standard_id == s.id, StandardCalibration.calibrated_on <= v.verified_on
            )
            .order_by(StandardCalibration.calibrated_on.desc())
            .limit(1)
        ).scalar_one_or_none()
        ref = (
            None
            if cal is None
            else StandardCalibrationRef(
                cal.certificate_no, cal.calibrated_on, cal.valid_until, cal.uncertainty
            )
        )
        out.append(StandardUsed(**_standard_dict(s), calibration=ref))
    return tuple(out)


def record_with_context(session: Session, verification_id: int) -> RecordContext:
    """One verification/calibration record with its instrument, owner, lab and the standards used
    (each with its own latest calibration certificate): what a certificate or a notice needs."""
    v = session.get(Verification, verification_id)
    if v is None:
        raise NotFoundError(f"verification {verification_id} not found")
    inst = session.get(Instrument, v.instrument_id)
    assert inst is not None
    t = session.get(InstrumentType, inst.type_id)
    assert t is not None
    instrument = InstrumentRef(
        inst.id,
        inst.serial,
        inst.model,
        inst.manufacturer,
        inst.accuracy_class,
        inst.measuring_range,
        inst.location,
        inst.use,
        InstrumentTypeRef(t.code, t.name, t.name_en, t.regulation, t.quantity),
    )
    return RecordContext(
        id=v.id,
        kind=v.kind,
        verified_on=v.verified_on,
        result=v.result,
        errors=tuple(v.errors or ()),
        certificate_no=v.certificate_no,
        notice_no=v.notice_no,
        next_due_on=v.next_due_on,
        temperature_c=v.temperature_c,
        humidity_percent=v.humidity_percent,
        instrument=instrument,
        owner=_party_ref(session.get(Organization, inst.owner_id)),
        lab=_party_ref(session.get(Organization, v.lab_id)) if v.lab_id else None,
        standards=_standards_used(session, v),
    )


def find_instrument(
    session: Session, owner_id: int, serial: str, type_code: str | None = None
) -> Instrument | None:
    """The instrument of ``owner_id`` with ``serial`` (and type), or None; several types → error.

    Serials match in their identity form (:func:`jiliang.platform.cells.identity_text`)."""
    stmt = select(Instrument).where(
        Instrument.owner_id == owner_id, Instrument.serial_key == identity_text(serial)
    )
    if type_code:
        stmt = stmt.join(InstrumentType, InstrumentType.id == Instrument.type_id).where(
            InstrumentType.code == type_code
        )
    found = list(session.scalars(stmt.limit(2)))
    if len(found) > 1:
        raise InputError(f"serial {serial!r} is used by instruments of several types; give the type")
    return found[0] if found else None


def add_work_order(
    session: Session,
    instrument_id: int,
    kind: str,
    note: str | None = None,
    source: str | None = None,
    status: str = "open",
) -> WorkOrder:
    """Attach a work order or status note (e.g. ``replacement``) to an instrument."""
    if not kind or len(kind) > 32:
        raise InputError(f"work order kind {kind!r} must have 1–32 characters")
    if status not in ("open", "done", "cancelled", "note"):
        raise InputError(f"unknown work order status {status!r}")
    if session.get(Instrument, instrument_id) is None:
        raise NotFoundError(f"instrument {instrument_id} not found")
    wo = WorkOrder(instrument_id=instrument_id, kind=kind, note=note, source=source, status=status)
    session.add(wo)
    session.flush()
    return wo


def district_names(session: Session) -> dict[int, tuple[str, str]]:
    return {d.id: (d.name, d.name_en) for d in session.scalars(select(District))}


# ---------------------------------------------------------------- recording results, city types


@dataclass(frozen=True, slots=True)
class ErrorFound:
    """One point of a verification: the error found and the maximum permissible error (same unit)."""

    point: str
    error: float
    mpe: float
    unit: str = "%"

    def __post_init__(self) -> None:
        import math

        if not self.point or len(self.point) > 64:
            raise InputError(f"test point {self.point!r} must have 1–64 characters")
        if not (math.isfinite(self.error) and math.isfinite(self.mpe) and self.mpe > 0):
            raise InputError(
                f"point {self.point}: error {self.error!r} / MPE {self.mpe!r} must be finite, MPE > 0"
            )


def record_verification(
    session: Session,
    principal: Principal,
    instrument_id: int,
    *,
    verified_on: date,
    today: date,
    result: str,
    certificate_no: str | None,
    standard_ids: Sequence[int],
    errors: Sequence[ErrorFound] = (),
    kind: str = "verification",
    temperature_c: float | None = None,
    humidity_percent: float | None = None,
) -> Verification:
    """A lab (or the regulator) records a verification or calibration result.

    The next due date follows from the instrument's period; a pass puts the instrument back in use,
    a fail blocks it and issues a notice of failure (检定结果通知书) numbered after the record.
    """
    from jiliang.registry.dates import add_months

    _check_verification(principal, verified_on, today, result, certificate_no, standard_ids, kind)
    # the lab must have a relationship with the instrument (404 otherwise, as for a read) and may
    # cite only its own, public or published standards (422 naming each refused one)
    inst = access.require_instrument(session, principal, instrument_id)
    found = access.require_citable_standards(session, principal, standard_ids)
    t = session.get(InstrumentType, inst.type_id)
    assert t is not None
    due = add_months(verified_on, inst.period_months or t.period_months) if result == "pass" else None
    v = Verification(
        instrument_id=inst.id,
        lab_id=principal.org_id if principal.role is Role.LAB else None,
        kind=kind,
        verified_on=verified_on,
        result=result,
        errors=[{"point": e.point, "error": e.error, "mpe": e.mpe, "unit": e.unit} for e in errors],
        certificate_no=certificate_no if result == "pass" else None,
        next_due_on=due,
        temperature_c=temperature_c,
        humidity_percent=humidity_percent,
    )
    session.add(v)
    session.flush()
    if result == "fail":
        v.notice_no = f"TZ{verified_on.year}-{v.id:07d}"
    for sid in found:
        session.add(VerificationStandard(verification_id=v.id, standard_id=sid))
    _update_instrument_state(inst, verified_on, result, due, today)
    session.flush()
    return v


def _check_verification(
    principal: Principal,
    verified_on: date,
    today: date,
    result: str,
    certificate_no: str | None,
    standard_ids: Sequence[int],
    kind: str,
) -> None:
    """Refuse a verification record before anything is read: wrong role, result, kind, date, no
    certificate for a pass or no standard named."""
    if principal.role not in (Role.LAB, Role.REGULATOR):
        raise PermissionDeniedError("only labs and the regulator record verifications")
    if result not in ("pass", "fail"):
        raise InputError(f"result must be pass or fail, got {result!r}")
    if kind not in ("verification", "calibration"):
        raise InputError(f"kind must be verification or calibration, got {kind!r}")
    if verified_on > today:
        raise InputError(f"verification date {verified_on} is in the future")
    if result == "pass" and not certificate_no:
        raise InputError("a passed verification needs its certificate number")
    if not standard_ids:
        raise InputError("name the standards used (traceability)")


def _update_instrument_state(
    inst: Instrument, verified_on: date, result: str, due: date | None, today: date
) -> None:
    """Carry a verification onto the instrument unless a later one is already on record.

    The instrument gets the date, result, next due date and status; any booking is cleared.
    """
    from jiliang.registry.status import status_for

    if inst.last_verified_on is None or verified_on >= inst.last_verified_on:
        inst.last_verified_on = verified_on
        inst.last_result = result
        inst.next_due_on = due or verified_on
        inst.status = status_for(due, result, today)
        inst.booked_on = None
        inst.booked_lab_id = None


def add_city_type(
    session: Session,
    *,
    code: str,
    name: str,
    name_en: str,
    category: str,
    uses: Sequence[str],
    period_months: int,
    quantity: str,
    regulation: str | None = None,
    tolerance_percent: float | None = None,
    aliases: Sequence[str] = (),
    effective_from: date,
) -> InstrumentType:
    """A type the city adds to the catalogue (edition ``city``)."""
    from jiliang.registry.catalogue import USES

    if not code or len(code) > 48 or not code.replace("-", "").isalnum():
        raise InputError(f"type code {code!r} must be 1–48 letters, digits or hyphens")
    if not 1 <= period_months <= 240:
        raise InputError(f"verification period {period_months} must be 1–240 months")
    bad = [u for u in uses if u not in USES]
    if bad or not uses:
        raise InputError(f"uses must be among {', '.join(USES)}; got {list(uses)!r}")
    if session.scalar(select(InstrumentType.id).where(InstrumentType.code == code)) is not None:
        from jiliang.errors import ConflictError

        raise ConflictError(f"instrument type {code} exists")
    t = InstrumentType(
        code=code,
        name=name,
        name_en=name_en,
        category=category,
        uses=list(uses),
        regulation=regulation,
        period_months=period_months,
        quantity=quantity,
        tolerance_percent=tolerance_percent,
        aliases=list(aliases),
        edition="city",
        effective_from=effective_from,
        compulsory=True,
    )
    session.add(t)
    session.flush()
    return t


def list_types(session: Session, on: date | None = None) -> list[InstrumentType]:
    """Instrument types stored: the catalogue and the city's additions. With ``on``, a fresh database
    first loads the catalogue in force on that day."""
    from jiliang.registry import catalogue

    if on is not None and session.scalar(select(InstrumentType.id).limit(1)) is None:
        catalogue.sync(session, on)
    return list(session.scalars(select(InstrumentType).order_by(InstrumentType.id)))
