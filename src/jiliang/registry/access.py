"""Authorisation by relationship: which instruments, standards and records an organization may act on.

One place for the rules, so the register, the record form, the API and the console agree:

* the **regulator** acts on everything;
* an **enterprise** acts on the instruments it owns;
* a **lab** acts on an instrument when it has a relationship with it (:func:`lab_instrument_clause`);
* the **public** acts on no instrument and sees only published standards.

"Acts on" covers reading an instrument and its history and writing to it (recording a result,
sending a notice): a lab never writes where it cannot read.

A lab may cite, as the standards behind a result, its own standards, social public standards
(社会公用计量标准) and published standards (:func:`may_cite_standard`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, String, and_, cast, false, literal, or_, select, true
from sqlalchemy.orm import Session

from jiliang.errors import FieldError, InputError, NotFoundError, PermissionDeniedError, UnauthenticatedError
from jiliang.platform.auth import Principal
from jiliang.platform.models import Organization, Role
from jiliang.registry.models import (
    Instrument,
    InstrumentType,
    MeasurementStandard,
    StandardLevel,
    Verification,
)

__all__ = [
    "authorised_type_codes",
    "instrument_clause",
    "lab_instrument_clause",
    "may_cite_standard",
    "may_see_record",
    "may_see_standard",
    "require_citable_standards",
    "require_instrument",
    "scope_instruments",
    "standard_clause",
]


def authorised_type_codes(session: Session, org_id: int) -> list[str]:
    """The instrument type codes the regulator authorised the lab ``org_id`` to verify."""
    codes = session.scalar(select(Organization.authorised_type_codes).where(Organization.id == org_id))
    return [c for c in (codes or []) if isinstance(c, str)]


def lab_instrument_clause(lab_id: int) -> ColumnElement[bool]:
    """The instruments the lab ``lab_id`` has a relationship with, as a condition on ``Instrument``.

    A lab acts on an instrument when

    1. it is booked with the lab (``Instrument.booked_lab_id``), or
    2. the lab has verified or calibrated it before (a ``Verification`` row of the lab), or
    3. its type is in the lab's authorised scope (``Organization.authorised_type_codes``, set by
       the regulator: 计量授权).

    A new relationship (for example a booking made through a booking workflow) is one more
    ``or_`` term here: every read and write of the registry goes through this function.
    """
    verified = select(Verification.instrument_id).where(Verification.lab_id == lab_id)
    scope = select(InstrumentType.id).join(
        Organization,
        and_(
            Organization.id == lab_id, _json_contains(Organization.authorised_type_codes, InstrumentType.code)
        ),
    )
    return or_(
        Instrument.booked_lab_id == lab_id,
        Instrument.id.in_(verified),
        Instrument.type_id.in_(scope),
    )


def _json_contains(column: Any, code: Any) -> ColumnElement[bool]:
    """``code`` is an element of the JSON list ``column``, on SQLite and PostgreSQL alike.

    The list is stored as text like ``["A-1", "B-2"]``; a quoted match is exact because type codes
    hold only letters, digits and hyphens.
    """
    return cast(column, String).contains(literal('"') + code + literal('"'))


def instrument_clause(principal: Principal) -> ColumnElement[bool]:
    """The condition on ``Instrument`` selecting what ``principal`` may act on (401/403 if none)."""
    if principal.is_anonymous:
        raise UnauthenticatedError("login required to see instruments")
    if principal.role is Role.REGULATOR:
        return true()
    if principal.org_id is None:
        return false()
    if principal.role is Role.ENTERPRISE:
        return Instrument.owner_id == principal.org_id
    if principal.role is Role.LAB:
        return lab_instrument_clause(principal.org_id)
    raise PermissionDeniedError(f"role {principal.role.value} may not see instruments")


def scope_instruments(stmt: Select[Any], principal: Principal) -> Select[Any]:
    """``stmt`` (a select over ``Instrument``) limited to what ``principal`` may act on."""
    if principal.role is Role.REGULATOR and not principal.is_anonymous:
        return stmt
    return stmt.where(instrument_clause(principal))


def require_instrument(session: Session, principal: Principal, instrument_id: int) -> Instrument:
    """The instrument if ``principal`` may act on it; otherwise 404, as if it did not exist."""
    stmt = scope_instruments(select(Instrument), principal).where(Instrument.id == instrument_id)
    inst: Instrument | None = session.scalar(stmt)
    if inst is None:
        raise NotFoundError(f"instrument {instrument_id} not found")
    return inst


# ---------------------------------------------------------------- standards


def standard_clause(principal: Principal) -> ColumnElement[bool]:
    """The standards ``principal`` may see: all (regulator), published ones, and its own."""
    if principal.is_regulator and not principal.is_anonymous:
        return true()
    cond: ColumnElement[bool] = MeasurementStandard.published.is_(True)
    if principal.org_id is not None and not principal.is_anonymous:
        cond = or_(cond, MeasurementStandard.holder_id == principal.org_id)
    return cond


def may_see_standard(principal: Principal, s: MeasurementStandard) -> bool:
    if principal.is_regulator and not principal.is_anonymous:
        return True
    own = not principal.is_anonymous and s.holder_id is not None and s.holder_id == principal.org_id
    return bool(s.published) or own


def may_cite_standard(principal: Principal, s: MeasurementStandard) -> bool:
    """Whether ``principal`` may name ``s`` as a standard used for a result it records.

    The regulator may cite any standard; a lab its own, social public standards (社会公用计量标准,
    :attr:`StandardLevel.PUBLIC`) and published standards — never another holder's unpublished one.
    """
    if principal.is_regulator and not principal.is_anonymous:
        return True
    if principal.is_anonymous or principal.org_id is None:
        return False
    return s.holder_id == principal.org_id or s.level == StandardLevel.PUBLIC.value or bool(s.published)


def require_citable_standards(
    session: Session, principal: Principal, standard_ids: Sequence[int], field: str = "standard_ids"
) -> list[int]:
    """The distinct ids, sorted, if ``principal`` may cite each; else 422 naming each refused one.

    A standard that does not exist and one the caller may not cite get the same message, so the
    answer does not tell whether another holder's unpublished standard exists.
    """
    wanted = sorted(set(standard_ids))
    rows = {
        s.id: s
        for s in session.scalars(select(MeasurementStandard).where(MeasurementStandard.id.in_(wanted)))
    }
    refused = [
        FieldError(f"{field}.{standard_ids.index(sid)}", f"standard {sid} does not exist or may not be cited")
        for sid in wanted
        if sid not in rows or not may_cite_standard(principal, rows[sid])
    ]
    if refused:
        first = refused[0].message
        raise InputError(f"{first} (a lab cites its own, public or published standards)", fields=refused)
    return wanted


# ---------------------------------------------------------------- records


def may_see_record(principal: Principal, lab_id: int | None, owner_id: int | None) -> bool:
    """A verification record is seen by the regulator, the lab that made it and the owner."""
    if principal.is_anonymous:
        return False
    if principal.is_regulator:
        return True
    return principal.org_id is not None and principal.org_id in (lab_id, owner_id)
