"""``jiliang demo seed``: store the demo city, then let every capability add its data.

Capabilities add their data through ``<capability>/demo.py`` with
``seed(session, city, rng) -> dict[str, int]``; the modules named in :data:`SEEDERS` run in order,
each in its own transaction, each with its own random stream derived from the seed.
"""

from __future__ import annotations

import importlib
import importlib.util
import random
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jiliang.demo.city import DISTRICTS, City, build_orgs
from jiliang.errors import ConflictError
from jiliang.platform.auth import create_user
from jiliang.platform.db import Database
from jiliang.platform.models import District, Organization, OrgKind, Role

__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "SEEDERS", "seed_city"]

DEMO_PASSWORD = "jiliang-demo"  # noqa: S105 - documented demo password, printed by the seed command

# username, role, organization key, display name
DEMO_USERS: list[tuple[str, Role, str | None, str]] = [
    ("regulator", Role.REGULATOR, "regulator", "市监局计量处 王处长"),
    ("institute", Role.LAB, "institute", "计量院 李工"),
    ("lab", Role.LAB, "lab-industry", "精测校准 陈工"),
    ("power", Role.ENTERPRISE, "power", "供电局 计量班 赵工"),
    ("fuel", Role.ENTERPRISE, f"{OrgKind.FUEL_STATION.value}-{DISTRICTS[0][0]}-0", "加油站 站长"),
    ("market", Role.ENTERPRISE, f"{OrgKind.MARKET.value}-{DISTRICTS[0][0]}-0", "农贸市场 管理员"),
]

# Capability seeders, in the order they run; a missing module is skipped.
SEEDERS: list[str] = [
    "jiliang.registry.demo",
    "jiliang.uncertainty.demo",
    "jiliang.dcc.demo",
    "jiliang.meters.demo",
    "jiliang.meters.lotdemo",
    "jiliang.meters.cheatdemo",
    "jiliang.verification.demo",
    "jiliang.supervision.demo",
    "jiliang.supervision.netcontent_demo",
    "jiliang.comparisons.demo",
    "jiliang.indicators.demo",
    "jiliang.energy.demo",
]


def _seeder(name: str) -> Callable[[Session, City, random.Random], dict[str, int]] | None:
    if importlib.util.find_spec(name) is None:
        return None
    module = importlib.import_module(name)
    fn = getattr(module, "seed", None)
    return fn if callable(fn) else None


def seed_city(
    db: Database,
    size: str,
    seed: int,
    as_of: date,
    progress: Callable[[str], None] | None = None,
    data_dir: Path | None = None,
) -> dict[str, int]:
    """Store the demo city; refuse when organizations already exist. Returns counts by kind.

    ``data_dir`` is where seeders keep files (the demo CA); None keeps everything in memory.
    """
    say = progress or (lambda _msg: None)
    rng = random.Random(seed)
    specs = build_orgs(size, rng)
    city = City(size=size, seed=seed, as_of=as_of, data_dir=data_dir)
    counts: dict[str, int] = {}
    with db.session(actor="demo") as session:
        if session.scalar(select(func.count()).select_from(Organization)):
            raise ConflictError("the database already holds organizations; seed a fresh database")
        for code, name, name_en in DISTRICTS:
            d = District(code=code, name=name, name_en=name_en)
            session.add(d)
            session.flush()
            city.district_ids[code] = d.id
        for spec in specs:
            org = Organization(
                name=spec.name,
                name_en=spec.name_en,
                kind=spec.kind.value,
                credit_code=spec.credit_code,
                district_id=city.district_ids.get(spec.district_code or ""),
                address=spec.address,
                accreditation_code=spec.accreditation_code,
            )
            session.add(org)
            session.flush()
            city.org_ids[spec.key] = org.id
            city.orgs_by_kind.setdefault(spec.kind, []).append(org.id)
            city.org_district[org.id] = org.district_id
        for username, role, org_key, display in DEMO_USERS:
            create_user(
                session,
                username,
                DEMO_PASSWORD,
                role,
                display_name=display,
                org_id=city.org_ids[org_key] if org_key else None,
            )
        counts.update(districts=len(DISTRICTS), organizations=len(specs), users=len(DEMO_USERS))
    say(f"city: {counts['organizations']} organizations in {counts['districts']} districts")
    for i, name in enumerate(SEEDERS):
        fn = _seeder(name)
        if fn is None:
            continue
        sub_rng = random.Random(f"{seed}:{name}:{i}")
        with db.session(actor="demo") as session:
            added = fn(session, city, sub_rng)
        counts.update(added)
        say(f"{name.split('.')[1]}: " + ", ".join(f"{v} {k}" for k, v in added.items()))
    return counts
