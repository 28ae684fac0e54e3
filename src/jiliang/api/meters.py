"""Smart-meter supervision: run remote error estimation, read results and the field worklist.

Access: a power utility's users (role ``enterprise``) run estimations on their own data and see
their own runs; the regulator sees every run and may run one for any organization (``org_id``).
Labs and the public have no access. Online results are preliminary (JJF(滇)21-2022).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response

from jiliang.api.deps import Caller, DbId, PageDep, SessionDep, settings_of
from jiliang.errors import InputError, NotFoundError, TooLargeError
from jiliang.platform.auth import Principal

router = APIRouter(prefix="/meters", tags=["meters"])

_STATUSES = {
    "ok",
    "out_of_limit",
    "suspect",
    "insufficient_data",
    "excluded_light_load",
    "failed_runaway",
    "failed_backwards",
    "failed_stopped",
    "suspected_theft",
}


def _run_or_404(session: Any, caller: Principal, run_id: int) -> Any:
    from jiliang.meters.access import run_for

    return run_for(session, caller, run_id)


def _run_out(run: Any) -> dict[str, Any]:
    return {
        "id": run.id,
        "org_id": run.org_id,
        "label": run.label,
        "engine": run.engine,
        "created_at": run.created_at.isoformat() if run.created_at else None,
        "created_by": run.created_by,
        "meters": run.meters,
        "areas": run.areas,
        "messages": run.messages,
        "settings": run.settings,
    }


async def _save(upload: UploadFile, folder: Path, name: str, max_bytes: int) -> tuple[Path, str]:
    """The upload saved under ``folder`` and its SHA-256."""
    import hashlib

    suffix = Path(upload.filename or "").suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise InputError(f"{name}: upload a .csv or .parquet file, got {upload.filename!r}")
    target = folder / f"{name}{suffix}"
    size = 0
    digest = hashlib.sha256()
    with target.open("wb") as fh:
        while chunk := await upload.read(1 << 20):
            size += len(chunk)
            if size > max_bytes:
                raise TooLargeError(f"{name}: file larger than {max_bytes} bytes")
            fh.write(chunk)
            digest.update(chunk)
    if size == 0:
        raise InputError(f"{name}: the file is empty")
    return target, digest.hexdigest()


def _dataset(request: Request, name: str) -> tuple[Path, Path]:
    """A dataset folder under ``<data_dir>/meters/<name>`` with meters.csv and readings."""
    if not name or not all(c.isalnum() or c in "-_" for c in name) or len(name) > 64:
        raise InputError(f"dataset must be a name of letters, digits, - and _, got {name!r}")
    root = (Path(settings_of(request).data_dir) / "meters").resolve()
    folder = (root / name).resolve()
    if root not in folder.parents or not folder.is_dir():
        raise NotFoundError(f"no dataset {name!r}")
    meters = folder / "meters.csv"
    readings = folder / "readings"
    if not readings.exists():
        readings = folder / "readings.csv"
    if not meters.is_file() or not readings.exists():
        raise NotFoundError(f"dataset {name!r} lacks meters.csv or readings")
    return meters, readings


@router.post(
    "/runs",
    name="run",
    status_code=201,
    summary="Estimate meter errors from uploaded or stored data",
    responses={200: {"description": "The same upload was already received: its run, nothing changed"}},
)
async def create_run(
    request: Request,
    response: Response,
    caller: Caller,
    session: SessionDep,
    meters: Annotated[UploadFile | None, File(description="Meters file (CSV or Parquet)")] = None,
    readings: Annotated[UploadFile | None, File(description="Readings file (CSV or Parquet)")] = None,
    dataset: Annotated[str | None, Form(description="Or: a dataset folder under <data_dir>/meters")] = None,
    area_id: Annotated[str | None, Form(max_length=64, description="Only this area")] = None,
    label: Annotated[str | None, Form(max_length=200)] = None,
    org_id: Annotated[DbId | None, Form(description="Owner organization (regulator only)")] = None,
    guard_k: Annotated[float, Form(ge=0, le=10)] = 2.0,
    min_periods: Annotated[int, Form(ge=0, le=1_000_000)] = 300,
) -> dict[str, Any]:
    from jiliang.meters.engine import run_local
    from jiliang.meters.service import conflicting_reads, find_replay, run_owner, store_run, upload_digest
    from jiliang.meters.types import EstimationSettings

    owner = run_owner(session, caller, org_id)
    settings = EstimationSettings(guard_k=guard_k, min_periods=min_periods)
    run_settings = {"guard_k": guard_k, "min_periods": min_periods, "area_id": area_id}
    max_bytes = settings_of(request).import_max_bytes
    digest = None
    with tempfile.TemporaryDirectory(prefix="jiliang-meters-") as tmp:
        if dataset:
            if meters is not None or readings is not None:
                raise InputError("give either a dataset or the two files, not both")
            meters_path, readings_path = _dataset(request, dataset)
        else:
            if meters is None or readings is None:
                raise InputError("upload both files, meters and readings (or name a dataset)")
            meters_path, meters_sha = await _save(meters, Path(tmp), "meters", max_bytes)
            readings_path, readings_sha = await _save(readings, Path(tmp), "readings", max_bytes)
            digest = upload_digest(owner, (meters_sha, readings_sha), run_settings)
            replay = find_replay(session, owner, digest)
            if replay is not None:
                response.status_code = 200
                return _already_received(session, replay)
        result = run_local(meters_path, readings_path, settings, only_areas={area_id} if area_id else None)
    if area_id and not result.areas:
        raise NotFoundError(f"no area {area_id!r} in the meters file")
    run = store_run(
        session,
        owner,
        label or (dataset or "upload") + (f" / {area_id}" if area_id else ""),
        result,
        caller.actor,
        settings=run_settings,
        digest=digest,
    )
    out = _run_out(run)
    out["status"] = _counts(result.meters)
    out["already_received"] = False
    out["conflicting_reads"] = conflicting_reads(result.meters)
    return out


def _already_received(session: Any, run: Any) -> dict[str, Any]:
    """The answer to a replayed upload: the run it made (status 200); nothing is stored."""
    from jiliang.meters.service import conflicting_reads, result_rows, status_counts

    out = _run_out(run)
    out["status"] = status_counts(session, run.id)
    out["already_received"] = True
    out["conflicting_reads"] = conflicting_reads(result_rows(session, run.id, limit=None)[1])
    return out


def _counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return counts


@router.get("/runs", name="list_runs", summary="Estimation runs visible to the caller")
def list_runs(caller: Caller, session: SessionDep, page: PageDep) -> list[dict[str, Any]]:
    from jiliang.meters.service import list_runs as visible_runs

    return [_run_out(r) for r in visible_runs(session, caller, page.limit, page.offset)]


@router.get("/runs/{run_id}", name="get_run", summary="One run with its per-area figures")
def get_run(run_id: DbId, caller: Caller, session: SessionDep) -> dict[str, Any]:
    from jiliang.meters.service import run_areas

    run, areas = run_areas(session, caller, run_id)
    out = _run_out(run)
    out["areas_detail"] = areas
    return out


@router.get("/runs/{run_id}/results", name="results", summary="Per-meter results of a run")
def results(
    run_id: DbId,
    caller: Caller,
    session: SessionDep,
    page: PageDep,
    status: Annotated[str | None, Query(max_length=24)] = None,
    area_id: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    from jiliang.meters.service import result_rows

    if status is not None and status not in _STATUSES:
        raise InputError(f"unknown status {status!r}")
    run = _run_or_404(session, caller, run_id)
    total, rows = result_rows(session, run.id, status, area_id, page.limit, page.offset)
    return {"total": total, "items": rows}


def _worklist(session: Any, run_id: int, top: int | None, suspect: bool) -> list[dict[str, Any]]:
    from jiliang.meters.service import result_rows
    from jiliang.meters.worklist import worklist

    _, rows = result_rows(session, run_id)
    return worklist(rows, include_suspect=suspect, limit=top)


@router.get("/runs/{run_id}/worklist", name="worklist", summary="Ranked field-check worklist (JSON)")
def worklist_json(
    run_id: DbId,
    caller: Caller,
    session: SessionDep,
    top: Annotated[int | None, Query(ge=1, le=100_000)] = None,
    suspect: bool = True,
) -> list[dict[str, Any]]:
    run = _run_or_404(session, caller, run_id)
    return _worklist(session, run.id, top, suspect)


@router.post(
    "/runs/{run_id}/work-orders",
    name="raise_work_orders",
    summary="Attach field-check work orders to the registry instruments of the flagged meters",
)
def raise_orders(run_id: DbId, caller: Caller, session: SessionDep, suspect: bool = True) -> dict[str, Any]:
    from jiliang.meters.orders import raise_work_orders

    run = _run_or_404(session, caller, run_id)
    return raise_work_orders(session, run, _worklist(session, run.id, None, suspect))


@router.get("/runs/{run_id}/worklist.csv", name="worklist_csv", summary="Ranked field-check worklist (CSV)")
def worklist_csv(
    run_id: DbId,
    caller: Caller,
    session: SessionDep,
    top: Annotated[int | None, Query(ge=1, le=100_000)] = None,
    suspect: bool = True,
) -> Response:
    import csv
    import io

    from jiliang.meters.worklist import WORKLIST_COLUMNS
    from jiliang.platform.cells import safe_cell

    run = _run_or_404(session, caller, run_id)
    rows = _worklist(session, run.id, top, suspect)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=WORKLIST_COLUMNS)
    writer.writeheader()
    for r in rows:
        writer.writerow({k: safe_cell(v) for k, v in r.items()})  # meter ids are the uploader's text
    return Response(
        buf.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="worklist-{run.id}.csv"'},
    )
