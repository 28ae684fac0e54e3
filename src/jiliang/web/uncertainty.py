"""The uncertainty calculator: edit a model, run it, see the budget, the histogram with both
intervals and the conformity decision; save and reopen models (logged-in users)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from jiliang.budgets import service
from jiliang.errors import FieldError, InputError, JiliangError
from jiliang.web.deps import PageCaller, PageSession
from jiliang.web.errors import error_from
from jiliang.web.render import language_of, page

router = APIRouter()

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "uncertainty"
DEFAULT_MODEL = """# JCGM 101:2008 §9.3: calibration of a 100 g mass standard (deviation dm in mg)
name: 砝码校准 / mass calibration
model:
  dm: "(m_Rc - m_nom) + dm_Rc + (m_Rc + dm_Rc) * (rho_a - rho_a0) * (1 / rho_W - 1 / rho_R)"
units: {dm: mg}
constants: {m_nom: 100000, rho_a0: 1.2}
inputs:
  m_Rc:  {dist: normal, mean: 100000.000, sd: 0.050, unit: mg}
  dm_Rc: {dist: normal, mean: 1.234, sd: 0.020, unit: mg}
  rho_a: {dist: uniform, low: 1.10, high: 1.30, unit: kg/m3}
  rho_W: {dist: uniform, low: 7000, high: 9000, unit: kg/m3}
  rho_R: {dist: uniform, low: 7950, high: 8050, unit: kg/m3}
conformity: {output: dm, lower: 0.9, upper: 1.5, rule: guard_band}
method:
  gum: true
  montecarlo: {adaptive: {digits: 2}}
  seed: 93
  coverage: 0.95
