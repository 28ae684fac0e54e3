"""Organizations and districts of the city."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import func, or_, select

from jiliang.api.deps import Caller, PageDep, Regulator, SessionDep
from jiliang.errors import ConflictError, NotFoundError, PermissionDeniedError
from jiliang.platform import credit_code
from jiliang.platform.models import District, Organization, OrgKind

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


class OrganizationIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    kind: OrgKind
    credit_code: str | None = Field(default=None, max_length=32)
    district_id: int | None = None
    address: str | None = Field(default=None, max_length=300)
    accreditation_code: str | None = Field(default=None, max_length=64)

    @field_validator("credit_code")
    @classmethod
    def _code(cls, value: str | None) -> str | None:
        return None if value is None else credit_code.validate(value)


class OrganizationPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    address: str | None = Field(default=None, max_length=300)
    accreditation_code: str | None = Field(default=None, max_length=64)


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


@router.get("/districts", name="list_districts", summary="Districts of the city (public)")
def list_districts(session: SessionDep) -> list[DistrictOut]:
    return [DistrictOut.model_validate(d, from_attributes=True) for d in session.scalars(select(District))]


@router.get("/organizations", name="list", summary="Organizations the caller may see")
def list_organizations(
    caller: Caller,
    session: SessionDep,
    page: PageDep,
    q: Annotated[str | None, Query(max_length=100, description="Name or credit code contains")] = None,
    kind: Annotated[OrgKind | None, Query()] = None,
    district_id: Annotated[int | None, Query()] = None,
) -> OrganizationPage:
    """Regulators see every organization; labs and enterprises their own; the public sees the labs
    and institutes (whose names appear on published certificates)."""
    stmt = select(Organization)
    if caller.is_regulator:
        pass
    elif caller.is_anonymous:
        stmt = stmt.where(Organization.kind.in_([OrgKind.INSTITUTE.value, OrgKind.LAB.value]))
    else:
        stmt = stmt.where(Organization.id == caller.org_id)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(or_(Organization.name.like(like), Organization.credit_code.like(like)))
    if kind:
        stmt = stmt.where(Organization.kind == kind.value)
    if district_id is not None:
        stmt = stmt.where(Organization.district_id == district_id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Organization.id).limit(page.limit).offset(page.offset))
    return OrganizationPage(total=total, items=[_out(o) for o in rows])


def _visible(caller: Caller, org: Organization | None) -> Organization:
    public_kinds = {OrgKind.INSTITUTE.value, OrgKind.LAB.value}
    if org is None or not (caller.may_see_org(org.id) or org.kind in public_kinds):
        raise NotFoundError("organization not found")
    return org


@router.get("/organizations/{org_id}", name="get", summary="One organization")
def get_organization(org_id: int, caller: Caller, session: SessionDep) -> OrganizationOut:
    return _out(_visible(caller, session.get(Organization, org_id)))


@router.post("/organizations", name="create", status_code=201, summary="Register an organization")
def create_organization(body: OrganizationIn, _: Regulator, session: SessionDep) -> OrganizationOut:
    if body.credit_code and session.scalar(
        select(Organization.id).where(Organization.credit_code == body.credit_code)
    ):
        raise ConflictError(f"an organization with credit code {body.credit_code} exists")
    if body.district_id is not None and session.get(District, body.district_id) is None:
        raise NotFoundError(f"district {body.district_id} does not exist")
    org = Organization(**body.model_dump() | {"kind": body.kind.value})
    session.add(org)
    session.flush()
    return _out(org)


@router.patch("/organizations/{org_id}", name="update", summary="Change an organization's details")
def update_organization(
    org_id: int, body: OrganizationPatch, caller: Caller, session: SessionDep
) -> OrganizationOut:
    """Regulators may change any organization; an enterprise or lab user only its own."""
    org = session.get(Organization, org_id)
    if org is None or not caller.may_see_org(org_id):
        raise NotFoundError("organization not found")
    if caller.is_anonymous:
        raise PermissionDeniedError("login required")
    for key, value in body.model_dump(exclude_unset=True).items():
        setattr(org, key, value)
    session.flush()
    return _out(org)
