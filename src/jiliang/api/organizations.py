"""Organizations and districts of the city, and change requests of their registered details.

Names, credit codes, accreditation and a lab's authorised scope change only by the regulator; an
organization requests such a change and the regulator approves or rejects it
(:mod:`jiliang.platform.orgs`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, field_validator

from jiliang.api.deps import Caller, DbId, PageDep, Regulator, SessionDep
from jiliang.platform import credit_code, orgs
from jiliang.platform.db import utcnow
from jiliang.platform.models import Organization, OrgKind

router = APIRouter(tags=["organizations"])


class OrganizationOut(BaseModel):
    id: int
    name: str
    name_en: str | None
    kind: str
    credit_code: str | None
    district_id: int | None
    address: str | None
    accreditation_code: str | None
    authorised_type_codes: list[str] | None = None


class OrganizationIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    kind: OrgKind
    credit_code: str | None = Field(default=None, max_length=32)
    district_id: DbId | None = None
    address: str | None = Field(default=None, max_length=300)
    accreditation_code: str | None = Field(default=None, max_length=64)

    @field_validator("credit_code")
    @classmethod
    def _code(cls, value: str | None) -> str | None:
        return None if value is None else credit_code.validate(value)


class OrganizationPatch(BaseModel):
    """The address: the organization itself; every other field: the regulator only."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    address: str | None = Field(default=None, max_length=300)
    accreditation_code: str | None = Field(default=None, max_length=64)
    credit_code: str | None = Field(default=None, max_length=32)
    authorised_type_codes: list[Annotated[str, Field(max_length=48)]] | None = Field(
        default=None, max_length=500
    )


class ChangeRequestIn(BaseModel):
    """The requested values (at least one) and the reason."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    credit_code: str | None = Field(default=None, max_length=32)
    accreditation_code: str | None = Field(default=None, max_length=64)
    reason: str = Field(min_length=1, max_length=500)


class DecisionIn(BaseModel):
    note: str | None = Field(default=None, max_length=500)


class ChangeRequestOut(BaseModel):
    id: int
    org_id: int
    org_name: str
    changes: dict[str, Any]
    before: dict[str, Any]
    reason: str
    status: str
    created_at: datetime
    decided_at: datetime | None
    decision_note: str | None
    actions: list[str]


class ChangeRequestPage(BaseModel):
    total: int
    items: list[ChangeRequestOut]


class OrganizationPage(BaseModel):
    total: int
    items: list[OrganizationOut]


class DistrictOut(BaseModel):
    id: int
    code: str
    name: str
    name_en: str


def _out(org: Organization) -> OrganizationOut:
    return OrganizationOut.model_validate(org, from_attributes=True)


def _request_out(req: orgs.ChangeRequest) -> ChangeRequestOut:
    return ChangeRequestOut.model_validate(req, from_attributes=True)


# change-request routes come before /organizations/{org_id} so their paths match first


@router.get(
    "/organizations/change-requests",
    name="list_change_requests",
    summary="Change requests (own; regulator: all)",
)
def list_change_requests(
    caller: Caller,
    session: SessionDep,
    page: PageDep,
    status: Literal["pending", "approved", "rejected"] | None = None,
) -> ChangeRequestPage:
    total, rows = orgs.list_change_requests(session, caller, status, page.limit, page.offset)
    return ChangeRequestPage(total=total, items=[_request_out(r) for r in rows])


@router.get(
    "/organizations/change-requests/{request_id}", name="get_change_request", summary="One change request"
)
def get_change_request(request_id: DbId, caller: Caller, session: SessionDep) -> ChangeRequestOut:
    return _request_out(orgs.get_change_request(session, caller, request_id))


@router.post(
    "/organizations/change-requests/{request_id}/{action}",
    name="decide_change_request",
    summary="Approve or reject a pending change request (regulator)",
)
def decide_change_request(
    request_id: DbId,
    action: Literal["approve", "reject"],
    body: DecisionIn,
    caller: Caller,
    session: SessionDep,
) -> ChangeRequestOut:
    return _request_out(orgs.decide_change_request(session, caller, request_id, action, body.note, utcnow()))


@router.post(
    "/organizations/{org_id}/change-requests",
    name="request_change",
    status_code=201,
    summary="Ask the regulator to change the organization's names, credit code or accreditation",
)
def request_change(
    org_id: DbId, body: ChangeRequestIn, caller: Caller, session: SessionDep
) -> ChangeRequestOut:
    changes = body.model_dump(exclude_unset=True, exclude={"reason"})
    return _request_out(orgs.submit_change_request(session, caller, org_id, changes, body.reason, utcnow()))


@router.get("/districts", name="list_districts", summary="Districts of the city (public)")
def list_districts(session: SessionDep) -> list[DistrictOut]:
    return [DistrictOut.model_validate(d, from_attributes=True) for d in orgs.list_districts(session)]


@router.get("/organizations", name="list", summary="Organizations the caller may see")
def list_organizations(
    caller: Caller,
    session: SessionDep,
    page: PageDep,
    q: Annotated[str | None, Query(max_length=100, description="Name or credit code contains")] = None,
    kind: Annotated[OrgKind | None, Query()] = None,
    district_id: Annotated[DbId | None, Query()] = None,
) -> OrganizationPage:
    """Regulators see every organization; labs and enterprises their own; everyone sees the labs
    and institutes (whose names appear on published certificates)."""
    total, rows = orgs.list_organizations(
        session,
        caller,
        q=q,
        kind=kind.value if kind else None,
        district_id=district_id,
        limit=page.limit,
        offset=page.offset,
    )
    return OrganizationPage(total=total, items=[_out(o) for o in rows])


@router.get("/organizations/{org_id}", name="get", summary="One organization")
def get_organization(org_id: DbId, caller: Caller, session: SessionDep) -> OrganizationOut:
    return _out(orgs.get_organization(session, caller, org_id))


@router.post("/organizations", name="create", status_code=201, summary="Register an organization")
def create_organization(body: OrganizationIn, caller: Regulator, session: SessionDep) -> OrganizationOut:
    return _out(orgs.create_organization(session, caller, body.model_dump() | {"kind": body.kind.value}))


@router.patch("/organizations/{org_id}", name="update", summary="Change an organization's details")
def update_organization(
    org_id: DbId, body: OrganizationPatch, caller: Caller, session: SessionDep
) -> OrganizationOut:
    """The regulator may change any field of any organization; an organization only its own
    address (403 for the other fields: submit a change request)."""
    return _out(orgs.update_organization(session, caller, org_id, body.model_dump(exclude_unset=True)))
