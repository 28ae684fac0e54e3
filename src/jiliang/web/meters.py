"""Meter supervision pages: estimation runs, areas with their balance and fit, suspected meters
with the evidence chart (estimated error ± U against the limits), the replacement worklist."""

from __future__ import annotations

import json
import math
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from jiliang.errors import InputError
from jiliang.meters.access import area_results, run_for, runs_for
from jiliang.web.deps import LoggedIn, PageSession
from jiliang.web.i18n import translator
from jiliang.web.phrases import code_text, phrase_text
from jiliang.web.render import language_of, page

router = APIRouter()

FLAGGED = (
    "suspected_theft",
    "out_of_limit",
    "suspect",
    "failed_runaway",
    "failed_backwards",
    "failed_stopped",
)


def _error_chart(
    rows: list[dict[str, Any]], width: float = 640.0, row_h: float = 18.0
) -> dict[str, Any] | None:
    """Each estimated meter: its error with the band ±2u, against ± its limit (percent)."""
    est = [r for r in rows if r["error_pct"] is not None and r["u_error_pct"] is not None]
    if not est:
        return None
    span = (
        max(
            max(abs(r["error_pct"]) + 2 * r["u_error_pct"] for r in est),
            max((r["limit_pct"] or 0) for r in est),
        )
        * 1.1
        or 1.0
    )
    left = 120.0
    plot_w = width - left - 30  # room for the last tick's label

    def x(v: float) -> float:
        return round(left + (v + span) / (2 * span) * plot_w, 2)

    items = []
    for i, r in enumerate(sorted(est, key=lambda r: -abs(r["error_pct"]))):
        e, u, lim = r["error_pct"], r["u_error_pct"], r["limit_pct"] or 0
        items.append(
            {
                "y": round(i * row_h + 10, 1),
                "id": r["meter_id"],
                "x": x(e),
                "lo": x(e - 2 * u),
                "hi": x(e + 2 * u),
                "status": r["status"],
                "lim_lo": x(-lim),
                "lim_hi": x(lim),
                "label": f"{e:+.2f} ± {2 * u:.2f} %",
            }
        )
    ticks = [{"x": x(v), "label": f"{v:+.1f}"} for v in (-span, -span / 2, 0.0, span / 2, span)]
    return {"width": width, "height": len(items) * row_h + 30, "items": items, "ticks": ticks, "zero": x(0.0)}


# How each number of a meter's evidence is shown: catalog key of its label, format, unit.
_NUMBERS: dict[str, tuple[str, str]] = {
    "share_pct": ("{:.2f}", " %"),
    "energy_kwh": ("{:,.1f}", " kWh"),
    "kwh_per_day": ("{:.2f}", " kWh/d"),
    "max_daily_kwh": ("{:,.1f}", " kWh"),
    "limit_kwh_per_day": ("{:,.1f}", " kWh/d"),
    "first_drop_kwh": ("{:.3f}", " kWh"),
    "theta": ("{:.5f}", ""),
    "p_out_of_limit": ("{:.1%}", ""),
    "days": ("{:g}", " d"),
    "periods": ("{:d}", ""),
    "duplicates": ("{:d}", ""),
    "events": ("{:d}", ""),
    "intervals": ("{:d}", ""),
    "clock_offset_s": ("{:+.2f}", " s"),
    "clock_offset_u_s": ("{:.2f}", " s"),
}


def _when(stamp: object) -> str:
    text = str(stamp or "")
    return text.replace("T", " ")[:16] + (" UTC" if text.endswith("Z") else "")


def _value(key: str, value: Any, lang: str) -> str:
    if key in _NUMBERS and isinstance(value, int | float) and not isinstance(value, bool):
        fmt, unit = _NUMBERS[key]
        return (fmt.format(int(value)) if fmt == "{:d}" else fmt.format(value)) + unit
    if key == "collection" and isinstance(value, int | float):
        return f"{100 * value:.1f} %"
    if key in ("reason", "decision", "rule"):
        return phrase_text(lang, value)
    if key == "type":
        return code_text(lang, "failure", value)
    if key == "also" and isinstance(value, list):
        return "、".join(code_text(lang, "failure", v) for v in value)
    return str(value)


