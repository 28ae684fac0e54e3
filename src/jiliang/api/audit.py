"""The audit log (regulator only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from jiliang.api.deps import PageDep, Regulator, SessionDep, settings_of
from jiliang.errors import NotFoundError
from jiliang.platform.audit_read import audit_entries
from jiliang.platform.checkpoint import last_checkpoint, verify_anchored

router = APIRouter(prefix="/audit", tags=["audit"])


class AuditEntryOut(BaseModel):
    seq: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    hash: str


class VerifyOut(BaseModel):
    ok: bool
    entries: int
    first_bad_seq: int | None
    reason: str | None
    checkpoints: int


class CheckpointOut(BaseModel):
    version: int
    entries: int
    head: str
    at: datetime
    public_key: str
    signature: str


@router.get("", name="list", summary="Audit entries, newest first")
def list_entries(
    _: Regulator,
    session: SessionDep,
    page: PageDep,
    entity: Annotated[str | None, Query(max_length=64)] = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
) -> list[AuditEntryOut]:
    rows = audit_entries(session, entity, entity_id, page.limit, page.offset)
    return [AuditEntryOut.model_validate(r, from_attributes=True) for r in rows]


@router.get("/verify", name="verify", summary="Recompute the hash chain and check the signed checkpoints")
def verify(request: Request, _: Regulator, session: SessionDep) -> VerifyOut:
    r = verify_anchored(session, settings_of(request).data_dir)
    return VerifyOut(
        ok=r.ok, entries=r.entries, first_bad_seq=r.first_bad_seq, reason=r.reason, checkpoints=r.checkpoints
    )


@router.get("/checkpoint", name="checkpoint", summary="The newest signed checkpoint (to keep elsewhere)")
def checkpoint(_: Regulator, session: SessionDep) -> CheckpointOut:
    cp = last_checkpoint(session)
    if cp is None:
        raise NotFoundError("no checkpoint written yet (jiliang audit checkpoint)")
    return CheckpointOut.model_validate(cp.as_dict())
