"""Demo data of indicators: six months of snapshots, a manual value with its evidence and a
drafted mid-term report.

The registry's figures read its current state, so their earlier months are demo values
(``origin = demo``, shown as such) drifting towards the computed value; the dated ones
(comparisons, published commitments, net-content verdicts) and 受检率 (from the verification
records) are rebuilt from the records; this month is computed.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiliang.indicators import service
from jiliang.indicators.models import IndicatorValue, Origin
from jiliang.indicators.queries import QUERIES
from jiliang.platform.auth import Principal
from jiliang.platform.models import Role, User

__all__ = ["MONTHS", "seed"]

MONTHS = 6


def _back(on: date, k: int) -> str:
    y, m = on.year, on.month - k
    while m < 1:
        y, m = y - 1, m + 12
    return f"{y:04d}-{m:02d}"


def seed(session: Session, city: Any, rng: random.Random) -> dict[str, int]:
    on: date = city.as_of
    uid = session.scalar(select(User.id).where(User.username == "regulator"))
    who = Principal(user_id=uid, username="regulator", role=Role.REGULATOR, org_id=None)
    snap = service.take_snapshot(session, who, on)
    year, month = _back(on, MONTHS - 1).split("-")
    first = date(int(year), int(month), 1)
    rebuilt = service.rebuild_history(session, who, first, on)
    demo = 0
    for c in service.compute_all(session, on):
        q = QUERIES.get(c.indicator.query or "")
        if q is None or q.fn is None or q.history is not None or c.value is None:
            continue
        for k in range(1, MONTHS):
            drift = 1 - 0.012 * k + rng.uniform(-0.004, 0.004)
            value = c.value * drift if c.indicator.unit != "%" else min(100.0, c.value * drift)
            period = _back(on, k)
            session.add(
                IndicatorValue(
                    indicator=c.indicator.code,
                    period=period,
                    on=service.month_end(period),
                    value=round(value, 2),
                    origin=Origin.DEMO.value,
                )
            )
            demo += 1
    service.enter_manual(
        session, who, "gz.platforms", _back(on, 1), 9, "演示数据：市计量院年度报告（示例）", on
    )
    service.draft_report(session, who, "changzhou", "midterm", on)
    final = service.draft_report(session, who, "jieyang", "final", on)
    service.publish_report(session, who, final.id, datetime.combine(on, time(9), UTC))
    return {"indicator_values": snap + rebuilt + demo + 1, "indicator_reports": 2}
