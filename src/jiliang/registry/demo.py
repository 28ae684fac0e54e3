"""Demo data of the registry: standards with chains to national primary standards, reference
materials, instruments of every owner with years of verification history, and a few broken chains.

Deterministic for a given ``random.Random``. ``small`` stays in the hundreds of instruments (tests
seed it once per run); ``city`` gives more than 100,000 instruments.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
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


def seed(session: Session, city: City, rng: random.Random) -> dict[str, int]:
    """Store the registry of the demo city; returns counts by kind of record."""
    as_of = city.as_of
    big = city.size == "city"
    catalogue.sync(session, as_of)
    types = {t.code: t for t in session.scalars(select(InstrumentType))}
    audit: list[AuditChange] = []
    now = utcnow()
    institute, lab_energy = city.org_ids["institute"], city.org_ids["lab-energy"]
    lab_medical, lab_industry = city.org_ids["lab-medical"], city.org_ids["lab-industry"]

    # ---- standards: national → reference (institute) → working (labs) → enterprise-highest
    std_rows: list[dict[str, Any]] = []
    sid = _next_id(session, MeasurementStandard)
    quantities = sorted({t.quantity for t in types.values()})
    national: dict[str, int] = {}
    reference: dict[str, int] = {}
    tol_q = {
        q: min(t.tolerance_percent or 1.0 for t in types.values() if t.quantity == q) for q in quantities
    }

    def add_std(**kw: Any) -> int:
        nonlocal sid
        row = {
            "id": sid,
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
        std_rows.append(row)
        sid += 1
        return int(row["id"])

    for q in quantities:
        national[q] = add_std(
            code=f"GJJZ-{q}",
            name=f"{_QUANTITY_NAMES[q][0]}国家计量基准",
            name_en=f"National primary standard of {_QUANTITY_NAMES[q][1]}",
            level="national",
            quantity=q,
            uncertainty=round(tol_q[q] / 2000, 6),
            holder_id=None,
        )
        reference[q] = add_std(
            code=f"BJ-REF-{q}",
            name=f"{_QUANTITY_NAMES[q][0]}最高社会公用计量标准",
            name_en=f"Highest public standard of {_QUANTITY_NAMES[q][1]}",
            level="public",
            quantity=q,
            uncertainty=round(tol_q[q] / 80, 6),
            holder_id=institute,
            approval_no=f"[2022]滨量标证字第{len(reference) + 1:03d}号",
            approval_valid_until=as_of + timedelta(days=rng.randint(200, 1400)),
        )
    working: dict[str, list[tuple[int, int]]] = {}  # type code → [(standard id, holder)]
    per_type = 3 if big else 1
    for code, t in sorted(types.items()):
        holders = (
            [lab_medical] if code in _MEDICAL else [lab_energy] if code in _ELECTRIC else [lab_industry]
        ) + [institute]
        for k in range(per_type):
            holder = holders[k % len(holders)]
            level = "departmental" if code in _UNCOVERED else "public"
            s = add_std(
                code=f"BJ-{code}-{k + 1}",
                name=f"{t.name}检定装置",
                name_en=f"{t.name_en} verification rig",
                level=level,
                quantity=t.quantity,
                uncertainty=round((t.tolerance_percent or 1) / rng.uniform(5, 9), 6),
                holder_id=holder,
                covers=[code],
                approval_no=f"[2023]滨量标证字第{sid:04d}号",
                approval_valid_until=as_of + timedelta(days=rng.randint(100, 1500)),
            )
            working.setdefault(code, []).append((s, holder))
    by_std = {r["id"]: r["uncertainty"] for r in std_rows}
    enterprise: list[tuple[int, str]] = []
    ent_owners = [city.org_ids["power"], city.org_ids["water"], city.org_ids["gas"]]
    ent_owners += city.orgs_by_kind.get(OrgKind.FACTORY, [])[:: (8 if big else 4)]
    for i, owner in enumerate(ent_owners):
        code = (
            ["electricity-meter", "water-meter", "gas-meter"][i]
            if i < 3
            else rng.choice(["pressure-gauge", "truck-scale", "gas-detector"])
        )
        t = types[code]
        s = add_std(
            code=f"QY-{owner}-{code}",
            name=f"{t.name}企业最高计量标准",
            name_en=f"{t.name_en} company standard",
            level="enterprise",
            quantity=t.quantity,
            uncertainty=round(by_std[working[code][0][0]] * rng.uniform(4.5, 8), 6),
            holder_id=owner,
            covers=[code],
            published=False,
            approval_no=f"企标-{owner}-{i}",
            approval_valid_until=as_of + timedelta(days=rng.randint(300, 1500)),
        )
        enterprise.append((s, code))
    session.execute(insert(MeasurementStandard), std_rows)

    # ---- calibrations: yearly, for six years; then the deliberate breaks
    cal_rows: list[dict[str, Any]] = []
    cid = _next_id(session, StandardCalibration)
    by_id = {r["id"]: r for r in std_rows}
    parent_of: dict[int, int] = {}
    for q in quantities:
        parent_of[reference[q]] = national[q]
    for code, lst in working.items():
        for s, _h in lst:
            parent_of[s] = reference[types[code].quantity]
    for s, code in enterprise:
        parent_of[s] = working[code][0][0]
    broken: dict[str, list[int]] = {"expired": [], "missing": [], "ratio": [], "scope": []}
    candidates = sorted(s for code, lst in working.items() if code not in _UNCOVERED for s, _h in lst)
    rng.shuffle(candidates)
    n_each = 3 if big else 1
    for kind in broken:
        for _ in range(n_each):
            broken[kind].append(candidates.pop())
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
                by = reference[other]
            cal_rows.append(
                {
                    "id": cid,
                    "standard_id": s,
                    "by_standard_id": by,
                    "lab_id": institute if by_id[parent]["level"] != "national" else None,
                    "calibrated_on": day,
                    "valid_until": day + timedelta(days=364),
                    "certificate_no": f"JZ{y}-{cid:06d}",
                    "uncertainty": u,
                }
            )
            cid += 1
    session.execute(insert(StandardCalibration), cal_rows)

    # ---- reference materials
    rm_rows = []
    rid = _next_id(session, ReferenceMaterial)
    rm_specs = [
        ("pH 缓冲溶液", "pH buffer", "ph", 6.86, "pH", 0.01),
        ("甲烷标准气体", "Methane in nitrogen", "gas_concentration", 2.5, "%mol/mol", 0.05),
        ("乙醇标准溶液", "Ethanol in water", "gas_concentration", 0.80, "mg/mL", 0.02),
        ("二氧化硫标准气体", "SO2 in nitrogen", "gas_concentration", 200, "µmol/mol", 4),
    ]
    for i in range(40 if big else 8):
        name, name_en, q, value, unit, u = rm_specs[i % len(rm_specs)]
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
                "expires_on": as_of + timedelta(days=rng.randint(-200, 900)),
                "published": True,
            }
        )
        rid += 1
    session.execute(insert(ReferenceMaterial), rm_rows)

    # ---- instruments and their history
    owners: list[tuple[int, str, int, int]] = []  # owner, type code, count
    for key, (code, small_n, city_n) in _UTILITY.items():
        owners.append((city.org_ids[key], code, city_n if big else small_n, 0))
    for kind, specs in _PER_OWNER.items():
        for owner in city.orgs_by_kind.get(kind, []):
            for code, lo, hi in specs:
                n = rng.randint(lo, hi) if big else (lo // 2 + 1 if lo else rng.randint(0, 1))
                owners.append((owner, code, n, 0))
    inst_rows: list[dict[str, Any]] = []
    ver_rows: list[dict[str, Any]] = []
    vs_rows: list[dict[str, Any]] = []
    iid = _next_id(session, Instrument)
    vid = _next_id(session, Verification)
    lab_prefix = {institute: "BJY", lab_energy: "NYJ", lab_medical: "YXJ", lab_industry: "JCJ"}
    booked = 0
    for owner, code, n, _ in owners:
        t = types[code]
        period = t.period_months
        use = t.uses[0]
        district = city.org_district.get(owner)
        pass_rate = _PASS_RATE.get(code, 0.97)
        stds = working.get(code) or []
        for k in range(n):
            installed = as_of - timedelta(days=rng.randint(20, 6 * 365))
            day = installed
            last = None
            result = None
            lab = None
            while day <= as_of:
                lab = stds[rng.randrange(len(stds))][1] if stds else institute
                ok = rng.random() < pass_rate
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
                cert = f"{lab_prefix.get(lab, 'JD')}{day.year}-{vid:07d}"
                due: date | None = add_months(day, period)
                ver_rows.append(
                    {
                        "id": vid,
                        "instrument_id": iid,
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
                        "created_at": now,
                    }
                )
                if stds:
                    vs_rows.append({"verification_id": vid, "standard_id": stds[rng.randrange(len(stds))][0]})
                vid += 1
                last, result = day, ("pass" if ok else "fail")
                if not ok:
                    day = day + timedelta(days=rng.randint(10, 40))  # repaired and verified again
                    continue
                nxt = add_months(day, period)
                if nxt <= as_of and rng.random() < 0.03:
                    break  # the owner skipped the verification: overdue
                day = nxt
            due = add_months(last, period) if last and result == "pass" else None
            status = status_for(due, result, as_of)
            booked_on = None
            if status == "in_use" and due and (due - as_of).days <= 30 and rng.random() < 0.3:
                status, booked_on = "booked", due - timedelta(days=rng.randint(1, 10))
                booked_on = max(booked_on, as_of)
                booked += 1
            inst_rows.append(
                {
                    "id": iid,
                    "type_id": t.id,
                    "owner_id": owner,
                    "district_id": district,
                    "serial": f"{code[:3].upper()}{owner:04d}{k:06d}",
                    "model": f"{code[:2].upper()}-{rng.randint(1, 99):02d}",
                    "manufacturer": rng.choice(_MANUFACTURERS),
                    "accuracy_class": None,
                    "measuring_range": None,
                    "location": None,
                    "use": use,
                    "status": status,
                    "compulsory": True,
                    "period_months": None,
                    "last_verified_on": last,
                    "last_result": result,
                    "next_due_on": due if result == "pass" else (last or as_of),
                    "booked_on": booked_on,
                    "booked_lab_id": lab if booked_on else None,
                    "created_at": now,
                }
            )
            iid += 1
    for table, rows in ((Instrument, inst_rows), (Verification, ver_rows), (VerificationStandard, vs_rows)):
        for i in range(0, len(rows), 10_000):
            session.execute(insert(table), rows[i : i + 10_000])
    _fix_sequences(session)
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
    _authorise_labs(session)
    job = run_status_job(session, as_of)
    return {
        "instrument_types": len(types),
        "standards": len(std_rows),
        "standard_calibrations": len(cal_rows),
        "reference_materials": len(rm_rows),
        "instruments": len(inst_rows),
        "verifications": len(ver_rows),
        "booked": booked,
        "reminders": job.reminders_30 + job.reminders_15,
        "broken_chains": sum(len(v) for v in broken.values()),
    }
