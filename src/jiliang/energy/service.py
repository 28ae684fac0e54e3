"""Energy metering review: units, inventories, required counts, reviews with findings.

The regulator registers key energy-using units and runs reviews; a unit (enterprise user of the
organization) sees its own unit, inventory and reviews and keeps its inventory and activity data.
Every change runs in the caller's transaction and is audited (the tables are ``Audited``).
Review states and transitions are data (:data:`TRANSITIONS`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jiliang.energy.files import ENERGY_TYPES, parse_inventory
from jiliang.energy.models import EnergyFinding, EnergyMeter, EnergyRequirement, EnergyReview, EnergyUnit
from jiliang.energy.rates import (
    ConfigurationRate,
    accuracy_ok,
    configuration_rates,
    count_by,
    verification_status,
)
from jiliang.energy.tables import LEVELS, edition_for
from jiliang.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from jiliang.platform.auth import Principal
from jiliang.platform.models import Organization, Role
from jiliang.registry.models import Instrument, InstrumentStatus, InstrumentType

__all__ = [
    "SEVERITIES",
    "TRANSITIONS",
    "MeterRow",
    "ReviewView",
    "UnitRow",
    "UnitView",
    "add_finding",
    "advance_review",
    "create_review",
    "get_unit",
    "import_inventory",
    "list_reviews",
    "list_units",
    "meter_rows",
    "meter_rows_of",
    "register_unit",
    "review_view",
    "set_requirements",
    "unit_view",
]

#: The life of a review; the service refuses any other move.
TRANSITIONS: dict[str, frozenset[str]] = {
    "draft": frozenset({"findings"}),
    "findings": frozenset({"report"}),
    "report": frozenset({"closed"}),
    "closed": frozenset(),
}
SEVERITIES = ("major", "minor", "note")


@dataclass(frozen=True, slots=True)
class UnitRow:
    id: int
    code: str
    org_id: int
    name: str
    energy_types: tuple[str, ...]
    consumption_tce: float | None
    meters: int


def _check_unit_fields(code: str, energy_types: Sequence[str], consumption_tce: float | None) -> None:
    if not 0 < len(code) <= 64:
        raise InputError("unit code must have 1–64 characters")
    bad = [t for t in energy_types if t not in ENERGY_TYPES]
    if bad or not energy_types:
        raise InputError(
            f"energy types must be from GB 17167 Table 3; unknown: {', '.join(bad) or '(none given)'}"
        )
    if consumption_tce is not None and not (0 <= consumption_tce < 1e9):
        raise InputError(f"consumption {consumption_tce} tce is not in [0, 1e9)")


def register_unit(
    session: Session,
    principal: Principal,
    *,
    org_id: int,
    code: str,
    energy_types: Sequence[str],
    consumption_tce: float | None,
    now: datetime,
) -> EnergyUnit:
    """The regulator registers an organization as a key energy-using unit (重点用能单位)."""
    principal.require(Role.REGULATOR)
    code = code.strip()
    _check_unit_fields(code, energy_types, consumption_tce)
    if session.get(Organization, org_id) is None:
        raise InputError(f"unknown organization {org_id}")
    if session.scalar(select(EnergyUnit.id).where(EnergyUnit.org_id == org_id)) is not None:
        raise ConflictError(f"organization {org_id} is already a key energy-using unit")
    if session.scalar(select(EnergyUnit.id).where(EnergyUnit.code == code)) is not None:
        raise ConflictError(f"a unit with code {code} exists")
    unit = EnergyUnit(
        org_id=org_id,
        code=code,
        energy_types=sorted(set(energy_types)),
        consumption_tce=consumption_tce,
        created_at=now,
    )
    session.add(unit)
    session.flush()
    return unit


def list_units(session: Session, principal: Principal) -> list[UnitRow]:
    """Units the caller may see: the regulator all; an enterprise its own."""
    if principal.is_anonymous:
        return []
    stmt = select(EnergyUnit, Organization.name).join(Organization, Organization.id == EnergyUnit.org_id)
    if not principal.is_regulator:
        stmt = stmt.where(EnergyUnit.org_id == principal.org_id)
    counts = dict(
        session.execute(select(EnergyMeter.unit_id, func.count()).group_by(EnergyMeter.unit_id))
        .tuples()
        .all()
    )
    return [
        UnitRow(
            u.id, u.code, u.org_id, name, tuple(u.energy_types), u.consumption_tce, int(counts.get(u.id, 0))
        )
        for u, name in session.execute(stmt.order_by(EnergyUnit.code)).tuples()
    ]


def get_unit(session: Session, principal: Principal, unit_id: int) -> EnergyUnit:
    unit = session.get(EnergyUnit, unit_id)
    if unit is None or not principal.may_see_org(unit.org_id):
        raise NotFoundError(f"energy unit {unit_id} not found")
    return unit


def _may_edit(principal: Principal, unit: EnergyUnit) -> None:
    if principal.is_regulator:
        return
    if principal.role is Role.ENTERPRISE and principal.org_id == unit.org_id:
        return
    raise PermissionDeniedError("only the unit itself or the regulator changes its inventory")


def set_requirements(
    session: Session, principal: Principal, unit_id: int, required: Mapping[tuple[str, int], int]
) -> int:
    """Set the theoretical number of meters (理论需要量) per energy type and level; returns rows set."""
    unit = get_unit(session, principal, unit_id)
    _may_edit(principal, unit)
    for (et, level), n in required.items():
        if et not in ENERGY_TYPES or level not in LEVELS:
            raise InputError(f"requirement {et}/{level}: unknown energy type or level")
        if not 0 <= n <= 1_000_000:
            raise InputError(f"requirement {et}/{level}: {n} is not a count in 0–1,000,000")
    existing = {
        (r.energy_type, r.level): r
        for r in session.scalars(select(EnergyRequirement).where(EnergyRequirement.unit_id == unit.id))
    }
    for (et, level), n in required.items():
        row = existing.get((et, level))
        if row is None:
            session.add(EnergyRequirement(unit_id=unit.id, energy_type=et, level=level, required=n))
        else:
            row.required = n
    session.flush()
    return len(required)


def _resolve_instrument(session: Session, unit: EnergyUnit, ref: str, line: int) -> Instrument:
    inst = None
    if ref.isdigit():
        inst = session.get(Instrument, int(ref))
        inst = inst if inst is not None and inst.owner_id == unit.org_id else None
    if inst is None:
        found = list(
            session.scalars(
                select(Instrument)
                .where(Instrument.owner_id == unit.org_id, Instrument.serial == ref)
                .limit(2)
            )
        )
        if len(found) > 1:
            raise InputError(
                f"line {line}: serial {ref} names several instruments of the unit; use the registry id"
            )
        inst = found[0] if found else None
    if inst is None:
        raise InputError(
            f"line {line}: instrument {ref} is not in the registry as an instrument of this unit"
        )
    return inst


def import_inventory(session: Session, principal: Principal, unit_id: int, text: str) -> int:
    """Add the meters of an inventory CSV; the whole file or nothing. Returns how many were added.

    A registry instrument belongs to at most one inventory line anywhere: linking it twice (in
    the file, or again after an earlier import) is refused.
    """
    unit = get_unit(session, principal, unit_id)
    _may_edit(principal, unit)
    rows = parse_inventory(text)
    linked = {
        int(i): int(u)
        for i, u in session.execute(select(EnergyMeter.instrument_id, EnergyMeter.unit_id)).tuples()
    }
    new = []
    for r in rows:
        inst = _resolve_instrument(session, unit, r.instrument, r.line)
        if inst.id in linked:
            raise ConflictError(
                f"line {r.line}: instrument {r.instrument} is linked twice (already in an inventory)"
            )
        linked[inst.id] = unit.id
        new.append(
            EnergyMeter(
                unit_id=unit.id,
                instrument_id=inst.id,
                energy_type=r.energy_type,
                level=r.level,
                point=r.point,
                requirement=r.requirement,
                accuracy_class=r.accuracy_class,
            )
        )
    session.add_all(new)  # only once every line has passed: the whole file or nothing
    session.flush()
    return len(rows)


@dataclass(frozen=True, slots=True)
class MeterRow:
    """A meter as the review sees it on its date: class, Table 4 verdict and registry status."""

    id: int
    instrument_id: int
    serial: str
    type_name: str
    type_name_en: str
    energy_type: str
    level: int
    point: str
    accuracy_class: str | None
    requirement: str | None
    max_class: float | None
    class_ok: bool | None
    status: str
    due: date | None
    in_use: bool


def meter_rows(session: Session, unit: EnergyUnit, on: date) -> list[MeterRow]:
    """The unit's meters with their Table 4 check (level 1 only) and verification status on ``on``."""
    return meter_rows_of(session, [unit.id], on).get(unit.id, [])


