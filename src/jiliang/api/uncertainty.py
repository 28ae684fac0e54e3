"""Evaluate measurement models over HTTP: ``POST /api/uncertainty/evaluate``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body

__all__ = ["API_MAX_TRIALS", "router"]

router = APIRouter(prefix="/uncertainty", tags=["uncertainty"])

#: Most Monte Carlo trials one API call may ask for (the adaptive procedure stops there).
API_MAX_TRIALS = 2_000_000


@router.post(
    "/evaluate", name="evaluate", summary="Evaluate a measurement model (GUM, Monte Carlo, conformity)"
)
def evaluate_model(
    body: dict[str, Any] = Body(..., description="The model file as JSON (see docs/guide/uncertainty.md)."),
) -> dict[str, Any]:
    """Evaluate the model and answer the JSON output of ``jiliang uncertainty run --json``.

    A plain ``def``: FastAPI runs it in its thread pool, so the CPU-bound evaluation does not block
    the event loop. Monte Carlo runs on one thread per request; at most ``API_MAX_TRIALS`` trials
    (a fixed count above it is refused; the adaptive procedure stops there).
    """
    import dataclasses

    from jiliang.uncertainty import evaluate, model_from_dict

    model = model_from_dict(body)
    spec = model.method.montecarlo
    if spec is not None:
        spec = dataclasses.replace(spec, workers=1, max_trials=min(spec.max_trials, API_MAX_TRIALS))
        model = dataclasses.replace(model, method=dataclasses.replace(model.method, montecarlo=spec))
    return evaluate(model, max_trials=API_MAX_TRIALS).as_dict()
