"""Comparisons over HTTP: rounds (create, submit, close, evaluate, publish, report as JSON, SVG and PDF)
and the stateless evaluations of the command line (reference value and DoEs, PT scores, intervals)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from jiliang import comparisons as svc
from jiliang.api.deps import Caller, ClockDep, SessionDep
from jiliang.errors import NotFoundError

router = APIRouter(prefix="/comparisons", tags=["comparisons"])


class RoundIn(BaseModel):
    code: str = Field(min_length=1, max_length=64)
    measurand: str = Field(min_length=1, max_length=300)
    unit: str = Field(min_length=1, max_length=40)
    participants: list[int] = Field(min_length=1, max_length=500, description="Organization ids of the labs")
    pilot_org_id: int | None = Field(
        None, description="Regulator only: the pilot lab (default: caller's lab)"
    )


class ResultIn(BaseModel):
    value: float
    U: float = Field(gt=0, description="Expanded uncertainty")
    k: float = Field(2.0, gt=0, description="Coverage factor")
    dof: float | None = Field(None, gt=0, description="Effective degrees of freedom (empty: ∞)")


class EvaluateIn(BaseModel):
    estimator: str = Field(min_length=1, max_length=40)
    seed: int = Field(1, ge=0, le=2**63 - 1)
    exclude: list[str] = Field(default_factory=list, max_length=500)


class RoundOut(BaseModel):
    id: int
    code: str
    measurand: str
    unit: str
    pilot_org_id: int
    state: str
    estimator: str | None
    created_at: datetime
    closed_at: datetime | None
    published_at: datetime | None


def _out(r: Any) -> RoundOut:
    return RoundOut.model_validate(r, from_attributes=True)


def _finite(doc: Any) -> Any:
    if isinstance(doc, float):
        return doc if math.isfinite(doc) else None
    if isinstance(doc, dict):
        return {k: _finite(v) for k, v in doc.items()}
    if isinstance(doc, list | tuple):
        return [_finite(v) for v in doc]
    return doc


@router.get("/rounds", name="list", summary="Rounds the caller may see")
def list_rounds(caller: Caller, session: SessionDep) -> list[RoundOut]:
    return [_out(r) for r in svc.list_rounds(session, caller)]


@router.post("/rounds", name="create", status_code=201, summary="Create a round piloted by the caller's lab")
def create_round(clock: ClockDep, body: RoundIn, caller: Caller, session: SessionDep) -> RoundOut:
    return _out(
        svc.create_round(
            session,
            caller,
            code=body.code,
            measurand=body.measurand,
            unit=body.unit,
            participant_org_ids=body.participants,
            now=clock.now(),
            pilot_org_id=body.pilot_org_id,
        )
    )


@router.get("/rounds/{round_id}", name="get", summary="A round with the results the caller may see")
def get_round(round_id: int, caller: Caller, session: SessionDep) -> dict[str, Any]:
    v = svc.round_view(session, caller, round_id)
    doc: dict[str, Any] = _finite(
        {
            "round": _out(v.round).model_dump(mode="json"),
            "pilot": v.pilot,
            "participants": [{"org_id": o, "name": n, "submitted": s} for o, n, s in v.participants],
            "results": [{**r, "submitted_at": r["submitted_at"].isoformat()} for r in v.results],
            "report": v.report,
            "allowed": list(v.allowed),
        }
    )
    return doc


@router.post("/rounds/{round_id}/results", name="submit", summary="Submit or replace the caller's lab result")
def submit(
    clock: ClockDep, round_id: int, body: ResultIn, caller: Caller, session: SessionDep
) -> dict[str, Any]:
    s = svc.submit_result(
        session, caller, round_id, value=body.value, U=body.U, k=body.k, dof=body.dof, now=clock.now()
    )
    return {"round_id": s.round_id, "org_id": s.org_id, "value": s.value, "U": s.U, "k": s.k, "dof": s.dof}


@router.post(
    "/rounds/{round_id}/close", name="close", summary="Close the round (pilot): results become visible"
)
def close(clock: ClockDep, round_id: int, caller: Caller, session: SessionDep) -> RoundOut:
    return _out(svc.close_round(session, caller, round_id, clock.now()))


@router.post(
    "/rounds/{round_id}/evaluate", name="evaluate", summary="Evaluate a closed round with an estimator"
)
def evaluate(round_id: int, body: EvaluateIn, caller: Caller, session: SessionDep) -> dict[str, Any]:
    return dict(
        _finite(
            svc.evaluate_round(
                session, caller, round_id, body.estimator, seed=body.seed, excluded=body.exclude
            )
        )
    )


@router.post(
    "/rounds/{round_id}/publish", name="publish", summary="Publish the round with the chosen estimator"
)
def publish(
    clock: ClockDep, round_id: int, body: EvaluateIn, caller: Caller, session: SessionDep
) -> RoundOut:
    return _out(
        svc.publish_round(
            session,
            caller,
            round_id,
            body.estimator,
            clock.now(),
            seed=body.seed,
            excluded=body.exclude,
        )
    )


@router.get("/rounds/{round_id}/report.svg", name="report_svg", summary="Degrees-of-equivalence plot (SVG)")
def report_svg(round_id: int, caller: Caller, session: SessionDep) -> Response:
    v = svc.round_view(session, caller, round_id)
    if v.report is None:
        raise NotFoundError(f"round {round_id} has no published report")
    return Response(svc.doe_svg(v.report, v.round.code), media_type="image/svg+xml")


@router.get(
    "/rounds/{round_id}/report.pdf", name="report_pdf", summary="The published report as PDF (zh or en)"
)
def report_pdf(
    round_id: int, caller: Caller, session: SessionDep, lang: str = Query("zh", pattern="^(zh|en)$")
) -> Response:
    from jiliang.comparisons.report import report_pdf as render

    v = svc.round_view(session, caller, round_id)
    return Response(
        render(v, lang),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{v.round.code}.pdf"'},
    )


class LabIn(BaseModel):
    lab: str = Field(min_length=1, max_length=200)
    value: float
    u: float = Field(gt=0, description="Standard uncertainty")
    dof: float | None = Field(None, gt=0)
    included: bool = True


class ResultsIn(BaseModel):
    results: list[LabIn] = Field(min_length=1, max_length=5000)
    estimator: str = Field(min_length=1, max_length=40)
    seed: int = Field(1, ge=0, le=2**63 - 1)
    stopping: str = Field("converged", pattern="^(converged|iso)$")
    knapp_hartung: bool = False
    include_tau: bool = True


class ScoresIn(BaseModel):
    results: list[LabIn] = Field(min_length=1, max_length=5000)
    assigned: float
    u_assigned: float | None = Field(None, ge=0)
    sigma_pt: float | None = Field(None, gt=0)


class HistoryIn(BaseModel):
    interval_days: list[float] = Field(min_length=1, max_length=100_000)
    in_tolerance: list[bool] = Field(min_length=1, max_length=100_000)
    target: float = Field(gt=0, lt=1)
    confidence: float = Field(0.5, ge=0, lt=1)
    interval: float | None = Field(None, gt=0, description="Assigned interval I0 (default: median)")


class DriftIn(BaseModel):
    days: list[float] = Field(min_length=1, max_length=100_000)
    deviation: list[float] = Field(min_length=1, max_length=100_000)
    u0: float = Field(ge=0)
    target_uncertainty: float | None = Field(None, gt=0)
    limits: tuple[float | None, float | None] | None = None
    y0: float = 0.0
    degree: int = Field(1, ge=1, le=5)
    confidence: float = Field(0.95, gt=0, lt=1)


def _lab_results(rows: list[LabIn]) -> Any:
    from jiliang.stats import LabResults

    return LabResults.of(
        [r.lab for r in rows],
        [r.value for r in rows],
        [r.u for r in rows],
        [r.dof if r.dof is not None else math.inf for r in rows],
        [r.included for r in rows],
    )


@router.post("/evaluate", name="evaluate_results", summary="Reference value and DoEs of posted results")
def evaluate_results(body: ResultsIn) -> dict[str, Any]:
    import numpy as np

    from jiliang.stats import choose_model, evaluate_comparison

    data = _lab_results(body.results)
    ev = evaluate_comparison(
        data,
        body.estimator,
        rng=np.random.default_rng(body.seed),
        stopping=body.stopping,
        knapp_hartung=body.knapp_hartung,
        include_tau=body.include_tau,
    )
    return dict(
        _finite(
            svc.evaluation_json(
                ev, choose_model(data), body.seed if body.estimator == "linear_pool" else None
            )
        )
    )


@router.post("/scores", name="scores", summary="ISO 13528 z, z′, ζ and En scores of posted results")
def scores(body: ScoresIn) -> dict[str, Any]:
    from jiliang.stats import pt_scores

    s = pt_scores(
        [r.lab for r in body.results],
        [r.value for r in body.results],
        [r.u for r in body.results],
        assigned=body.assigned,
        u_assigned=body.u_assigned,
        sigma_pt=body.sigma_pt,
    )
    return dict(_finite(svc.scores_json(s, body.assigned, body.u_assigned, body.sigma_pt)))


@router.post("/intervals/a3", name="interval_a3", summary="RP-1 method A3 (a recommendation only)")
def interval_a3(body: HistoryIn) -> dict[str, Any]:
    from jiliang.stats import method_a3

    return dict(
        _finite(
            svc.a3_json(
                method_a3(
                    body.interval_days,
                    body.in_tolerance,
                    target=body.target,
                    confidence=body.confidence,
                    assigned_interval=body.interval,
                )
            )
        )
    )


@router.post("/intervals/s2", name="interval_s2", summary="RP-1 method S2 (a recommendation only)")
def interval_s2(body: HistoryIn) -> dict[str, Any]:
    from jiliang.stats import method_s2

    return dict(_finite(svc.s2_json(method_s2(body.interval_days, body.in_tolerance, target=body.target))))


@router.post(
    "/intervals/variables", name="interval_variables", summary="Variables-data method (a recommendation only)"
)
def interval_variables(body: DriftIn) -> dict[str, Any]:
    from jiliang.stats import variables_interval

    r = variables_interval(
        body.days,
        body.deviation,
        u0=body.u0,
        target_uncertainty=body.target_uncertainty,
        limits=body.limits,
        y0=body.y0,
        degree=body.degree,
        confidence=body.confidence,
    )
    return dict(_finite(svc.variables_json(r)))
