"""The inspector's sampling-plan page: GB/T 2828.1-2012 plan look-up, lot decision and OC curve.

A read-only GET form (nothing is stored): lot size, AQL, inspection level and severity give the code
letter and the plan; an optional count of nonconforming items gives the lot decision; the plan's
operating characteristic is drawn as an SVG with its table.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from jiliang.errors import InputError
from jiliang.stats import AQL_VALUES, INSPECTION_LEVELS, SEVERITIES, oc_curve, sampling_plan
from jiliang.web.deps import PageCaller
from jiliang.web.render import page

router = APIRouter()

#: The OC drawing: a 480 × 250 box, plot area inside the margins.
W, H, LEFT, RIGHT, TOP, BOTTOM = 480, 250, 48, 16, 12, 40
OC_POINTS = 61


def _whole(text: str, key: str, low: int, high: int) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise InputError(key) from None
    if not low <= value <= high:
        raise InputError(key)
    return value


def _num(v: float) -> str:
    """A number for an axis or the table, without an exponent."""
    return f"{v:.0f}" if v >= 1000 else f"{v:.3g}"


def _oc_view(n: int, ac: int, aql: str) -> dict[str, Any]:
    """Coordinates of the OC polyline, the axes' ticks and a short table of Pa(p).

    AQLs above 10 count nonconformities per 100 items: Poisson OC, p per item (shown per 100).
    """
    per_hundred = float(aql) > 10
    top = max(0.02, 3.0 * (ac + 1) / n)
    top = top if per_hundred else min(1.0, top)
    ps = [top * i / (OC_POINTS - 1) for i in range(OC_POINTS)]
    pa = oc_curve(n, ac, ps, model="poisson" if per_hundred else "binomial").pa
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM

    def x(p: float) -> float:
        return round(LEFT + pw * p / top, 1)

    def y(v: float) -> float:
        return round(TOP + ph * (1.0 - v), 1)

    line = " ".join(f"{x(p)},{y(float(v))}" for p, v in zip(ps, pa, strict=True))
    xticks = [{"x": x(top * k / 4), "label": _num(100 * top * k / 4)} for k in range(5)]
    yticks = [{"y": y(v), "label": f"{v:g}"} for v in (0.0, 0.25, 0.5, 0.75, 1.0)]
    rows = [{"p": _num(100 * ps[i]), "pa": f"{float(pa[i]):.4f}"} for i in range(0, OC_POINTS, 6)]
    marker = None
    if float(aql) / 100 <= top:
        at_aql = oc_curve(n, ac, [float(aql) / 100], model="poisson" if per_hundred else "binomial")
        pa_aql = float(at_aql.pa[0])
        marker = {"x": x(float(aql) / 100), "pa": f"{pa_aql:.4f}", "risk": f"{100 * (1 - pa_aql):.2f}"}
    box = {"w": W, "h": H, "left": LEFT, "right": W - RIGHT, "top": TOP, "bottom": H - BOTTOM}
    return {
        "line": line,
        "xticks": xticks,
        "yticks": yticks,
        "rows": rows,
        "marker": marker,
        "box": box,
        "per_hundred": per_hundred,
    }


def _lookup(form: dict[str, str]) -> dict[str, Any]:
    """The plan, the decision and the OC of a filled form; ``error`` is a catalog key."""
    if form["level"] not in INSPECTION_LEVELS:
        raise InputError("smp.err.level")
    if form["severity"] not in SEVERITIES:
        raise InputError("smp.err.severity")
    if form["aql"] not in AQL_VALUES:
        raise InputError("smp.err.aql")
    lot = _whole(form["lot_size"], "smp.err.lot", 1, 10**12)
    p = sampling_plan(lot, form["aql"], level=form["level"], severity=form["severity"])
    per_hundred = float(p.aql) > 10
    out: dict[str, Any] = {"plan": p, "oc": _oc_view(p.n, p.ac, p.aql) if per_hundred or p.ac < p.n else None}
    if form["d"].strip():
        d = _whole(form["d"], "smp.err.d", 0, 10**9)
        out["accepted"] = d <= p.ac
        out["d"] = d
    return out


@router.get("/sampling", name="sampling")
def sampling_page(
    request: Request,
    principal: PageCaller,
    lot_size: str = "",
    aql: str = "1.0",
    level: str = "II",
    severity: str = "normal",
    d: str = "",
) -> Response:
    """The plan look-up form; with a lot size, the plan, the lot decision and the OC curve."""
    form = {
        "lot_size": lot_size[:20],
        "aql": aql[:8],
        "level": level[:4],
        "severity": severity[:10],
        "d": d[:12],
    }
    ctx: dict[str, Any] = {"form": form, "error": None, "result": None}
    status = 200
    if lot_size.strip():
        try:
            ctx["result"] = _lookup(form)
        except InputError as exc:
            key = exc.message if exc.message.startswith("smp.err.") else "smp.err.input"
            ctx["error"], status = key, 422
    return page(
        request,
        "sampling/index.html",
        principal,
        status=status,
        aqls=AQL_VALUES,
        levels=INSPECTION_LEVELS,
        severities=SEVERITIES,
        **ctx,
    )
