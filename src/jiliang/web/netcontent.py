"""Net-content pages (定量包装商品净含量, JJF 1070): the inspector's lots, entry on a phone, the
balance CSV, the verdict with its clauses and report; the packer's self-check; the public list."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from jiliang.errors import InputError, JiliangError, TooLargeError
from jiliang.platform.auth import Principal
from jiliang.platform.models import Role
from jiliang.stats.netcontent import MAX_CSV_BYTES, UNITS
from jiliang.supervision import netcontent as service
from jiliang.web.deps import LoggedIn, PageCaller, PageSession, clock_of
from jiliang.web.render import page

router = APIRouter()


def _index(request: Request, principal: Principal, session: Session, status: int = 200,
           error: str | None = None) -> Response:  # fmt: skip
    return page(
        request,
        "netcontent/index.html",
        principal,
        status=status,
        error=error,
        rows=service.list_for(session, principal),
        packers=service.packers(session) if principal.is_regulator else [],
        units=UNITS,
        may_create=principal.role in (Role.REGULATOR, Role.ENTERPRISE),
    )


@router.get("/netcontent", name="nc_index")
def index(request: Request, principal: PageCaller, session: PageSession) -> Response:
    """The inspector's lots (regulator) or the packer's own inspections and self-checks."""
    if principal.is_anonymous or principal.role is Role.LAB:
        return RedirectResponse("/public/netcontent", status_code=303)
    return _index(request, principal, session)


@router.post("/netcontent", name="nc_create")
def create(
    request: Request,
    principal: LoggedIn,
    session: PageSession,
    product: Annotated[str, Form(max_length=200)] = "",
    nominal: Annotated[str, Form(max_length=24)] = "",
    unit: Annotated[str, Form(max_length=8)] = "",
    lot_size: Annotated[str, Form(max_length=12)] = "",
    batch: Annotated[str, Form(max_length=64)] = "",
    org_id: Annotated[int, Form(ge=0, le=2**31 - 1)] = 0,
    task_id: Annotated[int, Form(ge=0, le=2**31 - 1)] = 0,
) -> Response:
    kind = "inspection" if principal.is_regulator else "self_check"
    try:
        if not lot_size.strip().isdigit():
            raise InputError(f"the lot size must be a whole number, not {lot_size!r}")
        row = service.create(session, principal, kind=kind, org_id=org_id or None, product=product,
                             nominal=nominal, unit=unit, lot_size=int(lot_size), batch=batch or None,
                             task_id=task_id or None, now=clock_of(request).now())  # fmt: skip
    except JiliangError as exc:
        session.rollback()
        return _index(request, principal, session, exc.status, exc.message)
    return RedirectResponse(f"/netcontent/{row.id}", status_code=303)


def _lot_page(request: Request, principal: Principal, session: Session, nc_id: int, status: int = 200,
              error: str | None = None) -> Response:  # fmt: skip
    row = service.get(session, principal, nc_id)
    mine = row.kind == "self_check" and principal.org_id == row.org_id and principal.role is Role.ENTERPRISE
    may_act = (row.kind == "inspection" and principal.is_regulator) or mine
    items = row.sample_items or []
    values = row.net_values or []
    return page(
        request,
        "netcontent/lot.html",
        principal,
        status=status,
        row=row,
        v=row.verdict,
        packer=service.packer_name(session, row),
        may_act=may_act,
        may_publish=principal.is_regulator and row.kind == "inspection" and row.status == "judged",
        items=items,
        measured=list(zip(items or range(1, len(values) + 1), values, strict=False)),
        T=service.verdict_tolerance(row),
        today=clock_of(request).today().isoformat(),
        error=error,
    )


@router.get("/netcontent/{nc_id}", name="nc_lot")
def lot(request: Request, principal: PageCaller, session: PageSession, nc_id: int) -> Response:
    """One lot: draw, entry form (one field per drawn item), CSV upload, verdict and report."""
    return _lot_page(request, principal, session, nc_id)


@router.post("/netcontent/{nc_id}", name="nc_action")
async def action(request: Request, principal: LoggedIn, session: PageSession, nc_id: int) -> Response:
    form = await request.form()
    what = str(form.get("action", ""))
    try:
        if what == "draw":
            service.draw(
                session, principal, nc_id, clock_of(request).now(), str(form.get("seed", "")) or None
            )
        elif what == "record":
            values = _values(form.getlist("value"))
            service.record(
                session,
                principal,
                nc_id,
                values,
                _day(str(form.get("inspected_on", "")), clock_of(request).today()),
            )
        elif what == "publish":
            service.publish(session, principal, nc_id, clock_of(request).today())
        else:
            raise InputError(f"unknown action {what[:20]!r}")
    except JiliangError as exc:
        session.rollback()
        return _lot_page(request, principal, session, nc_id, exc.status, exc.message)
    return RedirectResponse(f"/netcontent/{nc_id}", status_code=303)


@router.post("/netcontent/{nc_id}/csv", name="nc_csv")
async def upload(
    request: Request,
    principal: LoggedIn,
    session: PageSession,
    nc_id: int,
    file: Annotated[UploadFile, File()],
    inspected_on: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    try:
        data = await file.read(MAX_CSV_BYTES + 1)
        if len(data) > MAX_CSV_BYTES:
            raise TooLargeError(f"the CSV is larger than {MAX_CSV_BYTES} bytes")
        service.record_csv(session, principal, nc_id, data, _day(inspected_on, clock_of(request).today()))
    except JiliangError as exc:
        session.rollback()
        return _lot_page(request, principal, session, nc_id, exc.status, exc.message)
    return RedirectResponse(f"/netcontent/{nc_id}", status_code=303)


@router.get("/public/netcontent", name="nc_public")
def public(request: Request, principal: PageCaller, session: PageSession) -> Response:
    """Published verdicts: packer, product, lot, decision, report."""
    return page(request, "netcontent/public.html", principal, rows=service.list_published(session))


def _values(cells: list[Any]) -> list[float]:
    out = []
    for k, cell in enumerate(cells, start=1):
        text = str(cell).strip()
        try:
            out.append(float(text))
        except ValueError:
            raise InputError(f"item {k}: {text[:20]!r} is not a number") from None
    return out


def _day(text: str, today: date) -> date:
    try:
        return date.fromisoformat(text.strip()) if text.strip() else today
    except ValueError:
        raise InputError(f"{text[:12]!r} is not a date (YYYY-MM-DD)") from None
