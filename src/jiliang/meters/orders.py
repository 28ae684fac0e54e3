"""Work orders on registry instruments for the meters a run flags for a field check.

A flagged meter (out of limit, suspect, failed) is looked up in the registry among the utility's
instruments by its serial (the meter id); a ``field_check`` work order is attached with the
estimate and the run as its source. Raising the orders of a run twice adds nothing. Meters the
registry does not hold are listed, so the register can be completed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
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
    """Attach a field-check work order to each worklist row's instrument; idempotent per run."""
    from jiliang.registry.models import WorkOrder
    from jiliang.registry.service import add_work_order, find_instrument

    source = f"meters run {run.id}"
    attached, existing, missing = 0, 0, []
    for row in rows:
        inst = find_instrument(session, run.org_id, str(row["meter_id"]), "electricity-meter")
        if inst is None:
            missing.append(str(row["meter_id"]))
            continue
        done = session.scalar(
            select(WorkOrder.id).where(WorkOrder.instrument_id == inst.id, WorkOrder.source == source)
        )
        if done is not None:
            existing += 1
            continue
        add_work_order(session, inst.id, "field_check", note=_note(row), source=source)
        attached += 1
    return {"attached": attached, "already": existing, "not_in_registry": missing}
