"""Owners keep their own register: create, edit and retire one instrument at a time.

The fields are checked with the import's row rules (:func:`jiliang.registry.importer.validate_fields`),
so a form and a spreadsheet accept and refuse the same values; identity is owner + type + serial in
its identity form (``serial_key``), as in the import. An enterprise acts on its own organisation's
instruments only (another owner's instrument is not found, 404); the regulator on any; a lab and
the public on none. Every change is one transaction with one audit entry.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiliang.errors import FieldError, InputError, NotFoundError, PermissionDeniedError
from jiliang.platform.audit import AuditChange, record
from jiliang.platform.auth import Principal
from jiliang.platform.models import Organization, Role
from jiliang.registry import access
from jiliang.registry.dates import add_months
from jiliang.registry.importer import ValidRow, validate_fields
from jiliang.registry.models import Instrument, InstrumentStatus, InstrumentType, Verification
from jiliang.registry.status import status_for

__all__ = ["EDITABLE", "create_instrument", "retire_instrument", "update_instrument"]

#: the fields of an instrument its owner may change after it is registered
EDITABLE = (
    "type",
    "serial",
    "model",
    "manufacturer",
    "accuracy_class",
    "measuring_range",
    "location",
    "use",
    "verification_period_months",
)
_DESCRIPTIVE = ("model", "manufacturer", "accuracy_class", "measuring_range", "location", "use")


def _owner(session: Session, principal: Principal, owner_id: int | None) -> Organization:
    if principal.role is Role.ENTERPRISE and principal.org_id is not None:
        if owner_id not in (None, principal.org_id):
            raise PermissionDeniedError("an owner registers only its own instruments")
        owner_id = principal.org_id
    elif principal.is_regulator and not principal.is_anonymous:
        if owner_id is None:
            raise InputError("owner_id is required", fields=[FieldError("owner_id", "required")])
    else:
        raise PermissionDeniedError(f"role {principal.role.value} may not register instruments")
    org = session.get(Organization, owner_id)
    if org is None:
        raise NotFoundError(f"organization {owner_id} not found")
    return org


def _check(session: Session, org: Organization, fields: dict[str, Any], today: date) -> ValidRow:
    return validate_fields(
        session, fields, owner_name=org.name, owner_code=org.credit_code or "", today=today
    )


def _no_twin(session: Session, owner_id: int, row: ValidRow, instrument_id: int | None) -> None:
    twin = session.scalar(
        select(Instrument.id).where(
            Instrument.owner_id == owner_id,
            Instrument.type_id == row.type_id,
            Instrument.serial_key == row.serial_key,
        )
    )
    if twin is not None and twin != instrument_id:
        msg = f"an instrument of this type with serial {row.serial!r} is already registered (#{twin})"
        raise InputError(msg, fields=[FieldError("serial", msg)], details={"instrument_id": twin})


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items() if v is not None}


def create_instrument(
    session: Session,
    principal: Principal,
    fields: dict[str, Any],
    *,
    today: date,
    owner_id: int | None = None,
) -> int:
    """Register one instrument; return its id.

    ``fields`` are the import's columns by field name (``type``, ``serial``, ``use`` required;
    ``last_verified_on``, ``verification_result`` and ``certificate_no`` record the last
    verification, as in the import).
    """
    org = _owner(session, principal, owner_id)
    row = _check(session, org, fields, today)
    if org.credit_code is None:
        raise InputError("the owner has no credit code on record")
    _no_twin(session, org.id, row, None)
    period = row.period_months or session.scalar(
        select(InstrumentType.period_months).where(InstrumentType.id == row.type_id)
    )
    due = add_months(row.last_verified_on, period) if row.last_verified_on and period else None
    inst = Instrument(
        type_id=row.type_id,
        owner_id=org.id,
        district_id=org.district_id,
        serial=row.serial,
        serial_key=row.serial_key,
        **{k: getattr(row, k) for k in _DESCRIPTIVE},
        period_months=row.period_months,
        last_verified_on=row.last_verified_on,
        last_result=row.result,
        next_due_on=due,
        status=status_for(due, row.result, today),
        compulsory=True,
    )
    session.add(inst)
    session.flush()
    if row.last_verified_on is not None:
        session.add(
            Verification(
                instrument_id=inst.id,
                lab_id=None,
                kind="verification",
                verified_on=row.last_verified_on,
                result=row.result,
                certificate_no=row.certificate_no,
                next_due_on=due,
            )
        )
    session.flush()  # audited by the ORM hook (platform.audit), with the acting user
    return inst.id


def _editable(session: Session, principal: Principal, instrument_id: int) -> Instrument:
    if principal.role is Role.LAB:
        # a lab sees the instruments it works on (404 for the others) but keeps nobody's register
        access.require_instrument(session, principal, instrument_id)
    if principal.role not in (Role.ENTERPRISE, Role.REGULATOR) or principal.is_anonymous:
        raise PermissionDeniedError(f"role {principal.role.value} may not edit the register")
    inst = access.require_instrument(session, principal, instrument_id)
    if inst.status == InstrumentStatus.RETIRED.value:
        raise InputError(f"instrument {instrument_id} is retired and can no longer be changed")
    return inst


def update_instrument(
    session: Session, principal: Principal, instrument_id: int, fields: dict[str, Any], *, today: date
) -> dict[str, Any]:
    """Change the :data:`EDITABLE` fields of one instrument; return the changed values (before
    and after). Fields not given keep their value; verification data change only through records."""
    unknown = sorted(set(fields) - set(EDITABLE))
    if unknown:
        raise InputError(
            f"these fields cannot be changed here: {', '.join(unknown)}",
            fields=[FieldError(f, "not editable") for f in unknown],
        )
    inst = _editable(session, principal, instrument_id)
    org = session.get(Organization, inst.owner_id)
    assert org is not None
    tname = session.scalar(select(InstrumentType.code).where(InstrumentType.id == inst.type_id))
    current = {
        "type": tname,
        "serial": inst.serial,
        **{k: getattr(inst, k) for k in _DESCRIPTIVE},
        "verification_period_months": inst.period_months,
    }
    row = _check(session, org, current | fields, today)
    _no_twin(session, org.id, row, inst.id)
    new = {
        "type_id": row.type_id,
        "serial": row.serial,
        "serial_key": row.serial_key,
        **{k: getattr(row, k) for k in _DESCRIPTIVE},
        "period_months": row.period_months,
    }
    before = {k: getattr(inst, k) for k in new if getattr(inst, k) != new[k]}
    after = {k: new[k] for k in before}
    if not after:
        return {"before": {}, "after": {}}
    for k, v in after.items():
        setattr(inst, k, v)
    if "period_months" in after and inst.last_verified_on is not None:
        period = row.period_months or session.scalar(
            select(InstrumentType.period_months).where(InstrumentType.id == row.type_id)
        )
        if period:
            inst.next_due_on = add_months(inst.last_verified_on, period)
            if inst.status not in (InstrumentStatus.BOOKED.value,):
                inst.status = status_for(inst.next_due_on, inst.last_result, today)
    session.flush()  # audited by the ORM hook
    before.pop("serial_key", None)
    after.pop("serial_key", None)
    return {"before": _plain(before), "after": _plain(after)}


def retire_instrument(
    session: Session, principal: Principal, instrument_id: int, *, reason: str = ""
) -> None:
    """Take an instrument out of use for good (报废/停用): it leaves due lists and bookings."""
    reason = reason.strip()
    if len(reason) > 200:
        raise InputError(
            "the reason is longer than 200 characters", fields=[FieldError("reason", "too long")]
        )
    inst = _editable(session, principal, instrument_id)
    before = inst.status
    inst.status = InstrumentStatus.RETIRED.value
    inst.booked_on = None
    inst.booked_lab_id = None
    session.flush()  # the status change is audited by the ORM hook; the reason with it
    record(
        session,
        [AuditChange("retire", "reg_instrument", str(inst.id), {"status": before}, None, reason or None)],
    )
