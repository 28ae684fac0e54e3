"""Registry API: instruments, standards, reference materials, records, traces, import/export, due
lists, booking and notices, metrics.

Scoping (:mod:`jiliang.registry.access`): the regulator sees everything; an enterprise its own
instruments; a lab those it has a relationship with (booked with it, verified by it, or in its
authorised scope) and it records results only on those, citing its own, public or published
standards; the public no instrument and only published standards and reference materials.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from jiliang.api.deps import Caller, ClockDep, DbId, PageDep, Regulator, SessionDep, settings_of
from jiliang.errors import NotFoundError, TooLargeError
from jiliang.platform.models import Role
from jiliang.platform.uploads import read_limited

router = APIRouter(prefix="/registry", tags=["registry"])

Status = Literal["in_use", "booked", "overdue", "blocked", "retired"]
UseName = Literal["trade_settlement", "safety", "medical", "environment"]


class InstrumentPage(BaseModel):
    total: int = Field(description="Matching instruments (at most 10,000; see exact)")
    exact: bool = Field(description="False when more than 10,000 match")
    items: list[dict[str, Any]]


class ListPage(BaseModel):
    total: int
    items: list[dict[str, Any]]


class BookIn(BaseModel):
    ids: list[DbId] = Field(min_length=1, max_length=5000)
    on: date
    lab_id: DbId | None = None


class NotifyIn(BaseModel):
    ids: list[DbId] = Field(min_length=1, max_length=5000)
    note: str | None = Field(default=None, max_length=500)


class CountOut(BaseModel):
    count: int


class ErrorIn(BaseModel):
    point: str = Field(min_length=1, max_length=64)
    error: float
    mpe: float = Field(gt=0)
    unit: str = Field(default="%", max_length=16)


class VerificationIn(BaseModel):
    verified_on: date
    result: Literal["pass", "fail"]
    kind: Literal["verification", "calibration"] = "verification"
    certificate_no: str | None = Field(default=None, max_length=64)
    standard_ids: list[DbId] = Field(min_length=1, max_length=20)
    errors: list[ErrorIn] = Field(default_factory=list, max_length=200)
    temperature_c: float | None = Field(default=None, ge=-60, le=100)
    humidity_percent: float | None = Field(default=None, ge=0, le=100)


class TypeIn(BaseModel):
    code: str = Field(min_length=1, max_length=48, pattern="^[A-Za-z0-9-]+$")
    name: str = Field(min_length=1, max_length=100)
    name_en: str = Field(min_length=1, max_length=100)
    category: str = Field(min_length=1, max_length=100)
    uses: list[UseName] = Field(min_length=1, max_length=4)
    period_months: int = Field(ge=1, le=240)
    quantity: str = Field(min_length=1, max_length=48)
    regulation: str | None = Field(default=None, max_length=200)
    tolerance_percent: float | None = Field(default=None, gt=0, le=100)
    aliases: list[str] = Field(default_factory=list, max_length=20)


@router.get("/types", name="list_types", summary="Instrument types (the catalogue and city additions)")
def list_types(clock: ClockDep, session: SessionDep) -> list[dict[str, Any]]:
    from jiliang.registry.service import list_types as types_in_force

    return [
        {
            "id": t.id,
            "code": t.code,
            "name": t.name,
            "name_en": t.name_en,
            "category": t.category,
            "uses": t.uses,
            "regulation": t.regulation,
            "period_months": t.period_months,
            "aliases": t.aliases,
            "edition": t.edition,
            "effective_from": t.effective_from,
        }
        for t in types_in_force(session, clock.today())
    ]


@router.post("/types", name="add_type", status_code=201, summary="Add a city type to the catalogue")
def add_type(clock: ClockDep, body: TypeIn, _: Regulator, session: SessionDep) -> dict[str, Any]:
    from jiliang.registry.service import add_city_type

    t = add_city_type(session, **body.model_dump(), effective_from=clock.today())
    return {"id": t.id, "code": t.code, "edition": t.edition}


@router.get("/instruments", name="list_instruments", summary="Instruments the caller may see, filtered")
def list_instruments(
    caller: Caller,
    session: SessionDep,
    page: PageDep,
    q: Annotated[str | None, Query(max_length=100, description="Serial starts with")] = None,
    type_id: DbId | None = None,
    owner_id: DbId | None = None,
    district_id: DbId | None = None,
    status: Status | None = None,
    use: UseName | None = None,
    due_before: date | None = None,
) -> InstrumentPage:
    from jiliang.registry.service import InstrumentFilter
    from jiliang.registry.service import list_instruments as run

    f = InstrumentFilter(q, type_id, owner_id, district_id, status, use, due_before)
    total, exact, rows = run(session, caller, f, page.limit, page.offset)
    return InstrumentPage(total=total, exact=exact, items=rows)


class InstrumentIn(BaseModel):
    """One instrument, with the import's columns and rules (Chinese or English names for type and use)."""

    type: str = Field(max_length=100, description="Type: catalogue code, name or alias")
    serial: str = Field(max_length=64)
    use: str = Field(
        max_length=24, description="贸易结算, 安全防护, 医疗卫生, 环境监测 or their English names"
    )
    model: str | None = Field(None, max_length=100)
    manufacturer: str | None = Field(None, max_length=200)
    accuracy_class: str | None = Field(None, max_length=32)
    measuring_range: str | None = Field(None, max_length=100)
    location: str | None = Field(None, max_length=200)
    verification_period_months: int | None = Field(None, ge=1, le=240)
    last_verified_on: date | None = None
    verification_result: Literal["pass", "fail"] | None = None
    certificate_no: str | None = Field(None, max_length=64)
    owner_id: DbId | None = Field(None, description="The owner (regulator only; an owner registers its own)")


