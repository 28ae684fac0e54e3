"""Console pages of the registry: search and filter, details with history and the traceability
graph (server-drawn SVG, broken links in red with their reason), import with a preview of the
rejected rows, export, the due list with bulk actions, and coverage."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from jiliang.errors import JiliangError, NotFoundError
from jiliang.platform import orgs
from jiliang.platform.models import Role
from jiliang.platform.uploads import read_limited
from jiliang.registry.service import list_types
from jiliang.web.cache import memo
from jiliang.web.deps import LoggedIn, PageCaller, PageSession, clock_of
from jiliang.web.errors import error_from
from jiliang.web.render import language_of, may_use, page

router = APIRouter()

PAGE = 50
STATUSES = ("in_use", "booked", "overdue", "blocked", "retired")


def _int(value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    try:
        n = int(value)
    except ValueError:
        return None
    return n if 0 <= n < 2**31 else None


def _types(session: Any) -> list[Any]:
    return list_types(session)


@router.get("/registry", name="registry_instruments")
def instruments(
    request: Request,
    principal: LoggedIn,
    session: PageSession,
    q: Annotated[str | None, Query(max_length=100)] = None,
    type_id: str | None = None,
    status: str | None = None,
    district_id: str | None = None,
    owner_id: str | None = None,
    page_no: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> Response:
    from jiliang.registry.service import InstrumentFilter, list_instruments

    st = status if status in STATUSES else None
    f = InstrumentFilter(q or None, _int(type_id), _int(owner_id), _int(district_id), st)
    total, exact, rows = list_instruments(session, principal, f, PAGE, (page_no - 1) * PAGE)
    params = {
        k: v
        for k, v in {
            "q": q,
            "type_id": type_id,
            "status": st,
            "district_id": district_id,
            "owner_id": owner_id,
        }.items()
        if v
    }
    return page(
        request,
        "registry/instruments.html",
        principal,
        rows=rows,
        total=total,
        exact=exact,
        page_no=page_no,
        has_next=page_no * PAGE < total,
        params=params,
        qs=urlencode(params),
        export_qs=urlencode(
            {k: v for k, v in zip(_FILTER_KEYS, _filter_values(f), strict=True) if v is not None}
        ),
        types=_types(session),
        districts=orgs.list_districts(session),
        statuses=STATUSES,
        f={"q": q or "", "type_id": _int(type_id), "status": st, "district_id": _int(district_id)},
    )


_FILTER_KEYS = ("q", "type_id", "owner_id", "district_id", "status")


def _filter_values(f: Any) -> tuple[Any, ...]:
    """The list's filter as the export takes it: the export holds exactly the rows listed."""
    return (f.q, f.type_id, f.owner_id, f.district_id, f.status)


def _fit(label: str, width: int = 32) -> str:
    """Cut ``label`` to ``width`` columns (a CJK character takes two), with an ellipsis."""
    used = 0
    for i, ch in enumerate(label):
        used += 2 if ord(ch) > 0x2E80 else 1
        if used > width:
            return label[: max(i - 1, 1)] + "…"
    return label


_BOX_W, _BOX_H, _GAP_X, _GAP_Y, _MARGIN = 220, 46, 30, 70, 20  # the chain drawing's boxes and gaps (px)


def _graph(trace: Any, lang: str) -> dict[str, Any]:
    """Lay the chain out in rows: the traced item at the bottom, national standards at the top."""
    depth = _depths(trace)
    levels = max(depth.values(), default=0)
    missing = any(e.parent is None for e in trace.edges)
    rows: dict[int, list[str]] = {}
    for key, d in depth.items():
        rows.setdefault(d, []).append(key)
    width = max(520, max(len(v) for v in rows.values()) * (_BOX_W + _GAP_X) + _GAP_X + 200)
    height = (levels + 1 + int(missing)) * (_BOX_H + _GAP_Y) - _GAP_Y + 2 * _MARGIN
    pos, out_nodes = _graph_nodes(trace, rows, width, height)
    out_edges = _graph_edges(trace, pos, out_nodes)
    names = {
        n.key: dict(zip(("code", "rest"), _split_label(n.key.partition(":")[0], n.label), strict=True))
        for n in trace.nodes
    }
    return {"width": width, "height": height, "nodes": out_nodes, "edges": out_edges, "names": names}


