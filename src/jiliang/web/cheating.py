"""Cheating-check pages: fuel stations and charging sites with their flags, a nozzle's residual chart,
and the regulator's ranked list of sites for key supervision with the detector's hit rate."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from jiliang.errors import InputError, NotFoundError
from jiliang.meters import cheating as service
from jiliang.web.deps import LoggedIn, PageSession
from jiliang.web.render import page

router = APIRouter()


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M")


def residual_chart(
    x: list[float], y: list[float], delta_pct: float, width: float = 600.0, height: float = 260.0
) -> dict[str, Any] | None:
    """Partial residual of one nozzle (L) against its cumulative sales (L), with the fitted line −δ·C."""
    if len(x) < 2:
        return None
    left, bottom, top, right = 56.0, 28.0, 10.0, 12.0
    x0, x1 = min(x), max(x) or 1.0
    line = [-delta_pct / 100.0 * v for v in (x0, x1)]
    y0, y1 = min([*y, *line, 0.0]), max([*y, *line, 0.0])
    if y1 - y0 < 1e-9:
        y1 = y0 + 1.0
    sx = (width - left - right) / ((x1 - x0) or 1.0)
    sy = (height - top - bottom) / (y1 - y0)

    def px(v: float) -> float:
        return round(left + (v - x0) * sx, 1)

    def py(v: float) -> float:
        return round(top + (y1 - v) * sy, 1)

    pts = [{"x": px(a), "y": py(b)} for a, b in zip(x, y, strict=True)]
    yt = [{"y": py(v), "label": f"{v:.0f}"} for v in (y0, (y0 + y1) / 2, y1)]
    xt = [{"x": px(v), "label": f"{v:,.0f}"} for v in (x0, (x0 + x1) / 2, x1)]
    return {
        "width": width, "height": height, "points": pts, "yticks": yt, "xticks": xt, "left": left,
        "zero": py(0.0), "fit": {"x1": px(x0), "y1": py(line[0]), "x2": px(x1), "y2": py(line[1])},
        "bottom": height - bottom,
    }  # fmt: skip


@router.get("/cheating", name="cheating_sites")
def sites(request: Request, principal: LoggedIn, session: PageSession) -> Response:
    stations = service.list_sites(session, principal, "fuel_station")
    charging = service.list_sites(session, principal, "charging_site")
    return page(request, "cheating/sites.html", principal, stations=stations, charging=charging)


def _site_page(
    request: Request, principal: Any, session: Any, site_id: int, status: int = 200, error: str | None = None
) -> Response:
    view, result, flags = service.site_detail(session, principal, site_id)
    events = []
    if result and result.get("kind") == "fuel_station":
        events = [
            {"dispenser_id": f["dispenser_id"], "kind": f["kind"], "when": _when(f["ts"])}
            for f in result["flags"]
        ]
    return page(
        request, "cheating/site.html", principal, status=status, site=view, result=result, flags=flags,
        events=events, error=error,
    )  # fmt: skip


@router.get("/cheating/sites/{site_id}", name="cheating_site")
def site(request: Request, principal: LoggedIn, session: PageSession, site_id: int) -> Response:
    return _site_page(request, principal, session, site_id)


@router.post("/cheating/sites/{site_id}/outcome", name="cheating_outcome")
def outcome(
    request: Request,
    principal: LoggedIn,
    session: PageSession,
    site_id: int,
    checked_on: Annotated[str, Form(max_length=10)],
    source: Annotated[str, Form(pattern="^(inspection|field_check)$")],
    confirmed: Annotated[str, Form(pattern="^(yes|no)$")],
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        day = date.fromisoformat(checked_on)
    except ValueError:
        raise InputError(f"{checked_on!r} is not a date (YYYY-MM-DD)") from None
    service.record_outcome(
        session, principal, site_id, checked_on=day, source=source, confirmed=confirmed == "yes", note=note
    )
    return RedirectResponse(f"/cheating/sites/{site_id}", status_code=303)


@router.get("/cheating/sites/{site_id}/nozzles/{nozzle_id}", name="cheating_nozzle")
def nozzle(
    request: Request, principal: LoggedIn, session: PageSession, site_id: int, nozzle_id: str
) -> Response:
    if len(nozzle_id) > 64:
        raise InputError("nozzle id is longer than 64 characters")
    view, result, _ = service.site_detail(session, principal, site_id)
    found = next((n for n in (result or {}).get("nozzles", []) if n["nozzle_id"] == nozzle_id), None)
    if result is None or found is None:
        raise NotFoundError(f"no nozzle {nozzle_id} at site {site_id}")
    part = result.get("partial", {}).get(nozzle_id, {"x": [], "y": []})
    chart = residual_chart(part["x"], part["y"], found["delta_pct"])
    tank = next((t for t in result["tanks"] if t["tank_id"] == found["tank_id"]), None)
    return page(
        request,
        "cheating/nozzle.html",
        principal,
        site=view,
        n=found,
        chart=chart,
        tank=tank,
        mpe=result["mpe_pct"],
    )


@router.get("/cheating/keysites", name="cheating_keysites")
def keysites(request: Request, principal: LoggedIn, session: PageSession) -> Response:
    ranked = service.keysites(session, principal)
    hit, counted = service.detector_hit_rate(session, principal)
    pol = service.policy()
    return page(
        request, "cheating/keysites.html", principal, ranked=ranked, hit=hit, counted=counted, policy=pol
    )


@router.get("/cheating/keysites.csv", name="cheating_keysites_csv")
def keysites_csv(principal: LoggedIn, session: PageSession) -> Response:
    return Response(
        service.keysites_csv(session, principal),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="keysites-targets.csv"'},
    )
