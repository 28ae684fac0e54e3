"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from jiliang import __version__
from jiliang.api.deps import DB

PREFIXED = False
router = APIRouter(tags=["health"])


@router.get("/healthz", name="live", summary="The process answers")
async def live() -> JSONResponse:
    return JSONResponse({"status": "ok", "version": __version__})


@router.get("/readyz", name="ready", summary="The database answers")
def ready(db: DB) -> dict[str, str]:
    db.check()
    return {"status": "ok", "database": db.engine.dialect.name}