"""


def _samples(mc: Any, k: int, n_outputs: int) -> Any:
    import numpy as np

    s = np.asarray(mc.samples)
    if s.ndim == 1:
        return s
    return s[k] if s.shape[0] == n_outputs and s.shape[-1] != n_outputs else s[:, k]


def _histogram(ev: Any, k: int) -> dict[str, Any] | None:
    """An SVG-ready histogram of the Monte Carlo values with the GUM pdf and the intervals."""
    import numpy as np
    from scipy import stats

    if ev.mc is None or getattr(ev.mc, "samples", None) is None:
        return None
    values = _samples(ev.mc, k, len(ev.model.output_names))
    values = values[np.isfinite(values)]
    if values.size < 100:
        return None
    lo, hi = np.quantile(values, [0.0005, 0.9995])
    g = ev.gum.outputs[k] if ev.gum is not None else None
    m = ev.mc.outputs[k]
    marks = {"mc": m.interval, "shortest": m.shortest}
    if g is not None:
        marks["gum"] = g.interval
        lo, hi = min(lo, g.interval[0]), max(hi, g.interval[1])
    span = hi - lo or abs(hi) or 1.0
    lo, hi = lo - 0.05 * span, hi + 0.05 * span
    counts, edges = np.histogram(values, bins=60, range=(lo, hi), density=True)
    top = float(counts.max()) or 1.0
    curve: list[tuple[float, float]] = []
    if g is not None and g.u > 0:
        xs = np.linspace(lo, hi, 200)
        dof = g.dof if g.dof is not None and math.isfinite(g.dof) and g.dof > 2 else None
        pdf = stats.t.pdf(xs, dof, loc=g.y, scale=g.u) if dof else stats.norm.pdf(xs, loc=g.y, scale=g.u)
        top = max(top, float(pdf.max()))
        curve = list(zip(xs.tolist(), pdf.tolist(), strict=True))

    width, height = 600.0, 220.0

    def x(v: float) -> float:
        return round(float((v - lo) / (hi - lo) * width), 2)

    def y(d: float) -> float:
        return round(height - d / top * (height - 10), 2)

    bars = [
        {
            "x": x(edges[i]),
            "w": max(x(edges[i + 1]) - x(edges[i]) - 0.5, 0.5),
            "y": y(c),
            "h": round(height - y(c), 2),
        }
        for i, c in enumerate(counts.tolist())
    ]
    path = " ".join(f"{x(a)},{y(b)}" for a, b in curve)
    lines = [{"kind": kind, "x": x(v)} for kind, pair in marks.items() for v in pair]
    ticks = [{"x": x(v), "label": f"{v:.4g}"} for v in np.linspace(lo, hi, 5).tolist()]
    return {"width": width, "height": height, "bars": bars, "curve": path, "lines": lines, "ticks": ticks}


def _dof(v: float | None) -> str:
    return "∞" if v is None or not math.isfinite(v) else f"{v:.0f}"


def _places(big_u: float | None) -> int:
    """Decimal places of an expanded uncertainty at two significant digits (GUM §7.2.6)."""
    from jiliang.uncertainty import decimal_places

    if big_u is None or not math.isfinite(big_u) or big_u <= 0:
        return 6
    return decimal_places(big_u)


def _at(value: float | None, places: int) -> str:
    from jiliang.uncertainty import format_at, significant

    if value is None or not math.isfinite(value):
        return significant(value if value is not None else math.nan)
    return format_at(value, places)


def _shown_output(out: dict[str, Any]) -> dict[str, Any]:
    """One output's results as the GUM says (§7.2.6): U to two significant digits, the value and
    interval ends to the same decimal place; u(y) to two significant digits."""
    from jiliang.uncertainty import significant

    shown: dict[str, Any] = {}
    if out.get("gum"):
        g = out["gum"]
        places = _places(g["U"])
        shown["gum"] = {
            "y": _at(g["value"], places),
            "U": _at(g["U"], places),
            "u": significant(g["u"]),
            "k": f"{g['k']:.2f}",
            "dof": _dof(g.get("dof")),
            "interval": [_at(v, places) for v in g["interval"]],
            "places": places,
        }
    if out.get("mc"):
        m = out["mc"]
        half = (m["interval"][1] - m["interval"][0]) / 2
        places = _places(half)
        shown["mc"] = {
            "y": _at(m["value"], places),
            "U": _at(half, places),
            "u": significant(m["u"]),
            "interval": [_at(v, places) for v in m["interval"]],
            "shortest": [_at(v, places) for v in m["shortest"]],
            "trials": m["trials"],
            "places": places,
        }
    return shown


def _shown_budget(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from jiliang.uncertainty import significant

    rows = []
    for b in lines:
        places = _places(b.get("u"))
        rows.append(
            {
                **b,
                "x_shown": _at(b["x"], places),
                "u_shown": _at(b["u"], places) if b.get("u") else "0",
                "dof_shown": _dof(b.get("dof")),
                "c_shown": significant(b["sensitivity"], 3),
                "contribution_shown": significant(b["contribution"]),
            }
        )
    return rows


def _shown_conformity(c: dict[str, Any] | None, shown: dict[str, Any]) -> dict[str, Any] | None:
    if not c:
        return None
    out = shown.get(c["output"], {})
    places = (out.get("gum") or out.get("mc") or {}).get("places", 6)
    return {
        "value": _at(c["value"], places),
        "acceptance": [_at(v, places) for v in c["acceptance"]],
        "tolerance": [_at(v, places) for v in c["tolerance"]],
    }


def _warnings(data: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    """Per output, the GUM result's warnings (non-differentiable point, large second-order term …)
    as codes for the catalog (``code.gum_warning.*``, ``code.gum_recommendation.*``), the input
    concerned (a name, shown untranslated) and the message with its numbers (English, for the
    English page only)."""
    shown: dict[str, list[dict[str, str]]] = {}
    for name, out in data["outputs"].items():
        g = out.get("gum") or {}
        shown[name] = [
            {
                "code": w["code"],
                "input": w.get("input") or "",
                "recommendation": w["recommendation"],
                "message": w["message"],
            }
            for w in g.get("warnings", [])
        ]
    return shown


def _view(ev: Any) -> dict[str, Any]:
    data = ev.as_dict()
    plots = {name: _histogram(ev, k) for k, name in enumerate(ev.model.output_names)}
    units = dict(ev.model.units)
    shown = {name: _shown_output(out) for name, out in data["outputs"].items()}
    return {
        "data": data,
        "plots": plots,
        "units": {name: units.get(name, "") for name in ev.model.output_names},
        "shown": shown,
        "budget": {name: _shown_budget(lines) for name, lines in data.get("budget", {}).items()},
        "conformity": _shown_conformity(data.get("conformity"), shown),
        "warnings": _warnings(data),
    }


def _render(
    request: Request,
    principal: Any,
    session: Any,
    source: str,
    name: str,
    budget_id: int | None,
    result: dict[str, Any] | None = None,
    error: Any = None,
    status: int = 200,
    saved: bool = False,
    table: dict[str, Any] | None = None,
    table_error: bool = False,
) -> Response:
    budgets = service.list_budgets(session, principal)
    return page(
        request,
        "uncertainty/calculator.html",
        principal,
        status=status,
        source=source,
        name=name,
        budget_id=budget_id,
        result=result,
        error=error,
        budgets=budgets,
        saved=saved,
        table=table or source_to_table(source),
        table_error=table_error,
        dist_kinds=DIST_KINDS,
        dist_params=DIST_PARAMS,
        table_rows=TABLE_ROWS,
    )


@router.get("/uncertainty", name="calculator")
def calculator(
    request: Request, principal: PageCaller, session: PageSession, budget: int | None = None
) -> Response:
    if budget is not None:
        b = service.get_budget(session, principal, budget)
        return _render(request, principal, session, b.source, b.name, b.id)
    return _render(request, principal, session, DEFAULT_MODEL, "", None)


@router.post("/uncertainty", name="calculator_submit")
def calculator_submit(
    request: Request,
    principal: PageCaller,
    session: PageSession,
    source: Annotated[str, Form(max_length=service.MAX_SOURCE_BYTES)],
    action: Annotated[str, Form(pattern="^(run|save)$")] = "run",
    name: Annotated[str, Form(max_length=200)] = "",
    budget_id: Annotated[int | None, Form()] = None,
) -> Response:
    if action == "save":
        try:
            b = service.save_budget(session, principal, name, source, budget_id)
        except JiliangError as exc:
            return _render(
                request,
                principal,
                session,
                source,
                name,
                budget_id,
                error=error_from(language_of(request), exc),
                status=exc.status,
            )
        return RedirectResponse(f"/uncertainty?budget={b.id}&saved=1", status_code=303)
    try:
        ev = service.run_model(source)
    except JiliangError as exc:
        return _render(
            request,
            principal,
            session,
            source,
            name,
            budget_id,
            error=error_from(language_of(request), exc),
            status=exc.status,
        )
    return _render(request, principal, session, source, name, budget_id, result=_view(ev))


# --- the model as a table of inputs -------------------------------------------------------------
# The table form writes a model file (the same YAML the editor holds) and runs it through the one
# model-parsing path (budgets.service.run_model → uncertainty.model_from_dict).

TABLE_ROWS = 8
# the parameters each distribution takes (see jiliang.uncertainty.distributions.KINDS)
DIST_PARAMS = {
    "normal": "mean sd",
    "uniform": "low high",
    "triangular": "low mode high",
    "trapezoid": "low high beta",
    "ctrap": "low high d",
    "arcsine": "low high",
    "t": "mean sd dof",
    "exponential": "mean",
    "gamma": "mean sd",
}
DIST_KINDS = tuple(DIST_PARAMS)
_EXTRA = ("dist", "dof", "unit", "data")
_PAIR = re.compile(r"^\s*([A-Za-z_]\w*)\s*[=:＝：]\s*(\S+)\s*$")


def _pairs(text: str, field: str) -> dict[str, float]:
    """``"mean=1.2 sd=0.1"`` (spaces, commas or semicolons between) as numbers."""
    out: dict[str, float] = {}
    for item in re.split(r"[\s,;，；]+(?=[A-Za-z_])", text.strip()):
        if not item.strip():
            continue
        m = _PAIR.match(item)
        if m is None:
            raise InputError(
                f"{field}: write parameters as name=value", fields=[FieldError(field, "name=value expected")]
            )
        try:
            out[m.group(1)] = float(m.group(2).rstrip(",;，；"))
        except ValueError:
            raise InputError(
                f"{field}: {m.group(2)!r} is not a number", fields=[FieldError(field, "a number expected")]
            ) from None
    return out


def table_to_source(form: Mapping[str, str]) -> str:
    """The model file for the table form's fields (output, constants and up to eight inputs)."""
    import yaml

    out_name = (form.get("out_name") or "").strip()
    expr = (form.get("out_expr") or "").strip()
    if not out_name or not expr:
        raise InputError(
            "give the output's name and its equation",
            fields=[FieldError("out_name", "required"), FieldError("out_expr", "required")],
        )
    inputs: dict[str, dict[str, Any]] = {}
    for i in range(TABLE_ROWS):
        name = (form.get(f"in{i}_name") or "").strip()
        if not name:
            continue
        dist = form.get(f"in{i}_dist") or "normal"
        if dist not in DIST_KINDS:
            raise InputError(f"input {name!r}: unknown distribution {dist!r}")
        entry: dict[str, Any] = {"dist": dist, **_pairs(form.get(f"in{i}_params") or "", f"in{i}_params")}
        unit = (form.get(f"in{i}_unit") or "").strip()
        if unit:
            entry["unit"] = unit
        dof = (form.get(f"in{i}_dof") or "").strip()
        if dof:
            entry["dof"] = _pairs(f"dof={dof}", f"in{i}_dof")["dof"]
        inputs[name] = entry
    if not inputs:
        raise InputError("give at least one input", fields=[FieldError("in0_name", "required")])
    model: dict[str, Any] = {"name": (form.get("name") or "").strip() or out_name, "model": {out_name: expr}}
    unit = (form.get("out_unit") or "").strip()
    if unit:
        model["units"] = {out_name: unit}
    constants = _pairs(form.get("constants") or "", "constants")
    if constants:
        model["constants"] = constants
    model["inputs"] = inputs
    model["method"] = {"gum": True, "montecarlo": {"adaptive": {"digits": 2}}, "coverage": 0.95}
    return str(yaml.safe_dump(model, allow_unicode=True, sort_keys=False, width=120))