def _depths(trace: Any) -> dict[str, int]:
    """Each node's row: 0 for the traced item, one more than its child for each parent (at most 30)."""
    depth: dict[str, int] = {trace.root: 0}
    changed = True
    while changed:
        changed = False
        for e in trace.edges:
            if e.parent and e.child in depth and depth.get(e.parent, -1) < depth[e.child] + 1 <= 30:
                depth[e.parent] = depth[e.child] + 1
                changed = True
    return depth


def _graph_nodes(
    trace: Any, rows: dict[int, list[str]], width: int, height: int
) -> tuple[dict[str, tuple[float, float]], list[dict[str, Any]]]:
    """The boxes of the chain, each row centred: their positions by key and what the page draws."""
    pos: dict[str, tuple[float, float]] = {}
    nodes = {n.key: n for n in trace.nodes}
    out_nodes = []
    for d, keys in rows.items():
        keys.sort()
        total_w = len(keys) * _BOX_W + (len(keys) - 1) * _GAP_X
        x0 = (width - 200 - total_w) / 2
        y = height - _MARGIN - _BOX_H - d * (_BOX_H + _GAP_Y)
        for i, key in enumerate(keys):
            x = x0 + i * (_BOX_W + _GAP_X)
            pos[key] = (x, y)
            n = nodes.get(key)
            broken = any(b.node == key for b in trace.breaks)
            kind, _, ident = key.partition(":")
            href = f"/registry/standards/{ident}" if kind == "standard" else f"/registry/instruments/{ident}"
            label = n.label if n else key
            code, rest = _split_label(kind, label)
            out_nodes.append(
                {
                    "x": x,
                    "y": y,
                    "w": _BOX_W,
                    "h": _BOX_H,
                    "code": code,
                    "label": _fit(rest, 32 - len(code) - 1 if code else 32),
                    "title": label,
                    "level": n.level if n else "",
                    "broken": broken,
                    "href": href,
                }
            )
    return pos, out_nodes


