"""Who may see which estimation runs: the regulator all, a utility its own."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiliang.errors import NotFoundError
from jiliang.meters.models import MeterAreaResult, MeterEstimationRun
from jiliang.platform.auth import Principal
from jiliang.platform.models import Role

__all__ = ["area_results", "run_for", "runs_for"]


def runs_for(session: Session, principal: Principal, limit: int = 50) -> list[MeterEstimationRun]:
    principal.require(Role.ENTERPRISE, Role.REGULATOR)
    q = select(MeterEstimationRun).order_by(MeterEstimationRun.id.desc()).limit(limit)
    if not principal.is_regulator:
        q = q.where(MeterEstimationRun.org_id == principal.org_id)
    return list(session.scalars(q))


def run_for(session: Session, principal: Principal, run_id: int) -> MeterEstimationRun:
    principal.require(Role.ENTERPRISE, Role.REGULATOR)
    run = session.get(MeterEstimationRun, run_id)
    if run is None or not principal.may_see_org(run.org_id):
        raise NotFoundError(f"no estimation run {run_id}")
    return run


def area_results(session: Session, run_id: int) -> list[MeterAreaResult]:
    q = select(MeterAreaResult).where(MeterAreaResult.run_id == run_id).order_by(MeterAreaResult.area_id)
    return list(session.scalars(q))
