"""Meter-supervision figures for the home page: meters flagged by the latest run of each utility."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jiliang.meters.models import MeterEstimationRun, MeterResult
from jiliang.platform.auth import Principal
from jiliang.platform.models import Role

__all__ = ["home_figures"]

_FLAGGED = (
    "suspected_theft",
    "out_of_limit",
    "suspect",
    "failed_runaway",
    "failed_backwards",
    "failed_stopped",
)


def home_figures(session: Session, principal: Principal, on: date) -> list[dict[str, Any]]:
    if principal.role not in (Role.REGULATOR, Role.ENTERPRISE):
        return []
    latest = select(func.max(MeterEstimationRun.id)).group_by(MeterEstimationRun.org_id)
    if not principal.is_regulator:
        latest = latest.where(MeterEstimationRun.org_id == principal.org_id)
    run_ids = list(session.scalars(latest))
    if not run_ids:
        return []
    rows: dict[str, int] = dict(
        session.execute(
            select(MeterResult.status, func.count())
            .where(MeterResult.run_id.in_(run_ids), MeterResult.status.in_(_FLAGGED))
            .group_by(MeterResult.status)
        )
        .tuples()
        .all()
    )
    flagged = sum(rows.values())
    failed = sum(v for k, v in rows.items() if k.startswith("failed_"))
    href = "/meters" if len(run_ids) != 1 else f"/meters/runs/{run_ids[0]}"
    return [
        {"label": "met.home.flagged", "value": flagged, "href": href, "cls": "bad" if flagged else "ok"},
        {"label": "met.home.failed", "value": failed, "href": href, "cls": "bad" if failed else "ok"},
    ]
