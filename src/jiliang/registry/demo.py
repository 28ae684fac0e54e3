"""Demo data of the registry: standards with chains to national primary standards, reference
materials, instruments of every owner with years of verification history, and a few broken chains.

Deterministic for a given ``random.Random``. ``small`` stays in the hundreds of instruments (tests
seed it once per run); ``city`` gives more than 100,000 instruments.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from jiliang.demo.city import City
from jiliang.platform.audit import AuditChange, record
from jiliang.platform.db import utcnow
from jiliang.platform.models import OrgKind
from jiliang.registry import catalogue
from jiliang.registry.dates import add_months
from jiliang.registry.models import (
    Instrument,
    InstrumentType,
    MeasurementStandard,
    ReferenceMaterial,
    StandardCalibration,
    Verification,
    VerificationStandard,
)
from jiliang.registry.service import run_status_job
from jiliang.registry.status import status_for

__all__ = ["seed"]

# instrument type code, (min, max) per owner, for each kind of owner; (small, city) scale for utilities
_PER_OWNER: dict[OrgKind, list[tuple[str, int, int]]] = {
    OrgKind.FUEL_STATION: [("fuel-dispenser", 4, 10), ("gas-detector", 1, 3), ("pressure-gauge", 1, 3)],
    OrgKind.MARKET: [("price-scale", 8, 35), ("truck-scale", 0, 1)],
    OrgKind.HOSPITAL: [
        ("sphygmomanometer", 5, 20),
        ("nibp-monitor", 5, 15),
        ("ecg", 2, 6),
        ("ultrasound-source", 1, 4),
        ("radiotherapy-dosimeter", 0, 2),
        ("lensmeter", 0, 2),
        ("refractometer", 0, 2),
    ],
    OrgKind.FACTORY: [
        ("pressure-gauge", 1, 8),
        ("truck-scale", 0, 1),
        ("gas-detector", 0, 2),
        ("flue-gas-analyser", 0, 1),
        ("heat-meter", 0, 1),
    ],
    OrgKind.CHARGING: [("ev-charger-ac", 10, 30), ("ev-charger-dc", 5, 15)],
    OrgKind.TAXI: [("taximeter", 60, 120)],
    OrgKind.ENVIRONMENT: [("sound-level-meter", 3, 8), ("flue-gas-analyser", 2, 5), ("ph-meter", 2, 5)],
}
_UTILITY = {
    "power": ("electricity-meter", 150, 60_000),
    "water": ("water-meter", 80, 25_000),
    "gas": ("gas-meter", 40, 12_000),
}
_PASS_RATE = {
    "electricity-meter": 0.995,
    "water-meter": 0.985,
    "gas-meter": 0.99,
    "fuel-dispenser": 0.95,
    "price-scale": 0.96,
    "taximeter": 0.97,
}
_UNCOVERED = {"ultrasound-source", "radiotherapy-dosimeter", "refractometer"}  # 建标 gaps of the city
_MEDICAL = {
    "sphygmomanometer",
    "nibp-monitor",
    "ecg",
    "ultrasound-source",
    "radiotherapy-dosimeter",
    "lensmeter",
    "refractometer",
}
_ELECTRIC = {"electricity-meter", "ev-charger-ac", "ev-charger-dc", "heat-meter"}
_MANUFACTURERS = [
    "滨江仪表有限公司",
    "华海计量科技",
    "恒达衡器",
    "瑞光电子",
    "鑫源仪器",
    "宏泰测控",
    "昌盛医疗器械",
]
_QUANTITY_NAMES = {
    "electrical_energy": ("电能", "electrical energy"),
    "volume_liquid": ("液体容量", "liquid volume"),
    "volume_gas": ("气体流量", "gas volume"),
    "heat_energy": ("热能", "heat energy"),
    "mass": ("质量", "mass"),
    "length_time": ("里程与时间", "distance and time"),
    "pressure": ("压力", "pressure"),
    "gas_concentration": ("气体浓度", "gas concentration"),
    "speed": ("速度", "speed"),
    "voltage": ("电压", "voltage"),
    "ultrasound_power": ("超声功率", "ultrasonic power"),
    "absorbed_dose": ("吸收剂量", "absorbed dose"),
    "optical_power": ("屈光度", "optical power"),
    "sound_pressure": ("声压", "sound pressure"),
    "ph": ("pH值", "pH"),
}
_UNITS = {
    "electrical_energy": "kWh",
    "volume_liquid": "L",
    "volume_gas": "m³",
    "heat_energy": "GJ",
    "mass": "kg",
    "length_time": "km",
    "pressure": "MPa",
    "gas_concentration": "%LEL",
    "speed": "km/h",
    "voltage": "mV",
    "ultrasound_power": "mW",
    "absorbed_dose": "Gy",
    "optical_power": "m⁻¹",
    "sound_pressure": "dB",
    "ph": "pH",
}


def _next_id(session: Session, model: Any) -> int:
    return int(session.scalar(select(func.coalesce(func.max(model.id), 0))) or 0) + 1


def _fix_sequences(session: Session) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in (
        "reg_standard",
        "reg_standard_calibration",
        "reg_reference_material",
        "reg_instrument",
        "reg_verification",
    ):
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"  # noqa: S608 - fixed table names
            )
        )


def _authorise_labs(session: Session) -> None:
    """计量授权 of the demo: each lab is authorised for the types its own standards cover."""
    from jiliang.platform.models import Organization

    scope: dict[int, set[str]] = {}
    for holder, covers in session.execute(select(MeasurementStandard.holder_id, MeasurementStandard.covers)):
        scope.setdefault(holder, set()).update(covers or [])
    for org in session.scalars(select(Organization).where(Organization.kind == "lab")):
        org.authorised_type_codes = sorted(scope.get(org.id, set()))
    session.flush()


@dataclass
class _Standards:
    """The demo's measurement standards as rows to insert, by role in the traceability chain."""

    next_id: int
    rows: list[dict[str, Any]] = field(default_factory=list)
    national: dict[str, int] = field(default_factory=dict)  # quantity → standard id
    reference: dict[str, int] = field(default_factory=dict)  # quantity → standard id
    working: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # type code → [(id, holder)]
    enterprise: list[tuple[int, str]] = field(default_factory=list)  # (standard id, type code)

    def add(self, **kw: Any) -> int:
        """Add one standard (defaults for the fields not given); returns its id."""
        row = {
            "id": self.next_id,
            "name_en": None,
            "range_min": None,
            "range_max": None,
            "accuracy_class": None,
            "approval_no": None,
            "approval_valid_until": None,
            "covers": [],
            "published": True,
            "unit": _UNITS.get(kw["quantity"]),
        } | kw
        self.rows.append(row)
        self.next_id += 1
        return int(row["id"])


