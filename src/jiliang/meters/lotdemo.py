"""Demo data: two lots of the demo utility's electricity meters under JJF(沪)57-2018, one
extended by 4 years and one to be replaced, both drawn from recorded seeds and published."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

__all__ = ["seed"]

RULE = "hu57-2018"


def _rows(session: Session, org_id: int) -> list[dict[str, Any]]:
    """Lot A: the in-limit meters of the demo estimation run plus 480 more of the same batch; lot B: 560
    meters of another maker and year."""
    from jiliang.meters.models import MeterEstimationRun, MeterResult

    run = session.scalar(select(MeterEstimationRun.id).where(MeterEstimationRun.org_id == org_id).limit(1))
    estimated = (
        list(session.scalars(select(MeterResult.meter_id).where(MeterResult.run_id == run))) if run else []
    )
    a = [*estimated, *(f"31{i:08}" for i in range(480))]
    rows = [
        {"meter_no": m, "kind": "electricity", "maker": "华立科技", "model": "DDZY285", "batch": "2017-04", "install_year": 2018}
        for m in a
    ]  # fmt: skip
    rows += [
        {"meter_no": f"32{i:08}", "kind": "electricity", "maker": "林洋能源", "model": "DTZY71", "batch": "2016-11", "install_year": 2017}
        for i in range(560)
    ]  # fmt: skip
    return rows


def seed(session: Session, city: Any, rng: random.Random) -> dict[str, int]:
    from jiliang.meters import lotservice as svc
    from jiliang.platform.auth import Principal
    from jiliang.platform.models import Role

    org_id = city.org_ids.get("power")
    if org_id is None:
        return {}
    reg = Principal(user_id=0, username="demo", role=Role.REGULATOR, org_id=None, display_name="demo")
    now = datetime.combine(city.as_of, time(9), UTC)
    lots = sorted(
        svc.form(session, reg, rule_key=RULE, rows=_rows(session, org_id), org_id=org_id),
        key=lambda x: x.maker,
    )
    for lot, bad in zip(lots, (0, 2), strict=True):
        sample = list(svc.draw(session, reg, lot.id, rng.getrandbits(62)).sample)
        svc.record_results(session, reg, lot.id, [svc.ResultEntry(sample[0], "inaccessible")])
        current = [m for m in lot.sample]
        entries = [
            svc.ResultEntry(m, "nonconforming" if i < bad else "conforming", round(rng.uniform(-0.8, 0.8), 2) + (3.1 if i < bad else 0))
            for i, m in enumerate(current)
        ]  # fmt: skip
        svc.record_results(session, reg, lot.id, entries)
        svc.decide(session, reg, lot.id, now)
        svc.publish(session, reg, lot.id, now)
    return {"meter_lots": len(lots), "meter_lot_members": sum(lot.size for lot in lots)}
