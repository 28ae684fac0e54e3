"""The audit log page (regulator)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, select

from jiliang.errors import PermissionDeniedError
from jiliang.platform.checkpoint import last_checkpoint, verify_anchored
from jiliang.platform.models import AuditEntry
from jiliang.web.deps import LoggedIn, PageSession
from jiliang.web.render import page

router = APIRouter()


def _page(
    request: Request, principal: LoggedIn, session: PageSession, offset: int, check: object
) -> Response:
    if not principal.is_regulator:
        raise PermissionDeniedError("only the regulator reads the audit log")
    offset = max(0, min(offset, 10_000_000))
    entries = session.scalars(
        select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(50).offset(offset)
    ).all()
    total = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
    return page(
        request,
        "audit.html",
        principal,
        entries=entries,
        check=check,
        offset=offset,
        total=total,
        checkpoint=last_checkpoint(session),
    )


@router.get("/audit", name="audit_page")
def audit_page(request: Request, principal: LoggedIn, session: PageSession, offset: int = 0) -> Response:
    """The newest entries and the last signed checkpoint; the chain is checked on demand (it reads
    every entry) against the checkpoints."""
    return _page(request, principal, session, offset, None)


@router.post("/audit/verify", name="audit_verify")
def audit_verify(request: Request, principal: LoggedIn, session: PageSession) -> Response:
    if not principal.is_regulator:
        raise PermissionDeniedError("only the regulator reads the audit log")
    data_dir = request.app.state.settings.data_dir
    return _page(request, principal, session, 0, verify_anchored(session, data_dir))
