"""In-service meter lot pages: forming lots from the register (or a meter list), the lot list with
decisions and pre-sampling pass probability, the lot with its seeded sample, the phone-width result
entry (an inaccessible meter is replaced by the next one of the seeded order), deciding and
publishing, and the public lookup by meter number.

Every state change goes through :mod:`jiliang.meters.lotservice` (one transaction, audited with
the acting user); an error is shown inside the page in the reader's language (catalog
``code.error.<code>``), and nothing is stored.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from jiliang.errors import InputError, JiliangError, TooLargeError
from jiliang.meters import lotservice as svc
from jiliang.meters.lotrules import rule_codes
from jiliang.platform.auth import Principal
from jiliang.web.deps import LoggedIn, PageCaller, PageSession, clock_of
from jiliang.web.errors import ErrorView, error_from
from jiliang.web.render import language_of, page

router = APIRouter()

#: Largest meter list or results file taken from the console (the API takes larger lists).
MAX_UPLOAD_BYTES = 20_000_000
MAX_SEED = 2**63 - 1


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f} %"


def _index(
    request: Request,
    principal: Principal,
    session: Session,
    status: int = 200,
    error: ErrorView | None = None,
    formed: int | None = None,
) -> Response:
    rows = [
        {"lot": lot, "p": _pct(lot.p_est), "u": _pct(lot.u_p_est), "pass": _pct(lot.pass_prob)}
        for lot in svc.list_lots(session, principal)
    ]
    may_form = svc.may_form_lots(session, principal)
    return page(
        request,
        "lots/index.html",
        principal,
        status=status,
        rows=rows,
        may_form=may_form,
        rules=rule_codes(),
        kinds=svc.KINDS,
        utilities=svc.utilities(session, principal) if may_form else [],
        error=error,
        formed=formed,
    )


@router.get("/meters/lots", name="lots_index")
def lots_index(
    request: Request,
    principal: LoggedIn,
    session: PageSession,
    formed: Annotated[int | None, Query(ge=0, le=100_000)] = None,
) -> Response:
    """The lots the caller may see (size, plan, estimate, pass probability, status, decision) and
    the form that forms new lots from the register or from a meter list."""
    return _index(request, principal, session, formed=formed)


def _optional_int(text: str, code: str, upper: int) -> int | None:
    t = text.strip()
    if not t:
        return None
    if not t.isdigit() or not 0 <= int(t) <= upper:
        raise InputError(f"{t[:20]!r} is not a whole number from 0 to {upper}", code=code)
    return int(t)


def _rule(key: str) -> str:
    if key not in rule_codes():
        raise InputError(f"unknown lot rule {key[:40]!r}", code="lot_bad_rule")
    return key


def _formed(request: Request, principal: Principal, session: Session, form: Any) -> Response:
    """Run ``form`` (the forming call); on an error the list with the error, else the new lots."""
    try:
        lots = form()
    except JiliangError as exc:
        session.rollback()
        return _index(request, principal, session, exc.status, error_from(language_of(request), exc))
    return RedirectResponse(f"/meters/lots?formed={len(lots)}", status_code=303)


@router.post("/meters/lots", name="lots_form")
def lots_form(
    request: Request,
    principal: LoggedIn,
    session: PageSession,
    rule: Annotated[str, Form(max_length=32)] = "",
    kind: Annotated[str, Form(max_length=16)] = "",
    org_id: Annotated[int, Form(ge=0, le=2**31 - 1)] = 0,
    run_id: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    """Form the rule's lots from the utility's in-use meters of ``kind`` in the register (the
    regulator names the utility; a utility forms its own)."""

    def form() -> list[Any]:
        rows = svc.registry_rows(session, principal, kind=kind, org_id=org_id or None)
        run = _optional_int(run_id, "lot_bad_run", 2**31 - 1)
        return svc.form(
            session, principal, rule_key=_rule(rule), rows=rows, org_id=org_id or None, run_id=run
        )

    return _formed(request, principal, session, form)


async def _read(upload: UploadFile) -> str:
    data = await upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise TooLargeError(f"the file is larger than {MAX_UPLOAD_BYTES} bytes", code="lot_file_too_large")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("the file is not UTF-8 text", code="lot_file_not_utf8") from None


@router.post("/meters/lots/import", name="lots_form_csv")
async def lots_form_csv(
    request: Request,
    principal: LoggedIn,
    session: PageSession,
    file: Annotated[UploadFile, File()],
    rule: Annotated[str, Form(max_length=32)] = "",
    org_id: Annotated[int, Form(ge=0, le=2**31 - 1)] = 0,
    run_id: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    """Form lots from a meter list (CSV: meter_no, kind, maker, model, batch, install_year)."""
    try:
        text = await _read(file)
    except JiliangError as exc:
        return _index(request, principal, session, exc.status, error_from(language_of(request), exc))

    def form() -> list[Any]:
        rows = svc.parse_meter_csv(text)
        run = _optional_int(run_id, "lot_bad_run", 2**31 - 1)
        return svc.form(
            session, principal, rule_key=_rule(rule), rows=rows, org_id=org_id or None, run_id=run
        )

    return _formed(request, principal, session, form)


def _detail(
    request: Request,
    principal: Principal,
    session: Session,
    lot_id: int,
    status: int = 200,
    error: ErrorView | None = None,
) -> Response:
    view = svc.lot_view(session, principal, lot_id)
    open_rows = [r for r in view.sample if r["in_sample"] and r["outcome"] is None]
    return page(
        request,
        "lots/lot.html",
        principal,
        status=status,
        view=view,
        lot=view.lot,
        rule=view.rule,
        open_rows=open_rows,
        outcomes=svc.OUTCOMES,
        pct=_pct,
        error=error,
    )


def _failed(
    request: Request, principal: Principal, session: Session, lot_id: int, exc: JiliangError
) -> Response:
    session.rollback()
    return _detail(request, principal, session, lot_id, exc.status, error_from(language_of(request), exc))


@router.get("/meters/lots/{lot_id}", name="lots_lot")
def lots_lot(request: Request, principal: LoggedIn, session: PageSession, lot_id: int) -> Response:
    return _detail(request, principal, session, lot_id)


@router.post("/meters/lots/{lot_id}", name="lots_lot_action")
def lots_lot_action(
    request: Request,
    principal: LoggedIn,
    session: PageSession,
    lot_id: int,
    action: Annotated[str, Form(pattern="^(draw|record|decide|publish)$")],
    meter_no: Annotated[str, Form(max_length=64)] = "",
    outcome: Annotated[str, Form(max_length=16)] = "",
    error_pct: Annotated[str, Form(max_length=16)] = "",
    seed: Annotated[str, Form(max_length=24)] = "",
) -> Response:
    """Draw the sample (from the seed given, or one drawn and recorded), record one meter's result
    (an inaccessible meter is replaced), decide or publish the lot."""
    now = clock_of(request).now()
    try:
        if action == "draw":
            svc.draw(session, principal, lot_id, _optional_int(seed, "lot_bad_seed", MAX_SEED))
        elif action == "record":
            entry = svc.ResultEntry(meter_no.strip(), outcome, _float(error_pct))
            svc.record_results(session, principal, lot_id, [entry])
        elif action == "decide":
            svc.decide(session, principal, lot_id, now)
        else:
            svc.publish(session, principal, lot_id, now)
    except JiliangError as exc:
        return _failed(request, principal, session, lot_id, exc)
    return RedirectResponse(f"/meters/lots/{lot_id}", status_code=303)


@router.post("/meters/lots/{lot_id}/results", name="lots_results_csv")
async def lots_results_csv(
    request: Request,
    principal: LoggedIn,
    session: PageSession,
    lot_id: int,
    file: Annotated[UploadFile, File()],
) -> Response:
    """Record many results at once from a CSV (meter_no, outcome, optionally error_pct)."""
    try:
        entries = svc.parse_results_csv(await _read(file))
        svc.record_results(session, principal, lot_id, entries)
    except JiliangError as exc:
        return _failed(request, principal, session, lot_id, exc)
    return RedirectResponse(f"/meters/lots/{lot_id}", status_code=303)


def _float(text: str) -> float | None:
    t = text.strip().replace("％", "").replace("%", "").replace("，", ".").replace(",", ".")
    if not t:
        return None
    try:
        return float(t)
    except ValueError:
        raise InputError(f"error {text[:16]!r} is not a number", code="lot_bad_error") from None


@router.get("/public/meter-lots", name="lots_public")
def lots_public(
    request: Request,
    principal: PageCaller,
    session: PageSession,
    meter_no: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """Public lookup: the published lot decisions that hold a meter (no login)."""
    found: list[dict[str, Any]] | None = None
    error = None
    status = 200
    if meter_no.strip():
        try:
            found = svc.lookup_meter(session, meter_no)
        except JiliangError as exc:
            error, status = exc.message, exc.status
    return page(
        request, "lots/public.html", principal, status=status, meter_no=meter_no, found=found, error=error
    )
