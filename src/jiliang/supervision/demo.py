"""Demo data of supervision: inspectors, commitments, credit classes, two plans with their draws.

The fuel-dispenser plan is drawn, inspected and published; the market-scale plan shows a
discarded draw (kept with its reason) and a redraw whose tasks are half done. Deterministic for
a given ``random.Random``; the demo seeds are derived from it and revealed in the records.
"""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiliang.demo.city import DISTRICTS
from jiliang.platform.auth import Principal, create_user
from jiliang.platform.models import OrgKind, Role, User
from jiliang.supervision import credit, service
from jiliang.supervision.models import CommitmentStatus, IntegrityCommitment

__all__ = ["INSPECTORS", "seed"]

DEMO_PASSWORD = "jiliang-demo"  # noqa: S105 - the documented demo password
#: username, display name, district code (inspectors are regulator users).
INSPECTORS: list[tuple[str, str, str]] = [
    ("zhifa1", "执法员 刘明", DISTRICTS[0][0]),
    ("zhifa2", "执法员 陈静", DISTRICTS[1][0]),
    ("zhifa3", "执法员 周强", DISTRICTS[2][0]),
    ("zhifa4", "执法员 吴芳", DISTRICTS[3][0]),
    ("zhifa5", "执法员 郑伟", DISTRICTS[4][0]),
    ("zhifa6", "执法员 孙丽", DISTRICTS[5][0]),
]


#: Higher than the rule set's city-wide ratios so that the small demo city has a visible draw.
DEMO_RATIOS = {"A": "0.25", "B": "0.4", "C": "0.6", "D": "1"}


def _inspectors_csv(conflict_org: int | None) -> str:
    lines = ["id,name,district,conflicts"]
    for n, (username, name, district) in enumerate(INSPECTORS):
        conflicts = str(conflict_org) if n == 0 and conflict_org else ""
        lines.append(f"{username},{name},{district},{conflicts}")
    return "\n".join(lines) + "\n"


def _seed_hex(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


def _commitments(session: Session, city: Any, rng: random.Random, year: int) -> int:
    n = 0
    for kind, sector in ((OrgKind.FUEL_STATION, "fuel_station"), (OrgKind.MARKET, "market")):
        for org_id in city.orgs_by_kind.get(kind, []):
            if rng.random() < 0.6:
                session.add(
                    IntegrityCommitment(
                        org_id=org_id,
                        year=year,
                        sector=sector,
                        text=credit.COMMITMENT_TEMPLATES[sector],
                        status=CommitmentStatus.PUBLISHED.value,
                        published_on=city.as_of.replace(month=1, day=15),
                    )
                )
                n += 1
    session.flush()
    return n


def _inspect(session: Session, reg: Principal, tasks: list[Any], rng: random.Random, on: Any) -> int:
    done = 0
    for task in tasks:
        roll = rng.random()
        if roll < 0.7:
            service.record_result(session, reg, task.id, outcome="passed", inspected_on=on)
        elif roll < 0.92:
            kind = rng.choice(["overdue", "error_found", "seal_broken"])
            service.record_result(
                session,
                reg,
                task.id,
                outcome="rectify",
                inspected_on=on,
                rectify_by=on + timedelta(days=30),
                findings=[{"kind": kind, "instrument": f"SN{rng.randint(10000, 99999)}", "note": ""}],
            )
        else:
            service.record_result(
                session,
                reg,
                task.id,
                outcome="failed",
                inspected_on=on,
                findings=[
                    {"kind": "cheating", "instrument": f"SN{rng.randint(10000, 99999)}", "note": "作弊装置"}
                ],
            )
        done += 1
    return done


def seed(session: Session, city: Any, rng: random.Random) -> dict[str, int]:
    """Inspectors, commitments, classes, a published plan and a plan with a redraw."""
    regulator_org = city.org_ids.get("regulator")
    for username, name, _district in INSPECTORS:
        create_user(session, username, DEMO_PASSWORD, Role.REGULATOR, display_name=name, org_id=regulator_org)
    user = session.scalar(select(User).where(User.username == "regulator"))
    if user is None:
        return {}
    reg = Principal(user_id=user.id, username=user.username, role=Role.REGULATOR, org_id=user.org_id)
    year = city.as_of.year
    commitments = _commitments(session, city, rng, year)
    credit.recompute_classes(session, reg, city.as_of.replace(month=1, day=2))
    at = datetime.combine(city.as_of.replace(month=3, day=1), time(9), UTC)
    policy = {
        "edition": "demo-2026.1",
        "ratios": DEMO_RATIOS,
        "team_size": 2,
        "exclude_same_district": True,
    }
    fuel = city.orgs_by_kind.get(OrgKind.FUEL_STATION, [None])[0]
    plan = service.create_plan(
        session,
        reg,
        title=f"{year}年加油机计量双随机抽查",
        scope="fuel_dispensers",
        year=year,
        policy=policy,
        inspectors_csv=_inspectors_csv(fuel),
    )
    service.commit_plan(session, reg, plan.id, at, public_value=f"demo beacon {year}-03-01")
    service.run_draw(session, reg, plan.id, at + timedelta(days=1))
    tasks = service.plan_view(session, reg, plan.id).tasks
    done = _inspect(session, reg, tasks, rng, at.date() + timedelta(days=20))
    service.publish_plan(session, reg, plan.id)

    markets = service.create_plan(
        session,
        reg,
        title=f"{year}年集贸市场计价秤双随机抽查",
        scope="market_scales",
        year=year,
        policy=dict(policy, exclude_same_district=False),
        inspectors_csv=_inspectors_csv(None),
    )
    later = at + timedelta(days=120)
    seed_hex = _seed_hex(rng)
    service.commit_plan(session, reg, markets.id, later, hashlib.sha256(bytes.fromhex(seed_hex)).hexdigest())
    service.run_draw(session, reg, markets.id, later + timedelta(days=1), seed_hex)
    service.discard_draw(session, reg, markets.id, "抽取清单未剔除已注销的市场，更新清单后重新抽取")
    service.commit_plan(session, reg, markets.id, later + timedelta(days=2))
    service.run_draw(session, reg, markets.id, later + timedelta(days=3))
    open_tasks = service.plan_view(session, reg, markets.id).tasks
    done += _inspect(session, reg, open_tasks[: len(open_tasks) // 2], rng, later.date() + timedelta(days=10))
    counts = credit.recompute_classes(session, reg, city.as_of)
    return {
        "inspection plans": 2,
        "inspections recorded": done,
        "commitments": commitments,
        "credit classes": sum(counts.values()),
    }
