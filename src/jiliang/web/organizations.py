"""Console pages for an organization's registered details and the change requests of them.

An organization sees its own details and asks the regulator to change its names, credit code or
accreditation; the regulator reviews the requests and approves or rejects each with a note. Both
pages call :mod:`jiliang.platform.orgs`, as the API does.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from jiliang.errors import JiliangError, NotFoundError, PermissionDeniedError
from jiliang.platform import orgs
from jiliang.platform.auth import Principal, email_of
from jiliang.platform.db import utcnow
from jiliang.platform.models import Role
from jiliang.web.deps import LoggedIn, PageSession
from jiliang.web.render import page

router = APIRouter()

PAGE = 50
FIELDS = orgs.REQUESTABLE


def _profile(
    request: Request,
    principal: Principal,
    session: Any,
    *,
    status: int = 200,
    error: str | None = None,
    done: str | None = None,
    form: dict[str, str] | None = None,
    email_error: str | None = None,
) -> Response:
    if principal.org_id is None or principal.is_regulator:
        raise PermissionDeniedError("this page is for the users of an organization")
    org = orgs.get_organization(session, principal, principal.org_id)
    _total, requests = orgs.list_change_requests(session, principal, None, PAGE, 0)
    return page(
        request,
        "organizations/profile.html",
        principal,
        status=status,
        org=org,
        fields=FIELDS,
        requests=requests,
        error=error,
        done=done,
        form=form or {},
        my_email=email_of(session, principal),
        email_error=email_error,
    )


@router.get("/organization", name="organization_profile")
def profile(request: Request, principal: LoggedIn, session: PageSession, done: str | None = None) -> Response:
    if principal.is_regulator:
        return RedirectResponse("/organization/requests", status_code=303)
    return _profile(request, principal, session, done=done if done in ("submitted", "email") else None)


@router.post("/organization/email", name="organization_set_email")
def set_email(
    request: Request,
    principal: LoggedIn,
    session: PageSession,
    email: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    """The user's own e-mail address for notifications."""
    from jiliang.platform.auth import set_email as store

    try:
        if principal.user_id is None or principal.org_id is None:
            raise PermissionDeniedError("this page is for the users of an organization")
        store(session, principal, principal.user_id, email)
    except JiliangError as exc:
        session.rollback()
        return _profile(request, principal, session, status=exc.status, email_error=exc.message)
    return RedirectResponse("/organization?done=email#email-h", status_code=303)


@router.post("/organization", name="organization_request_change")
def request_change(
    request: Request,
    principal: LoggedIn,
    session: PageSession,
    reason: Annotated[str, Form(max_length=500)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    name_en: Annotated[str, Form(max_length=200)] = "",
    credit_code: Annotated[str, Form(max_length=32)] = "",
    accreditation_code: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    form = {
        "name": name,
        "name_en": name_en,
        "credit_code": credit_code,
        "accreditation_code": accreditation_code,
    }
    changes = {k: v.strip() for k, v in form.items() if v.strip()}
    try:
        if principal.org_id is None:
            raise PermissionDeniedError("this page is for the users of an organization")
        orgs.submit_change_request(session, principal, principal.org_id, changes, reason, utcnow())
    except JiliangError as exc:
        session.rollback()
        return _profile(
            request, principal, session, status=exc.status, error=exc.message, form=form | {"reason": reason}
        )
    return RedirectResponse("/organization?done=submitted", status_code=303)


def _review(
    request: Request,
    principal: Principal,
    session: Any,
    status_filter: str | None,
    *,
    status: int = 200,
    error: str | None = None,
    done: str | None = None,
) -> Response:
    principal.require(Role.REGULATOR)
    total, rows = orgs.list_change_requests(session, principal, status_filter, PAGE, 0)
    return page(
        request,
        "organizations/requests.html",
        principal,
        status=status,
        rows=rows,
        total=total,
        status_filter=status_filter or "",
        error=error,
        done=done,
    )


@router.get("/organization/requests", name="organization_requests")
def review(
    request: Request,
    principal: LoggedIn,
    session: PageSession,
    status: Annotated[str | None, Query(max_length=12)] = "pending",
    done: Annotated[str | None, Query(max_length=12)] = None,
) -> Response:
    chosen = status if status in ("pending", "approved", "rejected") else None
    shown = done if done in ("approved", "rejected") else None
    return _review(request, principal, session, chosen, done=shown)


@router.post("/organization/requests/{request_id}", name="organization_decide")
def decide(
    request: Request,
    principal: LoggedIn,
    session: PageSession,
    request_id: int,
    action: Annotated[str, Form(max_length=12)],
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        if not 1 <= request_id < 2**63:
            raise NotFoundError(f"change request {request_id} not found")
        result = orgs.decide_change_request(session, principal, request_id, action, note or None, utcnow())
    except JiliangError as exc:
        session.rollback()
        if exc.status in (401, 403):
            raise
        return _review(request, principal, session, "pending", status=exc.status, error=exc.message)
    return RedirectResponse(f"/organization/requests?done={result.status}", status_code=303)
