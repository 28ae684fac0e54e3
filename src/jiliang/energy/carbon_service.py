"""Carbon measurement over stored activity data: per unit and per city, with flagged meters.

Each activity line links to a meter of the inventory (its class gives u(A); its registry status
on the report date flags it) or is an unmetered estimate (out of scope of the metering, flagged).
The report date is an argument: by default the last day of the period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiliang.energy.carbon import ActivityLine, CarbonResult, emissions
from jiliang.energy.files import parse_activity
from jiliang.energy.models import EnergyActivity, EnergyMeter
from jiliang.energy.rates import parse_class
from jiliang.energy.service import MeterRow, _may_edit, get_unit, list_units, meter_rows_of
from jiliang.energy.tables import Edition, EmissionFactor, edition_for, emission_factors, factor_from_dict
from jiliang.errors import InputError
from jiliang.platform.auth import Principal
from jiliang.registry.models import Instrument

__all__ = ["CarbonReport", "UnitCarbon", "carbon_report", "import_activity", "period_end", "summary_line"]

#: Flags that count a line as out of date or out of scope in the verifier's sentence.
OUT_OF_DATE = ("out_of_date", "failed", "unknown_status")
OUT_OF_SCOPE = ("unmetered", "class_fails", "class_unknown")


def period_end(period: str) -> date:
    """The last day of a period written 2025 or 2025-06.

    Examples
    --------
    >>> period_end("2025"), period_end("2024-02")
    (datetime.date(2025, 12, 31), datetime.date(2024, 2, 29))
    """
    import calendar

    try:
        if len(period) == 4:
            return date(int(period), 12, 31)
        y, m = period.split("-")
        return date(int(y), int(m), calendar.monthrange(int(y), int(m))[1])
    except ValueError:
        raise InputError(f"period {period!r} is not like 2025 or 2025-06") from None


def import_activity(session: Session, principal: Principal, unit_id: int, text: str) -> int:
    """Store the lines of an activity CSV for the unit; the whole file or nothing."""
    unit = get_unit(session, principal, unit_id)
    _may_edit(principal, unit)
    rows = parse_activity(text)
    meters = {
        (str(iid), serial.casefold()): mid
        for mid, iid, serial in session.execute(
            select(EnergyMeter.id, Instrument.id, Instrument.serial)
            .join(Instrument, Instrument.id == EnergyMeter.instrument_id)
            .where(EnergyMeter.unit_id == unit.id)
        ).tuples()
    }
    by_id = {k[0]: v for k, v in meters.items()}
    by_serial = {k[1]: v for k, v in meters.items()}
    new = []
    for r in rows:
        period_end(r.period)
        meter_id = None
        if r.meter is not None:
            meter_id = by_id.get(r.meter) or by_serial.get(r.meter.casefold())
            if meter_id is None:
                raise InputError(f"line {r.line}: meter {r.meter} is not in this unit's inventory")
        new.append(
            EnergyActivity(
                unit_id=unit.id,
                period=r.period,
                energy_type=r.energy_type,
                quantity=r.quantity,
                meter_id=meter_id,
                u_rel=r.u_rel,
                factor_code=r.factor,
                factor_value=r.factor_value,
                factor_u_rel=r.factor_u_rel,
                factor_source=r.factor_source,
            )
        )
    session.add_all(new)  # only once every line has passed: the whole file or nothing
    session.flush()
    return len(rows)


def _factor(a: EnergyActivity) -> EmissionFactor:
    if a.factor_value is not None:
        return factor_from_dict(
            {
                "code": f"{a.factor_code}@{a.unit_id}",
                "energy_type": a.energy_type,
                "value": a.factor_value,
                "u_rel": a.factor_u_rel or 0.0,
                "source": a.factor_source or "",
            }
        )
    shipped = emission_factors()
    if a.factor_code not in shipped:
        raise InputError(f"emission factor {a.factor_code} is not shipped")
    return shipped[a.factor_code]


def _line(a: EnergyActivity, code: str, m: MeterRow | None, edition: Edition) -> ActivityLine:
    f = _factor(a)
    if m is None:
        return ActivityLine(f"{code}/{a.id}", a.quantity, f, u_rel=a.u_rel or 0.0, flags=("unmetered",))
    flags = []
    if m.status in ("out_of_date", "failed"):
        flags.append(m.status)
    elif m.status == "unknown":
        flags.append("unknown_status")
    if m.class_ok is False:
        flags.append("class_fails")
    cls = parse_class(m.accuracy_class)
    if cls is None and a.u_rel is None:
        req = edition.accuracy.get(edition.default_requirement.get(m.energy_type, ""))
        cls = req.max_class if req else None
        flags.append("class_unknown")
    return ActivityLine(
        f"{code}/{m.serial}",
        a.quantity,
        f,
        meter_class=cls,
        u_rel=a.u_rel if cls is None else None,
        flags=tuple(flags),
    )


def _lines_of(
    session: Session, codes: dict[int, str], period: str, on: date
) -> dict[int, list[ActivityLine]]:
    """Activity lines of several units for a period, by unit id (two queries in all)."""
    meters = {m.id: m for rows in meter_rows_of(session, list(codes), on).values() for m in rows}
    edition = edition_for(on)
    out: dict[int, list[ActivityLine]] = {}
    acts = session.scalars(
        select(EnergyActivity)
        .where(EnergyActivity.unit_id.in_(list(codes)), EnergyActivity.period == period)
        .order_by(EnergyActivity.unit_id, EnergyActivity.id)
    )
    for a in acts:
        m = meters.get(a.meter_id) if a.meter_id is not None else None
        out.setdefault(a.unit_id, []).append(_line(a, codes[a.unit_id], m, edition))
    return out


@dataclass(frozen=True, slots=True)
class UnitCarbon:
    unit_id: int
    code: str
    name: str
    result: CarbonResult
    lines: int

    @property
    def out_of_date(self) -> int:
        return sum(self.result.flagged(f) for f in OUT_OF_DATE)

    @property
    def out_of_scope(self) -> int:
        return sum(self.result.flagged(f) for f in OUT_OF_SCOPE)


@dataclass(frozen=True, slots=True)
class CarbonReport:
    """Emissions of a period per unit and in total (shared factors correlated), with the flags."""

    period: str
    on: date
    units: tuple[UnitCarbon, ...]
    total: CarbonResult
    lines: int

    @property
    def out_of_date(self) -> int:
        return sum(u.out_of_date for u in self.units)

    @property
    def out_of_scope(self) -> int:
        return sum(u.out_of_scope for u in self.units)


def carbon_report(
    session: Session, principal: Principal, period: str, *, unit_id: int | None = None, on: date | None = None
) -> CarbonReport:
    """Emissions of the units the caller may see (or one unit) for a period, dated ``on``."""
    day = on or period_end(period)
    rows = list_units(session, principal)
    if unit_id is not None:
        get_unit(session, principal, unit_id)
        rows = [r for r in rows if r.id == unit_id]
    per: list[UnitCarbon] = []
    every: list[ActivityLine] = []
    by_unit = _lines_of(session, {r.id: r.code for r in rows}, period, day)
    for r in rows:
        lines = by_unit.get(r.id, [])
        if not lines:
            continue
        every.extend(lines)
        per.append(UnitCarbon(r.id, r.code, r.name, emissions(lines), len(lines)))
    return CarbonReport(period, day, tuple(per), emissions(every), len(every))


def summary_line(result: CarbonResult, out_of_date: int, out_of_scope: int) -> str:
    """What a verifier reads: "E ± U t CO₂ (k = 2), n meters out of date, m lines out of scope".

    Examples
    --------
    >>> from jiliang.energy.carbon import CarbonResult
    >>> summary_line(CarbonResult(1234.5, 10.0, 2.0, 20.0, 50.0, (), ()), 3, 0)
    '1234.5 ± 20.0 t CO₂ (k = 2), 3 meters out of date, 0 lines out of scope'
    """
    return (
        f"{result.E:.1f} ± {result.U:.1f} t CO₂ (k = {result.k:g}), "
        f"{out_of_date} meters out of date, {out_of_scope} lines out of scope"
    )