class InstrumentPatch(BaseModel):
    type: str | None = Field(None, max_length=100)
    serial: str | None = Field(None, max_length=64)
    use: str | None = Field(None, max_length=24)
    model: str | None = Field(None, max_length=100)
    manufacturer: str | None = Field(None, max_length=200)
    accuracy_class: str | None = Field(None, max_length=32)
    measuring_range: str | None = Field(None, max_length=100)
    location: str | None = Field(None, max_length=200)
    verification_period_months: int | None = Field(None, ge=1, le=240)


class RetireIn(BaseModel):
    reason: str = Field("", max_length=200)


@router.post("/instruments", name="create_instrument", summary="Register one instrument", status_code=201)
def create_instrument(
    clock: ClockDep, body: InstrumentIn, caller: Caller, session: SessionDep
) -> dict[str, Any]:
    from jiliang.registry.editing import create_instrument as run
    from jiliang.registry.service import instrument_detail

    fields = body.model_dump(exclude={"owner_id"}, exclude_none=True)
    fields = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in fields.items()}
    iid = run(session, caller, fields, today=clock.today(), owner_id=body.owner_id)
    return instrument_detail(session, caller, iid)


@router.patch("/instruments/{instrument_id}", name="update_instrument", summary="Change an instrument")
def update_instrument(
    clock: ClockDep, instrument_id: DbId, body: InstrumentPatch, caller: Caller, session: SessionDep
) -> dict[str, Any]:
    from jiliang.registry.editing import update_instrument as run

    return run(session, caller, instrument_id, body.model_dump(exclude_unset=True), today=clock.today())


@router.post("/instruments/{instrument_id}/retire", name="retire_instrument", summary="Retire an instrument")
def retire_instrument(
    instrument_id: DbId, body: RetireIn, caller: Caller, session: SessionDep
) -> dict[str, Any]:
    from jiliang.registry.editing import retire_instrument as run
    from jiliang.registry.service import instrument_detail

    run(session, caller, instrument_id, reason=body.reason)
    return instrument_detail(session, caller, instrument_id)


@router.get("/instruments/{instrument_id}", name="get_instrument", summary="One instrument with its history")
def get_instrument(instrument_id: DbId, caller: Caller, session: SessionDep) -> dict[str, Any]:
    from jiliang.registry.service import instrument_detail

    return instrument_detail(session, caller, instrument_id)


@router.get("/instruments/{instrument_id}/trace", name="trace_instrument", summary="Traceability chain")
def trace_instrument(
    instrument_id: DbId, caller: Caller, session: SessionDep, request: Request
) -> dict[str, Any]:
    from jiliang.registry.service import trace_instrument as run

    return run(session, caller, instrument_id, settings_of(request).uncertainty_ratio_min).as_dict()


