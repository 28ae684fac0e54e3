"""Energy metering review and carbon measurement over HTTP: units, inventories (CSV text),
required counts, configuration rates, reviews with findings and their PDF, carbon reports."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from jiliang import energy as svc
from jiliang.api.deps import Caller, ClockDep, DbId, SessionDep
from jiliang.energy import MAX_CSV_BYTES

router = APIRouter(prefix="/energy", tags=["energy"])


class UnitIn(BaseModel):
    org_id: int = Field(ge=1, le=2**31 - 1)
    code: str = Field(min_length=1, max_length=64)
    energy_types: list[str] = Field(min_length=1, max_length=20)
    consumption_tce: float | None = Field(None, ge=0, lt=1e9)


class CsvIn(BaseModel):
    csv: str = Field(min_length=1, max_length=MAX_CSV_BYTES, description="The CSV file's text (UTF-8)")


class NeedIn(BaseModel):
    energy_type: str = Field(min_length=1, max_length=32)
    level: int = Field(ge=1, le=3)
    required: int = Field(ge=0, le=1_000_000)


class ReviewIn(BaseModel):
    unit_id: int = Field(ge=1, le=2**31 - 1)
    code: str = Field(min_length=1, max_length=64)
    review_date: date


class FindingIn(BaseModel):
    severity: str = Field(min_length=1, max_length=12)
    clause: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1, max_length=2000)


class AdvanceIn(BaseModel):
    to: str = Field(min_length=1, max_length=16)


def _unit_doc(v: Any) -> dict[str, Any]:
    return {
        "id": v.unit.id,
        "code": v.unit.code,
        "name": v.name,
        "on": v.on.isoformat(),
        "edition": v.edition,
        "edition_verified": v.edition_verified,
        "energy_types": list(v.unit.energy_types),
        "rates": [asdict(r) for r in v.rates],
        "meters": [{**asdict(m), "due": m.due.isoformat() if m.due else None} for m in v.meters],
        "reviews": [
            {"id": r.id, "code": r.code, "state": r.state, "review_date": r.review_date.isoformat()}
            for r in v.reviews
        ],
    }


def _review_doc(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "code": r.code,
        "unit_id": r.unit_id,
        "review_date": r.review_date.isoformat(),
        "edition": r.edition,
        "state": r.state,
        "conclusion": r.conclusion,
    }


@router.get("/units", name="units", summary="Key energy-using units the caller may see")
def units(caller: Caller, session: SessionDep) -> list[dict[str, Any]]:
    return [asdict(u) for u in svc.list_units(session, caller)]


@router.post(
    "/units", name="register", status_code=201, summary="Register a key energy-using unit (regulator)"
)
def register(clock: ClockDep, body: UnitIn, caller: Caller, session: SessionDep) -> dict[str, Any]:
    u = svc.register_unit(
        session,
        caller,
        org_id=body.org_id,
        code=body.code,
        energy_types=body.energy_types,
        consumption_tce=body.consumption_tce,
        now=clock.now(),
    )
    return {"id": u.id, "code": u.code, "org_id": u.org_id}


@router.get(
    "/units/{unit_id}", name="unit", summary="A unit: inventory, configuration rates (Table 3), reviews"
)
def unit(
    clock: ClockDep,
    unit_id: DbId,
    caller: Caller,
    session: SessionDep,
    on: date | None = Query(None, description="Date of the check (edition in force then); default today"),
) -> dict[str, Any]:
    return _unit_doc(svc.unit_view(session, caller, unit_id, on or clock.today()))


@router.post(
    "/units/{unit_id}/meters",
    name="import_meters",
    summary="Link meters from an inventory CSV (all or nothing)",
)
def import_meters(unit_id: DbId, body: CsvIn, caller: Caller, session: SessionDep) -> dict[str, Any]:
    return {"unit_id": unit_id, "meters": svc.import_inventory(session, caller, unit_id, body.csv)}


@router.put(
    "/units/{unit_id}/requirements", name="requirements", summary="Set the theoretical number of meters"
)
def requirements(
    unit_id: DbId, body: Annotated[list[NeedIn], Body(max_length=200)], caller: Caller, session: SessionDep
) -> dict[str, Any]:
    need = {(n.energy_type, n.level): n.required for n in body}
    return {"unit_id": unit_id, "set": svc.set_requirements(session, caller, unit_id, need)}


@router.post(
    "/units/{unit_id}/activity",
    name="import_activity",
    summary="Store activity data from a CSV (all or nothing)",
)
def import_activity(unit_id: DbId, body: CsvIn, caller: Caller, session: SessionDep) -> dict[str, Any]:
    return {"unit_id": unit_id, "lines": svc.import_activity(session, caller, unit_id, body.csv)}


@router.get("/reviews", name="reviews", summary="Reviews the caller may see")
def reviews(caller: Caller, session: SessionDep) -> list[dict[str, Any]]:
    return [_review_doc(r) for r in svc.list_reviews(session, caller)]


@router.post("/reviews", name="create_review", status_code=201, summary="Open a review (regulator)")
def create_review(clock: ClockDep, body: ReviewIn, caller: Caller, session: SessionDep) -> dict[str, Any]:
    return _review_doc(
        svc.create_review(
            session, caller, body.unit_id, code=body.code, review_date=body.review_date, now=clock.now()
        )
    )


@router.get("/reviews/{review_id}", name="review", summary="A review with its findings and allowed moves")
def review(review_id: DbId, caller: Caller, session: SessionDep) -> dict[str, Any]:
    v = svc.review_view(session, caller, review_id)
    return {
        **_review_doc(v.review),
        "findings": [
            {"severity": f.severity, "clause": f.clause, "text": f.text, "auto": f.auto} for f in v.findings
        ],
        "allowed": list(v.allowed),
        "unit": _unit_doc(v.unit),
    }


@router.post("/reviews/{review_id}/findings", name="add_finding", status_code=201, summary="Record a finding")
def add_finding(
    clock: ClockDep, review_id: DbId, body: FindingIn, caller: Caller, session: SessionDep
) -> dict[str, Any]:
    f = svc.add_finding(
        session,
        caller,
        review_id,
        severity=body.severity,
        clause=body.clause,
        text=body.text,
        now=clock.now(),
    )
    return {"id": f.id, "severity": f.severity, "clause": f.clause, "text": f.text}


@router.post(
    "/reviews/{review_id}/advance", name="advance", summary="Move a review on (findings, report, closed)"
)
def advance(
    clock: ClockDep, review_id: DbId, body: AdvanceIn, caller: Caller, session: SessionDep
) -> dict[str, Any]:
    return _review_doc(svc.advance_review(session, caller, review_id, body.to, clock.now()))


@router.get(
    "/reviews/{review_id}/report.pdf",
    name="report_pdf",
    summary="The review report as PDF (Chinese)",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def report_pdf(review_id: DbId, caller: Caller, session: SessionDep) -> Response:
    from jiliang.energy.report import review_pdf

    v = svc.review_view(session, caller, review_id)
    return Response(
        review_pdf(v),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{v.review.code}.pdf"'},
    )


@router.get("/factors", name="factors", summary="Shipped emission factors with their source")
def factors() -> list[dict[str, Any]]:
    return [
        {
            "code": f.code,
            "energy_type": f.energy_type,
            "activity_unit": f.activity_unit,
            "value": f.value,
            "u_rel": f.u_rel,
            "source": f.source,
            "note": f.note,
        }
        for f in svc.emission_factors().values()
    ]


def _result(r: Any) -> dict[str, Any]:
    return {
        "E_t": r.E,
        "u_t": r.u,
        "k": r.k,
        "U_t": r.U,
        "flags": dict(r.flags),
        "terms": [
            {"factor": t.factor.code, "A": t.A, "u_A": t.u_A, "E_t": t.E, "lines": t.lines} for t in r.terms
        ],
    }


@router.get(
    "/carbon", name="carbon", summary="Emissions of a period per unit and for the city, E ± U (k = 2)"
)
def carbon(
    caller: Caller,
    session: SessionDep,
    period: str = Query(..., min_length=4, max_length=7, pattern=r"^\d{4}(-\d{2})?$"),
    unit_id: int | None = Query(None, ge=1, le=2**31 - 1),
) -> dict[str, Any]:
    rep = svc.carbon_report(session, caller, period, unit_id=unit_id)
    return {
        "period": rep.period,
        "on": rep.on.isoformat(),
        "summary": svc.summary_line(rep.total, rep.out_of_date, rep.out_of_scope),
        "total": {**_result(rep.total), "out_of_date": rep.out_of_date, "out_of_scope": rep.out_of_scope},
        "units": [
            {
                "unit_id": u.unit_id,
                "code": u.code,
                "name": u.name,
                "summary": svc.summary_line(u.result, u.out_of_date, u.out_of_scope),
                "out_of_date": u.out_of_date,
                "out_of_scope": u.out_of_scope,
                **_result(u.result),
            }
            for u in rep.units
        ],
    }