def _graph_edges(
    trace: Any, pos: dict[str, tuple[float, float]], out_nodes: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The links from each box up to its parent; a missing parent gets a "?" box added to ``out_nodes``."""
    out_edges = []
    for e in trace.edges:
        if e.child not in pos:
            continue
        cx, cy = pos[e.child]
        if e.parent and e.parent in pos:
            px, py = pos[e.parent]
            x2, y2 = px + _BOX_W / 2, py + _BOX_H
        else:
            x2, y2 = cx + _BOX_W / 2, cy - _GAP_Y + 8
            out_nodes.append(
                {
                    "x": cx + _BOX_W / 2 - 60,
                    "y": y2 - _BOX_H,  # tall enough for its level line ("missing")
                    "w": 120,
                    "h": _BOX_H,
                    "label": "?",
                    "title": "missing",
                    "level": "missing",
                    "broken": True,
                    "href": None,
                }
            )
        out_edges.append(
            {
                "x1": cx + _BOX_W / 2,
                "y1": cy,
                "x2": x2,
                "y2": y2,
                "broken": e.broken,
                "mx": (cx + _BOX_W / 2 + x2) / 2,
                "my": (cy + y2) / 2,
                "ratio": None if e.ratio is None else f"{e.ratio:.1f}:1",
                "cert": e.certificate_no,
            }
        )
    return out_edges


def _split_label(kind: str, label: str) -> tuple[str, str]:
    """A standard's label is its code (an identifier, not translated) and its name."""
    if kind != "standard":
        return "", label
    code, _, rest = label.partition(" ")
    return code, rest


@router.get("/registry/instruments/{instrument_id}", name="registry_instrument")
def instrument(
    request: Request, instrument_id: int, principal: LoggedIn, session: PageSession, done: str | None = None
) -> Response:
    from jiliang.registry.service import instrument_detail, trace_instrument

    try:
        item = instrument_detail(session, principal, instrument_id)
    except NotFoundError:
        return page(request, "registry/missing.html", principal, status=404)
    trace = trace_instrument(
        session, principal, instrument_id, request.app.state.settings.uncertainty_ratio_min
    )
    return page(
        request,
        "registry/instrument.html",
        principal,
        item=item,
        trace=trace,
        chain=_graph(trace, language_of(request)),
        done=done if done in ("created", "saved", "retired") else None,
        may_edit=_may_keep_register(principal),
    )


@router.get("/registry/standards", name="registry_standards")
def standards(
    request: Request,
    principal: PageCaller,
    session: PageSession,
    q: Annotated[str | None, Query(max_length=100)] = None,
    level: str | None = None,
    page_no: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> Response:
    from jiliang.registry.service import list_standards

    lv = level if level in ("national", "public", "departmental", "enterprise") else None
    total, rows = list_standards(
        session, principal, q=q or None, level=lv, limit=PAGE, offset=(page_no - 1) * PAGE
    )
    params = {k: v for k, v in {"q": q, "level": lv}.items() if v}
    return page(
        request,
        "registry/standards.html",
        principal,
        rows=rows,
        total=total,
        page_no=page_no,
        has_next=page_no * PAGE < total,
        qs=urlencode(params),
        f={"q": q or "", "level": lv},
    )


@router.get("/registry/standards/{standard_id}", name="registry_standard")
def standard(request: Request, standard_id: int, principal: PageCaller, session: PageSession) -> Response:
    from jiliang.registry.service import standard_detail, trace_standard

    try:
        item = standard_detail(session, principal, standard_id)
    except NotFoundError:
        return page(request, "registry/missing.html", principal, status=404)
    trace = trace_standard(
        session,
        principal,
        standard_id,
        clock_of(request).today(),
        request.app.state.settings.uncertainty_ratio_min,
    )
    return page(
        request,
        "registry/standard.html",
        principal,
        type_names={ty.code: (ty.name, ty.name_en) for ty in _types(session)},
        item=item,
        trace=trace,
        chain=_graph(trace, language_of(request)),
    )


@router.get("/registry/reference-materials", name="registry_reference_materials")
def reference_materials(
    request: Request,
    principal: PageCaller,
    session: PageSession,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    from jiliang.registry.service import list_reference_materials

    total, rows = list_reference_materials(session, principal, q=q or None, limit=200)
    return page(
        request,
        "registry/reference_materials.html",
        principal,
        rows=rows,
        total=total,
        q=q or "",
        today=clock_of(request).today(),
    )


@router.get("/registry/organizations", name="registry_organizations")
def organizations(
    request: Request,
    principal: LoggedIn,
    session: PageSession,
    q: Annotated[str | None, Query(max_length=100)] = None,
    kind: Annotated[str | None, Query(max_length=24)] = None,
    page_no: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> Response:
    total, rows = orgs.list_organizations(
        session, principal, q=q, kind=kind, limit=PAGE, offset=(page_no - 1) * PAGE
    )
    params = {k: v for k, v in {"q": q, "kind": kind}.items() if v}
    return page(
        request,
        "registry/organizations.html",
        principal,
        rows=rows,
        total=total,
        page_no=page_no,
        has_next=page_no * PAGE < total,
        qs=urlencode(params),
        q=q or "",
        kind=kind or "",
    )


@router.get("/registry/due", name="registry_due")
def due(
    request: Request,
    principal: LoggedIn,
    session: PageSession,
    within: Annotated[int, Query(ge=0, le=3660)] = 30,
    page_no: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
    done: str | None = None,
) -> Response:
    from jiliang.registry.service import due_list

    total, exact, rows = due_list(
        session, principal, within, clock_of(request).today(), PAGE, (page_no - 1) * PAGE
    )
    labs = orgs.verifying_organizations(session)
    return page(
        request,
        "registry/due.html",
        principal,
        rows=rows,
        total=total,
        exact=exact,
        within=within,
        page_no=page_no,
        has_next=page_no * PAGE < total,
        labs=labs,
        done=done,
        error=None,
        book_min=clock_of(request).today().isoformat(),
        book_default=(clock_of(request).today() + timedelta(days=7)).isoformat(),
        may_book=principal.role in (Role.REGULATOR, Role.ENTERPRISE),
        may_notify=principal.role in (Role.REGULATOR, Role.LAB),
    )


@router.post("/registry/due", name="registry_due_action")
def due_action(
    request: Request,
    principal: LoggedIn,
    session: PageSession,
    action: Annotated[str, Form(max_length=16)],
    ids: Annotated[list[int] | None, Form()] = None,
    on: Annotated[str | None, Form(max_length=10)] = None,
    lab_id: Annotated[str | None, Form(max_length=12)] = None,
    within: Annotated[int, Form(ge=0, le=3660)] = 30,
) -> Response:
    from jiliang.registry.service import book, notify

    if action == "book" and principal.role is Role.ENTERPRISE and ids:
        # an owner books through the verification workflow: choose the verifier, mode and date there
        query = "&".join(f"instrument_id={i}" for i in ids[:200])
        return RedirectResponse(f"/verification/bookings/new?{query}", status_code=303)
    try:
        if action == "book":
            try:
                day = date.fromisoformat(on or "")
            except ValueError:
                from jiliang.errors import InputError

                raise InputError(f"{on!r} is not a date") from None
            n = book(session, principal, ids or [], day, clock_of(request).today(), _int(lab_id))
        elif action == "notify":
            n = notify(session, principal, ids or [], clock_of(request).today())
        else:
            return RedirectResponse(f"/registry/due?within={within}", status_code=303)
    except JiliangError as exc:
        session.rollback()
        from jiliang.registry.service import due_list

        total, exact, rows = due_list(session, principal, within, clock_of(request).today(), PAGE, 0)
        labs = orgs.verifying_organizations(session)
        return page(
            request,
            "registry/due.html",
            principal,
            status=exc.status,
            rows=rows,
            total=total,
            exact=exact,
            within=within,
            page_no=1,
            has_next=False,
            labs=labs,
            done=None,
            error=error_from(language_of(request), exc),
            book_min=clock_of(request).today().isoformat(),
            book_default=clock_of(request).today().isoformat(),
            may_book=principal.role in (Role.REGULATOR, Role.ENTERPRISE),
            may_notify=principal.role in (Role.REGULATOR, Role.LAB),
        )
    return RedirectResponse(f"/registry/due?within={within}&done={action}-{n}", status_code=303)


async def _read_upload(upload: UploadFile, limit: int) -> bytes:
    from jiliang.errors import TooLargeError

    return await read_limited(
        upload, limit, lambda: TooLargeError(f"the file is larger than the import limit of {limit} bytes")
    )


def _import_page(
    request: Request,
    principal: Any,
    *,
    status: int = 200,
    report: Any = None,
    token: str | None = None,
    error: Any = None,
    filename: str | None = None,
    committed: bool = False,
) -> Response:
    """The import page in any of its states (form, preview, error, stored)."""
    return page(
        request,
        "registry/import.html",
        principal,
        status=status,
        report=report,
        token=token,
        error=error,
        filename=filename,
        committed=committed,
    )


def _import_scope(principal: Any) -> int | bool | None:
    """None: the regulator imports any register; an id: an owner imports its own rows; False: refused."""
    if principal.is_regulator and not principal.is_anonymous:
        return None
    if principal.role is Role.ENTERPRISE and principal.org_id is not None:
        return int(principal.org_id)
    return False


def _import_dir(request: Request) -> Path:
    folder = Path(request.app.state.settings.data_dir) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@router.get("/registry/import", name="registry_import_form")
def import_form(request: Request, principal: LoggedIn) -> Response:
    if not may_use(request, principal, "/registry/import"):
        return _import_page(request, principal, status=403, error="reg.import.forbidden")
    return _import_page(
        request,
        principal,
    )


@router.post("/registry/import", name="registry_import")
async def import_upload(
    request: Request, principal: LoggedIn, file: Annotated[UploadFile, File()]
) -> Response:
    """Step 1: validate the upload and show what would be accepted and every rejected row."""
    from starlette.concurrency import run_in_threadpool

    from jiliang.registry.importer import import_register

    owner_id = _import_scope(principal)
    if owner_id is False:
        return _import_page(
            request,
            principal,
            status=403,
            error="reg.import.forbidden",
        )
    cfg = request.app.state.settings
    db = request.app.state.db
    try:
        data = await _read_upload(file, cfg.import_max_bytes)

        def work() -> Any:
            with db.session(actor=principal.actor) as session:
                return import_register(
                    session,
                    data,
                    file.filename or "",
                    today=clock_of(request).today(),
                    max_bytes=cfg.import_max_bytes,
                    commit=False,
                    owner_id=owner_id or None,
                )

        report = await run_in_threadpool(work)
    except JiliangError as exc:
        return _import_page(
            request,
            principal,
            status=exc.status,
            error=error_from(language_of(request), exc),
            filename=file.filename,
        )
    token = secrets.token_hex(16)
    (_import_dir(request) / f"{token}.bin").write_bytes(data)
    (_import_dir(request) / f"{token}.name").write_text((file.filename or "")[:200], "utf-8")
    return _import_page(
        request,
        principal,
        report=report,
        token=token,
        filename=file.filename,
    )


@router.post("/registry/import/commit", name="registry_import_commit")
def import_commit(
    request: Request,
    principal: LoggedIn,
    session: PageSession,
    token: Annotated[str, Form(min_length=32, max_length=32, pattern="^[0-9a-f]{32}$")],
) -> Response:
    """Step 2: store the previewed file."""
    from jiliang.registry.importer import import_register

    owner_id = _import_scope(principal)
    if owner_id is False:
        return _import_page(
            request,
            principal,
            status=403,
            error="reg.import.forbidden",
        )
    path = _import_dir(request) / f"{token}.bin"
    if not path.is_file():
        return _import_page(
            request,
            principal,
            status=404,
            error="reg.import.expired",
        )
    name_path = path.with_suffix(".name")
    name = name_path.read_text("utf-8") if name_path.is_file() else ""
    data = path.read_bytes()
    cfg = request.app.state.settings
    report = import_register(
        session,
        data,
        name,
        today=clock_of(request).today(),
        max_bytes=cfg.import_max_bytes,
        commit=True,
        owner_id=owner_id or None,
    )
    path.unlink(missing_ok=True)
    name_path.unlink(missing_ok=True)
    return _import_page(
        request,
        principal,
        report=report,
        filename=name,
        committed=True,
    )


@router.get("/registry/coverage", name="registry_coverage")
def coverage(request: Request, principal: LoggedIn, session: PageSession) -> Response:
    from jiliang.registry import metrics

    if not principal.is_regulator:
        return page(request, "registry/missing.html", principal, status=404)
    today = clock_of(request).today()

    def compute() -> dict[str, Any]:
        return {
            "cov": metrics.coverage(session, today),
            "overall": metrics.overall_rate(session, today),
            "by_district": metrics.verification_rate(session, today, "district"),
            "by_type": metrics.verification_rate(session, today, "type"),
            "by_owner": metrics.verification_rate(session, today, "owner", limit=20),
            "levels": metrics.standards_by_level(session),
        }

    figures, computed = memo(request, ("registry-coverage", today), compute)
    return page(request, "registry/coverage.html", principal, computed=computed, **figures)


# ---------------------------------------------------------------- owners keep their register

FORM_FIELDS = (
    "type",
    "serial",
    "use",
    "model",
    "manufacturer",
    "accuracy_class",
    "measuring_range",
    "location",
    "verification_period_months",
    "last_verified_on",
    "verification_result",
    "certificate_no",
)
USES = ("trade_settlement", "safety", "medical", "environment")


def _may_keep_register(principal: Any) -> bool:
    return principal.role is Role.ENTERPRISE or (principal.is_regulator and not principal.is_anonymous)


def _form_page(
    request: Request,
    principal: Any,
    session: Any,
    *,
    values: dict[str, Any],
    item: Any = None,
    error: Any = None,
    field_errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return page(
        request,
        "registry/instrument_form.html",
        principal,
        status=status,
        types=[t for t in _types(session) if t.compulsory],
        uses=USES,
        values=values,
        item=item,
        error=error,
        field_errors=field_errors or {},
    )


async def _posted(request: Request, names: tuple[str, ...]) -> dict[str, str]:
    form = await request.form()
    out = {}
    for n in names:
        v = form.get(n)
        if isinstance(v, str) and v.strip():
            out[n] = v.strip()[:300]
    return out


def _failed(
    request: Request,
    principal: Any,
    session: Any,
    exc: JiliangError,
    values: dict[str, Any],
    item: Any = None,
) -> Response:
    session.rollback()
    fields = {f.field: f.message for f in exc.fields}
    return _form_page(
        request,
        principal,
        session,
        values=values,
        item=item,
        error=error_from(language_of(request), exc),
        field_errors=fields,
        status=exc.status,
    )


@router.get("/registry/new", name="registry_instrument_new")
def instrument_new(request: Request, principal: LoggedIn, session: PageSession) -> Response:
    if principal.role is not Role.ENTERPRISE:
        return page(request, "registry/missing.html", principal, status=404)
    return _form_page(request, principal, session, values={})


@router.post("/registry/new", name="registry_instrument_create")
async def instrument_create(request: Request, principal: LoggedIn, session: PageSession) -> Response:
    from jiliang.registry.editing import create_instrument

    if principal.role is not Role.ENTERPRISE:
        return page(request, "registry/missing.html", principal, status=404)
    values = await _posted(request, FORM_FIELDS)
    try:
        iid = create_instrument(session, principal, values, today=clock_of(request).today())
    except JiliangError as exc:
        return _failed(request, principal, session, exc, values)
    return RedirectResponse(f"/registry/instruments/{iid}?done=created", status_code=303)


def _edit_values(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": item["type"]["code"],
        "serial": item["serial"],
        "use": item["use"],
        "model": item.get("model"),
        "manufacturer": item.get("manufacturer"),
        "accuracy_class": item.get("accuracy_class"),
        "measuring_range": item.get("measuring_range"),
        "location": item.get("location"),
        "verification_period_months": item.get("period_months"),
    }


def _editable(session: Any, principal: Any, instrument_id: int) -> dict[str, Any] | None:
    """The instrument the caller may edit in the register, or None (shown as not found)."""
    from jiliang.registry.service import instrument_detail

    if not _may_keep_register(principal):
        return None
    try:
        return instrument_detail(session, principal, instrument_id)
    except JiliangError:
        return None


@router.get("/registry/instruments/{instrument_id}/edit", name="registry_instrument_edit")
def instrument_edit(
    request: Request, instrument_id: int, principal: LoggedIn, session: PageSession
) -> Response:
    item = _editable(session, principal, instrument_id)
    if item is None:
        return page(request, "registry/missing.html", principal, status=404)
    return _form_page(request, principal, session, values=_edit_values(item), item=item)


@router.post("/registry/instruments/{instrument_id}/edit", name="registry_instrument_update")
async def instrument_update(
    request: Request, instrument_id: int, principal: LoggedIn, session: PageSession
) -> Response:
    from jiliang.registry.editing import EDITABLE, update_instrument

    item = _editable(session, principal, instrument_id)
    if item is None:
        return page(request, "registry/missing.html", principal, status=404)
    posted = await _posted(request, EDITABLE)
    values = {k: posted.get(k) for k in EDITABLE}  # an emptied field is cleared
    try:
        update_instrument(session, principal, instrument_id, values, today=clock_of(request).today())
    except JiliangError as exc:
        return _failed(request, principal, session, exc, values, item)
    return RedirectResponse(f"/registry/instruments/{instrument_id}?done=saved", status_code=303)


@router.post("/registry/instruments/{instrument_id}/retire", name="registry_instrument_retire")
def instrument_retire(
    request: Request,
    instrument_id: int,
    principal: LoggedIn,
    session: PageSession,
    reason: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    from jiliang.registry.editing import retire_instrument

    try:
        if not _may_keep_register(principal):
            raise NotFoundError("not found")
        retire_instrument(session, principal, instrument_id, reason=reason)
    except NotFoundError:
        return page(request, "registry/missing.html", principal, status=404)
    except JiliangError as exc:
        session.rollback()
        return page(request, "registry/missing.html", principal, status=exc.status)
    return RedirectResponse(f"/registry/instruments/{instrument_id}?done=retired", status_code=303)
