"""Digital calibration certificates: issue, list, download, revoke/supersede; public verification.

Public (no login): ``GET /api/certificates/verify/{number}`` (status, signer, dates),
``POST /api/certificates/validate`` and ``POST /api/certificates/verify`` (upload a DCC XML as the
raw request body, at most :data:`UPLOAD_MAX_BYTES`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from jiliang.api.deps import Caller, ClockDep, DbId, PageDep, SessionDep, settings_of
from jiliang.dcc.service import UPLOAD_MAX_BYTES as SERVICE_UPLOAD_MAX_BYTES
from jiliang.errors import InputError, PermissionDeniedError, TooLargeError
from jiliang.platform.models import Role

router = APIRouter(prefix="/certificates", tags=["certificates"])

UPLOAD_MAX_BYTES = SERVICE_UPLOAD_MAX_BYTES
"""Largest certificate accepted by the upload endpoints (5 MiB)."""

Number = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")]


class PartyIn(BaseModel):
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    address: str | None = Field(default=None, max_length=300)
    country_code: str = Field(default="CN", pattern=r"^[A-Z]{2}$")
    accreditation_code: str | None = Field(default=None, max_length=64)
    email: str | None = Field(default=None, max_length=200)


class StandardIn(BaseModel):
    name_zh: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    serial_number: str = Field(min_length=1, max_length=100)
    certificate_number: str = Field(min_length=1, max_length=100)
    certificate_issuer: str = Field(min_length=1, max_length=200)
    certificate_sha256: str = Field(pattern=r"^[0-9a-fA-F]{64}$")
    manufacturer: str | None = Field(default=None, max_length=200)
    model: str | None = Field(default=None, max_length=100)


class ConditionIn(BaseModel):
    name_zh: str = Field(min_length=1, max_length=100)
    name_en: str = Field(min_length=1, max_length=100)
    value: Decimal
    unit: str = Field(min_length=1, max_length=100)
    U: Decimal | None = Field(default=None, ge=0)
    k: Decimal = Field(default=Decimal(2), ge=1)
    ref_type: str | None = Field(default=None, max_length=100)


class PointIn(BaseModel):
    reference: Decimal
    indication: Decimal
    U: Decimal = Field(ge=0)
    k: Decimal = Field(default=Decimal(2), ge=1)
    p: Decimal = Field(default=Decimal("0.95"), ge=0, le=1)


class ConformityIn(BaseModel):
    specification: str = Field(min_length=1, max_length=200)
    decision_rule: str = Field(min_length=1, max_length=300)
    result: Literal["pass", "fail", "conditionalPass", "conditionalFail", "noPass", "noFail"]
    declaration_zh: str = Field(min_length=1, max_length=1000)
    declaration_en: str = Field(min_length=1, max_length=1000)


class RecordIn(BaseModel):
    """A calibration record (see :class:`jiliang.dcc.record.CalibrationRecordInput`)."""

    number: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")
    customer: PartyIn
    instrument_name_zh: str = Field(min_length=1, max_length=200)
    instrument_name_en: str = Field(min_length=1, max_length=200)
    serial_number: str = Field(min_length=1, max_length=100)
    manufacturer: str | None = Field(default=None, max_length=200)
    model: str | None = Field(default=None, max_length=100)
    asset_number: str | None = Field(default=None, max_length=100)
    received: date
    calibrated_from: date
    calibrated_to: date
    issued: date
    quantity_zh: str = Field(min_length=1, max_length=100)
    quantity_en: str = Field(min_length=1, max_length=100)
    unit: str = Field(min_length=1, max_length=100)
    points: list[PointIn] = Field(min_length=1, max_length=1000)
    method_zh: str = Field(min_length=1, max_length=300)
    method_en: str = Field(min_length=1, max_length=300)
    method_norm: str = Field(min_length=1, max_length=200)
    performer: str = Field(min_length=1, max_length=100)
    approver: str = Field(min_length=1, max_length=100)
    standards: list[StandardIn] = Field(default_factory=list, max_length=50)
    conditions: list[ConditionIn] = Field(default_factory=list, max_length=50)
    conformity: ConformityIn | None = None
    customer_order: str | None = Field(default=None, max_length=100)


class IssueIn(BaseModel):
    record: RecordIn
    customer_org_id: DbId | None = None
    instrument_ref: DbId | None = None
    calibration_record_ref: DbId | None = None


class CertificateOut(BaseModel):
    id: int
    number: str
    lab_org_id: int
    customer_org_id: int | None
    instrument_ref: int | None
    calibration_record_ref: int | None
    issued_at: datetime
    signer_subject: str
    sha256: str
    status: str
    reason: str | None
    superseded_by: int | None
    status_changed_at: datetime | None


class CertificatePage(BaseModel):
    total: int
    items: list[CertificateOut]


class ReasonIn(BaseModel):
    reason: str = Field(min_length=3, max_length=2000)


class SupersedeIn(ReasonIn):
    by: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-]*$")


class PublishedInstrumentOut(BaseModel):
    """The calibrated instrument as the certificate publishes it."""

    name_zh: str | None = None
    name_en: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    serial_number: str | None = None
    owner_zh: str | None = None
    owner_en: str | None = None


class RegisterStateOut(BaseModel):
    status: Literal["in_use", "booked", "overdue", "blocked", "retired"]
    next_due_on: str | None


class PublicStatusOut(BaseModel):
    number: str
    status: Literal["valid", "revoked", "superseded"]
    laboratory: str | None
    laboratory_en: str | None
    signer: str
    issued_at: str
    status_changed_at: str | None
    reason: str | None
    superseded_by: str | None
    sha256: str
    instrument: PublishedInstrumentOut
    in_register: RegisterStateOut | None = Field(
        None, description="Whether the register lets the instrument be used today (blocked once past due)"
    )


def _out(row: Any) -> CertificateOut:
    return CertificateOut.model_validate(row, from_attributes=True)


def _record(body: RecordIn, lab: Any) -> Any:
    from jiliang.dcc.record import (
        CalibrationPoint,
        CalibrationRecordInput,
        ConditionInput,
        ConformityInput,
        PartyInput,
        StandardInput,
    )

    data = body.model_dump()
    return CalibrationRecordInput(
        **{
            **data,
            "laboratory": PartyInput(
                lab.name,
                lab.name_en or lab.name,
                (lab.district.name if lab.district else None) or "—",
                lab.address,
                accreditation_code=lab.accreditation_code,
            ),
            "customer": PartyInput(**data["customer"]),
            "points": tuple(CalibrationPoint(**p) for p in data["points"]),
            "standards": tuple(StandardInput(**s) for s in data["standards"]),
            "conditions": tuple(ConditionInput(**c) for c in data["conditions"]),
            "conformity": ConformityInput(**data["conformity"]) if data["conformity"] else None,
        }
    )


def _visible(caller: Any, row: Any) -> None:
    if caller.role is Role.REGULATOR:
        return
    caller.require(Role.LAB, Role.ENTERPRISE)
    if caller.org_id is None or caller.org_id not in (row.lab_org_id, row.customer_org_id):
        raise PermissionDeniedError(f"certificate {row.number!r} belongs to another organization")


def _visible_certificate(session: Any, caller: Any, number: str) -> Any:
    """The register entry of ``number`` if the caller may see it."""
    from jiliang.dcc.service import get_certificate

    row = get_certificate(session, number)
    _visible(caller, row)
    return row


def _own_lab(caller: Any, row: Any) -> None:
    caller.require(Role.LAB)
    if caller.org_id != row.lab_org_id:
        raise PermissionDeniedError(f"only the issuing laboratory may change certificate {row.number!r}")


@router.post("", name="issue", status_code=201, summary="Issue and sign a certificate (lab)")
def issue_certificate(
    clock: ClockDep, body: IssueIn, caller: Caller, session: SessionDep, request: Request
) -> CertificateOut:
    from jiliang.dcc.service import check_parties, issue
    from jiliang.dcc.trust import issuing_keys
    from jiliang.platform.orgs import get_organization

    caller.require(Role.LAB)
    if caller.org_id is None:
        raise PermissionDeniedError("the caller belongs to no laboratory")
    lab = get_organization(session, caller, caller.org_id)
    parties = check_parties(
        session,
        lab_org_id=caller.org_id,
        customer_org_id=body.customer_org_id,
        instrument_ref=body.instrument_ref,
        calibration_record_ref=body.calibration_record_ref,
        customer_names=(body.record.customer.name_zh, body.record.customer.name_en),
    )
    if parties.customer_name is not None:  # the certificate names the registered customer
        body.record.customer.name_zh = parties.customer_name
        body.record.customer.name_en = parties.customer_name_en or parties.customer_name
    keys = issuing_keys(settings_of(request))
    row = issue(
        session,
        _record(body.record, lab),
        keys=keys,
        lab_org_id=caller.org_id,
        customer_org_id=parties.customer_org_id,
        instrument_ref=parties.instrument_ref,
        calibration_record_ref=body.calibration_record_ref,
        now=clock.now(),
    )
    return _out(row)


class FromRecordIn(BaseModel):
    performer: str = Field(
        min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$", description="Who calibrated"
    )
    approver: str = Field(
        min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$", description="Who approves and signs"
    )
    issued: date | None = Field(default=None, description="Date of issue (default: today)")


@router.post(
    "/from-record/{verification_id}",
    name="issue_from_record",
    status_code=201,
    summary="Issue and sign the certificate of a registry calibration record (the lab that made it)",
)
def issue_from_registry_record(
    clock: ClockDep,
    verification_id: DbId,
    body: FromRecordIn,
    caller: Caller,
    session: SessionDep,
    request: Request,
) -> CertificateOut:
    from jiliang.dcc.from_registry import IssueContext, issue_from_record
    from jiliang.dcc.trust import issuing_keys

    caller.require(Role.LAB)
    if caller.org_id is None:
        raise PermissionDeniedError("the caller belongs to no laboratory")
    now = clock.now()
    row = issue_from_record(
        session,
        verification_id,
        lab_org_id=caller.org_id,
        keys=issuing_keys(settings_of(request)),
        issue=IssueContext(
            issued=body.issued or now.date(), performer=body.performer, approver=body.approver
        ),
        now=now,
    )
    return _out(row)


@router.get("", name="list", summary="Certificates issued by or to the caller's organization")
def list_certificates(
    caller: Caller,
    session: SessionDep,
    page: PageDep,
    status: Annotated[Literal["valid", "revoked", "superseded"] | None, Query()] = None,
) -> CertificatePage:
    from jiliang.dcc.service import list_certificates as run

    if caller.role is Role.REGULATOR:
        org = None
    else:
        caller.require(Role.LAB, Role.ENTERPRISE)
        if caller.org_id is None:
            return CertificatePage(total=0, items=[])
        org = caller.org_id
    total, rows = run(session, org_id=org, status=status, limit=page.limit, offset=page.offset)
    return CertificatePage(total=total, items=[_out(r) for r in rows])


@router.get("/verify/{number}", name="public_status", summary="Public status of a certificate (no login)")
def public_status(clock: ClockDep, number: Number, session: SessionDep) -> PublicStatusOut:
    from jiliang.dcc.service import public_status as run

    return PublicStatusOut(**run(session, number, clock.today()))


async def _upload(request: Request) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > UPLOAD_MAX_BYTES:
            raise TooLargeError(f"certificate upload is larger than {UPLOAD_MAX_BYTES} bytes")
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data.strip():
        raise InputError("send the certificate XML as the request body")
    return data


@router.post("/validate", name="validate_upload", summary="Validate an uploaded DCC XML (no login)")
async def validate_upload(request: Request) -> dict[str, Any]:
    from starlette.concurrency import run_in_threadpool

    from jiliang.dcc.validate import validate

    data = await _upload(request)
    report = await run_in_threadpool(validate, data, max_bytes=UPLOAD_MAX_BYTES)
    return report.as_dict()


@router.post("/verify", name="verify_upload", summary="Verify an uploaded signed DCC XML (no login)")
async def verify_upload(
    clock: ClockDep,
    request: Request,
    at: Annotated[date | None, Query(description="Validation date (default: timestamp, else now)")] = None,
) -> dict[str, Any]:
    from starlette.concurrency import run_in_threadpool

    from jiliang.api.deps import get_db
    from jiliang.dcc.service import verify_file

    data = await _upload(request)
    when = datetime(at.year, at.month, at.day, 12, tzinfo=UTC) if at else None

    def run() -> dict[str, Any]:
        with get_db(request).sessionmaker() as session:
            return verify_file(session, data, settings_of(request), now=clock.now(), at=when)

    return await run_in_threadpool(run)


@router.get("/{number}", name="get", summary="One certificate's register entry")
def get_certificate(number: Number, caller: Caller, session: SessionDep) -> CertificateOut:
    row = _visible_certificate(session, caller, number)
    return _out(row)


@router.get(
    "/{number}/xml",
    name="download_xml",
    summary="The signed XML exactly as issued",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}}},
)
def download_xml(number: Number, caller: Caller, session: SessionDep) -> Response:
    row = _visible_certificate(session, caller, number)
    return Response(
        row.signed_xml,
        media_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{row.number}.xml"'},
    )


@router.get(
    "/{number}/pdf",
    name="download_pdf",
    summary="A PDF view of the certificate (zh or en)",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def download_pdf(
    clock: ClockDep,
    number: Number,
    caller: Caller,
    session: SessionDep,
    request: Request,
    lang: Annotated[Literal["zh", "en"], Query()] = "zh",
) -> Response:
    from jiliang.dcc.reader import from_xml
    from jiliang.dcc.render import render_pdf
    from jiliang.dcc.service import base_url, signature_of

    row = _visible_certificate(session, caller, number)
    settings = settings_of(request)
    pdf = render_pdf(
        from_xml(row.signed_xml),
        lang=lang,
        base_url=base_url(settings.public_base_url, str(request.base_url)),
        signature=signature_of(row.signed_xml, settings, now=clock.now()),
        font=settings.dcc_pdf_font,
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{row.number}-{lang}.pdf"'},
    )


@router.get(
    "/{number}/html",
    name="view_html",
    summary="An HTML view of the certificate (zh or en)",
    response_class=Response,
    responses={200: {"content": {"text/html": {}}}},
)
def view_html(
    clock: ClockDep,
    number: Number,
    caller: Caller,
    session: SessionDep,
    request: Request,
    lang: Annotated[Literal["zh", "en"], Query()] = "zh",
) -> Response:
    from jiliang.dcc.reader import from_xml
    from jiliang.dcc.render import render_html
    from jiliang.dcc.service import base_url, signature_of

    row = _visible_certificate(session, caller, number)
    settings = settings_of(request)
    page = render_html(
        from_xml(row.signed_xml),
        lang=lang,
        base_url=base_url(settings.public_base_url, str(request.base_url)),
        signature=signature_of(row.signed_xml, settings, now=clock.now()),
    )
    return Response(
        page,
        media_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:"},
    )


@router.post("/{number}/revoke", name="revoke", summary="Revoke a certificate with a reason (issuing lab)")
def revoke_certificate(
    clock: ClockDep, number: Number, body: ReasonIn, caller: Caller, session: SessionDep
) -> CertificateOut:
    from jiliang.dcc.service import get_certificate, revoke

    _own_lab(caller, get_certificate(session, number))
    return _out(revoke(session, number, body.reason, now=clock.now()))


@router.post(
    "/{number}/supersede", name="supersede", summary="Mark superseded by a newer certificate (issuing lab)"
)
def supersede_certificate(
    clock: ClockDep, number: Number, body: SupersedeIn, caller: Caller, session: SessionDep
) -> CertificateOut:
    from jiliang.dcc.service import get_certificate, supersede

    _own_lab(caller, get_certificate(session, number))
    return _out(supersede(session, number, body.by, body.reason, now=clock.now()))