def seed(session: Session, city: City, rng: random.Random) -> dict[str, int]:
    """Store the registry of the demo city; returns counts by kind of record."""
    as_of = city.as_of
    catalogue.sync(session, as_of)
    types = {t.code: t for t in session.scalars(select(InstrumentType))}
    now = utcnow()
    quantities = sorted({t.quantity for t in types.values()})
    stds = _seed_standards(session, city, types, quantities, rng)
    cal_rows, broken = _seed_calibrations(session, city, types, quantities, stds, rng)
    rm_rows = _seed_reference_materials(session, city, rng)
    inst_rows, ver_rows, booked = _seed_instruments(session, city, types, stds.working, now, rng)
    _fix_sequences(session)
    _audit_seeded(session, stds.rows, cal_rows, rm_rows, inst_rows, ver_rows)
    _authorise_labs(session)
    job = run_status_job(session, as_of)
    return {
        "instrument_types": len(types),
        "standards": len(stds.rows),
        "standard_calibrations": len(cal_rows),
        "reference_materials": len(rm_rows),
        "instruments": len(inst_rows),
        "verifications": len(ver_rows),
        "booked": booked,
        "reminders": job.reminders_30 + job.reminders_15,
        "broken_chains": sum(len(v) for v in broken.values()),
    }


def _seed_standards(
    session: Session,
    city: City,
    types: dict[str, InstrumentType],
    quantities: list[str],
    rng: random.Random,
) -> _Standards:
    """Store the standards: national → reference (institute) → working (labs) → enterprise-highest."""
    stds = _Standards(next_id=_next_id(session, MeasurementStandard))
    _national_and_reference(stds, city, types, quantities, rng)
    _working_standards(stds, city, types, rng)
    _enterprise_standards(stds, city, types, rng)
    session.execute(insert(MeasurementStandard), stds.rows)
    return stds


