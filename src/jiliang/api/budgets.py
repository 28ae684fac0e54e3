"""Saved uncertainty budgets over HTTP (the model files behind the calculator)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from jiliang.api.deps import Caller, DbId, SessionDep
from jiliang.budgets import service

router = APIRouter(prefix="/uncertainty/budgets", tags=["budgets"])


class BudgetIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    source: str = Field(
        min_length=1, max_length=service.MAX_SOURCE_BYTES, description="Model file, YAML or JSON"
    )


class BudgetOut(BaseModel):
    id: int
    name: str
    source: str
    owner_id: int
    org_id: int | None
    created_at: datetime
    updated_at: datetime


def _out(b: Any) -> BudgetOut:
    return BudgetOut.model_validate(b, from_attributes=True)


@router.get("", name="list", summary="Budgets the caller may open")
def list_budgets(caller: Caller, session: SessionDep) -> list[BudgetOut]:
    return [_out(b) for b in service.list_budgets(session, caller)]


@router.post("", name="create", status_code=201, summary="Save a model file as a budget")
def create_budget(body: BudgetIn, caller: Caller, session: SessionDep) -> BudgetOut:
    return _out(service.save_budget(session, caller, body.name, body.source))


@router.get("/{budget_id}", name="get", summary="One budget")
def get_budget(budget_id: DbId, caller: Caller, session: SessionDep) -> BudgetOut:
    return _out(service.get_budget(session, caller, budget_id))


@router.put("/{budget_id}", name="update", summary="Change a budget (its author or the regulator)")
def update_budget(budget_id: DbId, body: BudgetIn, caller: Caller, session: SessionDep) -> BudgetOut:
    return _out(service.save_budget(session, caller, body.name, body.source, budget_id))


@router.delete("/{budget_id}", name="delete", summary="Delete a budget (its author or the regulator)")
def delete_budget(budget_id: DbId, caller: Caller, session: SessionDep) -> dict[str, bool]:
    service.delete_budget(session, caller, budget_id)
    return {"deleted": True}


@router.post("/{budget_id}/evaluate", name="evaluate", summary="Evaluate a saved budget")
def evaluate_budget(budget_id: DbId, caller: Caller, session: SessionDep) -> dict[str, Any]:
    budget = service.get_budget(session, caller, budget_id)
    return dict(service.run_model(budget.source).as_dict())
