"""Storing and reading estimation runs (the service layer used by the API and the demo).

Replays: a run made from uploaded files stores :func:`upload_digest` of the files and settings;
:func:`find_replay` finds it again, so the same upload sent twice is answered with the first run
and changes nothing. Conflicting duplicate reads (same meter and time, other register) are kept
aside by the core; :func:`conflicting_reads` lists them for the run's answer and a message says so.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from jiliang.errors import InputError, NotFoundError, PermissionDeniedError
from jiliang.meters.access import area_results, run_for
from jiliang.meters.engine import RunResult
from jiliang.meters.models import MeterAreaResult, MeterEstimationRun, MeterResult
from jiliang.platform.audit import AuditChange, record
from jiliang.platform.auth import Principal
from jiliang.platform.models import Role
from jiliang.platform.orgs import get_organization

__all__ = [
    "conflicting_reads",
    "find_replay",
    "list_runs",
    "result_rows",
    "run_areas",
    "run_owner",
    "status_counts",
    "store_run",
    "upload_digest",
]

MAX_CONFLICTS = 200  # listed in a run's answer; each meter's evidence keeps its own first 20


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def run_owner(session: Session, principal: Principal, org_id: int | None) -> int:
    """The organization a new run belongs to: the regulator names one, a utility runs for its own."""
    principal.require(Role.ENTERPRISE, Role.REGULATOR)
    if principal.is_regulator:
        if org_id is None:
            raise InputError("org_id is required when the regulator runs an estimation")
        owner = org_id
    else:
        if org_id is not None and org_id != principal.org_id:
            raise PermissionDeniedError("you may run estimations only for your own organization")
        if principal.org_id is None:
            raise PermissionDeniedError("your account belongs to no organization")
        owner = principal.org_id
    try:
        get_organization(session, principal, owner)
    except NotFoundError:
        raise NotFoundError(f"no organization {owner}") from None
    return owner


def list_runs(
    session: Session, principal: Principal, limit: int, offset: int = 0
) -> list[MeterEstimationRun]:
    """The runs the caller may see, newest first (the regulator all, a utility its own)."""
    principal.require(Role.ENTERPRISE, Role.REGULATOR)
    q = select(MeterEstimationRun).order_by(MeterEstimationRun.id.desc())
    if not principal.is_regulator:
        q = q.where(MeterEstimationRun.org_id == principal.org_id)
    return list(session.scalars(q.limit(limit).offset(offset)))


def run_areas(
    session: Session, principal: Principal, run_id: int
) -> tuple[MeterEstimationRun, list[dict[str, Any]]]:
    """A run the caller may see and its per-area summaries, by area id (404 otherwise)."""
    run = run_for(session, principal, run_id)
    return run, [a.summary for a in area_results(session, run.id)]


def store_run(
    session: Session,
    org_id: int,
    label: str,
    result: RunResult,
    actor: str,
    engine: str = "local",
    settings: dict[str, Any] | None = None,
    digest: str | None = None,
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
        messages=_run_messages(result),
        upload_digest=digest,
    )
    session.add(run)
    session.flush()
    _insert_meter_rows(session, run.id, result.meters)
    _insert_area_rows(session, run.id, result.areas)
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


def _run_messages(result: RunResult) -> list[str]:
    """The run's messages, led by one on conflicting duplicate reads kept aside, if any."""
    conflicts = sum(_evidence(r).get("conflicting_duplicates", 0) for r in result.meters)
    messages = list(result.messages)
    if conflicts:
        meters = sum(1 for r in result.meters if _evidence(r).get("conflicting_duplicates"))
        messages.insert(
            0,
            f"{conflicts} conflicting duplicate read(s) on {meters} meter(s) were kept aside, not used: "
            "the same meter and time sent with different registers (see conflicting_reads in the evidence)",
        )
    return messages


def _insert_meter_rows(session: Session, run_id: int, rows: list[dict[str, Any]]) -> None:
    """Bulk-insert the per-meter results of a run (non-finite numbers stored as NULL)."""
    if not rows:
        return
    session.execute(
        insert(MeterResult),
        [
            {
                "run_id": run_id,
                "meter_id": r["meter_id"],
                "area_id": r["area_id"],
                "error_pct": _clean(r["error_pct"]),
                "u_error_pct": _clean(r["u_error_pct"]),
                "status": r["status"],
                "limit_pct": _clean(r["limit_pct"]),
                "evidence": r["evidence"] or "{}",
            }
            for r in rows
        ],
    )


def _insert_area_rows(session: Session, run_id: int, areas: list[dict[str, Any]]) -> None:
    """Bulk-insert the per-area results of a run, each with its JSON-safe summary."""
    if not areas:
        return
    session.execute(
        insert(MeterAreaResult),
        [
            {
                "run_id": run_id,
                "area_id": a["area_id"],
                "status": a["status"],
                "meters": a["meters"],
                "meters_estimated": a["meters_estimated"],
                "loss_rate_pct": _clean(a["loss_rate_pct"]),
                "residual_rms_pct": _clean(a["residual_rms_pct"]),
                "summary": json.loads(json.dumps({k: _clean(v) for k, v in a.items()}, default=str)),
            }
            for a in areas
        ],
    )


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


def upload_digest(org_id: int, file_digests: Iterable[str], settings: Mapping[str, Any]) -> str:
    """SHA-256 over the owner, the uploaded files' SHA-256 (in order) and the run's settings."""
    body = {"org_id": org_id, "files": list(file_digests), "settings": dict(settings)}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def find_replay(session: Session, org_id: int, digest: str) -> MeterEstimationRun | None:
    """The run already made from the same upload, if any."""
    return session.scalars(
        select(MeterEstimationRun)
        .where(MeterEstimationRun.org_id == org_id, MeterEstimationRun.upload_digest == digest)
        .order_by(MeterEstimationRun.id)
        .limit(1)
    ).first()


def status_counts(session: Session, run_id: int) -> dict[str, int]:
    """How many meters of a stored run have each status."""
    rows = session.execute(
        select(MeterResult.status, func.count())
        .where(MeterResult.run_id == run_id)
        .group_by(MeterResult.status)
    )
    return {str(status): int(n) for status, n in rows}


def _evidence(row: Mapping[str, Any]) -> dict[str, Any]:
    ev = row.get("evidence")
    if isinstance(ev, str):
        try:
            parsed = json.loads(ev or "{}")
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return dict(ev or {})


def conflicting_reads(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The conflicting duplicate reads that were kept aside: meter, area, time, registers sent."""
    out: list[dict[str, Any]] = []
    for r in rows:
        for c in _evidence(r).get("conflicting_reads", ()):
            if len(out) >= MAX_CONFLICTS:
                return out
            out.append({"meter_id": r["meter_id"], "area_id": r["area_id"], **c})
    return out
