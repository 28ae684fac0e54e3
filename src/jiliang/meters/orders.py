"""Work orders on registry instruments for the meters a run flags for a field check.

A flagged meter (out of limit, suspect, failed) is looked up in the registry among the utility's
instruments by its serial (the meter id); a ``field_check`` work order is attached with the
estimate and the run as its source; its note starts with the finding (``out_of_limit:``,
``failed_runaway:`` …). Orders are idempotent per meter and finding while one is open: raising
the orders of a run twice, or of another run (a replayed upload, the next month's run) that finds
the same thing, adds nothing until the open order is done or cancelled. Meters the registry does
not hold are listed, so the register can be completed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

__all__ = ["raise_work_orders"]


def _note(row: dict[str, Any]) -> str:
    def f(v: Any) -> str:
        return "—" if v is None else f"{v:+.2f}" if isinstance(v, float) else str(v)

    return (
        f"{row['status']}: error {f(row.get('error_pct'))} % ± u {f(row.get('u_error_pct'))} %, "
        f"limit ±{f(row.get('limit_pct'))} % — {row.get('action', 'field check')}"
    )


def raise_work_orders(session: Session, run: Any, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Attach a field-check work order to each worklist row's instrument; idempotent per run and
    per (meter, finding) while an order is open."""
    from jiliang.registry.models import WorkOrder
    from jiliang.registry.service import add_work_order, find_instrument

    source = f"meters run {run.id}"
    attached, existing, missing = 0, 0, []
    for row in rows:
        inst = find_instrument(session, run.org_id, str(row["meter_id"]), "electricity-meter")
        if inst is None:
            missing.append(str(row["meter_id"]))
            continue
        finding = f"{row['status']}:"
        done = session.scalar(
            select(WorkOrder.id)
            .where(
                WorkOrder.instrument_id == inst.id,
                WorkOrder.kind == "field_check",
                or_(
                    WorkOrder.source == source,
                    (WorkOrder.status == "open") & WorkOrder.note.startswith(finding, autoescape=True),
                ),
            )
            .limit(1)
        )
        if done is not None:
            existing += 1
            continue
        add_work_order(session, inst.id, "field_check", note=_note(row), source=source)
        attached += 1
    return {"attached": attached, "already": existing, "not_in_registry": missing}