@router.post(
    "/instruments/{instrument_id}/verifications",
    name="record_verification",
    status_code=201,
    summary="Record a verification or calibration result (labs, regulator)",
)
def record_verification(
    clock: ClockDep, instrument_id: DbId, body: VerificationIn, caller: Caller, session: SessionDep
) -> dict[str, Any]:
    from jiliang.registry.service import ErrorFound, record_with_context
    from jiliang.registry.service import record_verification as run

    caller.require(Role.LAB, Role.REGULATOR)
    v = run(
        session,
        caller,
        instrument_id,
        verified_on=body.verified_on,
        today=clock.today(),
        result=body.result,
        certificate_no=body.certificate_no,
        standard_ids=body.standard_ids,
        errors=[ErrorFound(**e.model_dump()) for e in body.errors],
        kind=body.kind,
        temperature_c=body.temperature_c,
        humidity_percent=body.humidity_percent,
    )
    return record_with_context(session, v.id).as_dict()


@router.get("/standards", name="list_standards", summary="Measurement standards")
def list_standards(
    caller: Caller,
    session: SessionDep,
    page: PageDep,
    q: Annotated[str | None, Query(max_length=100)] = None,
    level: Literal["national", "public", "departmental", "enterprise"] | None = None,
    quantity: Annotated[str | None, Query(max_length=48)] = None,
) -> ListPage:
    from jiliang.registry.service import list_standards as run

    total, rows = run(
        session, caller, q=q, level=level, quantity=quantity, limit=page.limit, offset=page.offset
    )
    return ListPage(total=total, items=rows)


@router.get("/standards/{standard_id}", name="get_standard", summary="One standard with its calibrations")
def get_standard(standard_id: DbId, caller: Caller, session: SessionDep) -> dict[str, Any]:
    from jiliang.registry.service import standard_detail

    return standard_detail(session, caller, standard_id)


@router.get("/standards/{standard_id}/trace", name="trace_standard", summary="Chain above a standard")
def trace_standard(
    clock: ClockDep,
    standard_id: DbId,
    caller: Caller,
    session: SessionDep,
    request: Request,
    on: date | None = None,
) -> dict[str, Any]:
    from jiliang.registry.service import trace_standard as run

    ratio = settings_of(request).uncertainty_ratio_min
    return run(session, caller, standard_id, on or clock.today(), ratio).as_dict()


@router.get("/reference-materials", name="list_reference_materials", summary="Certified reference materials")
def list_reference_materials(
    caller: Caller, session: SessionDep, page: PageDep, q: Annotated[str | None, Query(max_length=100)] = None
) -> ListPage:
    from jiliang.registry.service import list_reference_materials as run

    total, rows = run(session, caller, q=q, limit=page.limit, offset=page.offset)
    return ListPage(total=total, items=rows)


@router.get("/verifications/{verification_id}", name="get_verification", summary="A record with its context")
def get_verification(verification_id: DbId, caller: Caller, session: SessionDep) -> dict[str, Any]:
    from jiliang.registry.access import may_see_record
    from jiliang.registry.service import record_with_context

    data = record_with_context(session, verification_id)
    lab_id = data.lab.id if data.lab else None
    if not may_see_record(caller, lab_id, data.owner.id if data.owner else None):
        raise NotFoundError(f"verification {verification_id} not found")
    return data.as_dict()


@router.get("/verifications/{verification_id}/trace", name="trace_verification", summary="Chain of a record")
def trace_verification(
    verification_id: DbId, caller: Caller, session: SessionDep, request: Request
) -> dict[str, Any]:
    from jiliang.registry.service import trace_verification as run

    get_verification(verification_id, caller, session)
    return run(session, verification_id, settings_of(request).uncertainty_ratio_min).as_dict()


def _importer_scope(caller: Any) -> int | None:
    """Who may import: the regulator any register; an owner (enterprise) only its own rows."""
    from jiliang.errors import PermissionDeniedError

    if caller.is_regulator and not caller.is_anonymous:
        return None
    if caller.role is Role.ENTERPRISE and caller.org_id is not None:
        return int(caller.org_id)
    caller.require(Role.REGULATOR, Role.ENTERPRISE)
    raise PermissionDeniedError(f"role {caller.role.value} may not import a register")


