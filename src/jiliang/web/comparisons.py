"""Comparison rounds in the console: list and create, submit a result, close, evaluate, publish, report."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from jiliang import comparisons as svc
from jiliang.errors import JiliangError
from jiliang.stats import ESTIMATORS
from jiliang.web.deps import LoggedIn, PageSession, clock_of
from jiliang.web.render import page

router = APIRouter()


def _list(
    request: Request,
    principal: Any,
    session: Any,
    error: str | None = None,
    status: int = 200,
    form: dict[str, Any] | None = None,
) -> Response:
    return page(
        request,
        "comparisons/rounds.html",
        principal,
        status=status,
        rounds=svc.list_rounds(session, principal),
        labs=svc.list_labs(session),
        error=error,
        form=form or {},
    )


@router.get("/comparisons", name="comparison_rounds")
def rounds(request: Request, principal: LoggedIn, session: PageSession) -> Response:
    return _list(request, principal, session)


@router.post("/comparisons", name="comparison_create")
def create(
    request: Request,
    principal: LoggedIn,
    session: PageSession,
    code: Annotated[str, Form(max_length=64)],
    measurand: Annotated[str, Form(max_length=300)],
    unit: Annotated[str, Form(max_length=40)],
    participants: Annotated[list[int] | None, Form()] = None,
) -> Response:
    try:
        rnd = svc.create_round(
            session,
            principal,
            code=code,
            measurand=measurand,
            unit=unit,
            participant_org_ids=participants or [],
            now=clock_of(request).now(),
        )
    except JiliangError as exc:
        session.rollback()
        return _list(
            request,
            principal,
            session,
            exc.message,
            exc.status,
            {"code": code, "measurand": measurand, "unit": unit, "participants": participants or []},
        )
    return RedirectResponse(f"/comparisons/{rnd.id}", status_code=303)


def _detail(
    request: Request,
    principal: Any,
    session: Any,
    round_id: int,
    error: str | None = None,
    status: int = 200,
    preview: dict[str, Any] | None = None,
    estimator: str = "",
) -> Response:
    view = svc.round_view(session, principal, round_id)
    shown = preview or view.report
    svg = svc.doe_svg(shown, view.round.code) if shown else None
    return page(
        request,
        "comparisons/round.html",
        principal,
        status=status,
        v=view,
        error=error,
        shown=shown,
        preview=preview is not None,
        svg=svg,
        estimators=ESTIMATORS,
        estimator=estimator,
    )


@router.get("/comparisons/{round_id}", name="comparison_round")
def detail(request: Request, principal: LoggedIn, session: PageSession, round_id: int) -> Response:
    return _detail(request, principal, session, round_id)


@router.post("/comparisons/{round_id}/submit", name="comparison_submit")
def submit(
    request: Request,
    principal: LoggedIn,
    session: PageSession,
    round_id: int,
    value: Annotated[str, Form(max_length=40)],
    U: Annotated[str, Form(max_length=40)],
    k: Annotated[str, Form(max_length=40)] = "2",
    dof: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    try:
        try:
            nums = float(value), float(U), float(k), (float(dof) if dof.strip() else None)
        except ValueError:
            raise _input_error("value, U, k and ν must be numbers") from None
        svc.submit_result(
            session,
            principal,
            round_id,
            value=nums[0],
            U=nums[1],
            k=nums[2],
            dof=nums[3],
            now=clock_of(request).now(),
        )
    except JiliangError as exc:
        session.rollback()
        return _detail(request, principal, session, round_id, exc.message, exc.status)
    return RedirectResponse(f"/comparisons/{round_id}", status_code=303)


def _input_error(message: str) -> JiliangError:
    from jiliang.errors import InputError

    return InputError(message)


@router.post("/comparisons/{round_id}/close", name="comparison_close")
def close(request: Request, principal: LoggedIn, session: PageSession, round_id: int) -> Response:
    try:
        svc.close_round(session, principal, round_id, clock_of(request).now())
    except JiliangError as exc:
        session.rollback()
        return _detail(request, principal, session, round_id, exc.message, exc.status)
    return RedirectResponse(f"/comparisons/{round_id}", status_code=303)


@router.post("/comparisons/{round_id}/evaluate", name="comparison_evaluate")
def evaluate(
    request: Request,
    principal: LoggedIn,
    session: PageSession,
    round_id: int,
    estimator: Annotated[str, Form(max_length=40)],
    action: Annotated[str, Form(pattern="^(preview|publish)$")] = "preview",
) -> Response:
    try:
        if action == "publish":
            svc.publish_round(session, principal, round_id, estimator, clock_of(request).now())
            return RedirectResponse(f"/comparisons/{round_id}", status_code=303)
        doc = svc.evaluate_round(session, principal, round_id, estimator)
    except JiliangError as exc:
        session.rollback()
        return _detail(request, principal, session, round_id, exc.message, exc.status, estimator=estimator)
    return _detail(request, principal, session, round_id, preview=doc, estimator=estimator)