def _num_text(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def source_to_table(source: str) -> dict[str, Any]:
    """The table form's fields for a model file (its first output); empty when it does not fit."""
    try:
        data = service.parse_source(source)
    except JiliangError:
        return {}
    model, inputs = data.get("model"), data.get("inputs")
    if not isinstance(model, dict) or not model or not isinstance(inputs, dict):
        return {}
    out_name, expr = next(iter(model.items()))
    if isinstance(expr, dict) or any(
        isinstance(v, dict) and ("complex" in v or "anova" in v) for v in inputs.values()
    ):
        return {}  # implicit or complex outputs, ANOVA or complex inputs: the editor only
    rows = []
    for name, spec in list(inputs.items())[:TABLE_ROWS]:
        spec = spec if isinstance(spec, dict) else {}
        params = " ".join(f"{k}={_num_text(v)}" for k, v in spec.items() if k not in _EXTRA)
        dof = spec.get("dof")
        rows.append(
            {
                "name": name,
                "dist": spec.get("dist", "normal"),
                "params": params,
                "unit": spec.get("unit", ""),
                "dof": "" if dof is None else _num_text(dof),
            }
        )
    constants = data.get("constants") if isinstance(data.get("constants"), dict) else {}
    return {
        "out_name": out_name,
        "out_expr": str(expr),
        "out_unit": (data.get("units") or {}).get(out_name, "")
        if isinstance(data.get("units"), dict)
        else "",
        "constants": " ".join(f"{k}={_num_text(v)}" for k, v in (constants or {}).items()),
        "rows": rows + [{} for _ in range(TABLE_ROWS - len(rows))],
    }


@router.post("/uncertainty/table", name="calculator_table")
async def calculator_table(request: Request, principal: PageCaller, session: PageSession) -> Response:
    """Run a model entered as a table; the page then shows it as a model file too (to edit or save)."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str) and len(v) <= 2000}
    lang = language_of(request)
    try:
        source = table_to_source(form)
    except JiliangError as exc:
        table = {**source_to_table(DEFAULT_MODEL), **_echo(form)}
        return _render(
            request,
            principal,
            session,
            DEFAULT_MODEL,
            "",
            None,
            error=error_from(lang, exc),
            status=exc.status,
            table=table,
            table_error=True,
        )
    try:
        ev = service.run_model(source)
    except JiliangError as exc:
        return _render(
            request,
            principal,
            session,
            source,
            "",
            None,
            error=error_from(lang, exc),
            status=exc.status,
            table=_echo(form),
            table_error=True,
        )
    return _render(request, principal, session, source, "", None, result=_view(ev))


def _echo(form: Mapping[str, str]) -> dict[str, Any]:
    """The table as the user typed it, to show again next to an error."""
    rows = [
        {k: form.get(f"in{i}_{k}", "") for k in ("name", "dist", "params", "unit", "dof")}
        for i in range(TABLE_ROWS)
    ]
    return {
        "out_name": form.get("out_name", ""),
        "out_expr": form.get("out_expr", ""),
        "out_unit": form.get("out_unit", ""),
        "constants": form.get("constants", ""),
        "rows": rows,
    }
