"""Cheating-check pages: fuel stations and charging sites with their flags, the forms that submit a
station's or a charging site's files, the data behind each result (download, run again), a nozzle's
residual chart, and the regulator's ranked list of sites for key supervision with the detector's
hit rate. Refusals are shown next to the form, in the page's language, and nothing is stored."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from jiliang.errors import InputError, JiliangError, NotFoundError
from jiliang.meters import cheating as service
from jiliang.meters.cheatdata import FILE_NAMES
from jiliang.meters.cheatio import MAX_BYTES, read_upload
from jiliang.platform.auth import Principal
from jiliang.platform.models import Role
from jiliang.web.deps import LoggedIn, PageSession, clock_of
from jiliang.web.errors import ErrorView, describe
from jiliang.web.i18n import catalog
from jiliang.web.render import language_of, page

router = APIRouter()

_TEXT_FIELDS = ("code", "name", "org_id", "approved_software", "accuracy_class")
_REQUIRED = {"fuel_station": ("totalisers", "tank"), "charging_site": ("registers",)}


def _error(request: Request, exc: JiliangError) -> ErrorView:
    """The refusal in the page's language: the file and column it names translated too; the
    service's own (English) words are kept only for the English page."""
    lang = language_of(request)
    words = catalog(lang)
    details = dict(exc.details)
    for key, family in (("file", "cht.file."), ("column", "cht.col.")):
        if key in details:
            details[key] = words.get(family + str(details[key]), str(details[key]))
    view = describe(lang, exc.status, exc.code, exc.message, details)
    if lang != "en":
        view["detail"] = None
    return view


def _limit(request: Request) -> int:
    return min(int(request.app.state.settings.import_max_bytes), MAX_BYTES)


async def _file(value: object, name: str, limit: int) -> bytes | None:
    """A posted file's bytes (None if no file was chosen), refused beyond ``limit`` bytes."""
    if not isinstance(value, UploadFile) or not value.filename:
        return None
    return await read_upload(value, name, limit)


async def _texts(request: Request) -> dict[str, str]:
    """The form's text fields, cut to a bounded length (the service checks them)."""
    form = await request.form()
    return {k: str(v)[:1000] for k in _TEXT_FIELDS if isinstance(v := form.get(k), str)}


async def _files(request: Request, kind: str) -> dict[str, bytes | None]:
    """The form's files of a ``kind`` site; a required file must be there."""
    form = await request.form()
    limit = _limit(request)
    files = {n: await _file(form.get(n), n, limit) for n in FILE_NAMES[kind]}
    for n in _REQUIRED[kind]:
        if files[n] is None:
            raise InputError(f"choose the {n} file", code="cheat_file_required", details={"file": n})
    return files