def _regime_facts(test: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """The regime test of a meter (jiliang.meters.theft) as labelled facts."""
    t = translator(lang)
    facts = [
        (t("met.ev.regime_test"), code_text(lang, "regime_test", test.get("test"))),
        (t("met.ev.statistic"), f"{test.get('statistic')} > {test.get('threshold')} (χ², {test.get('dof')})"),
    ]
    if test.get("hours_under_registered_utc"):
        facts.append(
            (t("met.ev.hours_under"), "、".join(map(str, test["hours_under_registered_utc"])) + " UTC")
        )
    if test.get("from"):
        facts.append((t("met.ev.regime_from"), _when(test["from"])))
    for key in (
        "kwh_per_day_before",
        "kwh_per_day_after",
        "area_loss_rate_pct_before",
        "area_loss_rate_pct_after",
    ):
        if test.get(key) is not None:
            unit = " kWh/d" if key.startswith("kwh") else " %"
            facts.append((t(f"met.ev.{key}"), f"{test[key]}{unit}"))
    return facts


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _p_text(log10_p: Any) -> str:
    """A p-value from its log₁₀ in scientific notation, e.g. ``p = 3.2 × 10⁻⁹``."""
    if not isinstance(log10_p, int | float):
        return "—"
    if log10_p <= -300:
        return "p < 10⁻³⁰⁰"
    exp = math.floor(log10_p)
    return f"p = {10 ** (log10_p - exp):.1f} × 10{str(exp).translate(_SUPERSCRIPT)}"


def _clock_facts(test: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """The area's clock-offset test (jiliang.meters.skew) as labelled facts."""
    t = translator(lang)
    dof = test.get("dof") or ["?", "?"]
    return [
        (
            t("met.ev.clock_offset_test"),
            f"F = {test.get('f')} ({dof[0]}, {dof[1]}), {_p_text(test.get('log10_p'))}",
        ),
        (t("met.ev.clock_common_term"), _p_text(test.get("log10_p_common"))),
        (t("met.ev.clock_spread"), f"τ = {test.get('spread_s')} s"),
    ]


def evidence_view(evidence: dict[str, Any], lang: str) -> dict[str, Any]:
    """A meter's evidence in words with units: the main sentence and the labelled facts."""
    t = translator(lang)
    failure = evidence.get("failure") if isinstance(evidence.get("failure"), dict) else None
    facts: list[tuple[str, str]] = []
    for key, value in evidence.items():
        if key == "failure" or value is None:
            continue
        if key == "regime_test" and isinstance(value, dict):
            facts += _regime_facts(value, lang)
            continue
        if key == "clock_offset_test" and isinstance(value, dict):
            facts += _clock_facts(value, lang)
            continue
        if key == "clock_offset_u_s":  # shown with the offset
            continue
        if key == "clock_offset_s" and evidence.get("clock_offset_u_s") is not None:
            u = _value("clock_offset_u_s", evidence["clock_offset_u_s"], lang)
            facts.append((t("met.ev.clock_offset_s"), f"{_value(key, value, lang)} (u = {u})"))
            continue
        facts.append((t(f"met.ev.{key}"), _value(key, value, lang)))
    if failure:
        span = f"{_when(failure.get('from'))} – {_when(failure.get('to'))}"
        facts.insert(0, (t("met.ev.when"), span))
        for key, value in failure.items():
            if key not in ("from", "to", "rule", "type"):
                facts.append((t(f"met.ev.{key}"), _value(key, value, lang)))
    main = (
        f"{code_text(lang, 'failure', failure.get('type'))}：{phrase_text(lang, failure.get('rule'))}"
        if failure and lang == "zh"
        else f"{code_text(lang, 'failure', failure.get('type'))}: {phrase_text(lang, failure.get('rule'))}"
        if failure
        else phrase_text(lang, evidence.get("reason") or evidence.get("decision") or "")
    )
    facts = [(k, v) for k, v in facts if v != main]
    return {"main": main, "facts": facts}


@router.get("/meters", name="meters_runs")
def meters_runs(request: Request, principal: LoggedIn, session: PageSession) -> Response:
    runs = runs_for(session, principal)
    store = request.app.state.settings.meters_ingest_store
    live = None
    if store is not None and principal.is_regulator:  # the store is not split by organisation
        from jiliang.meters.collection import collection_rates

        live = collection_rates(store, time.time())
    return page(request, "meters/runs.html", principal, runs=runs, live=live)


@router.get("/meters/runs/{run_id}", name="meters_run")
def meters_run(request: Request, principal: LoggedIn, session: PageSession, run_id: int) -> Response:
    from jiliang.meters.service import result_rows
    from jiliang.meters.worklist import worklist

    run = run_for(session, principal, run_id)
    areas = area_results(session, run.id)
    _, rows = result_rows(session, run.id)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    flagged = [r for r in rows if r["status"] in FLAGGED]
    return page(
        request,
        "meters/run.html",
        principal,
        run=run,
        areas=areas,
        counts=counts,
        flagged=flagged,
        work=worklist(rows, limit=50),
    )


@router.get("/meters/runs/{run_id}/areas/{area_id}", name="meters_area")
def meters_area(
    request: Request, principal: LoggedIn, session: PageSession, run_id: int, area_id: str
) -> Response:
    from jiliang.meters.service import result_rows

    if len(area_id) > 64:
        raise InputError("area id is longer than 64 characters")
    run = run_for(session, principal, run_id)
    area = next((a for a in area_results(session, run.id) if a.area_id == area_id), None)
    if area is None:
        from jiliang.errors import NotFoundError

        raise NotFoundError(f"no area {area_id} in run {run_id}")
    _, rows = result_rows(session, run.id, area_id=area_id)
    lang = language_of(request)
    for r in rows:
        ev = r["evidence"]
        try:
            obj = json.loads(ev) if isinstance(ev, str) and ev else (ev or {})
        except ValueError:
            obj = {}
        r["evidence_view"] = evidence_view(obj if isinstance(obj, dict) else {}, lang)
    return page(
        request, "meters/area.html", principal, run=run, area=area, rows=rows, chart=_error_chart(rows)
    )
