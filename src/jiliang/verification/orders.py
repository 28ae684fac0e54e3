"""Work orders on instruments (meter field checks, replacements): open → assigned → in progress → done.

The work orders are the registry's ``reg_work_order`` rows (raised by a meter run, a failed result
or the regulator); their life follows :data:`jiliang.verification.machines.WORK_ORDER`. Finishing a
field check records the outcome: confirmed out of accuracy → the meter is *replaced* (the old one is
retired in the register); not confirmed → *closed* with the error measured on site. That outcome is
the ground truth the next meter estimation can be compared with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from jiliang.errors import FieldError, InputError, NotFoundError, PermissionDeniedError, UnauthenticatedError
from jiliang.platform.audit import AuditChange, record
from jiliang.platform.auth import Principal
from jiliang.platform.models import Organization, Role
from jiliang.registry.models import Instrument, WorkOrder
from jiliang.verification import mail
from jiliang.verification.machines import WORK_ORDER
from jiliang.verification.models import WorkOrderProgress

__all__ = ["WorkOrderView", "act_work_order", "get_work_order", "list_work_orders"]


@dataclass(frozen=True, slots=True)
class WorkOrderView:
    id: int
    instrument_id: int
    serial: str
    owner_id: int
    kind: str
    state: str
    source: str | None
    note: str | None
    assignee_org_id: int | None
    assignee_org_name: str | None
    assignee: str | None
    outcome: str | None
    measured_error: float | None
    created_at: datetime
    actions: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)


def _parties(principal: Principal, inst: Instrument, progress: WorkOrderProgress | None) -> set[str]:
    found = set()
    if principal.role is Role.REGULATOR:
        found.add("regulator")
    if principal.role is Role.ENTERPRISE and principal.org_id == inst.owner_id:
        found.add("owner")
    if progress is not None and principal.org_id is not None and progress.assignee_org_id == principal.org_id:
        found.add("assignee")
    return found


def _scoped(stmt: Select[Any], principal: Principal) -> Select[Any]:
    if principal.is_anonymous:
        raise UnauthenticatedError("login required to see work orders")
    if principal.role is Role.REGULATOR:
        return stmt
    if principal.role in (Role.ENTERPRISE, Role.LAB) and principal.org_id is not None:
        assigned = select(WorkOrderProgress.work_order_id).where(
            WorkOrderProgress.assignee_org_id == principal.org_id
        )
        return stmt.where(or_(Instrument.owner_id == principal.org_id, WorkOrder.id.in_(assigned)))
    raise PermissionDeniedError(f"role {principal.role.value} may not see work orders")


def _view(session: Session, principal: Principal, wo: WorkOrder) -> WorkOrderView:
    inst = session.get(Instrument, wo.instrument_id)
    assert inst is not None
    p = session.get(WorkOrderProgress, wo.id)
    org = session.get(Organization, p.assignee_org_id) if p and p.assignee_org_id else None
    return WorkOrderView(
        id=wo.id,
        instrument_id=inst.id,
        serial=inst.serial,
        owner_id=inst.owner_id,
        kind=wo.kind,
        state=wo.status,
        source=wo.source,
        note=wo.note,
        assignee_org_id=p.assignee_org_id if p else None,
        assignee_org_name=org.name if org else None,
        assignee=p.assignee if p else None,
        outcome=p.outcome if p else None,
        measured_error=p.measured_error if p else None,
        created_at=wo.created_at,
        actions=WORK_ORDER.actions(wo.status, _parties(principal, inst, p))
        if wo.status in WORK_ORDER.states
        else (),
    )


def list_work_orders(
    session: Session, principal: Principal, state: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[int, list[WorkOrderView]]:
    if state is not None and state not in WORK_ORDER.states:
        raise InputError(f"unknown work order state {state!r}", fields=[FieldError("state", "unknown state")])
    stmt = _scoped(select(WorkOrder.id).join(Instrument, Instrument.id == WorkOrder.instrument_id), principal)
    if state:
        stmt = stmt.where(WorkOrder.status == state)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    ids = list(session.scalars(stmt.order_by(WorkOrder.id.desc()).limit(limit).offset(offset)))
    rows = {w.id: w for w in session.scalars(select(WorkOrder).where(WorkOrder.id.in_(ids)))}
    return total, [_view(session, principal, rows[i]) for i in ids]


def _load(
    session: Session, principal: Principal, wo_id: int
) -> tuple[WorkOrder, Instrument, WorkOrderProgress | None]:
    wo = session.get(WorkOrder, wo_id, with_for_update=True)
    inst = session.get(Instrument, wo.instrument_id) if wo is not None else None
    if wo is None or inst is None:
        raise NotFoundError(f"work order {wo_id} not found")
    p = session.get(WorkOrderProgress, wo.id)
    if not _parties(principal, inst, p):
        raise NotFoundError(f"work order {wo_id} not found")
    return wo, inst, p


def get_work_order(session: Session, principal: Principal, wo_id: int) -> WorkOrderView:
    wo, _inst, _p = _load(session, principal, wo_id)
    return _view(session, principal, wo)


def act_work_order(
    session: Session,
    principal: Principal,
    wo_id: int,
    action: str,
    *,
    now: datetime,
    assignee_org_id: int | None = None,
    assignee: str | None = None,
    confirmed: bool | None = None,
    measured_error: float | None = None,
    reason: str | None = None,
) -> WorkOrderView:
    """Assign, start, finish (with the outcome) or cancel a work order; one audited transition."""
    wo, inst, p = _load(session, principal, wo_id)
    before = wo.status
    target = WORK_ORDER.step(wo.status, action, _parties(principal, inst, p))
    if p is None:
        p = WorkOrderProgress(work_order_id=wo.id, updated_at=now)
        session.add(p)
    if action == "assign":
        _assign(session, p, assignee_org_id, assignee)
    elif action == "finish":
        _finish(p, inst, confirmed, measured_error)
    elif action == "cancel":
        text = (reason or "").strip()
        if not text:
            raise InputError("give a reason to cancel", fields=[FieldError("reason", "a reason is required")])
        p.note = text[:1000]
    wo.status = target
    p.updated_at = now
    session.flush()
    if action == "assign":
        mail.work_order_assigned(session, wo.id, p.assignee_org_id, inst.serial, now)
    record(
        session,
        [
            AuditChange(
                action,
                "reg_work_order",
                str(wo.id),
                {"status": before},
                {
                    "status": target,
                    "role": principal.role.value,
                    "org_id": principal.org_id,
                    "outcome": p.outcome,
                },
                reason,
            )
        ],
    )
    return _view(session, principal, wo)


def _assign(session: Session, p: WorkOrderProgress, org_id: int | None, name: str | None) -> None:
    if org_id is None or session.get(Organization, org_id) is None:
        raise InputError(
            "choose who does the work", fields=[FieldError("assignee_org_id", "unknown organization")]
        )
    if name is not None and len(name) > 100:
        raise InputError(
            "assignee name is too long", fields=[FieldError("assignee", "at most 100 characters")]
        )
    p.assignee_org_id = org_id
    p.assignee = (name or "").strip() or None


def _finish(p: WorkOrderProgress, inst: Instrument, confirmed: bool | None, error: float | None) -> None:
    if confirmed is None:
        raise InputError(
            "say whether the field check confirmed the fault", fields=[FieldError("confirmed", "required")]
        )
    if error is not None and not math.isfinite(error):
        raise InputError(
            "measured error must be a finite number", fields=[FieldError("measured_error", "not finite")]
        )
    if confirmed:
        p.outcome = "replaced"
        inst.status = "retired"  # the faulty meter leaves service; its replacement is registered anew
    else:
        if error is None:
            raise InputError(
                "give the error measured on site",
                fields=[FieldError("measured_error", "required when not confirmed")],
            )
        p.outcome = "closed"
    p.measured_error = error
