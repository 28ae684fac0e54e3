"""Evaluate measurement models over HTTP: ``POST /api/uncertainty/evaluate``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body

from jiliang.budgets import service
from jiliang.uncertainty.evaluation import INTERACTIVE_MAX_TRIALS

__all__ = ["API_MAX_TRIALS", "router"]

router = APIRouter(prefix="/uncertainty", tags=["uncertainty"])

#: Most Monte Carlo trials one API call may ask for (the console's cap: one for every caller).
API_MAX_TRIALS = INTERACTIVE_MAX_TRIALS


@router.post(
    "/evaluate", name="evaluate", summary="Evaluate a measurement model (GUM, Monte Carlo, conformity)"
)
def evaluate_model(
    body: dict[str, Any] = Body(..., description="The model file as JSON (see docs/guide/uncertainty.md)."),
) -> dict[str, Any]:
    """Evaluate the model and answer the JSON output of ``jiliang uncertainty run --json``.

    A plain ``def``: FastAPI runs it in its thread pool, so the CPU-bound evaluation does not block
    the event loop. The same service as the console page: Monte Carlo on one thread, at most
    ``API_MAX_TRIALS`` trials (a fixed count above it is refused; the adaptive procedure stops there).
    """
    result: dict[str, Any] = service.evaluate_data(body).as_dict()
    return result
