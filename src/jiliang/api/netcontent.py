"""Net content of prepackaged goods (JJF 1070) over HTTP: inspections, self-checks, the engine."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Path, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from jiliang.api.deps import Caller, ClockDep, Regulator, SessionDep
from jiliang.errors import TooLargeError
from jiliang.stats import netcontent as engine
from jiliang.supervision import netcontent as service

router = APIRouter(prefix="/netcontent", tags=["netcontent"])

RowId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Unit = Literal["g", "kg", "mL", "L", "m", "m2", "count"]
Weight = Annotated[float, Field(ge=0, le=1e9, allow_inf_nan=False)]


class CreateIn(BaseModel):
    kind: Literal["inspection", "self_check"] = "inspection"
    org_id: int | None = Field(None, ge=1, le=2**31 - 1, description="The packer; a self-check: the caller's")
    product: str = Field(min_length=1, max_length=200)
    nominal: str = Field(min_length=1, max_length=24, description="Qn as marked, e.g. 500")
    unit: Unit
    lot_size: int = Field(ge=1, le=10**9)
    batch: str | None = Field(None, max_length=64)
    task_id: int | None = Field(None, ge=1, le=2**31 - 1, description="A random-inspection task (optional)")


class DrawIn(BaseModel):
    seed: str | None = Field(
        None, min_length=16, max_length=64, description="Hex seed; default: 128 random bits"
    )


class MeasurementsIn(BaseModel):
    values: list[Weight] = Field(
        min_length=1, max_length=2000, description="Net contents in the nominal's unit"
    )
    inspected_on: date
    tare_method: Literal["net", "individual", "average"] = "net"


class JudgeIn(BaseModel):
    nominal: str = Field(min_length=1, max_length=24)
    unit: Unit
    lot_size: int | None = Field(None, ge=1, le=10**9)
    values: list[Weight] = Field(min_length=1, max_length=2000)


class OcIn(BaseModel):
    nominal: str = Field(min_length=1, max_length=24)
    unit: Unit
    lot_size: int = Field(ge=1, le=10**9)
    mean: float = Field(ge=0, le=1e9, allow_inf_nan=False)
    sd: float = Field(ge=0, le=1e9, allow_inf_nan=False)
    seed: int = Field(1, ge=0, le=2**63 - 1)
    lots: int = Field(20000, ge=1, le=200_000)


def _out(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "kind": r.kind,
        "org_id": r.org_id,
        "task_id": r.task_id,
        "product": r.product,
        "batch": r.batch,
        "nominal": r.nominal,
        "unit": r.unit,
        "lot_size": r.lot_size,
        "sample_size": r.sample_size,
        "status": r.status,
        "seed": r.seed,
        "sample_items": r.sample_items,
        "values": r.net_values,
        "verdict": r.verdict,
        "decision": r.decision,
        "inspected_on": r.inspected_on,
        "published_on": r.published_on,
    }


@router.get("", name="list", summary="The caller's inspections (packer: its own, with self-checks)")
def list_rows(caller: Caller, session: SessionDep) -> list[dict[str, Any]]:
    return [_out(r) for r in service.list_for(session, caller)]


@router.get("/published", name="published", summary="Published verdicts (public)")
def published(session: SessionDep) -> list[dict[str, Any]]:
    return [{**_out(r), "packer": o.name} for r, o in service.list_published(session)]


@router.post("", name="create", status_code=201, summary="Create an inspection (regulator) or a self-check")
def create(clock: ClockDep, body: CreateIn, caller: Caller, session: SessionDep) -> dict[str, Any]:
    row = service.create(session, caller, **body.model_dump(), now=clock.now())
    return _out(row)


@router.get("/{row_id}", name="get", summary="One inspection with its sample, values and verdict")
def get_row(row_id: RowId, caller: Caller, session: SessionDep) -> dict[str, Any]:
    return _out(service.get(session, caller, row_id))


@router.post("/{row_id}/draw", name="draw", summary="Draw the sample from a stored seed")
def draw(clock: ClockDep, row_id: RowId, body: DrawIn, caller: Caller, session: SessionDep) -> dict[str, Any]:
    return _out(service.draw(session, caller, row_id, clock.now(), body.seed))


@router.post("/{row_id}/measurements", name="measurements", summary="Enter the net contents and judge")
def measurements(row_id: RowId, body: MeasurementsIn, caller: Caller, session: SessionDep) -> dict[str, Any]:
    return _out(service.record(session, caller, row_id, body.values, body.inspected_on, body.tare_method))


@router.post(
    "/{row_id}/csv", name="measurements_csv", summary="Import a balance's CSV (net, or gross and tare)"
)
async def measurements_csv(
    clock: ClockDep,
    row_id: RowId,
    caller: Caller,
    session: SessionDep,
    file: Annotated[UploadFile, File(description="CSV: column net, or gross and tare")],
    inspected_on: date | None = None,
) -> dict[str, Any]:
    data = await file.read(engine.MAX_CSV_BYTES + 1)
    if len(data) > engine.MAX_CSV_BYTES:
        raise TooLargeError(f"the CSV is larger than {engine.MAX_CSV_BYTES} bytes")
    day = inspected_on or clock.today()
    return _out(service.record_csv(session, caller, row_id, data, day))


@router.post("/{row_id}/publish", name="publish", summary="Publish a judged inspection's verdict")
def publish(clock: ClockDep, row_id: RowId, caller: Regulator, session: SessionDep) -> dict[str, Any]:
    return _out(service.publish(session, caller, row_id, clock.today()))


@router.get(
    "/{row_id}/report.pdf",
    name="report",
    summary="The inspection report (PDF, Chinese)",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}},
)
def report(row_id: RowId, caller: Caller, session: SessionDep) -> Response:
    pdf = service.report_pdf(session, caller, row_id)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="netcontent-{row_id}.pdf"'})  # fmt: skip


@router.post("/judge", name="judge", summary="Judge a lot without storing it (JJF 1070)")
def judge(body: JudgeIn) -> dict[str, Any]:
    v = engine.judge(engine.Nominal(body.nominal, body.unit), body.values, body.lot_size)
    return {**v.as_dict(), "steps": [st._asdict() for st in v.steps]}


@router.post("/oc", name="pass_probability", summary="P(pass) of a lot from its filling process (simulated)")
def oc(body: OcIn) -> dict[str, Any]:
    import numpy as np

    spec = engine.lot_spec(engine.Nominal(body.nominal, body.unit), body.lot_size)
    r = engine.pass_probability(spec, body.mean, body.sd, np.random.default_rng(body.seed), body.lots)
    return {"p": r.p, "se": r.se, "lots": r.lots, "seed": body.seed, "n": spec.plan.n}
