"""Net-content inspections of prepackaged goods (JJF 1070) and the packer's self-check.

An inspection lives through ``draft → drawn → judged → published``: the regulator describes the
packer and the lot, draws the sample from a stored seed (anyone can replay it), enters the net
contents (a form, or a balance's CSV), the engine :mod:`jiliang.stats.netcontent` gives the verdict
with the clause of each step, and the regulator publishes it. A self-check is the packer's own
run of the same engine on its own lot: ``draft → drawn → judged``, never published. Every change
is one transaction (the caller's), audited with the acting user (the models are ``Audited``).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from jiliang.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from jiliang.platform.auth import Principal
from jiliang.platform.models import Organization, Role
from jiliang.stats.netcontent import (
    Nominal,
    Verdict,
    draw_sample,
    judge,
    lot_spec,
    read_lot_csv,
    tolerable_deficiency,
)
from jiliang.supervision.models import InspectionTask, NetContentInspection, NetContentStatus

__all__ = [
    "KINDS",
    "TRANSITIONS",
    "create",
    "draw",
    "get",
    "list_for",
    "list_published",
    "packer_name",
    "packers",
    "pass_counts",
    "publish",
    "record",
    "record_csv",
    "report_pdf",
    "verdict_of",
    "verdict_tolerance",
]

KINDS = ("inspection", "self_check")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    NetContentStatus.DRAFT: (NetContentStatus.DRAWN,),
    NetContentStatus.DRAWN: (NetContentStatus.JUDGED,),
    NetContentStatus.JUDGED: (NetContentStatus.PUBLISHED,),
    NetContentStatus.PUBLISHED: (),
}


def _move(row: NetContentInspection, new: str) -> None:
    if new not in TRANSITIONS.get(row.status, ()):
        raise ConflictError(f"net-content inspection {row.id} is {row.status}; it cannot become {new}")
    row.status = new


def _text(value: str | None, what: str, limit: int, required: bool = True) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise InputError(f"{what} is required")
        return None
    if len(text) > limit or any(ord(c) < 32 for c in text):
        raise InputError(f"{what} must be 1 to {limit} printable characters")
    return text


def _may_act(principal: Principal, row: NetContentInspection) -> None:
    """Inspections: the regulator; self-checks: the packer itself (the regulator may look)."""
    if row.kind == "inspection":
        principal.require(Role.REGULATOR)
    elif principal.role is not Role.ENTERPRISE or principal.org_id != row.org_id:
        raise PermissionDeniedError("only the packer runs its own self-check")


def create(
    session: Session,
    principal: Principal,
    *,
    kind: str,
    org_id: int | None,
    product: str,
    nominal: str,
    unit: str,
    lot_size: int,
    batch: str | None = None,
    task_id: int | None = None,
    now: datetime,
) -> NetContentInspection:
    """A new inspection (regulator) or self-check (the packer, for its own organization)."""
    if kind not in KINDS:
        raise InputError(f"kind must be inspection or self_check, not {kind!r}")
    if kind == "inspection":
        principal.require(Role.REGULATOR)
    else:
        principal.require(Role.ENTERPRISE)
        org_id = principal.org_id
    if org_id is None or session.get(Organization, org_id) is None:
        raise InputError(f"packer organization {org_id} not found")
    if task_id is not None:
        task = session.get(InspectionTask, task_id)
        if task is None or kind != "inspection":
            raise InputError(f"random-inspection task {task_id} not found")
        if task.org_id != org_id:
            raise InputError(f"random-inspection task {task_id} is of another organization")
    name = _text(product, "the product", 200)
    spec = lot_spec(Nominal(nominal, unit), lot_size)
    row = NetContentInspection(
        kind=kind,
        org_id=org_id,
        task_id=task_id,
        product=name,
        batch=_text(batch, "the batch", 64, required=False),
        nominal=str(spec.nominal.q),
        unit=unit,
        lot_size=lot_size,
        sample_size=spec.plan.n,
        status=NetContentStatus.DRAFT.value,
        created_by=principal.user_id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def get(session: Session, principal: Principal, row_id: int) -> NetContentInspection:
    """One row: the regulator sees inspections (and self-checks), the packer its own, anyone a published one."""
    row = session.get(NetContentInspection, row_id)
    if row is None:
        raise NotFoundError(f"net-content inspection {row_id} not found")
    if row.status == NetContentStatus.PUBLISHED:
        return row
    if principal.is_regulator and row.kind == "inspection":
        return row
    if principal.role is Role.ENTERPRISE and principal.org_id == row.org_id:
        return row
    raise NotFoundError(f"net-content inspection {row_id} not found")


def list_for(session: Session, principal: Principal, limit: int = 500) -> list[NetContentInspection]:
    """The caller's rows: the regulator every inspection, a packer its own inspections and self-checks."""
    stmt = select(NetContentInspection).order_by(NetContentInspection.id.desc()).limit(limit)
    if principal.is_regulator:
        stmt = stmt.where(NetContentInspection.kind == "inspection")
    elif principal.role is Role.ENTERPRISE and principal.org_id is not None:
        stmt = stmt.where(NetContentInspection.org_id == principal.org_id)
    else:
        return []
    return list(session.scalars(stmt))


