"""Energy metering review and carbon measurement in the console: units, a unit's inventory and
configuration rates, reviews with findings, the carbon report with its uncertainty."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from jiliang import energy as svc
from jiliang.energy import MAX_CSV_BYTES
from jiliang.errors import InputError, JiliangError
from jiliang.web.deps import LoggedIn, PageSession, clock_of
from jiliang.web.render import page

router = APIRouter()


@router.get("/energy", name="energy_units")
def units(request: Request, principal: LoggedIn, session: PageSession) -> Response:
    return page(
        request,
        "energy/units.html",
        principal,
        units=svc.list_units(session, principal),
        reviews=svc.list_reviews(session, principal),
        period=str(clock_of(request).today().year - 1),
    )


def _unit(
    request: Request, principal: Any, session: Any, unit_id: int, error: str | None = None, status: int = 200
) -> Response:
    view = svc.unit_view(session, principal, unit_id, clock_of(request).today())
    return page(
        request,
        "energy/unit.html",
        principal,
        status=status,
        v=view,
        error=error,
        today=clock_of(request).today().isoformat(),
        late=sum(1 for m in view.meters if m.status != "valid"),
    )


@router.get("/energy/units/{unit_id}", name="energy_unit")
def unit(request: Request, principal: LoggedIn, session: PageSession, unit_id: int) -> Response:
    return _unit(request, principal, session, unit_id)


def _import(
    request: Request, principal: Any, session: Any, unit_id: int, run: Callable[[], object]
) -> Response:
    """A pasted CSV imported whole or not at all: back to the unit page, with the reason on failure."""
    try:
        run()
    except JiliangError as exc:
        session.rollback()
        return _unit(request, principal, session, unit_id, exc.message, exc.status)
    return RedirectResponse(f"/energy/units/{unit_id}", status_code=303)


@router.post("/energy/units/{unit_id}/meters", name="energy_import_meters")
def import_meters(
    request: Request,
    principal: LoggedIn,
    session: PageSession,
    unit_id: int,
    csv: Annotated[str, Form(max_length=MAX_CSV_BYTES)],
) -> Response:
    return _import(
        request, principal, session, unit_id, lambda: svc.import_inventory(session, principal, unit_id, csv)
    )


@router.post("/energy/units/{unit_id}/activity", name="energy_import_activity")
def import_activity(
    request: Request,
    principal: LoggedIn,
    session: PageSession,
    unit_id: int,
    csv: Annotated[str, Form(max_length=MAX_CSV_BYTES)],
) -> Response:
    return _import(
        request, principal, session, unit_id, lambda: svc.import_activity(session, principal, unit_id, csv)
    )


@router.post("/energy/units/{unit_id}/reviews", name="energy_create_review")
def create_review(
    request: Request,
    principal: LoggedIn,
    session: PageSession,
    unit_id: int,
    code: Annotated[str, Form(max_length=64)],
    review_date: Annotated[str, Form(max_length=10)],
) -> Response:
    try:
        try:
            day = date.fromisoformat(review_date)
        except ValueError:
            raise InputError(f"review date {review_date!r} is not YYYY-MM-DD") from None
        r = svc.create_review(
            session, principal, unit_id, code=code, review_date=day, now=clock_of(request).now()
        )
    except JiliangError as exc:
        session.rollback()
        return _unit(request, principal, session, unit_id, exc.message, exc.status)
    return RedirectResponse(f"/energy/reviews/{r.id}", status_code=303)


def _review(
    request: Request,
    principal: Any,
    session: Any,
    review_id: int,
    error: str | None = None,
    status: int = 200,
) -> Response:
    return page(
        request,
        "energy/review.html",
        principal,
        status=status,
        v=svc.review_view(session, principal, review_id),
        severities=svc.SEVERITIES,
        error=error,
    )


@router.get("/energy/reviews/{review_id}", name="energy_review")
def review(request: Request, principal: LoggedIn, session: PageSession, review_id: int) -> Response:
    return _review(request, principal, session, review_id)


@router.post("/energy/reviews/{review_id}/findings", name="energy_add_finding")
def add_finding(
    request: Request,
    principal: LoggedIn,
    session: PageSession,
    review_id: int,
    severity: Annotated[str, Form(max_length=12)],
    clause: Annotated[str, Form(max_length=64)],
    text: Annotated[str, Form(max_length=2000)],
) -> Response:
    try:
        svc.add_finding(
            session,
            principal,
            review_id,
            severity=severity,
            clause=clause,
            text=text,
            now=clock_of(request).now(),
        )
    except JiliangError as exc:
        session.rollback()
        return _review(request, principal, session, review_id, exc.message, exc.status)
    return RedirectResponse(f"/energy/reviews/{review_id}", status_code=303)


@router.post("/energy/reviews/{review_id}/advance", name="energy_advance")
def advance(
    request: Request,
    principal: LoggedIn,
    session: PageSession,
    review_id: int,
    to: Annotated[str, Form(max_length=16)],
) -> Response:
    try:
        svc.advance_review(session, principal, review_id, to, clock_of(request).now())
    except JiliangError as exc:
        session.rollback()
        return _review(request, principal, session, review_id, exc.message, exc.status)
    return RedirectResponse(f"/energy/reviews/{review_id}", status_code=303)


@router.get("/carbon", name="carbon_report")
def carbon(
    request: Request,
    principal: LoggedIn,
    session: PageSession,
    period: Annotated[str | None, Query(max_length=7, pattern=r"^\d{4}(-\d{2})?$")] = None,
) -> Response:
    chosen = period or str(clock_of(request).today().year - 1)
    rep = svc.carbon_report(session, principal, chosen)
    return page(request, "energy/carbon.html", principal, rep=rep, period=chosen)
