"""Random inspection pages: the regulator's plans, draws, tasks and results; the enterprise's own
inspections, class and commitment; and the public pages (一公开) that need no login."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from jiliang.errors import InputError, JiliangError
from jiliang.platform.auth import Principal
from jiliang.platform.models import Role
from jiliang.supervision import credit, service
from jiliang.web.deps import LoggedIn, PageCaller, PageSession, clock_of
from jiliang.web.render import page

router = APIRouter()

FACT_KEYS = (
    "overdue_instrument",
    "error_found",
    "seal_broken",
    "cheating",
    "failed_inspection",
    "passed_inspection",
    "commitment_broken",
    "commitment_kept",
)


def _day(text: str | None, what: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{what}: {text!r} is not a date (YYYY-MM-DD)") from None


def _index(
    request: Request, principal: Principal, session: Session, status: int = 200, error: str | None = None
) -> Response:
    ctx: dict[str, Any] = {"error": error, "scopes": list(service.SCOPES), "ratios": credit.draw_ratios()}
    if principal.is_regulator:
        ctx["plans"] = service.list_plans(session, principal)
        ctx["my_tasks"] = service.my_tasks(session, principal)
        ctx["commitments"] = credit.list_commitments(session, principal)
        ctx["edition"] = credit.load_rules()[0].edition
        ctx["class_counts"] = credit.class_counts(session)
    else:
        ctx["my_tasks"] = service.my_tasks(session, principal)
        ctx["commitments"] = credit.list_commitments(session, principal)
        ctx["credit"] = (
            credit.credit_of(session, principal, principal.org_id) if principal.org_id is not None else None
        )
    ctx["year"] = clock_of(request).today().year
    return page(request, "supervision/index.html", principal, status=status, facts=FACT_KEYS, **ctx)


@router.get("/inspections", name="sv_index")
def index(request: Request, principal: PageCaller, session: PageSession) -> Response:
    """The regulator's and the enterprise's page; a visitor without login sees the public one."""
    if principal.is_anonymous:
        return public_index(request, principal, session)
    if principal.role == Role.LAB:
        return RedirectResponse("/public/inspections", status_code=303)
    return _index(request, principal, session)


@router.post("/inspections", name="sv_index_action")
def index_action(
    request: Request,
    principal: LoggedIn,
    session: PageSession,
    action: Annotated[str, Form(pattern="^(create|recompute|commitment|review)$")],
    title: Annotated[str, Form(max_length=200)] = "",
    scope: Annotated[str, Form(max_length=32)] = "",
    year: Annotated[int, Form(ge=2000, le=2100)] = 2026,
    edition: Annotated[str, Form(max_length=32)] = "",
    ratio_a: Annotated[str, Form(max_length=12)] = "",
    ratio_b: Annotated[str, Form(max_length=12)] = "",
    ratio_c: Annotated[str, Form(max_length=12)] = "",
    ratio_d: Annotated[str, Form(max_length=12)] = "",
    team_size: Annotated[int, Form(ge=1, le=10)] = 2,
    exclude_same_district: Annotated[bool, Form()] = False,
    text: Annotated[str, Form(max_length=4000)] = "",
    commitment_id: Annotated[int, Form(ge=0, le=2**31 - 1)] = 0,
    accept: Annotated[str, Form(max_length=8)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        if action == "create":
            ratios = {"A": ratio_a, "B": ratio_b, "C": ratio_c, "D": ratio_d}
            policy = {
                "edition": edition or "local",
                "ratios": {k: v for k, v in ratios.items() if v.strip()},
                "team_size": team_size,
                "exclude_same_district": exclude_same_district,
            }
            plan = service.create_plan(session, principal, title=title, scope=scope, year=year, policy=policy)
            return RedirectResponse(f"/inspections/plans/{plan.id}", status_code=303)
        if action == "recompute":
            credit.recompute_classes(session, principal, clock_of(request).today())
        elif action == "commitment":
            credit.submit_commitment(session, principal, year, text or None)
        else:
            credit.review_commitment(
                session, principal, commitment_id, accept == "yes", clock_of(request).today(), note
            )
    except JiliangError as exc:
        session.rollback()
        return _index(request, principal, session, exc.status, exc.message)
    return RedirectResponse("/inspections", status_code=303)


def _plan_page(
    request: Request,
    principal: Principal,
    session: Session,
    plan_id: int,
    public: bool,
    status: int = 200,
    error: str | None = None,
) -> Response:
    from jiliang.platform.auth import ANONYMOUS

    view = service.plan_view(session, ANONYMOUS if public else principal, plan_id)
    counts: dict[str, int] = {}
    for task in view.tasks:
        counts[task.status] = counts.get(task.status, 0) + 1
    allowed = service.PLAN_TRANSITIONS.get(view.plan.status, ())
    return page(
        request,
        "supervision/plan.html",
        principal,
        status=status,
        view=view,
        plan=view.plan,
        digests=service.input_digests(view.plan),
        counts=counts,
        allowed=[str(a) for a in allowed],
        public=public,
        error=error,
        may_act=principal.is_regulator and not public,
        base=("/public/inspections" if public else "/inspections"),
    )


@router.get("/inspections/plans/{plan_id}", name="sv_plan")
def plan_page(request: Request, principal: LoggedIn, session: PageSession, plan_id: int) -> Response:
    return _plan_page(request, principal, session, plan_id, public=False)


@router.post("/inspections/plans/{plan_id}", name="sv_plan_action")
def plan_action(
    request: Request,
    principal: LoggedIn,
    session: PageSession,
    plan_id: int,
    action: Annotated[str, Form(pattern="^(commit|draw|discard|publish)$")],
    seed: Annotated[str, Form(max_length=128)] = "",
    seed_commitment: Annotated[str, Form(max_length=64)] = "",
    public_value: Annotated[str, Form(max_length=200)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    now = clock_of(request).now()
    try:
        if action == "commit":
            service.commit_plan(
                session, principal, plan_id, now, seed_commitment or None, public_value or None
            )
        elif action == "draw":
            service.run_draw(session, principal, plan_id, now, seed or None)
        elif action == "discard":
            service.discard_draw(session, principal, plan_id, reason)
        else:
            service.publish_plan(session, principal, plan_id)
    except JiliangError as exc:
        session.rollback()
        return _plan_page(request, principal, session, plan_id, False, exc.status, exc.message)
    return RedirectResponse(f"/inspections/plans/{plan_id}", status_code=303)


def _task_page(
    request: Request,
    principal: Principal,
    session: Session,
    task_id: int,
    status: int = 200,
    error: str | None = None,
) -> Response:
    task = service.get_task(session, principal, task_id)
    allowed = [str(s) for s in service.TASK_TRANSITIONS.get(task.status, ())]
    return page(
        request,
        "supervision/task.html",
        principal,
        status=status,
        task=task,
        allowed=allowed,
        kinds=service.FINDING_KINDS,
        error=error,
        today=clock_of(request).today().isoformat(),
    )


@router.get("/inspections/tasks/{task_id}", name="sv_task")
def task_page(request: Request, principal: LoggedIn, session: PageSession, task_id: int) -> Response:
    return _task_page(request, principal, session, task_id)


@router.post("/inspections/tasks/{task_id}", name="sv_task_result")
def task_result(
    request: Request,
    principal: LoggedIn,
    session: PageSession,
    task_id: int,
    outcome: Annotated[str, Form(max_length=12)],
    inspected_on: Annotated[str, Form(max_length=10)] = "",
    kind: Annotated[list[str] | None, Form()] = None,
    instrument: Annotated[list[str] | None, Form()] = None,
    finding_note: Annotated[list[str] | None, Form()] = None,
    rectify_by: Annotated[str, Form(max_length=10)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        day = _day(inspected_on, "inspection date")
        if day is None:
            raise InputError("give the inspection date")
        kinds, instruments, notes = kind or [], instrument or [], finding_note or []
        findings = [
            {
                "kind": k,
                "instrument": instruments[i] if i < len(instruments) else "",
                "note": notes[i] if i < len(notes) else "",
            }
            for i, k in enumerate(kinds)
            if k
        ]
        task = service.record_result(
            session,
            principal,
            task_id,
            outcome=outcome,
            inspected_on=day,
            findings=findings,
            rectify_by=_day(rectify_by, "rectification deadline"),
            note=note or None,
        )
    except JiliangError as exc:
        session.rollback()
        return _task_page(request, principal, session, task_id, exc.status, exc.message)
    return RedirectResponse(f"/inspections/plans/{task.plan_id}", status_code=303)


@router.get("/public/inspections", name="sv_public")
def public_index(request: Request, principal: PageCaller, session: PageSession) -> Response:
    from jiliang.platform.auth import ANONYMOUS

    return page(
        request,
        "supervision/public.html",
        principal,
        plans=service.list_plans(session, ANONYMOUS),
        red=credit.listings(session, "red"),
        black=credit.listings(session, "black"),
        commitments=credit.list_commitments(session, ANONYMOUS, public=True),
    )


@router.get("/public/inspections/{plan_id}", name="sv_public_plan")
def public_plan(request: Request, principal: PageCaller, session: PageSession, plan_id: int) -> Response:
    return _plan_page(request, principal, session, plan_id, public=True)
