"""Cheating checks: fuel dispensers, EV chargers, and the ranked list of sites for key supervision.

Access: a fuel station or charger operator (role ``enterprise``) uploads, reads, downloads and
runs again the data of its own sites; the regulator does so for every site, uploads for any organization (``org_id``), reads the key-supervision
list, records inspection and field-check outcomes and reads the detector's hit rate.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from jiliang.api.deps import Caller, ClockDep, DbId, Regulator, SessionDep, settings_of
from jiliang.errors import InputError
from jiliang.meters import cheating as service
from jiliang.meters.cheatio import read_upload

router = APIRouter(prefix="/cheating", tags=["cheating"])


async def _read(upload: UploadFile | None, name: str, max_bytes: int) -> bytes | None:
    return None if upload is None else await read_upload(upload, name, max_bytes)


def _site_out(v: service.SiteView) -> dict[str, Any]:
    out = asdict(v)
    out["analysed_at"] = v.analysed_at.isoformat() if v.analysed_at else None
    return out


@router.get("/sites", name="sites", summary="Fuel stations and charging sites with their latest flags")
def sites(
    caller: Caller, session: SessionDep, kind: Literal["fuel_station", "charging_site"] | None = None
) -> list[dict[str, Any]]:
    return [_site_out(v) for v in service.list_sites(session, caller, kind)]


def _analysis_meta(a: service.AnalysisView) -> dict[str, Any]:
    return {**asdict(a), "created_at": a.created_at.isoformat()}


def _provenance_out(p: service.Provenance | None) -> dict[str, Any]:
    if p is None:
        return {"analysis": None, "submission": None, "history": []}
    sub = None
    if p.submission is not None:
        sub = {**asdict(p.submission), "submitted_at": p.submission.submitted_at.isoformat()}
        for f in sub["files"]:
            f["url"] = f"/api/cheating/files/{f['id']}"
    return {
        "analysis": _analysis_meta(p.analysis),
        "submission": sub,
        "history": [_analysis_meta(a) for a in p.history],
    }


@router.get(
    "/sites/{site_id}",
    name="site",
    summary="A site, its latest analysis (or the one asked for), its flags and the data behind it",
)
def site(
    site_id: DbId, caller: Caller, session: SessionDep, analysis_id: DbId | None = None
) -> dict[str, Any]:
    view, result, flags = service.site_detail(session, caller, site_id, analysis_id)
    trace = service.provenance(session, caller, site_id, analysis_id)
    return {"site": _site_out(view), "result": result, "flags": flags, **_provenance_out(trace)}


@router.get(
    "/files/{file_id}",
    name="submitted_file",
    summary="A submitted file as received (checked against its SHA-256)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def submitted_file(file_id: DbId, caller: Caller, session: SessionDep) -> Response:
    filename, data = service.submitted_file(session, caller, file_id)
    return Response(
        data,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post(
    "/analyses/{analysis_id}/rerun",
    name="rerun",
    status_code=201,
    summary="Run an analysis again on the data it was made from, with the limits in force now",
)
def rerun(analysis_id: DbId, clock: ClockDep, caller: Caller, session: SessionDep) -> dict[str, Any]:
    an = service.rerun(session, caller, analysis_id, clock.now())
    return service.analysis_dict(an, False)


@router.post(
    "/stations",
    name="analyse_station",
    status_code=201,
    summary="Analyse a fuel station's totaliser, tank-gauge and event-log files",
    responses={200: {"description": "The same files were already received: their analysis, nothing changed"}},
)
async def analyse_station(
    clock: ClockDep,
    request: Request,
    response: Response,
    caller: Caller,
    session: SessionDep,
    code: Annotated[str, Form(min_length=1, max_length=64)],
    name: Annotated[str, Form(min_length=1, max_length=200)],
    totalisers: Annotated[UploadFile, File(description="ts, nozzle_id, dispenser_id, tank_id, totaliser_l")],
    tank: Annotated[UploadFile, File(description="ts, tank_id, volume_l, temperature_c, delivery_l")],
    events: Annotated[UploadFile | None, File(description="ts, dispenser_id, kind, detail")] = None,
    org_id: Annotated[DbId | None, Form(description="Owner organization (regulator only)")] = None,
    approved_software: Annotated[
        str, Form(max_length=1000, description="Approved software identifications, comma-separated")
    ] = "",
) -> dict[str, Any]:
    limit = settings_of(request).import_max_bytes
    tot = await _read(totalisers, "totalisers", limit)
    tnk = await _read(tank, "tank", limit)
    ev = await _read(events, "events", limit)
    if tot is None or tnk is None:
        raise InputError("upload the totalisers and tank files", code="cheat_files_missing")
    an, replay = service.analyse_fuel_upload(
        session,
        caller,
        org_id=org_id,
        code=code,
        name=name,
        totalisers=tot,
        tank=tnk,
        events=ev,
        now=clock.now(),
        approved_software=approved_software,
    )
    if replay:
        response.status_code = 200
    return service.analysis_dict(an, replay)


@router.post(
    "/charging-sites",
    name="analyse_charging_site",
    status_code=201,
    summary="Analyse a charging site's register and session files",
    responses={200: {"description": "The same files were already received: their analysis, nothing changed"}},
)
async def analyse_charging_site(
    clock: ClockDep,
    request: Request,
    response: Response,
    caller: Caller,
    session: SessionDep,
    code: Annotated[str, Form(min_length=1, max_length=64)],
    name: Annotated[str, Form(min_length=1, max_length=200)],
    registers: Annotated[UploadFile, File(description="ts, device_id, role, register_kwh")],
    sessions: Annotated[
        UploadFile | None, File(description="charger_id, start, energy_kwh, vehicle_kwh")
    ] = None,
    accuracy_class: Annotated[Literal["1", "2"], Form()] = "2",
    org_id: Annotated[DbId | None, Form(description="Owner organization (regulator only)")] = None,
) -> dict[str, Any]:
    limit = settings_of(request).import_max_bytes
    reg = await _read(registers, "registers", limit)
    ses = await _read(sessions, "sessions", limit)
    if reg is None:
        raise InputError("upload the registers file", code="cheat_files_missing")
    an, replay = service.analyse_charger_upload(
        session, caller, org_id=org_id, code=code, name=name, registers=reg, sessions=ses,
        accuracy_class=accuracy_class, now=clock.now(),
    )  # fmt: skip
    if replay:
        response.status_code = 200
    return service.analysis_dict(an, replay)


def _ranked_out(r: Any) -> dict[str, Any]:
    return {
        "rank": r.rank,
        "site_id": r.site_id,
        "name": r.name,
        "kind": r.kind,
        "org_id": r.org_id,
        "score": r.score,
        "key": r.key,
        "credit_class": r.credit_class,
        "explanation": [{"reason": a, "devices": n, "points": p} for a, n, p in r.explanation],
        "evidence": [asdict(e) for e in r.evidence[:50]],
    }


@router.get("/keysites", name="keysites", summary="Sites ranked for key supervision, each score explained")
def keysites(caller: Regulator, session: SessionDep, key_only: bool = False) -> dict[str, Any]:
    ranked = service.keysites(session, caller)
    pol = service.policy()
    return {
        "policy": {"edition": pol.edition, "key_supervision_score": pol.key_supervision_score},
        "items": [_ranked_out(r) for r in ranked if r.key or not key_only],
    }


@router.get(
    "/keysites.csv",
    name="keysites_csv",
    summary="The key-supervision list as a draw targets CSV (jiliang-draw/1)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
def keysites_csv(caller: Regulator, session: SessionDep) -> Response:
    return Response(
        service.keysites_csv(session, caller),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="keysites-targets.csv"'},
    )


class OutcomeIn(BaseModel):
    checked_on: date
    source: Literal["inspection", "field_check"]
    confirmed: bool
    note: str = Field("", max_length=500)


@router.post(
    "/sites/{site_id}/outcomes", name="record_outcome", status_code=201, summary="Record a check's outcome"
)
def record_outcome(site_id: DbId, body: OutcomeIn, caller: Regulator, session: SessionDep) -> dict[str, Any]:
    out = service.record_outcome(
        session, caller, site_id, checked_on=body.checked_on, source=body.source, confirmed=body.confirmed,
        note=body.note,
    )  # fmt: skip
    return {"id": out.id, "site_id": out.site_id, "flagged": out.flagged, "confirmed": out.confirmed}


@router.get(
    "/hit-rate", name="hit_rate", summary="The detector's hit rate from inspection and field-check outcomes"
)
def hit_rate(caller: Regulator, session: SessionDep) -> dict[str, Any]:
    h, counted = service.detector_hit_rate(session, caller)
    return {**asdict(h), "outcomes": counted}
