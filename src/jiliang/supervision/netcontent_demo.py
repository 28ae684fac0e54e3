"""Demo data of net-content inspections (JJF 1070): published pass and fail verdicts, a lot drawn
but not yet measured, and a packer's self-check, with a demo packer user ``packer``.

Deterministic for a given ``random.Random``: seeds and fill weights are derived from it.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiliang.platform.auth import Principal, create_user
from jiliang.platform.models import OrgKind, Role, User
from jiliang.supervision import netcontent as nc

__all__ = ["PACKER_USER", "seed"]

DEMO_PASSWORD = "jiliang-demo"  # noqa: S105 - the documented demo password
PACKER_USER = "packer"
#: product, nominal, unit, lot size, filling mean offset (in T), filling sd (in T), publish
LOTS: list[tuple[str, str, str, int, float, float, bool]] = [
    ("大米", "5", "kg", 400, 0.6, 0.4, True),
    ("食用植物油", "900", "mL", 120, -0.4, 0.7, True),
    ("白砂糖", "500", "g", 2000, 0.3, 0.5, True),
    ("面粉", "10", "kg", 60, 0.0, 0.0, False),  # drawn, not yet measured
]


def _principal(user: User) -> Principal:
    return Principal(user_id=user.id, username=user.username, role=Role(user.role), org_id=user.org_id)


def _values(rng: random.Random, qn: float, t: float, offset: float, sd: float, n: int) -> list[float]:
    return [round(max(0.0, rng.gauss(qn + offset * t, sd * t)), 4) for _ in range(n)]


def _months_before(day: date, k: int) -> datetime:
    """9:00 UTC on the 8th of the month ``k`` months before ``day``'s.

    >>> _months_before(date(2026, 2, 1), 3)
    datetime.datetime(2025, 11, 8, 9, 0, tzinfo=datetime.timezone.utc)
    """
    y, m = divmod(day.year * 12 + day.month - 1 - k, 12)
    return datetime.combine(date(y, m + 1, 8), time(9), UTC)


def seed(session: Session, city: Any, rng: random.Random) -> dict[str, int]:
    factories = city.orgs_by_kind.get(OrgKind.FACTORY, [])
    reg_user = session.scalar(select(User).where(User.username == "regulator"))
    if not factories or reg_user is None:
        return {"netcontent": 0}
    packer_org = factories[0]
    packer_user = create_user(
        session, PACKER_USER, DEMO_PASSWORD, Role.ENTERPRISE, display_name="包装厂 质检员", org_id=packer_org
    )
    reg, ent = _principal(reg_user), _principal(packer_user)
    n = 0
    for k, (product, qn, unit, lot, offset, sd, publish) in enumerate(LOTS):
        # measured five, three and one month before the demo's date (the pass-rate indicator's
        # history), the last lot drawn this month
        back = 5 - 2 * k
        at = _months_before(city.as_of, back) if back > 0 else datetime.combine(city.as_of, time(9), UTC)
        org = factories[k % len(factories)]
        row = nc.create(session, reg, kind="inspection", org_id=org, product=product, nominal=qn, unit=unit,
                        lot_size=lot, batch=f"{at:%Y%m}{k + 1:02d}", now=at)  # fmt: skip
        nc.draw(session, reg, row.id, at, seed=f"{rng.getrandbits(128):032x}")
        n += 1
        if sd == 0:
            continue
        t = float(nc.verdict_tolerance(row))
        nc.record(session, reg, row.id, _values(rng, float(qn), t, offset, sd, row.sample_size), at.date())
        if publish:
            nc.publish(session, reg, row.id, at.date())
    check = nc.create(session, ent, kind="self_check", org_id=None, product="大米", nominal="5", unit="kg",
                      lot_size=400, batch=f"{at:%Y%m}02", now=at)  # fmt: skip
    nc.draw(session, ent, check.id, at, seed=f"{rng.getrandbits(128):032x}")
    nc.record(session, ent, check.id, _values(rng, 5.0, 0.075, 0.5, 0.4, check.sample_size), at.date())
    session.flush()
    return {"netcontent": n + 1}