def _national_and_reference(
    stds: _Standards, city: City, types: dict[str, InstrumentType], quantities: list[str], rng: random.Random
) -> None:
    """For each quantity a national primary standard and the institute's highest public standard."""
    as_of = city.as_of
    tol_q = {
        q: min(t.tolerance_percent or 1.0 for t in types.values() if t.quantity == q) for q in quantities
    }
    for q in quantities:
        stds.national[q] = stds.add(
            code=f"GJJZ-{q}",
            name=f"{_QUANTITY_NAMES[q][0]}国家计量基准",
            name_en=f"National primary standard of {_QUANTITY_NAMES[q][1]}",
            level="national",
            quantity=q,
            uncertainty=round(tol_q[q] / 2000, 6),
            holder_id=None,
        )
        stds.reference[q] = stds.add(
            code=f"BJ-REF-{q}",
            name=f"{_QUANTITY_NAMES[q][0]}最高社会公用计量标准",
            name_en=f"Highest public standard of {_QUANTITY_NAMES[q][1]}",
            level="public",
            quantity=q,
            uncertainty=round(tol_q[q] / 80, 6),
            holder_id=city.org_ids["institute"],
            approval_no=f"[2022]滨量标证字第{len(stds.reference) + 1:03d}号",
            approval_valid_until=as_of + timedelta(days=rng.randint(200, 1400)),
        )


def _working_standards(
    stds: _Standards, city: City, types: dict[str, InstrumentType], rng: random.Random
) -> None:
    """The verification rigs of each instrument type, held by the matching lab and the institute."""
    institute, lab_energy = city.org_ids["institute"], city.org_ids["lab-energy"]
    lab_medical, lab_industry = city.org_ids["lab-medical"], city.org_ids["lab-industry"]
    per_type = 3 if city.size == "city" else 1
    for code, t in sorted(types.items()):
        holders = (
            [lab_medical] if code in _MEDICAL else [lab_energy] if code in _ELECTRIC else [lab_industry]
        ) + [institute]
        for k in range(per_type):
            holder = holders[k % len(holders)]
            level = "departmental" if code in _UNCOVERED else "public"
            s = stds.add(
                code=f"BJ-{code}-{k + 1}",
                name=f"{t.name}检定装置",
                name_en=f"{t.name_en} verification rig",
                level=level,
                quantity=t.quantity,
                uncertainty=round((t.tolerance_percent or 1) / rng.uniform(5, 9), 6),
                holder_id=holder,
                covers=[code],
                approval_no=f"[2023]滨量标证字第{stds.next_id:04d}号",
                approval_valid_until=city.as_of + timedelta(days=rng.randint(100, 1500)),
            )
            stds.working.setdefault(code, []).append((s, holder))


def _enterprise_standards(
    stds: _Standards, city: City, types: dict[str, InstrumentType], rng: random.Random
) -> None:
    """The highest (unpublished) standards of the utilities and of some factories."""
    big = city.size == "city"
    by_std = {r["id"]: r["uncertainty"] for r in stds.rows}
    ent_owners = [city.org_ids["power"], city.org_ids["water"], city.org_ids["gas"]]
    ent_owners += city.orgs_by_kind.get(OrgKind.FACTORY, [])[:: (8 if big else 4)]
    for i, owner in enumerate(ent_owners):
        code = (
            ["electricity-meter", "water-meter", "gas-meter"][i]
            if i < 3
            else rng.choice(["pressure-gauge", "truck-scale", "gas-detector"])
        )
        t = types[code]
        s = stds.add(
            code=f"QY-{owner}-{code}",
            name=f"{t.name}企业最高计量标准",
            name_en=f"{t.name_en} company standard",
            level="enterprise",
            quantity=t.quantity,
            uncertainty=round(by_std[stds.working[code][0][0]] * rng.uniform(4.5, 8), 6),
            holder_id=owner,
            covers=[code],
            published=False,
            approval_no=f"企标-{owner}-{i}",
            approval_valid_until=city.as_of + timedelta(days=rng.randint(300, 1500)),
        )
        stds.enterprise.append((s, code))


