"""Random inspections (双随机、一公开), credit classes and integrity commitments over HTTP."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from fastapi.responses import Response
from pydantic import BaseModel, Field

from jiliang.api.deps import Caller, ClockDep, Regulator, SessionDep
from jiliang.supervision import credit, service

router = APIRouter(prefix="/supervision", tags=["supervision"])

PlanId = Annotated[int, Path(ge=1, le=2**31 - 1)]


class PolicyIn(BaseModel):
    edition: str = Field(min_length=1, max_length=32)
    ratios: dict[str, str | float] = Field(description="Draw ratio per credit class, in [0, 1]")
    team_size: int = Field(2, ge=1, le=10)
    exclude_same_district: bool = False


class PlanIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    scope: Literal["fuel_dispensers", "market_scales", "instruments_in_use", "net_content", "meters"]
    year: int = Field(ge=2000, le=2100)
    policy: PolicyIn
    inspectors_csv: str | None = Field(
        None, max_length=2_000_000, description="CSV id,name,district,conflicts; default: regulator users"
    )


class CommitIn(BaseModel):
    seed_commitment: str | None = Field(
        None, description="SHA-256 of a seed you keep; omit to let the platform"
    )
    public_value: str | None = Field(None, max_length=200)


class DrawIn(BaseModel):
    seed: str | None = Field(None, max_length=128, description="The seed, when you published its commitment")


class DiscardIn(BaseModel):
    reason: str = Field(min_length=4, max_length=500)


class FindingIn(BaseModel):
    kind: Literal["overdue", "seal_broken", "error_found", "cheating", "other"]
    instrument: str = Field("", max_length=100)
    note: str = Field("", max_length=500)


class ResultIn(BaseModel):
    outcome: Literal["passed", "rectify", "failed", "closed"]
    inspected_on: date
    findings: list[FindingIn] = Field(default_factory=list, max_length=100)
    rectify_by: date | None = None
    note: str | None = Field(None, max_length=2000)


class CommitmentIn(BaseModel):
    year: int = Field(ge=2000, le=2100)
    text: str | None = Field(None, max_length=4000, description="Default: the sector's template")


class ReviewIn(BaseModel):
    accept: bool
    note: str | None = Field(None, max_length=500)


def _plan_out(p: Any) -> dict[str, Any]:
    return {
        "id": p.id,
        "title": p.title,
        "scope": p.scope,
        "year": p.year,
        "status": p.status,
        "policy": p.policy,
        "seed_commitment": p.seed_commitment,
        "public_value": p.public_value,
        "committed_at": p.committed_at,
    }


def _task_out(t: Any) -> dict[str, Any]:
    return {
        "id": t.id,
        "plan_id": t.plan_id,
        "target": t.target_key,
        "target_name": t.target_name,
        "org_id": t.org_id,
        "inspectors": t.inspectors,
        "status": t.status,
        "findings": t.findings,
        "inspected_on": t.inspected_on,
        "rectify_by": t.rectify_by,
        "note": t.note,
    }


@router.get("/plans", name="plans", summary="Inspection plans (the public sees published ones)")
def list_plans(caller: Caller, session: SessionDep) -> list[dict[str, Any]]:
    return [_plan_out(p) for p in service.list_plans(session, caller)]


@router.post("/plans", name="create_plan", status_code=201, summary="Create a draft plan")
def create_plan(body: PlanIn, caller: Regulator, session: SessionDep) -> dict[str, Any]:
    plan = service.create_plan(
        session,
        caller,
        title=body.title,
        scope=body.scope,
        year=body.year,
        policy=body.policy.model_dump(),
        inspectors_csv=body.inspectors_csv,
    )
    return _plan_out(plan)


@router.get("/plans/{plan_id}", name="plan", summary="A plan with its draw record, discarded draws and tasks")
def get_plan(plan_id: PlanId, caller: Caller, session: SessionDep) -> dict[str, Any]:
    view = service.plan_view(session, caller, plan_id)
    return {
        **_plan_out(view.plan),
        "inputs_sha256": service.input_digests(view.plan),
        "record": view.record,
        "discarded": view.discarded,
        "tasks": [_task_out(t) for t in view.tasks],
    }


@router.get(
    "/plans/{plan_id}/{name}", name="plan_file", summary="The frozen lists and the record, for replay"
)
def plan_file(
    plan_id: PlanId,
    name: Literal["targets.csv", "inspectors.csv", "record.json"],
    caller: Caller,
    session: SessionDep,
) -> Response:
    body, media = service.plan_file(session, caller, plan_id, name)
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post(
    "/plans/{plan_id}/commit", name="commit", summary="Freeze the lists and publish the seed commitment"
)
def commit(
    clock: ClockDep, plan_id: PlanId, body: CommitIn, caller: Regulator, session: SessionDep
) -> dict[str, Any]:
    return _plan_out(
        service.commit_plan(session, caller, plan_id, clock.now(), body.seed_commitment, body.public_value)
    )


@router.post("/plans/{plan_id}/draw", name="draw", summary="Run the draw, reveal the seed, assign tasks")
def run_draw(
    clock: ClockDep, plan_id: PlanId, body: DrawIn, caller: Regulator, session: SessionDep
) -> dict[str, Any]:
    import json

    row = service.run_draw(session, caller, plan_id, clock.now(), body.seed)
    return {"draw_id": row.id, "record": json.loads(row.record_json)}


@router.post("/plans/{plan_id}/discard", name="discard", summary="Discard the draw (kept with the reason)")
def discard(plan_id: PlanId, body: DiscardIn, caller: Regulator, session: SessionDep) -> dict[str, Any]:
    row = service.discard_draw(session, caller, plan_id, body.reason)
    return {"draw_id": row.id, "discarded": True, "reason": row.discard_reason}


@router.post("/plans/{plan_id}/publish", name="publish", summary="Publish the plan, its draw and results")
def publish(plan_id: PlanId, caller: Regulator, session: SessionDep) -> dict[str, Any]:
    return _plan_out(service.publish_plan(session, caller, plan_id))


@router.get("/tasks/mine", name="my_tasks", summary="The caller's inspections (enterprise: its own)")
def my_tasks(caller: Caller, session: SessionDep) -> list[dict[str, Any]]:
    return [_task_out(t) for t in service.my_tasks(session, caller)]


@router.post("/tasks/{task_id}/result", name="record_result", summary="Record an inspection's result")
def record_result(
    task_id: Annotated[int, Path(ge=1, le=2**31 - 1)], body: ResultIn, caller: Regulator, session: SessionDep
) -> dict[str, Any]:
    task = service.record_result(
        session,
        caller,
        task_id,
        outcome=body.outcome,
        inspected_on=body.inspected_on,
        findings=[f.model_dump() for f in body.findings],
        rectify_by=body.rectify_by,
        note=body.note,
    )
    return _task_out(task)


@router.post("/credit/recompute", name="recompute_credit", summary="Classify every enterprise by the rules")
def recompute(
    clock: ClockDep, caller: Regulator, session: SessionDep, on: date | None = None
) -> dict[str, Any]:
    rules, data = credit.load_rules()
    counts = credit.recompute_classes(session, caller, on or clock.today())
    return {"edition": rules.edition, "issuer": data.get("issuer"), "classes": counts}


@router.get("/credit/{org_id}", name="credit", summary="An organization's class, its facts and repair path")
def credit_of(
    org_id: Annotated[int, Path(ge=1, le=2**31 - 1)], caller: Caller, session: SessionDep
) -> dict[str, Any]:
    row = credit.credit_of(session, caller, org_id)
    if row is None:
        return {"org_id": org_id, "credit_class": None}
    return {
        "org_id": org_id,
        "credit_class": row.credit_class,
        "computed_on": row.computed_on,
        "explanation": row.explanation,
    }


@router.get("/lists/{listing}", name="listing", summary="The red or black list (public)")
def listing(listing: Literal["red", "black"], session: SessionDep) -> list[dict[str, Any]]:
    return [
        {
            "org_id": o.id,
            "name": o.name,
            "credit_class": c.credit_class,
            "edition": c.edition,
            "reason": c.explanation.get("listing_reason"),
            "computed_on": c.computed_on,
        }
        for c, o in credit.listings(session, listing)
    ]


@router.get("/commitments", name="commitments", summary="Integrity commitments")
def commitments(caller: Caller, session: SessionDep) -> list[dict[str, Any]]:
    return [
        {
            "id": c.id,
            "org_id": o.id,
            "organization": o.name,
            "year": c.year,
            "sector": c.sector,
            "text": c.text,
            "status": c.status,
            "published_on": c.published_on,
            "broken_by_task": c.broken_by_task,
        }
        for c, o in credit.list_commitments(session, caller)
    ]


@router.post("/commitments", name="submit_commitment", status_code=201, summary="Submit a commitment")
def submit_commitment(body: CommitmentIn, caller: Caller, session: SessionDep) -> dict[str, Any]:
    row = credit.submit_commitment(session, caller, body.year, body.text)
    return {"id": row.id, "status": row.status, "sector": row.sector, "text": row.text}


@router.post("/commitments/{commitment_id}/review", name="review_commitment", summary="Publish or reject")
def review_commitment(
    clock: ClockDep,
    commitment_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    body: ReviewIn,
    caller: Regulator,
    session: SessionDep,
) -> dict[str, Any]:
    row = credit.review_commitment(session, caller, commitment_id, body.accept, clock.today(), body.note)
    return {"id": row.id, "status": row.status, "published_on": row.published_on}
