"""The replacement worklist: meters to check in the field, most urgent first.

Online results are preliminary (JJF(滇)21-2022): a field check confirms them before a meter is
replaced (失准更换) or its metering function declared abnormal (计量功能异常更换). Ranking:

1. function failures (runaway, backwards, stopped), larger share of area energy first;
2. ``out_of_limit`` meters, by ``z = (|ê| − limit)/u`` (how far beyond the limit, in standard
   uncertainties), largest first;
3. ``suspect`` meters, by the same ``z`` (negative when the estimate is inside the limit).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["WORKLIST_COLUMNS", "worklist"]

WORKLIST_COLUMNS = [
    "rank",
    "meter_id",
    "area_id",
    "status",
    "error_pct",
    "u_error_pct",
    "limit_pct",
    "score",
    "action",
]

_ACTIONS = {
    "failed_runaway": "field check: metering function abnormal (runaway)",
    "failed_backwards": "field check: metering function abnormal (running backwards)",
    "failed_stopped": "field check: metering function abnormal (stopped)",
    "out_of_limit": "field check, then replace if confirmed (out of accuracy)",
    "suspect": "field check (within the guard band of the limit)",
    "suspected_theft": "field check: suspected theft (registered share changes with time of day, load or date)",
}


def _num(value: Any) -> float | None:
    if value is None:
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def worklist(
    results: Iterable[Mapping[str, Any]], include_suspect: bool = True, limit: int | None = None
) -> list[dict[str, Any]]:
    """Ranked rows (see :data:`WORKLIST_COLUMNS`) from estimation result rows."""
    ranked: list[tuple[int, float, str, dict[str, Any]]] = []
    for r in results:
        status = str(r.get("status"))
        if status not in _ACTIONS or (status == "suspect" and not include_suspect):
            continue
        e, u, lim = _num(r.get("error_pct")), _num(r.get("u_error_pct")), _num(r.get("limit_pct"))
        if status.startswith("failed_") or status == "suspected_theft":
            tier = 0
            try:
                ev = (
                    json.loads(r.get("evidence") or "{}")
                    if isinstance(r.get("evidence"), str)
                    else dict(r.get("evidence") or {})
                )
            except ValueError:
                ev = {}
            score = float(ev.get("share_pct") or 0.0)
        else:
            tier = 1 if status == "out_of_limit" else 2
            score = (abs(e) - lim) / u if e is not None and lim is not None and u else 0.0
        row = {
            "meter_id": str(r["meter_id"]),
            "area_id": str(r["area_id"]),
            "status": status,
            "error_pct": e,
            "u_error_pct": u,
            "limit_pct": lim,
            "score": round(score, 4),
            "action": _ACTIONS[status],
        }
        ranked.append((tier, -score, str(row["meter_id"]), row))
    ranked.sort(key=lambda x: (x[0], x[1], x[2]))
    rows = [dict(rank=i + 1, **x[3]) for i, x in enumerate(ranked)]
    return rows[:limit] if limit is not None else rows