def _org(text: dict[str, str]) -> int | None:
    raw = text.get("org_id", "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 9:
        raise InputError(f"organization {raw[:20]!r} is not an id", code="cheat_org_required")
    return int(raw)


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


def _sites_page(
    request: Request,
    principal: Principal,
    session: Any,
    status: int = 200,
    error: ErrorView | None = None,
    failed: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    """The site lists and the two submission forms (each only for those who may submit)."""
    return page(
        request,
        "cheating/sites.html",
        principal,
        status=status,
        stations=service.list_sites(session, principal, "fuel_station"),
        charging=service.list_sites(session, principal, "charging_site"),
        station_orgs=service.upload_orgs(session, principal, "fuel_station"),
        charging_orgs=service.upload_orgs(session, principal, "charging_site"),
        limit_mb=round(_limit(request) / 1048576, 1),
        error=error,
        failed=failed,
        values=values or {},
    )


@router.get("/cheating", name="cheating_sites")
def sites(request: Request, principal: LoggedIn, session: PageSession) -> Response:
    return _sites_page(request, principal, session)


def _analyse(
    session: Any, principal: Principal, kind: str, text: dict[str, str], files: dict[str, bytes | None],
    now: datetime,
) -> Any:  # fmt: skip
    org_id, code, name = _org(text), text.get("code", "").strip(), text.get("name", "").strip()
    if kind == "fuel_station":
        an, _ = service.analyse_fuel_upload(
            session, principal, org_id=org_id, code=code, name=name, totalisers=files["totalisers"] or b"",
            tank=files["tank"] or b"", events=files["events"], now=now,
            approved_software=text.get("approved_software", ""),
        )  # fmt: skip
    else:
        an, _ = service.analyse_charger_upload(
            session, principal, org_id=org_id, code=code, name=name, registers=files["registers"] or b"",
            sessions=files["sessions"], accuracy_class=text.get("accuracy_class", "2"), now=now,
        )  # fmt: skip
    return an


async def _submit(request: Request, principal: Principal, session: Any, kind: str) -> Response:
    principal.require(Role.ENTERPRISE, Role.REGULATOR)
    text = await _texts(request)
    try:
        files = await _files(request, kind)
        an = _analyse(session, principal, kind, text, files, clock_of(request).now())
    except JiliangError as exc:
        session.rollback()
        return _sites_page(request, principal, session, exc.status, _error(request, exc), kind, text)
    return RedirectResponse(f"/cheating/sites/{an.site_id}?analysis={an.id}", status_code=303)


async def _submit_closing(request: Request, principal: Principal, session: Any, kind: str) -> Response:
    """:func:`_submit`, then the posted files' temporary copies are closed (the form is read here,
    not by a declared parameter, so nothing else closes it)."""
    try:
        return await _submit(request, principal, session, kind)
    finally:
        await (await request.form()).close()


@router.post("/cheating/stations", name="cheating_submit_station")
async def submit_station(request: Request, principal: LoggedIn, session: PageSession) -> Response:
    """A fuel station's totaliser, tank-gauge and event-log files, analysed and kept."""
    return await _submit_closing(request, principal, session, "fuel_station")


@router.post("/cheating/charging-sites", name="cheating_submit_charging")
async def submit_charging(request: Request, principal: LoggedIn, session: PageSession) -> Response:
    """A charging site's register and session files, analysed and kept."""
    return await _submit_closing(request, principal, session, "charging_site")


def _site_page(
    request: Request,
    principal: Any,
    session: Any,
    site_id: int,
    status: int = 200,
    error: ErrorView | str | None = None,
    analysis_id: int | None = None,
) -> Response:
    view, result, flags = service.site_detail(session, principal, site_id, analysis_id)
    trace = service.provenance(session, principal, site_id, analysis_id)
    events = []
    if result and result.get("kind") == "fuel_station":
        events = [
            {"dispenser_id": f["dispenser_id"], "kind": f["kind"], "when": _when(f["ts"])}
            for f in result["flags"]
        ]
    return page(
        request, "cheating/site.html", principal, status=status, site=view, result=result, flags=flags,
        events=events, error=error, trace=trace,
    )  # fmt: skip


@router.get("/cheating/sites/{site_id}", name="cheating_site")
def site(
    request: Request, principal: LoggedIn, session: PageSession, site_id: int, analysis: int | None = None
) -> Response:
    """The site's latest result (or the analysis asked for) with the data behind it."""
    return _site_page(request, principal, session, site_id, analysis_id=analysis)


@router.post("/cheating/sites/{site_id}/analyses/{analysis_id}/rerun", name="cheating_rerun")
def rerun(
    request: Request, principal: LoggedIn, session: PageSession, site_id: int, analysis_id: int
) -> Response:
    """Run an analysis again on the data it was made from; the new result is shown."""
    try:
        an = service.rerun(session, principal, analysis_id, clock_of(request).now(), site_id=site_id)
    except JiliangError as exc:
        session.rollback()
        if isinstance(exc, NotFoundError):
            raise
        view = _error(request, exc)
        return _site_page(request, principal, session, site_id, exc.status, view, analysis_id)
    return RedirectResponse(f"/cheating/sites/{site_id}?analysis={an.id}", status_code=303)


@router.get("/cheating/files/{file_id}.csv", name="cheating_file")
def submitted_file(principal: LoggedIn, session: PageSession, file_id: int) -> Response:
    """A submitted file as it was received (checked against its SHA-256)."""
    filename, data = service.submitted_file(session, principal, file_id)
    return Response(
        data,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


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
