"""Storing and reading estimation runs (the service layer used by the API and the demo)."""

from __future__ import annotations

import json
import math
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from jiliang.meters.engine import RunResult
from jiliang.meters.models import MeterAreaResult, MeterEstimationRun, MeterResult
from jiliang.platform.audit import AuditChange, record

__all__ = ["result_rows", "store_run"]


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def store_run(
    session: Session,
    org_id: int,
    label: str,
    result: RunResult,
    actor: str,
    engine: str = "local",
    settings: dict[str, Any] | None = None,
) -> MeterEstimationRun:
    """Persist a run and its rows (bulk insert, one audit entry for the rows)."""
    run = MeterEstimationRun(
        org_id=org_id,
        label=label[:200],
        engine=engine,
        created_by=actor[:64],
        settings=settings or {},
        meters=len(result.meters),
        areas=len(result.areas),
        messages=list(result.messages),
    )
    session.add(run)
    session.flush()
    if result.meters:
        session.execute(
            insert(MeterResult),
            [
                {
                    "run_id": run.id,
                    "meter_id": r["meter_id"],
                    "area_id": r["area_id"],
                    "error_pct": _clean(r["error_pct"]),
                    "u_error_pct": _clean(r["u_error_pct"]),
                    "status": r["status"],
                    "limit_pct": _clean(r["limit_pct"]),
                    "evidence": r["evidence"] or "{}",
                }
                for r in result.meters
            ],
        )
    if result.areas:
        session.execute(
            insert(MeterAreaResult),
            [
                {
                    "run_id": run.id,
                    "area_id": a["area_id"],
                    "status": a["status"],
                    "meters": a["meters"],
                    "meters_estimated": a["meters_estimated"],
                    "loss_rate_pct": _clean(a["loss_rate_pct"]),
                    "residual_rms_pct": _clean(a["residual_rms_pct"]),
                    "summary": json.loads(json.dumps({k: _clean(v) for k, v in a.items()}, default=str)),
                }
                for a in result.areas
            ],
        )
    record(
        session,
        [
            AuditChange(
                "insert",
                "meter_result",
                str(run.id),
                after={"rows": len(result.meters), "areas": len(result.areas)},
                note="estimation results of the run",
            )
        ],
    )
    return run


def result_rows(
    session: Session,
    run_id: int,
    status: str | None = None,
    area_id: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> tuple[int, list[dict[str, Any]]]:
    """Result rows of a run (total count and one page)."""
    q = select(MeterResult).where(MeterResult.run_id == run_id)
    if status:
        q = q.where(MeterResult.status == status)
    if area_id:
        q = q.where(MeterResult.area_id == area_id)
    total = session.scalar(select(func.count()).select_from(q.subquery())) or 0
    q = q.order_by(MeterResult.area_id, MeterResult.meter_id).offset(offset)
    if limit is not None:
        q = q.limit(limit)
    rows = [
        {
            "meter_id": r.meter_id,
            "area_id": r.area_id,
            "error_pct": r.error_pct,
            "u_error_pct": r.u_error_pct,
            "status": r.status,
            "limit_pct": r.limit_pct,
            "evidence": r.evidence,
        }
        for r in session.scalars(q)
    ]
    return int(total), rows
