"""Comparison rounds over HTTP: create, submit, close, evaluate, publish, report (JSON and SVG)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from jiliang import comparisons as svc
from jiliang.api.deps import Caller, SessionDep
from jiliang.errors import NotFoundError

router = APIRouter(prefix="/comparisons/rounds", tags=["comparisons"])


class RoundIn(BaseModel):
    code: str = Field(min_length=1, max_length=64)
    measurand: str = Field(min_length=1, max_length=300)
    unit: str = Field(min_length=1, max_length=40)
    participants: list[int] = Field(min_length=1, max_length=500, description="Organization ids of the labs")
    pilot_org_id: int | None = Field(None, description="Regulator only: the pilot lab (default: caller's lab)")


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


@router.get("", name="list", summary="Rounds the caller may see")
def list_rounds(caller: Caller, session: SessionDep) -> list[RoundOut]:
    return [_out(r) for r in svc.list_rounds(session, caller)]


@router.post("", name="create", status_code=201, summary="Create a round piloted by the caller's lab")
def create_round(body: RoundIn, caller: Caller, session: SessionDep) -> RoundOut:
    return _out(svc.create_round(session, caller, code=body.code, measurand=body.measurand, unit=body.unit,
                                 participant_org_ids=body.participants, now=datetime.now(UTC),
                                 pilot_org_id=body.pilot_org_id))


@router.get("/{round_id}", name="get", summary="A round with the results the caller may see")
def get_round(round_id: int, caller: Caller, session: SessionDep) -> dict[str, Any]:
    v = svc.round_view(session, caller, round_id)
    return _finite({
        "round": _out(v.round).model_dump(mode="json"),
        "pilot": v.pilot,
        "participants": [{"org_id": o, "name": n, "submitted": s} for o, n, s in v.participants],
        "results": [{**r, "submitted_at": r["submitted_at"].isoformat()} for r in v.results],
        "report": v.report,
        "allowed": list(v.allowed),
    })


@router.post("/{round_id}/results", name="submit", summary="Submit or replace the caller's lab result")
def submit(round_id: int, body: ResultIn, caller: Caller, session: SessionDep) -> dict[str, Any]:
    s = svc.submit_result(session, caller, round_id, value=body.value, U=body.U, k=body.k, dof=body.dof,
                          now=datetime.now(UTC))
    return {"round_id": s.round_id, "org_id": s.org_id, "value": s.value, "U": s.U, "k": s.k, "dof": s.dof}


@router.post("/{round_id}/close", name="close", summary="Close the round (pilot): results become visible")
def close(round_id: int, caller: Caller, session: SessionDep) -> RoundOut:
    return _out(svc.close_round(session, caller, round_id, datetime.now(UTC)))


@router.post("/{round_id}/evaluate", name="evaluate", summary="Evaluate a closed round with an estimator")
def evaluate(round_id: int, body: EvaluateIn, caller: Caller, session: SessionDep) -> dict[str, Any]:
    return dict(_finite(svc.evaluate_round(session, caller, round_id, body.estimator, seed=body.seed,
                                           excluded=body.exclude)))


@router.post("/{round_id}/publish", name="publish", summary="Publish the round with the chosen estimator")
def publish(round_id: int, body: EvaluateIn, caller: Caller, session: SessionDep) -> RoundOut:
    return _out(svc.publish_round(session, caller, round_id, body.estimator, datetime.now(UTC), seed=body.seed,
                                  excluded=body.exclude))


@router.get("/{round_id}/report.svg", name="report_svg", summary="Degrees-of-equivalence plot (SVG)")
def report_svg(round_id: int, caller: Caller, session: SessionDep) -> Response:
    v = svc.round_view(session, caller, round_id)
    if v.report is None:
        raise NotFoundError(f"round {round_id} has no published report")
    return Response(svc.doe_svg(v.report, v.round.code), media_type="image/svg+xml")


@router.get("/{round_id}/report.pdf", name="report_pdf", summary="The published report as PDF (zh or en)")
def report_pdf(
    round_id: int, caller: Caller, session: SessionDep, lang: str = Query("zh", pattern="^(zh|en)$")
) -> Response:
    from jiliang.comparisons.report import report_pdf as render

    v = svc.round_view(session, caller, round_id)
    return Response(render(v, lang), media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{v.round.code}.pdf"'})
