"""Organizations: who may change what, and change requests decided by the regulator.

An organization's identity — its names, its unified social credit code (统一社会信用代码), its
accreditation and its authorised scope — is changed only by the regulator. An organization may
change its own address, and may *request* a change of its identity: the request waits for the
regulator, who approves it (the change is applied) or rejects it, with a note. Each step is one
transaction, written to the audit log with the acting user (both tables are audited).

The life of a request is the data :data:`TRANSITIONS`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from jiliang.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from jiliang.platform import credit_code
from jiliang.platform.auth import Principal
from jiliang.platform.models import District, Organization, OrgChangeRequest, OrgKind, Role

__all__ = [
    "PUBLIC_KINDS",
    "REGULATOR_ONLY",
    "REQUESTABLE",
    "TRANSITIONS",
    "ChangeRequest",
    "create_organization",
    "decide_change_request",
    "find_organization",
    "get_change_request",
    "get_organization",
    "list_change_requests",
    "list_districts",
    "list_organizations",
    "submit_change_request",
    "update_organization",
    "verifying_organizations",
]

PUBLIC_KINDS = frozenset({OrgKind.INSTITUTE.value, OrgKind.LAB.value})
"""Organizations everyone may see: their names appear on published certificates."""

REQUESTABLE = ("name", "name_en", "credit_code", "accreditation_code")
"""Fields an organization may ask the regulator to change."""

REGULATOR_ONLY = (*REQUESTABLE, "authorised_type_codes")
"""Fields only the regulator changes."""

SELF_SERVICE = ("address",)

TRANSITIONS: dict[str, dict[str, str]] = {"pending": {"approve": "approved", "reject": "rejected"}}
"""state → {action: next state}; ``approved`` and ``rejected`` are final."""

_LIMITS = {"name": 200, "name_en": 200, "accreditation_code": 64, "address": 300}
_TYPE_CODE = re.compile(r"^[A-Za-z0-9-]{1,48}$")


@dataclass(frozen=True, slots=True)
class ChangeRequest:
    """A change request as the API and the console show it; ``actions`` are those allowed now."""

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
    actions: tuple[str, ...]


def _clean(session: Session, org: Organization, changes: Mapping[str, Any]) -> dict[str, Any]:
    """The changes with each value checked; the message names the field at fault."""
    out: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "credit_code":
            if value is not None:
                value = credit_code.validate(value)
                other = session.scalar(
                    select(Organization.id).where(
                        Organization.credit_code == value, Organization.id != org.id
                    )
                )
                if other is not None:
                    raise ConflictError(f"another organization has credit code {value}")
        elif key == "authorised_type_codes":
            if value is not None:
                value = sorted({str(c) for c in value})
                bad = [c for c in value if not _TYPE_CODE.match(c)]
                if bad or len(value) > 500:
                    raise InputError(f"authorised type code {bad[0] if bad else '…'!r} is not a type code")
        elif key in _LIMITS:
            if value is not None:
                value = str(value).strip()
                if key == "name" and not value:
                    raise InputError("the name must not be empty")
                if len(value) > _LIMITS[key]:
                    raise InputError(f"{key} is longer than {_LIMITS[key]} characters")
        else:
            raise InputError(f"{key} cannot be changed")
        if key == "name" and value is None:
            raise InputError("the name must not be empty")
        out[key] = value
    return out


def _visible(principal: Principal) -> ColumnElement[bool] | None:
    """Who sees which organizations, the one rule: the regulator all; a lab or an enterprise its own
    and the public ones; the public the public ones (None: no restriction)."""
    if principal.is_regulator:
        return None
    public = Organization.kind.in_(sorted(PUBLIC_KINDS))
    return public if principal.org_id is None else or_(public, Organization.id == principal.org_id)


def _org_for(session: Session, principal: Principal, org_id: int) -> Organization:
    """An organization the caller may change: the regulator any, the others their own."""
    org = session.get(Organization, org_id)
    if org is None or not principal.may_see_org(org_id):
        raise NotFoundError(f"organization {org_id} not found")
    return org


def list_districts(session: Session) -> list[District]:
    """The city's districts (public)."""
    return list(session.scalars(select(District).order_by(District.id)))


