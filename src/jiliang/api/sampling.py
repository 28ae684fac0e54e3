"""Statutory sampling plans over HTTP (read-only): ``GET /api/sampling/plan`` and ``/api/sampling/oc``.

Pure look-ups in the packaged GB/T 2828.1-2012 tables; nothing is stored, no login needed.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

__all__ = ["router"]

router = APIRouter(prefix="/sampling", tags=["sampling"])

Level = Literal["S-1", "S-2", "S-3", "S-4", "I", "II", "III"]
Severity = Literal["normal", "tightened", "reduced"]


class DecisionOut(BaseModel):
    d: int
    accepted: bool
    clause: str


class PlanOut(BaseModel):
    code_letter: str
    n: int
    ac: int
    re: int
    hundred_percent: bool
    edition: str
    plan_letter: str
    arrow: Literal["down", "up"] | None
    lot_size: int
    aql: str
    level: str
    severity: str
    table: str
    page: int
    decision: DecisionOut | None = None


class OCPoint(BaseModel):
    p: float
    pa: float


class OCOut(BaseModel):
    n: int
    ac: int
    lot_size: int | None
    model: str
    points: list[OCPoint]


@router.get("/plan", name="plan", summary="GB/T 2828.1-2012 single sampling plan for a lot")
def get_plan(
    lot_size: Annotated[int, Query(ge=1, le=10**12, description="Lot size N")],
    aql: Annotated[str, Query(min_length=1, max_length=16, description="AQL as printed, e.g. 1.0")],
    level: Annotated[Level, Query(description="Inspection level of Table 1")] = "II",
    severity: Annotated[Severity, Query(description="Table 2-A, 2-B or 2-C")] = "normal",
    d: Annotated[
        int | None, Query(ge=0, le=10**9, description="Nonconforming items (or nonconformities) found")
    ] = None,
) -> PlanOut:
    """Code letter (Table 1) and the plan (Tables 2-A…2-C, arrows followed); 100 % when n ≥ N.

    With ``d``, the lot decision of clause 11.1.1 (``d`` above ``n`` counts nonconformities).
    """
    from jiliang.stats import lot_acceptance, sampling_plan

    p = sampling_plan(lot_size, aql, level=level, severity=severity)
    decision = None
    if d is not None:
        ruling = lot_acceptance(p, d, per_hundred=True)
        decision = DecisionOut(d=d, accepted=ruling.accepted, clause=ruling.clause)
    return PlanOut(
        **p.as_dict(),
        plan_letter=p.plan_letter,
        arrow=p.arrow,  # type: ignore[arg-type]
        lot_size=p.lot_size,
        aql=p.aql,
        level=p.level,
        severity=p.severity,
        table=p.table,
        page=p.page,
        decision=decision,
    )


@router.get("/oc", name="oc", summary="Operating characteristic Pa(p) of a single plan (n, Ac)")
def get_oc(
    n: Annotated[int, Query(ge=1, le=10**6, description="Sample size n")],
    ac: Annotated[int, Query(ge=0, le=10**6, description="Acceptance number Ac")],
    lot_size: Annotated[
        int | None, Query(ge=1, le=10**6, description="Isolated lot size: hypergeometric OC")
    ] = None,
    p_max: Annotated[float | None, Query(gt=0, le=1, description="Largest p (default: auto)")] = None,
    points: Annotated[int, Query(ge=2, le=501, description="Number of points from p = 0")] = 51,
) -> OCOut:
    """Pa at ``points`` fractions nonconforming evenly spread over [0, p_max]."""
    from jiliang.stats import oc_curve

    top = p_max if p_max is not None else min(1.0, max(0.02, 3.0 * (ac + 1) / n))
    grid = [top * i / (points - 1) for i in range(points)]
    c = oc_curve(n, ac, grid, lot_size=lot_size)
    pts = [OCPoint(p=float(x), pa=float(y)) for x, y in zip(c.p, c.pa, strict=True)]
    return OCOut(n=c.n, ac=c.ac, lot_size=lot_size, model=c.model, points=pts)
