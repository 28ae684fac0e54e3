"""Public certificate verification pages (no login) and the certificate list of an organization."""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from jiliang.platform.models import Role
from jiliang.web.deps import PageCaller, PageSession, clock_of, require_login
from jiliang.web.render import page

router = APIRouter()

_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$")


@router.get("/verify", name="dcc_verify_form")
def verify_form(
    request: Request,
    principal: PageCaller,
    session: PageSession,
    number: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The form; a submitted number (any case, spaces allowed) redirects to its status page."""
    from jiliang.dcc.service import find_number, normalise_number

    if number is None:
        return page(request, "dcc/verify.html", principal, error=None, number="")
    typed = normalise_number(number)
    if not _NUMBER.match(typed):
        return page(
            request, "dcc/verify.html", principal, status=422, error="dcc.bad_number", number=number[:64]
        )
    found = find_number(session, typed)
    if found is None:
        return page(request, "dcc/verify.html", principal, status=404, error="dcc.not_found", number=typed)
    return RedirectResponse(f"/verify/{quote(found, safe='')}", status_code=303)


@router.get("/verify/{number}", name="dcc_verify_status")
def verify_status(number: str, request: Request, principal: PageCaller, session: PageSession) -> Response:
    """Status of a certificate by number (the target of the QR code)."""
    from jiliang.dcc.service import find_number, public_status

    found = find_number(session, number)
    if found is None:
        error, status = ("dcc.not_found", 404) if _NUMBER.match(number.strip()) else ("dcc.bad_number", 422)
        return page(request, "dcc/verify.html", principal, status=status, error=error, number=number[:64])
    if found != number:
        return RedirectResponse(f"/verify/{quote(found, safe='')}", status_code=303)
    info = public_status(session, found, clock_of(request).today())
    from jiliang.dcc.trust import trust_context

    policy = trust_context(request.app.state.settings).describe()
    return page(request, "dcc/status.html", principal, info=info, policy=policy)


@router.post("/verify/file", name="dcc_verify_file")
def verify_file_upload(
    request: Request,
    principal: PageCaller,
    session: PageSession,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Verify an uploaded signed DCC file in the browser (the same service as the API)."""
    from jiliang.dcc.errors import DccSizeError
    from jiliang.dcc.service import UPLOAD_MAX_BYTES, verify_file

    data = file.file.read(UPLOAD_MAX_BYTES + 1) if file is not None else b""
    if not data:
        return page(request, "dcc/verify.html", principal, status=422, error="dcc.file_missing", number="")
    if len(data) > UPLOAD_MAX_BYTES:
        return page(request, "dcc/verify.html", principal, status=413, error="dcc.file_too_large", number="")
    try:
        result = verify_file(session, data, request.app.state.settings, now=clock_of(request).now())
    except DccSizeError:
        return page(request, "dcc/verify.html", principal, status=413, error="dcc.file_too_large", number="")
    return page(
        request,
        "dcc/file_result.html",
        principal,
        result=result,
        verdict=_file_verdict(result),
        filename=(file.filename or "")[:120] if file is not None else "",
    )


def _file_verdict(result: dict[str, Any]) -> str:
    """One word for the uploaded file: valid, revoked, superseded, unregistered, modified, invalid,
    or unchecked (the platform has no trust anchors to check signatures with)."""
    if not result["valid"]:
        trust_failed = any(c["name"] == "trust" and c["status"] == "failed" for c in result["checks"])
        return "unchecked" if trust_failed else "invalid"
    register = result["register"]
    if register is None:
        return "unregistered"
    if register["status"] != "valid":
        return str(register["status"])
    return "valid" if register["same_bytes"] else "modified"


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
