"""Demo comparison rounds: one published (gauge block length), one open with some results."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiliang.comparisons.models import ComparisonParticipant, ComparisonRound, ComparisonSubmission
from jiliang.platform.models import Organization, User

__all__ = ["seed"]

LABS = ("institute", "lab-energy", "lab-medical", "lab-industry")


def _submit(
    session: Session, rnd: ComparisonRound, org_id: int, user_id: int, value: float, U: float, when: datetime
) -> None:
    session.add(
        ComparisonSubmission(
            round_id=rnd.id,
            org_id=org_id,
            value=value,
            U=U,
            k=2.0,
            dof=None,
            submitted_by=user_id,
            submitted_at=when,
        )
    )


def seed(session: Session, city: Any, rng: random.Random) -> dict[str, int]:
    """Two rounds piloted by the institute among the demo labs; the first is published (Paule–Mandel)."""
    import json

    import numpy as np

    from jiliang.comparisons.files import evaluation_json
    from jiliang.stats import LabResults, choose_model, evaluate_comparison

    orgs = [city.org_ids[k] for k in LABS if k in city.org_ids]
    if len(orgs) < 3:
        return {}
    user = session.scalar(select(User.id).where(User.username == "institute"))
    if user is None:
        return {}
    start = datetime.combine(city.as_of, time(9), tzinfo=UTC) - timedelta(days=120)
    published = ComparisonRound(
        code="BD-2026-01",
        measurand="量块长度偏差（50 mm 量块）",
        unit="nm",
        pilot_org_id=orgs[0],
        state="published",
        estimator="paule_mandel",
        seed=1,
        excluded="",
        created_at=start,
        closed_at=start + timedelta(days=60),
        published_at=start + timedelta(days=75),
    )
    current = ComparisonRound(
        code="BD-2026-02",
        measurand="直流电压 10 V",
        unit="µV",
        pilot_org_id=orgs[0],
        state="open",
        excluded="",
        created_at=start + timedelta(days=90),
    )
    session.add_all([published, current])
    session.flush()
    values = []
    for i, org in enumerate(orgs):
        for rnd in (published, current):
            session.add(ComparisonParticipant(round_id=rnd.id, org_id=org))
        U = round(rng.uniform(18, 40), 1)
        x = round(rng.gauss(120, 12) + (35 if i == len(orgs) - 1 else 0), 1)
        values.append((org, x, U))
        _submit(session, published, org, user, x, U, start + timedelta(days=20 + i))
        if i < 2:
            _submit(
                session,
                current,
                org,
                user,
                round(rng.gauss(3.2, 0.8), 2),
                1.5,
                start + timedelta(days=95 + i),
            )
    session.flush()
    names = {o.id: o.name for o in session.scalars(select(Organization).where(Organization.id.in_(orgs)))}
    data = LabResults.of(
        [names[o] for o, _, _ in values], [x for _, x, _ in values], [u / 2 for _, _, u in values]
    )
    ev = evaluate_comparison(data, "paule_mandel", rng=np.random.default_rng(1))
    published.result_json = json.dumps(evaluation_json(ev, choose_model(data)), ensure_ascii=False)
    session.flush()
    return {"comparison_rounds": 2, "comparison_results": len(orgs) + 2}