def _seed_calibrations(
    session: Session,
    city: City,
    types: dict[str, InstrumentType],
    quantities: list[str],
    stds: _Standards,
    rng: random.Random,
) -> tuple[list[dict[str, Any]], dict[str, list[int]]]:
    """Store yearly calibrations for six years, each against the standard above; then the breaks.

    Returns the calibration rows and the standards whose chain is broken on purpose, by kind.
    """
    parent_of: dict[int, int] = {}
    for q in quantities:
        parent_of[stds.reference[q]] = stds.national[q]
    for code, lst in stds.working.items():
        for s, _h in lst:
            parent_of[s] = stds.reference[types[code].quantity]
    for s, code in stds.enterprise:
        parent_of[s] = stds.working[code][0][0]
    broken = _broken_chains(stds.working, 3 if city.size == "city" else 1, rng)
    cal_rows = _calibration_rows(
        _next_id(session, StandardCalibration), parent_of, stds, quantities, broken, city
    )
    session.execute(insert(StandardCalibration), cal_rows)
    return cal_rows, broken


def _broken_chains(
    working: dict[str, list[tuple[int, int]]], n_each: int, rng: random.Random
) -> dict[str, list[int]]:
    """Working standards picked at random for each kind of deliberate break in the chain."""
    broken: dict[str, list[int]] = {"expired": [], "missing": [], "ratio": [], "scope": []}
    candidates = sorted(s for code, lst in working.items() if code not in _UNCOVERED for s, _h in lst)
    rng.shuffle(candidates)
    for kind in broken:
        for _ in range(n_each):
            broken[kind].append(candidates.pop())
    return broken


def _calibration_rows(
    cid: int,
    parent_of: dict[int, int],
    stds: _Standards,
    quantities: list[str],
    broken: dict[str, list[int]],
    city: City,
) -> list[dict[str, Any]]:
    """The calibration rows from ``cid`` on: expired, missing, 2:1 ratio and out-of-scope breaks."""
    as_of = city.as_of
    by_id = {r["id"]: r for r in stds.rows}
    cal_rows: list[dict[str, Any]] = []
    start = as_of.year - 6
    for s, parent in sorted(parent_of.items()):
        row = by_id[s]
        years = range(start, as_of.year + 1)
        if s in broken["expired"]:
            years = range(start, as_of.year - 1)  # no calibration for the last two years
        for y in years:
            day = date(y, 1 + (s % 12), 1 + (s % 27))
            if day > as_of:
                continue
            by: int | None = parent
            u = row["uncertainty"]
            if s in broken["missing"] and y >= as_of.year - 1:
                by = None
            if s in broken["ratio"]:
                u = by_id[parent]["uncertainty"] * 2  # 2:1 against the reference: below 4:1
            if s in broken["scope"] and y >= as_of.year - 1:
                other = next(q for q in quantities if q != row["quantity"])
                by = stds.reference[other]
            cal_rows.append(
                {
                    "id": cid,
                    "standard_id": s,
                    "by_standard_id": by,
                    "lab_id": city.org_ids["institute"] if by_id[parent]["level"] != "national" else None,
                    "calibrated_on": day,
                    "valid_until": day + timedelta(days=364),
                    "certificate_no": f"JZ{y}-{cid:06d}",
                    "uncertainty": u,
                }
            )
            cid += 1
    return cal_rows


_RM_SPECS = [
    ("pH 缓冲溶液", "pH buffer", "ph", 6.86, "pH", 0.01),
    ("甲烷标准气体", "Methane in nitrogen", "gas_concentration", 2.5, "%mol/mol", 0.05),
    ("乙醇标准溶液", "Ethanol in water", "gas_concentration", 0.80, "mg/mL", 0.02),
    ("二氧化硫标准气体", "SO2 in nitrogen", "gas_concentration", 200, "µmol/mol", 4),
]


def _seed_reference_materials(session: Session, city: City, rng: random.Random) -> list[dict[str, Any]]:
    """Store the certified reference materials held by the institute and the industry lab."""
    institute, lab_industry = city.org_ids["institute"], city.org_ids["lab-industry"]
    rm_rows = []
    rid = _next_id(session, ReferenceMaterial)
    for i in range(40 if city.size == "city" else 8):
        name, name_en, q, value, unit, u = _RM_SPECS[i % len(_RM_SPECS)]
        rm_rows.append(
            {
                "id": rid,
                "code": f"GBW(E){80000 + i:06d}",
                "name": name,
                "name_en": name_en,
                "quantity": q,
                "certified_value": value,
                "unit": unit,
                "uncertainty": u,
                "producer": rng.choice(["中国计量科学研究院", "滨江计量检测研究院", "国家标准物质研究中心"]),
                "holder_id": rng.choice([institute, lab_industry]),
                "expires_on": city.as_of + timedelta(days=rng.randint(-200, 900)),
                "published": True,
            }
        )
        rid += 1
    session.execute(insert(ReferenceMaterial), rm_rows)
    return rm_rows


