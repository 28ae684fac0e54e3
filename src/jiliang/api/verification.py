"""Verification API: bookings and their transitions, results, work orders, the inbox, the flow.

Every transition is one request and one transaction. A transition the booking's state does not
allow answers 409 with the reason; a booking the caller may not see answers 404. ``POST
/verification/bookings`` takes an ``Idempotency-Key`` header (or ``idempotency_key`` in the body):
submitting the same key twice returns the first booking.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, Field

from jiliang.api.deps import Caller, ClockDep, PageDep, Regulator, SessionDep, settings_of

router = APIRouter(prefix="/verification", tags=["verification"])

BookingState = Literal[
    "requested", "accepted", "declined", "scheduled", "in_progress", "completed", "cancelled"
]
OrderState = Literal["open", "assigned", "in_progress", "done", "cancelled"]


class BookingIn(BaseModel):
    instrument_ids: list[int] = Field(min_length=1, max_length=200)
    lab_id: int
    mode: Literal["send_in", "on_site"] = "send_in"
    preferred_on: date
    contact: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=1000)
    idempotency_key: str | None = Field(default=None, min_length=8, max_length=64)


class ActionIn(BaseModel):
    reason: str | None = Field(default=None, max_length=1000)
    on: date | None = Field(default=None, description="Scheduled date (schedule)")
    lab_id: int | None = Field(default=None, description="New verifier (reassign)")
    version: int | None = Field(default=None, description="The version the caller saw; 409 if it changed")


class PointIn(BaseModel):
    point: float = Field(description="Test point, percent of the measuring range (0–100)")
    error: float = Field(description="Error found, %")
    mpe: float = Field(description="Maximum permissible error of the instrument's JJG, %")
    U: float = Field(description="Expanded uncertainty of the error, %")
    k: float = Field(default=2.0, description="Coverage factor of U")


class ResultIn(BaseModel):
    instrument_id: int
    verified_on: date
    points: list[PointIn] = Field(min_length=1, max_length=50)
    standard_ids: list[int] = Field(min_length=1, max_length=20)
    performer: str = Field(min_length=1, max_length=64, description="检定员")
    approver: str = Field(min_length=1, max_length=64, description="批准人 (another person)")
    rule: Literal["simple", "guard_band", "non_binary"] = "guard_band"
    temperature_c: float | None = Field(default=None, ge=-60, le=100)
    humidity_percent: float | None = Field(default=None, ge=0, le=100)
    acknowledge_warnings: bool = Field(
        default=False, description="Go on although a standard is expired or out of scope (recorded)"
    )


class WorkOrderActionIn(BaseModel):
    assignee_org_id: int | None = None
    assignee: str | None = Field(default=None, max_length=100)
    confirmed: bool | None = Field(default=None, description="finish: the field check confirmed the fault")
    measured_error: float | None = Field(default=None, description="finish: error measured on site, %")
    reason: str | None = Field(default=None, max_length=1000)


class BookingPage(BaseModel):
    total: int
    items: list[dict[str, Any]]


@router.get("/verifiers", name="list_verifiers", summary="Verifiers authorised for the given instruments")
def list_verifiers(
    caller: Caller, session: SessionDep, instrument_id: Annotated[list[int], Query(max_length=200)]
) -> list[dict[str, Any]]:
    from jiliang.verification import verifiers_for_instruments

    return [
        {"id": v.id, "name": v.name, "name_en": v.name_en, "kind": v.kind}
        for v in verifiers_for_instruments(session, caller, instrument_id)
    ]


@router.post("/bookings", name="create_booking", status_code=201, summary="Book verification (owner)")
def create_booking(
    clock: ClockDep,
    body: BookingIn,
    caller: Caller,
    session: SessionDep,
    idempotency_key: Annotated[str | None, Header(min_length=8, max_length=64)] = None,
) -> dict[str, Any]:
    from jiliang.verification import BookingRequest
    from jiliang.verification import create_booking as run

    req = BookingRequest(
        tuple(body.instrument_ids),
        body.lab_id,
        body.mode,
        body.preferred_on,
        body.contact,
        body.note,
        idempotency_key or body.idempotency_key,
    )
    return run(session, caller, req, clock.now()).as_dict()


@router.get("/bookings", name="list_bookings", summary="Bookings the caller may see, newest first")
def list_bookings(
    caller: Caller, session: SessionDep, page: PageDep, state: BookingState | None = None
) -> BookingPage:
    from jiliang.verification import list_bookings as run

    total, rows = run(session, caller, state, page.limit, page.offset)
    return BookingPage(total=total, items=[r.as_dict() for r in rows])


@router.get("/bookings/{booking_id}", name="get_booking", summary="One booking with its instruments")
def get_booking(booking_id: int, caller: Caller, session: SessionDep) -> dict[str, Any]:
    from jiliang.verification import get_booking as run

    return run(session, caller, booking_id).as_dict()


@router.get("/bookings/{booking_id}/receipt.pdf", name="receipt_pdf", summary="The receipt (受理回执) as PDF")
def receipt_pdf(booking_id: int, caller: Caller, session: SessionDep) -> Response:
    from jiliang.verification import get_booking as run
    from jiliang.verification.receipt import receipt_pdf as render

    return Response(
        render(run(session, caller, booking_id)),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="receipt-{booking_id}.pdf"'},
    )


@router.get(
    "/bookings/{booking_id}/notices/{instrument_id}.pdf",
    name="notice_pdf",
    summary="The notice of failure (检定结果通知书) of a failed instrument as PDF",
)
def notice_pdf(booking_id: int, instrument_id: int, caller: Caller, session: SessionDep) -> Response:
    from jiliang.verification.notice import notice_pdf as render

    return Response(
        render(session, caller, booking_id, instrument_id),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="notice-{booking_id}-{instrument_id}.pdf"'},
    )


@router.post(
    "/bookings/{booking_id}/results",
    name="record_result",
    status_code=201,
    summary="Record one instrument's result (verifier): pass → signed certificate, fail → notice",
)
def record_result(
    clock: ClockDep, booking_id: int, body: ResultIn, caller: Caller, session: SessionDep, request: Request
) -> dict[str, Any]:
    from jiliang.dcc.trust import issuing_keys
    from jiliang.verification import MeasuredPoint, ResultInput
    from jiliang.verification import record_result as run

    ri = ResultInput(
        instrument_id=body.instrument_id,
        verified_on=body.verified_on,
        points=tuple(MeasuredPoint(p.point, p.error, p.mpe, p.U, p.k) for p in body.points),
        standard_ids=tuple(body.standard_ids),
        performer=body.performer,
        approver=body.approver,
        rule=body.rule,
        temperature_c=body.temperature_c,
        humidity_percent=body.humidity_percent,
        acknowledge_warnings=body.acknowledge_warnings,
    )
    keys = issuing_keys(settings_of(request))
    return run(session, caller, booking_id, ri, now=clock.now(), keys=keys).as_dict()


@router.post(
    "/bookings/{booking_id}/{action}",
    name="booking_action",
    summary="Accept, decline, schedule, start, cancel or reassign a booking",
)
def booking_action(
    clock: ClockDep,
    booking_id: int,
    action: Literal["accept", "decline", "schedule", "start", "cancel", "reassign"],
    body: ActionIn,
    caller: Caller,
    session: SessionDep,
) -> dict[str, Any]:
    from jiliang.verification import act

    view = act(
        session,
        caller,
        booking_id,
        action,
        now=clock.now(),
        reason=body.reason,
        on=body.on,
        lab_id=body.lab_id,
        expected_version=body.version,
    )
    return view.as_dict()


@router.get("/standards", name="lab_standards", summary="The caller's laboratory's own standards")
def lab_standards(caller: Caller, session: SessionDep) -> list[dict[str, Any]]:
    from jiliang.platform.models import Role
    from jiliang.verification import lab_standards as run

    caller.require(Role.LAB)
    if caller.org_id is None:
        return []
    return [
        {"id": s.id, "code": s.code, "name": s.name, "name_en": s.name_en, "covers": s.covers}
        for s in run(session, caller.org_id)
    ]


@router.get("/work-orders", name="list_work_orders", summary="Work orders the caller may see")
def list_work_orders(
    caller: Caller, session: SessionDep, page: PageDep, state: OrderState | None = None
) -> BookingPage:
    from jiliang.verification import list_work_orders as run

    total, rows = run(session, caller, state, page.limit, page.offset)
    return BookingPage(total=total, items=[r.as_dict() for r in rows])


@router.post(
    "/work-orders/{work_order_id}/{action}",
    name="work_order_action",
    summary="Assign, start, finish (with the outcome) or cancel a work order",
)
def work_order_action(
    clock: ClockDep,
    work_order_id: int,
    action: Literal["assign", "start", "finish", "cancel"],
    body: WorkOrderActionIn,
    caller: Caller,
    session: SessionDep,
) -> dict[str, Any]:
    from jiliang.verification import act_work_order

    return act_work_order(
        session,
        caller,
        work_order_id,
        action,
        now=clock.now(),
        assignee_org_id=body.assignee_org_id,
        assignee=body.assignee,
        confirmed=body.confirmed,
        measured_error=body.measured_error,
        reason=body.reason,
    ).as_dict()


@router.get("/inbox", name="inbox", summary="What needs the caller's action")
def inbox(clock: ClockDep, caller: Caller, session: SessionDep) -> dict[str, Any]:
    from jiliang.verification import inbox as run

    box = run(session, caller, clock.now().date())
    return {
        "count": box.count,
        "bookings": [b.as_dict() for b in box.bookings],
        "work_orders": [w.as_dict() for w in box.work_orders],
        "reminders": list(box.reminders),
    }


@router.get("/flow", name="flow", summary="City-wide flow: waiting bookings, turnaround per verifier")
def flow(
    clock: ClockDep, caller: Regulator, session: SessionDep, days: Annotated[int, Query(ge=0, le=365)] = 7
) -> dict[str, Any]:
    from dataclasses import asdict

    from jiliang.verification import flow as run

    return asdict(run(session, caller, clock.now(), days))