def meter_rows_of(session: Session, unit_ids: Sequence[int], on: date) -> dict[int, list[MeterRow]]:
    """:func:`meter_rows` of several units in one query, by unit id."""
    edition = edition_for(on)
    stmt = (
        select(
            EnergyMeter.unit_id,
            EnergyMeter.id,
            EnergyMeter.energy_type,
            EnergyMeter.level,
            EnergyMeter.point,
            EnergyMeter.requirement,
            EnergyMeter.accuracy_class,
            Instrument.id,
            Instrument.serial,
            Instrument.accuracy_class,
            Instrument.next_due_on,
            Instrument.last_result,
            Instrument.status,
            InstrumentType.name,
            InstrumentType.name_en,
        )
        .join(Instrument, Instrument.id == EnergyMeter.instrument_id)
        .join(InstrumentType, InstrumentType.id == Instrument.type_id)
        .where(EnergyMeter.unit_id.in_(list(unit_ids)))
        .order_by(
            EnergyMeter.unit_id, EnergyMeter.level, EnergyMeter.energy_type, EnergyMeter.point, EnergyMeter.id
        )
    )
    out: dict[int, list[MeterRow]] = {}
    for (
        uid,
        mid,
        et,
        level,
        point,
        req0,
        cls0,
        iid,
        serial,
        icls,
        due,
        result,
        status,
        tname,
        ten,
    ) in session.execute(stmt).tuples():
        cls = icls or cls0
        req = req0 or edition.default_requirement.get(et)
        row4 = edition.accuracy.get(req) if req and level == 1 else None
        st = verification_status(due, result, on)
        out.setdefault(uid, []).append(
            MeterRow(
                mid,
                iid,
                serial,
                tname,
                ten,
                et,
                level,
                point,
                cls,
                row4.code if row4 else None,
                row4.max_class if row4 else None,
                accuracy_ok(cls, row4.max_class) if row4 else None,
                st.state,
                st.due,
                status != InstrumentStatus.RETIRED.value,
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class UnitView:
    """A unit on a date: its meters, configuration rates against the edition in force, reviews."""

    unit: EnergyUnit
    name: str
    on: date
    edition: str
    edition_verified: bool
    meters: tuple[MeterRow, ...]
    rates: tuple[ConfigurationRate, ...]
    reviews: tuple[EnergyReview, ...]
    may_edit: bool

    def count(self, status: str) -> int:
        return sum(1 for m in self.meters if m.status == status)


def _rates(
    session: Session, unit: EnergyUnit, meters: Sequence[MeterRow], on: date
) -> list[ConfigurationRate]:
    required = {
        (r.energy_type, r.level): r.required
        for r in session.scalars(select(EnergyRequirement).where(EnergyRequirement.unit_id == unit.id))
    }
    installed = count_by((m.energy_type, m.level) for m in meters if m.in_use)
    return configuration_rates(edition_for(on), required, installed)


def unit_view(session: Session, principal: Principal, unit_id: int, on: date) -> UnitView:
    unit = get_unit(session, principal, unit_id)
    org = session.get(Organization, unit.org_id)
    meters = meter_rows(session, unit, on)
    edition = edition_for(on)
    reviews = list(
        session.scalars(
            select(EnergyReview)
            .where(EnergyReview.unit_id == unit.id)
            .order_by(EnergyReview.review_date.desc())
        )
    )
    may = principal.is_regulator or (principal.role is Role.ENTERPRISE and principal.org_id == unit.org_id)
    return UnitView(
        unit,
        org.name if org else "",
        on,
        edition.edition,
        edition.verified,
        tuple(meters),
        tuple(_rates(session, unit, meters, on)),
        tuple(reviews),
        may,
    )


def create_review(
    session: Session, principal: Principal, unit_id: int, *, code: str, review_date: date, now: datetime
) -> EnergyReview:
    """The regulator opens a review of a unit on a date; the edition in force then is recorded."""
    principal.require(Role.REGULATOR)
    unit = get_unit(session, principal, unit_id)
    code = code.strip()
    if not 0 < len(code) <= 64:
        raise InputError("review code must have 1–64 characters")
    if session.scalar(select(EnergyReview.id).where(EnergyReview.code == code)) is not None:
        raise ConflictError(f"a review with code {code} exists")
    review = EnergyReview(
        code=code,
        unit_id=unit.id,
        review_date=review_date,
        edition=edition_for(review_date).edition,
        state="draft",
        reviewer=principal.actor,
        created_at=now,
    )
    session.add(review)
    session.flush()
    return review


def list_reviews(session: Session, principal: Principal) -> list[EnergyReview]:
    """Reviews the caller may see (the regulator all; a unit its own)."""
    if principal.is_anonymous:
        return []
    stmt = select(EnergyReview).join(EnergyUnit, EnergyUnit.id == EnergyReview.unit_id)
    if not principal.is_regulator:
        stmt = stmt.where(EnergyUnit.org_id == principal.org_id)
    return list(session.scalars(stmt.order_by(EnergyReview.review_date.desc(), EnergyReview.id.desc())))


def _get_review(session: Session, principal: Principal, review_id: int) -> tuple[EnergyReview, EnergyUnit]:
    review = session.get(EnergyReview, review_id)
    if review is None:
        raise NotFoundError(f"review {review_id} not found")
    try:
        unit = get_unit(session, principal, review.unit_id)
    except NotFoundError:
        raise NotFoundError(f"review {review_id} not found") from None
    return review, unit


def add_finding(
    session: Session,
    principal: Principal,
    review_id: int,
    *,
    severity: str,
    clause: str,
    text: str,
    now: datetime,
    auto: bool = False,
) -> EnergyFinding:
    """The reviewer records a finding while the review is a draft or collecting findings."""
    principal.require(Role.REGULATOR)
    review, _ = _get_review(session, principal, review_id)
    if review.state not in ("draft", "findings"):
        raise ConflictError(f"review {review.code} is {review.state}: findings are closed")
    clause, text = clause.strip(), text.strip()
    if severity not in SEVERITIES:
        raise InputError(f"severity {severity!r} is not one of {', '.join(SEVERITIES)}")
    if not (0 < len(clause) <= 64 and 0 < len(text) <= 2000):
        raise InputError("clause (1–64) and text (1–2000 characters) are required")
    f = EnergyFinding(
        review_id=review.id, severity=severity, clause=clause, text=text, auto=auto, created_at=now
    )
    session.add(f)
    session.flush()
    return f


def _auto_findings(view: UnitView) -> list[tuple[str, str, str]]:
    """Findings the checks make: (severity, clause, text), Chinese as the report is."""
    out: list[tuple[str, str, str]] = []
    for r in view.rates:
        if r.ok is False:
            out.append(
                (
                    "major",
                    "GB 17167 4.3.5 表3",
                    f"{_et_zh(r.energy_type)} {r.level} 级计量配备率 {r.rate:.1f} %，低于要求 {r.required_rate:.0f} %"
                    f"（已配 {r.installed} / 应配 {r.required}）",
                )
            )
    for m in view.meters:
        if m.class_ok is False:
            out.append(
                (
                    "major",
                    "GB 17167 4.3.6 表4",
                    f"计量器具 {m.serial}（{m.point}）准确度等级 {m.accuracy_class} 低于要求 {m.max_class:g} 级",
                )
            )
        elif m.class_ok is None and m.requirement:
            out.append(("minor", "GB 17167 4.3.6 表4", f"计量器具 {m.serial}（{m.point}）准确度等级无法确认"))
        if m.status in ("out_of_date", "failed", "unknown"):
            what = {
                "out_of_date": "超过检定/校准有效期",
                "failed": "最近一次检定不合格",
                "unknown": "无检定/校准记录",
            }
            out.append(("major", "GB 17167 5.2", f"计量器具 {m.serial}（{m.point}）{what[m.status]}"))
    if not view.edition_verified:
        out.append(("note", view.edition, f"{view.edition} 表格数值尚未与正式文本逐格核对"))
    return out


_ET_ZH = {
    "electricity": "电力",
    "coal": "煤炭",
    "coke": "焦炭",
    "crude_oil": "原油",
    "refined_oil": "成品油",
    "heavy_oil": "重油",
    "residual_oil": "渣油",
    "natural_gas": "天然气",
    "lpg": "液化石油气",
    "coal_gas": "煤气",
    "steam": "蒸汽",
    "water": "水",
    "waste_energy": "余能",
}


def _et_zh(et: str) -> str:
    return _ET_ZH.get(et, et)


def advance_review(
    session: Session, principal: Principal, review_id: int, to: str, now: datetime
) -> EnergyReview:
    """Move a review on: draft → findings (the checks add their findings) → report (frozen) → closed."""
    principal.require(Role.REGULATOR)
    review, unit = _get_review(session, principal, review_id)
    if to not in TRANSITIONS.get(review.state, frozenset()):
        raise ConflictError(f"review {review.code} is {review.state}: cannot become {to}")
    view = unit_view(session, principal, unit.id, review.review_date)
    if to == "findings":
        for sev, clause, text in _auto_findings(view):
            session.add(
                EnergyFinding(
                    review_id=review.id, severity=sev, clause=clause, text=text, auto=True, created_at=now
                )
            )
    if to == "report":
        findings = _findings(session, review.id)
        majors = sum(1 for f in findings if f.severity == "major")
        review.conclusion = "符合要求" if majors == 0 else f"不符合要求：{majors} 项主要问题"
        review.report_json = json.dumps(_snapshot(view, findings), ensure_ascii=False, default=str)
    if to == "closed":
        review.closed_at = now
    review.state = to
    session.flush()
    return review


def _findings(session: Session, review_id: int) -> list[EnergyFinding]:
    return list(
        session.scalars(
            select(EnergyFinding).where(EnergyFinding.review_id == review_id).order_by(EnergyFinding.id)
        )
    )


def _snapshot(view: UnitView, findings: Sequence[EnergyFinding]) -> dict[str, Any]:
    return {
        "unit": {"code": view.unit.code, "name": view.name},
        "on": view.on.isoformat(),
        "edition": view.edition,
        "edition_verified": view.edition_verified,
        "rates": [asdict(r) for r in view.rates],
        "meters": [asdict(m) for m in view.meters],
        "findings": [
            {"severity": f.severity, "clause": f.clause, "text": f.text, "auto": f.auto} for f in findings
        ],
    }


@dataclass(frozen=True, slots=True)
class ReviewView:
    """A review as the caller may see it: the unit on the review date, findings, allowed moves."""

    review: EnergyReview
    unit: UnitView
    findings: tuple[EnergyFinding, ...]
    report: dict[str, Any] | None
    allowed: tuple[str, ...]
    may_act: bool


def review_view(session: Session, principal: Principal, review_id: int) -> ReviewView:
    review, unit = _get_review(session, principal, review_id)
    view = unit_view(session, principal, unit.id, review.review_date)
    may = principal.is_regulator
    return ReviewView(
        review,
        view,
        tuple(_findings(session, review.id)),
        json.loads(review.report_json) if review.report_json else None,
        tuple(sorted(TRANSITIONS[review.state])) if may else (),
        may,
    )


def et_zh(et: str) -> str:
    """The Chinese name of an energy type (for reports)."""
    return _et_zh(et)
