"""Console pages of the verification workflow: the inbox, bookings and their actions, recording a
result, work orders, and the regulator's flow. Pages call :mod:`jiliang.verification` only; every
button is one of the actions the booking's state machine allows the caller."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from jiliang.errors import FieldError, InputError, JiliangError
from jiliang.platform.models import Role
from jiliang.platform.orgs import get_organization, verifying_organizations
from jiliang.web.deps import LoggedIn, PageSession, clock_of
from jiliang.web.render import page

router = APIRouter()

STATES = ("requested", "accepted", "declined", "scheduled", "in_progress", "completed", "cancelled")


def _day(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{value!r} is not a date", fields=[FieldError(field, "not a date")]) from None


def _float(value: str | None, field: str) -> float | None:
    if value is None or not value.strip():
        return None
    try:
        return float(value)
    except ValueError:
        raise InputError(f"{value!r} is not a number", fields=[FieldError(field, "not a number")]) from None


@router.get("/verification", name="verification_inbox")
def inbox_page(request: Request, principal: LoggedIn, session: PageSession) -> Response:
    from jiliang.verification import inbox

    box = inbox(session, principal, clock_of(request).now().date())
    return page(request, "verification/inbox.html", principal, box=box)


@router.get("/verification/bookings", name="verification_bookings")
def bookings_page(
    request: Request,
    principal: LoggedIn,
    session: PageSession,
    state: Annotated[str | None, Query(max_length=16)] = None,
    page_no: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> Response:
    from jiliang.verification import list_bookings

    st = state if state in STATES else None
    total, rows = list_bookings(session, principal, st, 50, (page_no - 1) * 50)
    return page(
        request,
        "verification/bookings.html",
        principal,
        rows=rows,
        total=total,
        state=st,
        states=STATES,
        page_no=page_no,
        has_next=page_no * 50 < total,
        may_book=principal.role is Role.ENTERPRISE,
    )


def _new_page(
    request: Request,
    principal: Any,
    session: Any,
    ids: list[int],
    status: int = 200,
    error: str | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    from jiliang.registry.service import InstrumentFilter, list_instruments
    from jiliang.verification import verifiers_for

    _total, _exact, rows = list_instruments(session, principal, InstrumentFilter(), 500, 0)
    rows = [r for r in rows if r["status"] != "retired"]
    chosen = [r for r in rows if r["id"] in ids]
    verifiers = verifiers_for(session, sorted({r["type_id"] for r in chosen})) if chosen else []
    return page(
        request,
        "verification/new.html",
        principal,
        status=status,
        rows=rows,
        chosen=chosen,
        verifiers=verifiers,
        error=error,
        key=secrets.token_urlsafe(16),
        form=form or {},
        min_day=clock_of(request).now().date().isoformat(),
        default_day=(clock_of(request).now().date() + timedelta(days=7)).isoformat(),
    )


@router.get("/verification/bookings/new", name="verification_new_booking")
def new_booking_page(
    request: Request,
    principal: LoggedIn,
    session: PageSession,
    instrument_id: Annotated[list[int] | None, Query(max_length=200)] = None,
) -> Response:
    principal.require(Role.ENTERPRISE)
    return _new_page(request, principal, session, instrument_id or [])


@router.post("/verification/bookings", name="verification_create_booking")
def create_booking_submit(
    request: Request,
    principal: LoggedIn,
    session: PageSession,
    instrument_id: Annotated[list[int], Form(max_length=200)],
    lab_id: Annotated[int, Form()],
    mode: Annotated[str, Form(max_length=12)],
    preferred_on: Annotated[str, Form(max_length=10)],
    idempotency_key: Annotated[str, Form(max_length=64)],
    contact: Annotated[str | None, Form(max_length=200)] = None,
    note: Annotated[str | None, Form(max_length=1000)] = None,
) -> Response:
    from jiliang.verification import BookingRequest, create_booking

    try:
        day = _day(preferred_on, "preferred_on")
        if day is None:
            raise InputError("give a preferred date", fields=[FieldError("preferred_on", "required")])
        req = BookingRequest(
            tuple(instrument_id), lab_id, mode, day, contact or None, note or None, idempotency_key
        )
        view = create_booking(session, principal, req, clock_of(request).now())
    except JiliangError as exc:
        session.rollback()
        form = {
            "lab_id": lab_id,
            "mode": mode,
            "preferred_on": preferred_on,
            "contact": contact,
            "note": note,
        }
        return _new_page(request, principal, session, instrument_id, exc.status, exc.message, form)
    return RedirectResponse(f"/verification/bookings/{view.id}?done=submit", status_code=303)


def _booking_page(
    request: Request,
    principal: Any,
    session: Any,
    booking_id: int,
    status: int = 200,
    error: str | None = None,
    done: str | None = None,
) -> Response:

    from jiliang.verification import get_booking, verifiers_for_instruments

    b = get_booking(session, principal, booking_id)
    others = []
    if "reassign" in b.actions:
        items = [i.instrument_id for i in b.items]
        others = [v for v in verifiers_for_instruments(session, principal, items) if v.id != b.lab_id]
    return page(
        request,
        "verification/booking.html",
        principal,
        status=status,
        b=b,
        error=error,
        done=done,
        others=others,
        may_record=principal.role is Role.LAB and b.state in ("accepted", "scheduled", "in_progress"),
        today=clock_of(request).now().date().isoformat(),
    )


@router.get("/verification/bookings/{booking_id}", name="verification_booking")
def booking_page(
    request: Request,
    booking_id: int,
    principal: LoggedIn,
    session: PageSession,
    done: Annotated[str | None, Query(max_length=16)] = None,
) -> Response:
    return _booking_page(request, principal, session, booking_id, done=done)


@router.post("/verification/bookings/{booking_id}/action", name="verification_booking_action")
def booking_action(
    request: Request,
    booking_id: int,
    principal: LoggedIn,
    session: PageSession,
    action: Annotated[str, Form(max_length=16)],
    version: Annotated[int | None, Form()] = None,
    reason: Annotated[str | None, Form(max_length=1000)] = None,
    on: Annotated[str | None, Form(max_length=10)] = None,
    lab_id: Annotated[int | None, Form()] = None,
) -> Response:
    from jiliang.verification import act

    try:
        act(
            session,
            principal,
            booking_id,
            action,
            now=clock_of(request).now(),
            reason=reason,
            on=_day(on, "on"),
            lab_id=lab_id,
            expected_version=version,
        )
    except JiliangError as exc:
        session.rollback()
        return _booking_page(request, principal, session, booking_id, exc.status, exc.message)
    return RedirectResponse(f"/verification/bookings/{booking_id}?done={action}", status_code=303)


def _result_page(
    request: Request,
    principal: Any,
    session: Any,
    booking_id: int,
    instrument_id: int,
    status: int = 200,
    error: str | None = None,
    fields: tuple[FieldError, ...] = (),
    form: dict[str, Any] | None = None,
) -> Response:
    from jiliang.verification import get_booking, lab_standards

    principal.require(Role.LAB)
    b = get_booking(session, principal, booking_id)
    item = next((i for i in b.items if i.instrument_id == instrument_id), None)
    if item is None:
        from jiliang.errors import NotFoundError

        raise NotFoundError(f"instrument {instrument_id} is not in booking {booking_id}")
    return page(
        request,
        "verification/result.html",
        principal,
        status=status,
        b=b,
        item=item,
        # the standards that cover this type of instrument first
        standards=sorted(
            lab_standards(session, b.lab_id), key=lambda s: item.type_code not in (s.covers or [])
        ),
        error=error,
        field_errors={f.field: f.message for f in fields},
        form=form or {},
        today=clock_of(request).now().date().isoformat(),
        rows=range(5),
    )


@router.get("/verification/bookings/{booking_id}/result", name="verification_result_form")
def result_form(
    request: Request, booking_id: int, principal: LoggedIn, session: PageSession, instrument_id: int
) -> Response:
    return _result_page(request, principal, session, booking_id, instrument_id)


def _points(form: Any) -> tuple[Any, ...]:
    from jiliang.verification import MeasuredPoint

    points = []
    for i in range(5):
        raw = [form.get(f"p{i}_{n}") for n in ("point", "error", "mpe", "U")]
        if not any((v or "").strip() for v in raw):
            continue
        if not all((v or "").strip() for v in raw):
            raise InputError(
                f"test point {i + 1} is incomplete",
                fields=[FieldError(f"points.{i}", "fill in point, error, MPE and U")],
            )
        values = [
            _float(v, f"points.{i}.{n}") for v, n in zip(raw, ("point", "error", "mpe", "U"), strict=True)
        ]
        points.append(MeasuredPoint(*[v or 0.0 for v in values]))
    return tuple(points)


@router.post("/verification/bookings/{booking_id}/result", name="verification_result_submit")
async def result_submit(
    request: Request, booking_id: int, principal: LoggedIn, session: PageSession
) -> Response:
    from jiliang.dcc.trust import issuing_keys
    from jiliang.verification import ResultInput, record_result

    form = await request.form()
    instrument_id = (
        int(str(form.get("instrument_id") or 0)) if str(form.get("instrument_id") or "").isdigit() else 0
    )
    try:
        ri = ResultInput(
            instrument_id=instrument_id,
            verified_on=_day(str(form.get("verified_on") or ""), "verified_on")
            or clock_of(request).now().date(),
            points=_points(form),
            standard_ids=tuple(int(str(s)) for s in form.getlist("standard_ids") if str(s).isdigit()),
            performer=str(form.get("performer") or ""),
            approver=str(form.get("approver") or ""),
            rule=str(form.get("rule") or "guard_band"),
            temperature_c=_float(str(form.get("temperature_c") or ""), "temperature_c"),
            humidity_percent=_float(str(form.get("humidity_percent") or ""), "humidity_percent"),
            acknowledge_warnings=form.get("acknowledge") == "yes",
        )
        record_result(
            session,
            principal,
            booking_id,
            ri,
            now=clock_of(request).now(),
            keys=issuing_keys(request.app.state.settings),
        )
    except JiliangError as exc:
        session.rollback()
        values: dict[str, str | list[str]] = {k: str(v) for k, v in form.items() if k != "standard_ids"}
        values["standard_ids"] = [str(s) for s in form.getlist("standard_ids")]
        return _result_page(
            request,
            principal,
            session,
            booking_id,
            instrument_id,
            exc.status,
            exc.message,
            exc.fields,
            values,
        )
    return RedirectResponse(f"/verification/bookings/{booking_id}?done=result", status_code=303)


@router.get("/verification/work-orders", name="verification_work_orders")
def work_orders_page(
    request: Request,
    principal: LoggedIn,
    session: PageSession,
    state: Annotated[str | None, Query(max_length=16)] = None,
    done: Annotated[str | None, Query(max_length=16)] = None,
) -> Response:
    return _orders_page(request, principal, session, state, done=done)


def _orders_page(
    request: Request,
    principal: Any,
    session: Any,
    state: str | None,
    status: int = 200,
    error: str | None = None,
    done: str | None = None,
) -> Response:

    from jiliang.verification import WORK_ORDER, list_work_orders

    st = state if state in WORK_ORDER.states else None
    total, rows = list_work_orders(session, principal, st, 100, 0)
    orgs = (
        [(o.id, o.name) for o in verifying_organizations(session)]
        if any("assign" in r.actions for r in rows)
        else []
    )
    if principal.org_id is not None and orgs and principal.org_id not in {o[0] for o in orgs}:
        own = get_organization(session, principal, principal.org_id)
        orgs.insert(0, (own.id, own.name))
    return page(
        request,
        "verification/work_orders.html",
        principal,
        status=status,
        rows=rows,
        total=total,
        state=st,
        states=WORK_ORDER.states,
        orgs=orgs,
        error=error,
        done=done,
    )


@router.post("/verification/work-orders/{wo_id}/action", name="verification_work_order_action")
def work_order_action(
    request: Request,
    wo_id: int,
    principal: LoggedIn,
    session: PageSession,
    action: Annotated[str, Form(max_length=16)],
    assignee_org_id: Annotated[int | None, Form()] = None,
    assignee: Annotated[str | None, Form(max_length=100)] = None,
    confirmed: Annotated[str | None, Form(max_length=8)] = None,
    measured_error: Annotated[str | None, Form(max_length=32)] = None,
    reason: Annotated[str | None, Form(max_length=1000)] = None,
) -> Response:
    from jiliang.verification import act_work_order

    try:
        act_work_order(
            session,
            principal,
            wo_id,
            action,
            now=clock_of(request).now(),
            assignee_org_id=assignee_org_id,
            assignee=assignee,
            confirmed={"yes": True, "no": False}.get(confirmed or ""),
            measured_error=_float(measured_error, "measured_error"),
            reason=reason,
        )
    except JiliangError as exc:
        session.rollback()
        return _orders_page(request, principal, session, None, exc.status, exc.message)
    return RedirectResponse(f"/verification/work-orders?done={action}", status_code=303)


@router.get("/verification/flow", name="verification_flow")
def flow_page(
    request: Request, principal: LoggedIn, session: PageSession, days: Annotated[int, Query(ge=0, le=365)] = 7
) -> Response:
    from jiliang.verification import flow

    return page(
        request,
        "verification/flow.html",
        principal,
        f=flow(session, principal, clock_of(request).now(), days),
    )
