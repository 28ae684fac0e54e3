"""Demo energy data: three key energy-using factories with inventories of registry meters,
required counts, a year of activity data, and one review carried to its report."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiliang.energy.carbon_service import import_activity
from jiliang.energy.review import add_finding, advance_review, create_review
from jiliang.energy.service import import_inventory, register_unit, set_requirements
from jiliang.platform.auth import Principal
from jiliang.platform.models import OrgKind, Role, User
from jiliang.registry.models import Instrument, InstrumentType

__all__ = ["seed"]

# energy type, level, point, registry type code, class, Table 4 row
_PLAN: tuple[tuple[str, int, str, str, str, str | None], ...] = (
    ("electricity", 1, "总进线 10 kV", "electricity-meter", "0.5S", "electricity.II"),
    ("electricity", 2, "一车间", "electricity-meter", "1", None),
    ("electricity", 2, "二车间", "electricity-meter", "1", None),
    ("electricity", 3, "空压机 1 号", "electricity-meter", "2", None),
    ("electricity", 3, "空压机 2 号", "electricity-meter", "2", None),
    ("natural_gas", 1, "天然气进口", "gas-meter", "1.5", None),
    ("natural_gas", 3, "燃气锅炉", "gas-meter", "2", None),
    ("water", 1, "自来水总表", "water-meter", "2", "water.le250"),
    ("water", 2, "一车间用水", "water-meter", "2", None),
    ("steam", 1, "外购蒸汽总表", "heat-meter", "2", None),
)
_REQUIRED = {
    ("electricity", 1): 1,
    ("electricity", 2): 2,
    ("electricity", 3): 3,
    ("natural_gas", 1): 1,
    ("natural_gas", 3): 1,
    ("water", 1): 1,
    ("water", 2): 2,
    ("steam", 1): 1,
}
# activity per year by energy type: (factor, typical quantity in the factor's unit)
_ACTIVITY = {
    "electricity": ("cn-grid-2022", 12_000.0),  # MWh
    "natural_gas": ("cn-natural-gas", 80.0),  # 10^4 Nm³
    "steam": ("cn-heat", 30_000.0),  # GJ
}


def _instruments(
    session: Session, org_id: int, district: int | None, as_of: date, rng: random.Random
) -> list[int]:
    types = {t.code: t.id for t in session.scalars(select(InstrumentType))}
    ids = []
    for k, (_et, _lv, _pt, code, cls, _req) in enumerate(_PLAN):
        last = as_of - timedelta(days=rng.randint(30, 500))
        stale = k in (4, 8, 9)  # meters left out of date on purpose (the steam meter for over a year)
        due = (as_of - timedelta(days=rng.randint(20, 90))) if stale else last + timedelta(days=730)
        if k == 9:
            last, due = as_of - timedelta(days=1100), as_of - timedelta(days=400)
        inst = Instrument(
            type_id=types[code],
            owner_id=org_id,
            district_id=district,
            serial=f"EN{org_id:04d}{k:03d}",
            model=f"EM-{rng.randint(10, 99)}",
            manufacturer="示范仪表厂",
            accuracy_class=cls,
            use="trade_settlement",
            status="in_use" if not stale else "overdue",
            compulsory=True,
            last_verified_on=last,
            last_result="pass",
            next_due_on=due,
        )
        session.add(inst)
        session.flush()
        ids.append(inst.id)
    return ids


def _inventory_csv(ids: list[int], skip: int | None) -> str:
    lines = ["instrument,energy_type,level,point,requirement"]
    for k, (iid, (et, lv, pt, _code, _cls, req)) in enumerate(zip(ids, _PLAN, strict=True)):
        if k != skip:
            lines.append(f"{iid},{et},{lv},{pt},{req or ''}")
    return "\n".join(lines) + "\n"


def _activity_csv(ids: list[int], period: str, rng: random.Random) -> str:
    lines = ["period,energy_type,quantity,factor,meter,u_rel"]
    for iid, (et, lv, _pt, _code, _cls, _req) in zip(ids, _PLAN, strict=True):
        if lv == 1 and et in _ACTIVITY:
            factor, q = _ACTIVITY[et]
            lines.append(f"{period},{et},{q * rng.uniform(0.5, 1.5):.1f},{factor},{iid},")
    lines.append(f"{period},refined_oil,{rng.uniform(20, 60):.1f},ipcc2006-diesel,,0.05")
    return "\n".join(lines) + "\n"


def seed(session: Session, city: Any, rng: random.Random) -> dict[str, int]:
    """Register three factories as key energy-using units, link their meters, one review."""
    factories = city.orgs_by_kind.get(OrgKind.FACTORY, [])[:3]
    user = session.scalar(select(User).where(User.username == "regulator"))
    if len(factories) < 2 or user is None:
        return {}
    boss = Principal(user_id=user.id, username=user.username, role=Role.REGULATOR, org_id=user.org_id)
    now = datetime.combine(city.as_of, time(9), tzinfo=UTC)
    period = str(city.as_of.year - 1)
    meters = 0
    unit_ids = []
    for n, org in enumerate(factories):
        ids = _instruments(session, org, city.org_district.get(org), city.as_of, rng)
        unit = register_unit(
            session,
            boss,
            org_id=org,
            code=f"ZDYN-{n + 1:03d}",
            energy_types=["electricity", "natural_gas", "water", "steam", "refined_oil"],
            consumption_tce=round(rng.uniform(5_000, 40_000), -2),
            now=now,
        )
        meters += import_inventory(session, boss, unit.id, _inventory_csv(ids, 3 if n == 0 else None))
        set_requirements(session, boss, unit.id, _REQUIRED)
        import_activity(session, boss, unit.id, _activity_csv(ids, period, rng))
        unit_ids.append(unit.id)
    review = create_review(
        session,
        boss,
        unit_ids[0],
        code=f"NJSC-{city.as_of.year}-001",
        review_date=city.as_of - timedelta(days=20),
        now=now,
    )
    advance_review(session, boss, review.id, "findings", now)
    add_finding(
        session,
        boss,
        review.id,
        severity="minor",
        clause="GB 17167 5.3",
        text="能源计量数据记录未注明采集周期",
        now=now,
    )
    advance_review(session, boss, review.id, "report", now)
    made = len(unit_ids) * len(_PLAN)
    return {
        "energy_units": len(unit_ids),
        "energy_instruments": made,
        "energy_meters": meters,
        "energy_reviews": 1,
    }
