"""In-service meter lot pages: the lot list with decisions and pre-sampling pass probability, the
lot with its sample list and phone-width result entry, and the public lookup by meter number."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from jiliang.errors import InputError, JiliangError
from jiliang.meters import lotservice as svc
from jiliang.platform.auth import Principal
from jiliang.web.deps import LoggedIn, PageCaller, PageSession, clock_of
from jiliang.web.render import page

router = APIRouter()


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f} %"


@router.get("/meters/lots", name="lots_index")
def lots_index(request: Request, principal: LoggedIn, session: PageSession) -> Response:
    """The lots the caller may see: size, plan, estimate, pass probability, status and decision."""
    rows = [
        {"lot": lot, "p": _pct(lot.p_est), "u": _pct(lot.u_p_est), "pass": _pct(lot.pass_prob)}
        for lot in svc.list_lots(session, principal)
    ]
    return page(request, "lots/index.html", principal, rows=rows)


def _detail(
    request: Request,
    principal: Principal,
    session: Session,
    lot_id: int,
    status: int = 200,
    error: str | None = None,
) -> Response:
    view = svc.lot_view(session, principal, lot_id)
    open_rows = [r for r in view.sample if r["in_sample"] and r["outcome"] is None]
    return page(
        request,
        "lots/lot.html",
        principal,
        status=status,
        view=view,
        lot=view.lot,
        rule=view.rule,
        open_rows=open_rows,
        outcomes=svc.OUTCOMES,
        pct=_pct,
        error=error,
    )


@router.get("/meters/lots/{lot_id}", name="lots_lot")
def lots_lot(request: Request, principal: LoggedIn, session: PageSession, lot_id: int) -> Response:
    return _detail(request, principal, session, lot_id)


@router.post("/meters/lots/{lot_id}", name="lots_lot_action")
def lots_lot_action(
    request: Request,
    principal: LoggedIn,
    session: PageSession,
    lot_id: int,
    action: Annotated[str, Form(pattern="^(draw|record|decide|publish)$")],
    meter_no: Annotated[str, Form(max_length=64)] = "",
    outcome: Annotated[str, Form(max_length=16)] = "",
    error_pct: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    now = clock_of(request).now()
    try:
        if action == "draw":
            svc.draw(session, principal, lot_id)
        elif action == "record":
            svc.record_results(
                session, principal, lot_id, [svc.ResultEntry(meter_no.strip(), outcome, _float(error_pct))]
            )
        elif action == "decide":
            svc.decide(session, principal, lot_id, now)
        else:
            svc.publish(session, principal, lot_id, now)
    except JiliangError as exc:
        session.rollback()
        return _detail(request, principal, session, lot_id, exc.status, exc.message)
    return RedirectResponse(f"/meters/lots/{lot_id}", status_code=303)


def _float(text: str) -> float | None:
    t = text.strip().replace("％", "").replace("%", "")
    if not t:
        return None
    try:
        return float(t)
    except ValueError:
        raise InputError(f"error {text[:16]!r} is not a number") from None


@router.get("/public/meter-lots", name="lots_public")
def lots_public(
    request: Request,
    principal: PageCaller,
    session: PageSession,
    meter_no: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """Public lookup: the published lot decisions that hold a meter (no login)."""
    found: list[dict[str, Any]] | None = None
    error = None
    status = 200
    if meter_no.strip():
        try:
            found = svc.lookup_meter(session, meter_no)
        except JiliangError as exc:
            error, status = exc.message, exc.status
    return page(
        request, "lots/public.html", principal, status=status, meter_no=meter_no, found=found, error=error
    )