def list_organizations(
    session: Session,
    principal: Principal,
    *,
    q: str | None = None,
    kind: str | None = None,
    district_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[Organization]]:
    """(total, one page) of the organizations the caller may see, by name or credit code fragment."""
    stmt = select(Organization)
    rule = _visible(principal)
    if rule is not None:
        stmt = stmt.where(rule)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(or_(Organization.name.like(like), Organization.credit_code.like(like)))
    if kind:
        stmt = stmt.where(Organization.kind == kind)
    if district_id is not None:
        stmt = stmt.where(Organization.district_id == district_id)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    return total, list(session.scalars(stmt.order_by(Organization.id).limit(limit).offset(offset)))


def find_organization(session: Session, principal: Principal, ref: str) -> Organization:
    """An organization the caller may see, by id (digits) or unified social credit code."""
    if ref.isdigit():
        return get_organization(session, principal, int(ref))
    stmt = select(Organization).where(Organization.credit_code == ref.upper())
    rule = _visible(principal)
    org = session.scalar(stmt if rule is None else stmt.where(rule))
    if org is None:
        raise NotFoundError(f"organization {ref!r} not found")
    return org


def verifying_organizations(session: Session) -> list[Organization]:
    """The institutes and labs (public: their names appear on certificates), by id."""
    stmt = select(Organization).where(Organization.kind.in_(sorted(PUBLIC_KINDS)))
    return list(session.scalars(stmt.order_by(Organization.id)))


def get_organization(session: Session, principal: Principal, org_id: int) -> Organization:
    """One organization the caller may see (404 otherwise, so existence does not leak)."""
    stmt = select(Organization).where(Organization.id == org_id)
    rule = _visible(principal)
    org = session.scalar(stmt if rule is None else stmt.where(rule))
    if org is None:
        raise NotFoundError(f"organization {org_id} not found")
    return org


def create_organization(session: Session, principal: Principal, fields: Mapping[str, Any]) -> Organization:
    """Register an organization (the regulator): a credit code is unique, a district must exist."""
    principal.require(Role.REGULATOR)
    code = fields.get("credit_code")
    if code and session.scalar(select(Organization.id).where(Organization.credit_code == code)):
        raise ConflictError(f"an organization with credit code {code} exists")
    district = fields.get("district_id")
    if district is not None and session.get(District, district) is None:
        raise NotFoundError(f"district {district} does not exist")
    org = Organization(**fields)
    session.add(org)
    session.flush()
    return org


def update_organization(
    session: Session, principal: Principal, org_id: int, changes: Mapping[str, Any]
) -> Organization:
    """Change an organization: the regulator any field; an organization its own address only.

    Changing a name, a credit code, the accreditation or the authorised scope of one's own
    organization is refused (403): submit a change request instead.
    """
    principal.require(Role.REGULATOR, Role.LAB, Role.ENTERPRISE)
    org = _org_for(session, principal, org_id)
    if not principal.is_regulator:
        refused = sorted(k for k in changes if k in REGULATOR_ONLY)
        if refused:
            raise PermissionDeniedError(
                f"only the regulator changes {', '.join(refused)}; submit a change request instead"
            )
    for key, value in _clean(session, org, changes).items():
        setattr(org, key, value)
    session.flush()
    return org


def _view(req: OrgChangeRequest, org_name: str, principal: Principal) -> ChangeRequest:
    actions = tuple(TRANSITIONS.get(req.status, {})) if principal.is_regulator else ()
    return ChangeRequest(
        req.id,
        req.org_id,
        org_name,
        dict(req.changes),
        dict(req.before),
        req.reason,
        req.status,
        req.created_at,
        req.decided_at,
        req.decision_note,
        actions,
    )


