"""Demo data: the city's institute has issued signed certificates to a few customers.

Keys: the demo CA (:func:`jiliang.dcc.trust.demo_keys`) is made with random keys at seed time and
kept in ``<data_dir>/dcc-demo-ca``; every laboratory signs with its own key issued by it. The
platform trusts that CA only in demo mode (setting ``demo_mode``). Dates follow ``city.as_of``;
one certificate is superseded by a corrected one, one is revoked.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from jiliang.dcc.record import (
    CalibrationPoint,
    CalibrationRecordInput,
    ConditionInput,
    ConformityInput,
    PartyInput,
    StandardInput,
)

__all__ = ["INSTRUMENTS", "seed"]

# name zh, name en, quantity zh, quantity en, unit, points, U, spec, method zh, method en, norm
INSTRUMENTS: list[tuple[str, str, str, str, str, list[str], str, str, str, str, str]] = [
    (
        "工业铂电阻温度计",
        "Industrial platinum resistance thermometer",
        "温度",
        "temperature",
        "\\degreecelsius",
        ["0", "50", "100"],
        "0.06",
        "JJG 229-2010 A级",
        "液体恒温槽比较法",
        "Comparison in a stirred liquid bath",
        "JJG 229-2010",
    ),
    (
        "一般压力表",
        "Pressure gauge",
        "压力",
        "pressure",
        "\\mega\\pascal",
        ["0", "0.4", "0.8", "1.2", "1.6"],
        "0.004",
        "JJG 52-2013 1.6级",
        "与活塞式压力计比较",
        "Comparison with a piston gauge",
        "JJG 52-2013",
    ),
    (
        "电子天平",
        "Electronic balance",
        "质量",
        "mass",
        "\\gram",
        ["10", "100", "200"],
        "0.0005",
        "JJG 1036-2022 Ⅲ级",
        "用标准砝码直接测量",
        "Direct loading with standard weights",
        "JJG 1036-2022",
    ),
    (
        "数字多用表",
        "Digital multimeter",
        "直流电压",
        "DC voltage",
        "\\volt",
        ["1", "10", "100"],
        "0.0002",
        "JJF 1587-2016",
        "标准源法",
        "Calibrator source method",
        "JJF 1587-2016",
    ),
]


def _record(
    number: str, lab: Any, customer: Any, kind: int, rng: random.Random, day: Any, serial: str
) -> CalibrationRecordInput:
    name_zh, name_en, q_zh, q_en, unit, nominal, u, spec, m_zh, m_en, norm = INSTRUMENTS[kind]
    U = Decimal(u)
    points = tuple(
        CalibrationPoint(Decimal(v), Decimal(v) + (U * Decimal(rng.randint(-150, 150)) / 100).quantize(U), U)
        for v in nominal
    )
    limit = U * 3
    ok = all(abs(p.error) <= limit for p in points)
    return CalibrationRecordInput(
        number=number,
        laboratory=PartyInput(
            lab.name,
            lab.name_en or lab.name,
            "滨江市",
            lab.address,
            accreditation_code=lab.accreditation_code,
        ),
        customer=PartyInput(customer.name, customer.name_en or customer.name, "滨江市", customer.address),
        instrument_name_zh=name_zh,
        instrument_name_en=name_en,
        serial_number=serial,
        manufacturer=rng.choice(["华星仪表", "东方计量仪器", "江城精密"]),
        model=f"M-{rng.randint(100, 999)}",
        received=day - timedelta(days=3),
        calibrated_from=day - timedelta(days=1),
        calibrated_to=day - timedelta(days=1),
        issued=day,
        quantity_zh=q_zh,
        quantity_en=q_en,
        unit=unit,
        points=points,
        method_zh=m_zh,
        method_en=m_en,
        method_norm=norm,
        performer="李工",
        approver="王主任",
        standards=(
            StandardInput(
                f"{q_zh}计量标准器",
                f"Reference standard for {q_en}",
                f"STD-{kind:02d}-{rng.randint(1, 99):02d}",
                f"NIM-{day.year - 1}-{rng.randint(1000, 9999)}",
                "中国计量科学研究院 National Institute of Metrology, China",
                f"{rng.getrandbits(256):064x}",
            ),
        ),
        conditions=(
            ConditionInput(
                "环境温度",
                "Ambient temperature",
                Decimal(f"{rng.uniform(19.5, 21.5):.1f}"),
                "\\degreecelsius",
                Decimal("0.5"),
                ref_type="basic_temperature",
            ),
            ConditionInput(
                "相对湿度",
                "Relative humidity",
                Decimal(f"{rng.uniform(40, 60):.0f}"),
                "\\percent",
                Decimal("3"),
                ref_type="basic_humidityRelative",
            ),
        ),
        conformity=ConformityInput(
            spec,
            "ILAC-G8:09/2019 simple acceptance (w = 0)",
            "pass" if ok else "fail",
            "符合" + spec + "要求" if ok else "不符合" + spec + "要求",
            ("Meets " if ok else "Does not meet ") + spec,
        ),
        customer_order=f"WT-{day.year}-{rng.randint(10000, 99999)}",
    )


def seed(session: Session, city: Any, rng: random.Random) -> dict[str, int]:
    """Issue ~8 signed certificates from the institute to a few customers; supersede and revoke one."""
    from jiliang.dcc.service import issue, revoke, supersede
    from jiliang.dcc.trust import demo_keys
    from jiliang.platform.models import Organization

    lab_id = city.org_ids.get("institute")
    if lab_id is None:
        return {"certificates": 0}
    lab = session.get(Organization, lab_id)
    customer_ids = [i for key, i in city.org_ids.items() if key not in ("institute", "regulator")]
    customers = [o for o in (session.get(Organization, i) for i in sorted(customer_ids)[:6]) if o is not None]
    if lab is None or not customers:
        return {"certificates": 0}
    keys = demo_keys(city.data_dir, now=datetime.combine(city.as_of, time(0), tzinfo=UTC))
    issued = []
    for n in range(8):
        customer = customers[n % len(customers)]
        day = city.as_of - timedelta(days=5 + 9 * n)
        number = f"BJJL-{day.year}-{n + 1:05d}"
        rec = _record(
            number, lab, customer, n % len(INSTRUMENTS), rng, day, f"SN{rng.randint(100000, 999999)}"
        )
        when = datetime.combine(day, time(9, 30), tzinfo=UTC)
        issued.append(
            issue(session, rec, keys=keys, lab_org_id=lab_id, customer_org_id=customer.id, now=when)
        )
    # A correction: the oldest certificate is re-issued and the original superseded.
    first = issued[-1]
    day = city.as_of - timedelta(days=2)
    redo = _record(
        f"BJJL-{day.year}-{len(issued) + 1:05d}",
        lab,
        customers[(len(issued) - 1) % len(customers)],
        (len(issued) - 1) % len(INSTRUMENTS),
        rng,
        day,
        "SN-CORRECTED",
    )
    when = datetime.combine(day, time(10, 0), tzinfo=UTC)
    new = issue(session, redo, keys=keys, lab_org_id=lab_id, customer_org_id=first.customer_org_id, now=when)
    supersede(
        session,
        first.number,
        new.number,
        "客户名称有误,已重新签发 / customer name corrected, re-issued",
        now=when,
    )
    revoke(
        session,
        issued[3].number,
        "标准器证书失效,结果作废 / reference standard found out of tolerance",
        now=when,
    )
    from_records = _issue_from_registry(session, city, keys)
    return {"certificates": len(issued) + 1 + from_records}


def _issue_from_registry(session: Session, city: Any, keys: Any, per_lab: int = 4) -> int:
    """Certificates for each laboratory's latest passing registry records (the digital chain)."""
    import importlib.util

    if importlib.util.find_spec("jiliang.registry.models") is None:
        return 0
    from sqlalchemy import select

    from jiliang.dcc.from_registry import IssueContext, issue_from_record
    from jiliang.registry.models import Verification

    count = 0
    for lab_id in sorted(
        {i for i in session.scalars(select(Verification.lab_id).where(Verification.lab_id.is_not(None))) if i}
    ):
        rows = session.scalars(
            select(Verification.id)
            .where(
                Verification.lab_id == lab_id,
                Verification.result == "pass",
                Verification.certificate_no.is_not(None),
                Verification.verified_on <= city.as_of,
            )
            .order_by(Verification.verified_on.desc(), Verification.id.desc())
            .limit(per_lab)
        ).all()
        for vid in rows:
            v = session.get(Verification, vid)
            assert v is not None
            when = datetime.combine(v.verified_on, time(16, 0), tzinfo=UTC)
            issue_from_record(
                session,
                vid,
                lab_org_id=lab_id,
                keys=keys,
                issue=IssueContext(issued=v.verified_on, performer="李工", approver="王主任"),
                now=when,
            )
            count += 1
    return count
