"""Plan indicator pages: the regulator's dashboard, an indicator with its trend, drill-down and
manual entry, evaluation reports (draft, edit, publish) and the public summary."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from jiliang.errors import JiliangError, NotFoundError
from jiliang.indicators import service
from jiliang.indicators.chart import trend_svg
from jiliang.platform.auth import Principal
from jiliang.platform.models import Role
from jiliang.web.cache import memo
from jiliang.web.deps import LoggedIn, PageCaller, PageSession, clock_of
from jiliang.web.render import page

router = APIRouter()
_MEMO = "indicators.dashboard"


def _chart(t: service.Tracking, title: str) -> str:
    pts = [(r.on, r.value) for r in t.points]
    tgt = (t.target[0], t.target[1]) if t.target else None
    proj = (t.projection.on, t.projection.y, t.projection.low, t.projection.high) if t.projection else None
    return trend_svg(pts, tgt, proj, title)


def _dashboard(
    request: Request,
    principal: Principal,
    session: Session,
    plan: str,
    status: int = 200,
    error: str | None = None,
) -> Response:
    principal.require(Role.REGULATOR)
    on = clock_of(request).today()
    p = service.get_plan(plan)
    rows, stamp = memo(request, (_MEMO, plan, on), lambda: service.dashboard(session, plan, on))
    return page(
        request,
        "indicators/index.html",
        principal,
        status=status,
        error=error,
        plans=service.plans(),
        plan=p,
        rows=rows,
        on=on,
        computed_at=stamp,
        reports=service.list_reports(session, principal, brief=True),
    )


def _forget(request: Request) -> None:
    """Drop the memoised dashboards after a change of the values behind them."""
    store = request.app.state.__dict__.get("_memo", {})
    for key in [k for k in list(store) if isinstance(k, tuple) and k and k[0] == _MEMO]:
        store.pop(key, None)


@router.get("/indicators", name="ind_index")
def index(request: Request, principal: LoggedIn, session: PageSession, plan: str = "guangzhou") -> Response:
    if not principal.is_regulator:
        return RedirectResponse("/public/indicators", status_code=303)
    if plan not in {p.code for p in service.plans()}:
        raise NotFoundError(f"no plan {plan!r}")
    return _dashboard(request, principal, session, plan)


@router.post("/indicators", name="ind_index_action")
def index_action(
    request: Request,
    principal: LoggedIn,
    session: PageSession,
    action: Annotated[str, Form(pattern="^(snapshot|draft)$")],
    plan: Annotated[str, Form(max_length=32)] = "guangzhou",
    kind: Annotated[str, Form(max_length=8)] = "midterm",
) -> Response:
    try:
        if action == "snapshot":
            service.take_snapshot(session, principal, clock_of(request).today())
            _forget(request)
        else:
            rep = service.draft_report(session, principal, plan, kind, clock_of(request).today())
            return RedirectResponse(f"/indicators/reports/{rep.id}", status_code=303)
    except JiliangError as exc:
        session.rollback()
        return _dashboard(
            request,
            principal,
            session,
            plan if plan in {p.code for p in service.plans()} else "guangzhou",
            exc.status,
            exc.message,
        )
    return RedirectResponse(f"/indicators?plan={plan}", status_code=303)


def _detail(
    request: Request,
    principal: Principal,
    session: Session,
    code: str,
    status: int = 200,
    error: str | None = None,
) -> Response:
    principal.require(Role.REGULATOR)
    on = clock_of(request).today()
    t = service.track(session, code, on)
    return page(
        request,
        "indicators/detail.html",
        principal,
        status=status,
        error=error,
        tr=t,
        on=on,
        chart=_chart(t, t.current.indicator.name),
        month=f"{on.year:04d}-{on.month:02d}",
    )


@router.get("/indicators/values/{code}", name="ind_detail")
def detail(request: Request, principal: LoggedIn, session: PageSession, code: str) -> Response:
    return _detail(request, principal, session, code)


@router.post("/indicators/values/{code}", name="ind_manual")
def manual(
    request: Request,
    principal: LoggedIn,
    session: PageSession,
    code: str,
    period: Annotated[str, Form(max_length=7)],
    value: Annotated[str, Form(max_length=32)],
    evidence: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        try:
            number = float(value)
        except ValueError:
            from jiliang.errors import InputError

            raise InputError(f"value {value!r} is not a number") from None
        service.enter_manual(session, principal, code, period, number, evidence, clock_of(request).today())
        _forget(request)
    except JiliangError as exc:
        session.rollback()
        return _detail(request, principal, session, code, exc.status, exc.message)
    return RedirectResponse(f"/indicators/values/{code}", status_code=303)


def _report_page(
    request: Request,
    principal: Principal,
    session: Session,
    report_id: int,
    public: bool,
    status: int = 200,
    error: str | None = None,
) -> Response:
    rep = service.get_report(
        session, principal if not public else Principal(None, "", Role.PUBLIC, None), report_id
    )
    return page(
        request,
        "indicators/report.html",
        principal,
        status=status,
        error=error,
        rep=rep,
        plan=service.get_plan(rep.plan),
        public=public,
    )


@router.get("/indicators/reports/{report_id}", name="ind_report")
def report_page(request: Request, principal: LoggedIn, session: PageSession, report_id: int) -> Response:
    principal.require(Role.REGULATOR)
    return _report_page(request, principal, session, report_id, False)


@router.post("/indicators/reports/{report_id}", name="ind_report_action")
def report_action(
    request: Request,
    principal: LoggedIn,
    session: PageSession,
    report_id: int,
    action: Annotated[str, Form(pattern="^(edit|publish)$")],
    narrative_zh: Annotated[str, Form(max_length=50_000)] = "",
    narrative_en: Annotated[str, Form(max_length=50_000)] = "",
) -> Response:
    try:
        if action == "edit":
            service.edit_report(session, principal, report_id, narrative_zh, narrative_en)
        else:
            service.publish_report(session, principal, report_id, clock_of(request).now())
    except JiliangError as exc:
        session.rollback()
        return _report_page(request, principal, session, report_id, False, exc.status, exc.message)
    return RedirectResponse(f"/indicators/reports/{report_id}", status_code=303)


@router.get("/public/indicators", name="ind_public")
def public_index(request: Request, principal: PageCaller, session: PageSession) -> Response:
    anon = Principal(None, "", Role.PUBLIC, None)
    on = clock_of(request).today()
    shared: dict[Any, Any] = {}  # a query shared by several plans (受检率, 建标覆盖率) runs once
    boards: list[tuple[Any, list[service.Tracking]]] = [
        (p, service.dashboard(session, p.code, on, shared)) for p in service.plans()
    ]
    return page(
        request,
        "indicators/public.html",
        principal,
        boards=boards,
        on=on,
        reports=service.list_reports(session, anon, brief=True),
    )


@router.get("/public/indicators/reports/{report_id}", name="ind_public_report")
def public_report(request: Request, principal: PageCaller, session: PageSession, report_id: int) -> Response:
    return _report_page(request, principal, session, report_id, True)
