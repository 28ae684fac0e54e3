"""Energy metering review: units, inventories, required counts, the view of a unit on a date.

The regulator registers key energy-using units and runs reviews; a unit (enterprise user of the
organization) sees its own unit, inventory and reviews and keeps its inventory and activity data.
Every change runs in the caller's transaction and is audited (the tables are ``Audited``).
Reviews are in :mod:`jiliang.energy.review`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jiliang.energy.files import ENERGY_TYPES, parse_inventory
from jiliang.energy.models import EnergyMeter, EnergyRequirement, EnergyReview, EnergyUnit
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
    "MeterRow",
    "UnitRow",
    "UnitView",
    "get_unit",
    "import_inventory",
    "list_units",
    "meter_rows",
    "meter_rows_of",
    "register_unit",
    "set_requirements",
    "unit_view",
]


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