async def _read_upload(upload: UploadFile, limit: int) -> bytes:

    return await read_limited(
        upload, limit, lambda: TooLargeError(f"the file is larger than the import limit of {limit} bytes")
    )


@router.post(
    "/import", name="import_instruments", summary="Import a register (.xlsx or CSV); returns the report"
)
async def import_instruments(
    clock: ClockDep,
    request: Request,
    caller: Caller,
    file: Annotated[UploadFile, File(description="The register, .xlsx or .csv")],
    dry_run: bool = False,
) -> dict[str, Any]:
    from starlette.concurrency import run_in_threadpool

    from jiliang.registry.importer import import_register

    cfg = settings_of(request)
    owner_id = _importer_scope(caller)
    data = await _read_upload(file, cfg.import_max_bytes)
    db = request.app.state.db

    def work() -> dict[str, Any]:
        with db.session(actor=caller.actor) as session:
            report = import_register(
                session,
                data,
                file.filename or "",
                today=clock.today(),
                max_bytes=cfg.import_max_bytes,
                commit=not dry_run,
                owner_id=owner_id,
            )
            return report.as_dict()

    return await run_in_threadpool(work)


@router.get("/import/template", name="import_template", summary="The import template (CSV)")
def import_template() -> Response:
    from jiliang.registry.importer import template_csv

    return Response(
        template_csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="register-template.csv"'},
    )


@router.get("/export", name="export", summary="Export the register the caller may see, filtered as the list")
def export(
    caller: Caller,
    session: SessionDep,
    format: Literal["csv", "xlsx"] = "csv",
    lang: Literal["zh", "en"] = "zh",
    q: Annotated[str | None, Query(max_length=100, description="Serial starts with")] = None,
    type_id: int | None = None,
    owner_id: int | None = None,
    district_id: int | None = None,
    status: Status | None = None,
    use: UseName | None = None,
    due_before: date | None = None,
) -> Response:
    from jiliang.registry.export import export_register
    from jiliang.registry.service import InstrumentFilter

    f = InstrumentFilter(q, type_id, owner_id, district_id, status, use, due_before)
    data = export_register(session, caller, format, f, lang)
    media = (
        "text/csv; charset=utf-8"
        if format == "csv"
        else ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    )
    return Response(
        data, media_type=media, headers={"Content-Disposition": f'attachment; filename="register.{format}"'}
    )


@router.get("/due", name="due", summary="Instruments due within N days, and overdue ones")
def due(
    clock: ClockDep,
    caller: Caller,
    session: SessionDep,
    page: PageDep,
    within: Annotated[int, Query(ge=0, le=3660, description="Days ahead")] = 30,
) -> InstrumentPage:
    from jiliang.registry.service import due_list

    total, exact, rows = due_list(session, caller, within, clock.today(), page.limit, page.offset)
    return InstrumentPage(total=total, exact=exact, items=rows)


@router.post("/book", name="book", summary="Book verification: the instruments become booked")
def book(clock: ClockDep, body: BookIn, caller: Caller, session: SessionDep) -> CountOut:
    from jiliang.registry.service import book as run

    caller.require(Role.REGULATOR, Role.ENTERPRISE)
    return CountOut(count=run(session, caller, body.ids, body.on, clock.today(), body.lab_id))


@router.post("/notify", name="notify", summary="Send a notice to the owners of instruments")
def notify(clock: ClockDep, body: NotifyIn, caller: Caller, session: SessionDep) -> CountOut:
    from jiliang.registry.service import notify as run

    caller.require(Role.REGULATOR, Role.LAB)
    return CountOut(count=run(session, caller, body.ids, clock.today(), body.note))


@router.post("/status-job", name="status_job", summary="Run the overdue/blocked transitions and reminders")
def status_job(clock: ClockDep, _: Regulator, session: SessionDep, on: date | None = None) -> dict[str, Any]:
    from jiliang.registry.service import run_status_job

    return run_status_job(session, on or clock.today()).as_dict()


@router.get("/metrics", name="metrics", summary="受检率, 建标覆盖率 with gaps, standards by level")
def metrics(clock: ClockDep, _: Regulator, session: SessionDep, on: date | None = None) -> dict[str, Any]:
    from jiliang.registry.metrics import summary

    return summary(session, on or clock.today())