def _instrument_counts(city: City, rng: random.Random) -> list[tuple[int, str, int]]:
    """How many instruments of which type each owner has: (owner, type code, count)."""
    big = city.size == "city"
    owners: list[tuple[int, str, int]] = []
    for key, (code, small_n, city_n) in _UTILITY.items():
        owners.append((city.org_ids[key], code, city_n if big else small_n))
    for kind, specs in _PER_OWNER.items():
        for owner in city.orgs_by_kind.get(kind, []):
            for code, lo, hi in specs:
                n = rng.randint(lo, hi) if big else (lo // 2 + 1 if lo else rng.randint(0, 1))
                owners.append((owner, code, n))
    return owners


@dataclass
class _History:
    """Rows of the instruments' verification history being built, with the next ids to use."""

    iid: int
    vid: int
    now: datetime
    lab_prefix: dict[int, str]
    inst_rows: list[dict[str, Any]] = field(default_factory=list)
    ver_rows: list[dict[str, Any]] = field(default_factory=list)
    vs_rows: list[dict[str, Any]] = field(default_factory=list)
    booked: int = 0


def _seed_instruments(
    session: Session,
    city: City,
    types: dict[str, InstrumentType],
    working: dict[str, list[tuple[int, int]]],
    now: datetime,
    rng: random.Random,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    """Store the instruments with their verification history; returns instruments, verifications, booked."""
    institute = city.org_ids["institute"]
    owners = _instrument_counts(city, rng)
    lab_prefix = {
        institute: "BJY",
        city.org_ids["lab-energy"]: "NYJ",
        city.org_ids["lab-medical"]: "YXJ",
        city.org_ids["lab-industry"]: "JCJ",
    }
    h = _History(_next_id(session, Instrument), _next_id(session, Verification), now, lab_prefix)
    for owner, code, n in owners:
        t = types[code]
        stds = working.get(code) or []
        for k in range(n):
            last, result, lab = _verification_history(h, t, k, stds, city, rng)
            _add_instrument(h, t, owner, k, last, result, lab, city, rng)
    for table, rows in (
        (Instrument, h.inst_rows),
        (Verification, h.ver_rows),
        (VerificationStandard, h.vs_rows),
    ):
        for i in range(0, len(rows), 10_000):
            session.execute(insert(table), rows[i : i + 10_000])
    return h.inst_rows, h.ver_rows, h.booked


def _verification_history(
    h: _History,
    t: InstrumentType,
    k: int,
    stds: list[tuple[int, int]],
    city: City,
    rng: random.Random,
) -> tuple[date | None, str | None, int | None]:
    """Verify instrument ``h.iid`` from its installation to ``as_of``; returns last date, result and lab.

    A failed instrument is repaired and verified again within weeks; now and then an owner skips
    a verification and the instrument becomes overdue.
    """
    as_of = city.as_of
    pass_rate = _PASS_RATE.get(t.code, 0.97)
    installed = as_of - timedelta(days=rng.randint(20, 6 * 365))
    day = installed
    last = None
    result = None
    lab = None
    while day <= as_of:
        lab = stds[rng.randrange(len(stds))][1] if stds else city.org_ids["institute"]
        ok = rng.random() < pass_rate
        _add_verification(h, t, k, day, lab, ok, stds, rng)
        last, result = day, ("pass" if ok else "fail")
        if not ok:
            day = day + timedelta(days=rng.randint(10, 40))  # repaired and verified again
            continue
        nxt = add_months(day, t.period_months)
        if nxt <= as_of and rng.random() < 0.03:
            break  # the owner skipped the verification: overdue
        day = nxt
    return last, result, lab


def _add_verification(
    h: _History,
    t: InstrumentType,
    k: int,
    day: date,
    lab: int,
    ok: bool,
    stds: list[tuple[int, int]],
    rng: random.Random,
) -> None:
    """One verification of instrument ``h.iid`` on ``day``: errors at 1–3 points, certificate or notice."""
    tol = t.tolerance_percent or 1.0
    errs = [
        {
            "point": p,
            "error": round(rng.gauss(0, tol / 3) if ok else tol * rng.uniform(1.1, 2.0), 4),
            "mpe": tol,
            "unit": "%",
            # expanded uncertainty (k = 2) of the error found: a quarter of the MPE,
            # the usual 4:1 ratio between permissible error and measurement uncertainty
            "U": round(tol / 4, 4),
            "k": 2,
        }
        for p in ("10%", "50%", "100%")[: 1 + (k % 3)]
    ]
    vid = h.vid
    cert = f"{h.lab_prefix.get(lab, 'JD')}{day.year}-{vid:07d}"
    due: date | None = add_months(day, t.period_months)
    h.ver_rows.append(
        {
            "id": vid,
            "instrument_id": h.iid,
            "lab_id": lab,
            "kind": "verification",
            "verified_on": day,
            "result": "pass" if ok else "fail",
            "errors": errs,
            "certificate_no": cert if ok else None,
            "notice_no": None if ok else f"TZ{day.year}-{vid:07d}",
            "next_due_on": due if ok else None,
            "temperature_c": round(rng.uniform(18, 24), 1),
            "humidity_percent": round(rng.uniform(35, 70), 0),
            "created_at": h.now,
        }
    )
    if stds:
        h.vs_rows.append({"verification_id": vid, "standard_id": stds[rng.randrange(len(stds))][0]})
    h.vid += 1


def _add_instrument(
    h: _History,
    t: InstrumentType,
    owner: int,
    k: int,
    last: date | None,
    result: str | None,
    lab: int | None,
    city: City,
    rng: random.Random,
) -> None:
    """The instrument row ``h.iid`` with its status; some instruments due soon are booked at their lab."""
    as_of = city.as_of
    code = t.code
    due = add_months(last, t.period_months) if last and result == "pass" else None
    status = status_for(due, result, as_of)
    booked_on = None
    if status == "in_use" and due and (due - as_of).days <= 30 and rng.random() < 0.3:
        status, booked_on = "booked", due - timedelta(days=rng.randint(1, 10))
        booked_on = max(booked_on, as_of)
        h.booked += 1
    h.inst_rows.append(
        {
            "id": h.iid,
            "type_id": t.id,
            "owner_id": owner,
            "district_id": city.org_district.get(owner),
            "serial": f"{code[:3].upper()}{owner:04d}{k:06d}",
            "model": f"{code[:2].upper()}-{rng.randint(1, 99):02d}",
            "manufacturer": rng.choice(_MANUFACTURERS),
            "accuracy_class": None,
            "measuring_range": None,
            "location": None,
            "use": t.uses[0],
            "status": status,
            "compulsory": True,
            "period_months": None,
            "last_verified_on": last,
            "last_result": result,
            "next_due_on": due if result == "pass" else (last or as_of),
            "booked_on": booked_on,
            "booked_lab_id": lab if booked_on else None,
            "created_at": h.now,
        }
    )
    h.iid += 1


def _audit_seeded(
    session: Session,
    std_rows: list[dict[str, Any]],
    cal_rows: list[dict[str, Any]],
    rm_rows: list[dict[str, Any]],
    inst_rows: list[dict[str, Any]],
    ver_rows: list[dict[str, Any]],
) -> None:
    """One audit entry per seeded standard, calibration, reference material, instrument and verification."""
    audit: list[AuditChange] = []
    for entity, rows, keys in (
        ("reg_standard", std_rows, ("code", "level", "quantity")),
        ("reg_standard_calibration", cal_rows, ("standard_id", "by_standard_id", "certificate_no")),
        ("reg_reference_material", rm_rows, ("code",)),
        ("reg_instrument", inst_rows, ("type_id", "owner_id", "serial", "status")),
        ("reg_verification", ver_rows, ("instrument_id", "verified_on", "result", "certificate_no")),
    ):
        audit.extend(
            AuditChange("insert", entity, str(r["id"]), None, {k: r[k] for k in keys}, "demo") for r in rows
        )
    record(session, audit)
