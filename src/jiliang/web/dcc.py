"""Public certificate verification pages (no login) and the certificate list of an organization."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from jiliang.errors import NotFoundError
from jiliang.platform.models import Role
from jiliang.web.deps import PageCaller, PageSession, require_login
from jiliang.web.render import page

router = APIRouter()

_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$")


@router.get("/verify", name="dcc_verify_form")
def verify_form(
    request: Request,
    principal: PageCaller,
    number: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The form; a submitted number redirects to its status page."""
    if number is not None:
        number = number.strip()
        if _NUMBER.match(number):
            return RedirectResponse(f"/verify/{number}", status_code=303)
        return page(
            request, "dcc/verify.html", principal, status=422, error="dcc.bad_number", number=number[:64]
        )
    return page(request, "dcc/verify.html", principal, error=None, number="")


@router.get("/verify/{number}", name="dcc_verify_status")
def verify_status(number: str, request: Request, principal: PageCaller, session: PageSession) -> Response:
    """Status of a certificate by number (the target of the QR code)."""
    from jiliang.dcc.service import public_status

    if not _NUMBER.match(number):
        return page(
            request, "dcc/verify.html", principal, status=422, error="dcc.bad_number", number=number[:64]
        )
    try:
        info = public_status(session, number)
    except NotFoundError:
        return page(request, "dcc/verify.html", principal, status=404, error="dcc.not_found", number=number)
    from jiliang.dcc.trust import trust_context

    policy = trust_context(request.app.state.settings).describe()
    return page(request, "dcc/status.html", principal, info=info, policy=policy)


@router.get("/certificates", name="dcc_list")
def certificates(
    request: Request,
    principal: PageCaller,
    session: PageSession,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    """Certificates issued by or to the caller's organization (all for the regulator)."""
    from jiliang.dcc.service import list_certificates

    user = require_login(request, principal)
    org = None if user.role is Role.REGULATOR else (user.org_id if user.org_id is not None else -1)
    total, rows = list_certificates(session, org_id=org, limit=50, offset=offset)
    return page(request, "dcc/list.html", principal, rows=rows, total=total, offset=offset)