def submit_change_request(
    session: Session,
    principal: Principal,
    org_id: int,
    changes: Mapping[str, Any],
    reason: str,
    now: datetime,
) -> ChangeRequest:
    """An organization asks the regulator to change its names, credit code or accreditation.

    One request per organization waits at a time (409 while one is pending).
    """
    principal.require(Role.LAB, Role.ENTERPRISE)
    org = _org_for(session, principal, org_id)
    bad = sorted(k for k in changes if k not in REQUESTABLE)
    if bad:
        raise InputError(f"{bad[0]} cannot be requested; requestable: {', '.join(REQUESTABLE)}")
    reason = (reason or "").strip()
    if not 1 <= len(reason) <= 500:
        raise InputError("give the reason for the change (1–500 characters)")
    cleaned = {k: v for k, v in _clean(session, org, changes).items() if v != getattr(org, k)}
    if not cleaned:
        raise InputError("the request changes nothing")
    pending = session.scalar(
        select(OrgChangeRequest.id).where(
            OrgChangeRequest.org_id == org.id, OrgChangeRequest.status == "pending"
        )
    )
    if pending is not None:
        raise ConflictError(f"change request {pending} of this organization is still pending")
    req = OrgChangeRequest(
        org_id=org.id,
        requested_by=principal.user_id,
        changes=cleaned,
        before={k: getattr(org, k) for k in cleaned},
        reason=reason,
        status="pending",
        created_at=now,
    )
    session.add(req)
    session.flush()
    return _view(req, org.name, principal)


def list_change_requests(
    session: Session, principal: Principal, status: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[int, list[ChangeRequest]]:
    """The regulator sees every request; an organization its own. Newest first."""
    principal.require(Role.REGULATOR, Role.LAB, Role.ENTERPRISE)
    stmt = select(OrgChangeRequest, Organization.name).join(
        Organization, Organization.id == OrgChangeRequest.org_id
    )
    if not principal.is_regulator:
        stmt = stmt.where(OrgChangeRequest.org_id == principal.org_id)
    if status is not None:
        if status not in ("pending", "approved", "rejected"):
            raise InputError(f"unknown status {status!r}")
        stmt = stmt.where(OrgChangeRequest.status == status)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.execute(stmt.order_by(OrgChangeRequest.id.desc()).limit(limit).offset(offset)).all()
    return total, [_view(r, n, principal) for r, n in rows]


def _request_for(
    session: Session, principal: Principal, request_id: int
) -> tuple[OrgChangeRequest, Organization]:
    principal.require(Role.REGULATOR, Role.LAB, Role.ENTERPRISE)
    req = session.get(OrgChangeRequest, request_id)
    if req is None or not principal.may_see_org(req.org_id):
        raise NotFoundError(f"change request {request_id} not found")
    org = session.get(Organization, req.org_id)
    assert org is not None
    return req, org


def get_change_request(session: Session, principal: Principal, request_id: int) -> ChangeRequest:
    req, org = _request_for(session, principal, request_id)
    return _view(req, org.name, principal)


def decide_change_request(
    session: Session, principal: Principal, request_id: int, action: str, note: str | None, now: datetime
) -> ChangeRequest:
    """The regulator approves (the changes are applied) or rejects a pending request."""
    principal.require(Role.REGULATOR)
    req, org = _request_for(session, principal, request_id)
    allowed = TRANSITIONS.get(req.status, {})
    if action not in allowed:
        raise ConflictError(f"change request {request_id} is {req.status}; it cannot be {action}d")
    if note is not None and len(note) > 500:
        raise InputError("the note is longer than 500 characters")
    if action == "approve":
        for key, value in _clean(session, org, req.changes).items():
            setattr(org, key, value)
    req.status = allowed[action]
    req.decided_by = principal.user_id
    req.decided_at = now
    req.decision_note = (note or "").strip() or None
    session.flush()
    return _view(req, org.name, principal)