def list_published(session: Session, limit: int = 500) -> list[tuple[NetContentInspection, Organization]]:
    """Published verdicts with their packers, newest first (the public page)."""
    stmt = (
        select(NetContentInspection, Organization)
        .join(Organization, Organization.id == NetContentInspection.org_id)
        .where(NetContentInspection.status == NetContentStatus.PUBLISHED.value)
        .order_by(NetContentInspection.published_on.desc(), NetContentInspection.id.desc())
        .limit(limit)
    )
    return [(a, b) for a, b in session.execute(stmt).tuples()]


def pass_counts(session: Session, since: date, on: date) -> tuple[int, int]:
    """The regulator's inspections judged (measured, verdict given) from ``since`` to ``on``, both
    included: ``(passed, judged)`` in one count, for the indicators. Self-checks do not count; a
    verdict counts from the day of the measurements whether published or not (it is not re-judged)."""
    nc = NetContentInspection
    stmt = select(func.count(nc.id).filter(nc.decision == "pass"), func.count(nc.id)).where(
        nc.kind == "inspection",
        nc.decision.is_not(None),
        nc.inspected_on >= since,
        nc.inspected_on <= on,
    )
    passed, judged = session.execute(stmt).one()
    return int(passed or 0), int(judged or 0)


def draw(
    session: Session, principal: Principal, row_id: int, now: datetime, seed: str | None = None
) -> NetContentInspection:
    """Draw the sample: n item positions of 1…N from a seed (given, or 128 random bits), stored."""
    row = get(session, principal, row_id)
    _may_act(principal, row)
    _move(row, NetContentStatus.DRAWN)
    seed_hex = seed.strip().lower() if seed else secrets.token_hex(16)
    row.sample_items = list(draw_sample(seed_hex, row.lot_size, row.sample_size))
    row.seed, row.drawn_at = seed_hex, now
    session.flush()
    return row


def _nominal(row: NetContentInspection) -> Nominal:
    return Nominal(row.nominal, row.unit)


def verdict_tolerance(row: NetContentInspection) -> Decimal:
    """T of the row's nominal quantity, in its unit."""
    return tolerable_deficiency(row.nominal, row.unit).T


def verdict_of(row: NetContentInspection) -> Verdict | None:
    """The stored verdict recomputed from the stored values (same engine, same result)."""
    if row.net_values is None:
        return None
    return judge(_nominal(row), row.net_values, row.lot_size)


def record(
    session: Session,
    principal: Principal,
    row_id: int,
    values: Sequence[float],
    inspected_on: date,
    tare_method: str = "net",
) -> NetContentInspection:
    """Enter the n net contents (in the nominal's unit, in the order of the drawn items) and judge."""
    row = get(session, principal, row_id)
    _may_act(principal, row)
    if row.status != NetContentStatus.DRAWN:
        raise ConflictError(f"net-content inspection {row_id} is {row.status}; draw the sample first")
    if tare_method not in ("net", "individual", "average"):
        raise InputError(f"tare method must be net, individual or average, not {tare_method!r}")
    verdict = judge(_nominal(row), list(values), row.lot_size)
    _move(row, NetContentStatus.JUDGED)
    row.net_values = [float(v) for v in values]
    row.tare_method = tare_method
    row.verdict = _verdict_json(verdict)
    row.decision, row.mean = verdict.decision, verdict.mean
    row.inspected_on, row.judged_by = inspected_on, principal.user_id
    session.flush()
    return row


def record_csv(
    session: Session, principal: Principal, row_id: int, data: bytes, inspected_on: date
) -> NetContentInspection:
    """Enter the measurements from a balance's CSV (column ``net``, or ``gross`` and ``tare``)."""
    values = read_lot_csv(data)
    head = data[:4096].decode("utf-8", "replace").splitlines()[0].lower() if data else ""
    method = "net" if "net" in head.split(",") else "individual"
    return record(session, principal, row_id, values, inspected_on, method)


def publish(session: Session, principal: Principal, row_id: int, today: date) -> NetContentInspection:
    """Put a judged inspection's verdict on the public page; self-checks are never published."""
    principal.require(Role.REGULATOR)
    row = get(session, principal, row_id)
    if row.kind != "inspection":
        raise ConflictError("a packer's self-check is not published")
    _move(row, NetContentStatus.PUBLISHED)
    row.published_on = today
    session.flush()
    return row


def _verdict_json(v: Verdict) -> dict[str, Any]:
    out = v.as_dict()
    out["steps"] = [st._asdict() for st in v.steps]
    out["t1_items"], out["t2_items"] = list(v.t1_items), list(v.t2_items)
    out["edition_T"], out["edition_plan"] = v.edition_T, v.edition_plan
    return out


def report_pdf(session: Session, principal: Principal, row_id: int) -> bytes:
    """The report PDF (Chinese) of a judged row, for whoever may see the row."""
    from jiliang.supervision.netcontent_report import render_report

    row = get(session, principal, row_id)
    if row.verdict is None:
        raise NotFoundError(f"net-content inspection {row_id} has no verdict yet")
    org = session.get(Organization, row.org_id)
    return render_report(row, org.name if org is not None else "—")


def packers(session: Session, limit: int = 2000) -> list[Organization]:
    """Organizations an inspection may name as the packer (factories first)."""
    rows = session.scalars(
        select(Organization).order_by(Organization.kind != "factory", Organization.name).limit(limit)
    )
    return list(rows)


def packer_name(session: Session, row: NetContentInspection) -> str:
    """The name of the row's packer."""
    org = session.get(Organization, row.org_id)
    return org.name if org is not None else "—"
