"""Save, list, open and run uncertainty budgets, with the caller's rights."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from jiliang.budgets.models import UncertaintyBudget
from jiliang.errors import InputError, NotFoundError, PermissionDeniedError
from jiliang.platform.auth import Principal

__all__ = [
    "MAX_SOURCE_BYTES",
    "delete_budget",
    "evaluate_data",
    "get_budget",
    "list_budgets",
    "parse_source",
    "run_model",
    "save_budget",
]

MAX_SOURCE_BYTES = 256 * 1024


def parse_source(source: str) -> dict[str, Any]:
    """The model file text (YAML or JSON) as a mapping, or InputError with a one-line reason.

    Read by the one model-file reader, :func:`jiliang.uncertainty.model.read_model_file`.
    """
    from jiliang.uncertainty.model import read_model_file

    data = read_model_file(source, max_bytes=MAX_SOURCE_BYTES)
    if not isinstance(data, dict):
        raise InputError("model file must be a mapping with name, model, inputs …")
    return data


def run_model(source: str, seed: int | None = None) -> Any:
    """Evaluate a model file text; returns :class:`jiliang.uncertainty.Evaluation`."""
    return evaluate_data(parse_source(source), seed=seed)


def evaluate_data(data: Mapping[str, Any], seed: int | None = None) -> Any:
    """Evaluate a parsed model file as the console and the API do: Monte Carlo on one thread and
    at most :data:`~jiliang.uncertainty.evaluation.INTERACTIVE_MAX_TRIALS` trials."""
    from jiliang.uncertainty import evaluate, model_from_dict
    from jiliang.uncertainty.evaluation import INTERACTIVE_MAX_TRIALS

    model = model_from_dict(data)
    return evaluate(model, seed=seed, max_trials=INTERACTIVE_MAX_TRIALS, max_workers=1)


def _require_user(principal: Principal) -> None:
    if principal.is_anonymous:
        raise PermissionDeniedError("log in to save budgets")


def list_budgets(session: Session, principal: Principal, limit: int = 100) -> list[UncertaintyBudget]:
    """The budgets the caller may open: its own and its organization's (the regulator: all)."""
    if principal.is_anonymous:
        return []
    stmt = select(UncertaintyBudget)
    if not principal.is_regulator:
        stmt = stmt.where(
            or_(UncertaintyBudget.owner_id == principal.user_id, UncertaintyBudget.org_id == principal.org_id)
            if principal.org_id is not None
            else UncertaintyBudget.owner_id == principal.user_id
        )
    return list(session.scalars(stmt.order_by(UncertaintyBudget.updated_at.desc()).limit(limit)))


def get_budget(session: Session, principal: Principal, budget_id: int) -> UncertaintyBudget:
    budget = session.get(UncertaintyBudget, budget_id)
    if budget is None or principal.is_anonymous:
        raise NotFoundError(f"budget {budget_id} not found")
    if not (
        principal.is_regulator
        or budget.owner_id == principal.user_id
        or (principal.org_id is not None and budget.org_id == principal.org_id)
    ):
        raise NotFoundError(f"budget {budget_id} not found")
    return budget


def save_budget(
    session: Session, principal: Principal, name: str, source: str, budget_id: int | None = None
) -> UncertaintyBudget:
    """Create or update a budget; the model file must parse (it is validated, not evaluated)."""
    from jiliang.uncertainty import model_from_dict

    _require_user(principal)
    name = name.strip()
    if not name or len(name) > 200:
        raise InputError("a budget needs a name of 1 to 200 characters")
    model_from_dict(parse_source(source))
    if budget_id is None:
        budget = UncertaintyBudget(
            name=name, source=source, owner_id=principal.user_id, org_id=principal.org_id
        )
        session.add(budget)
    else:
        budget = get_budget(session, principal, budget_id)
        if budget.owner_id != principal.user_id and not principal.is_regulator:
            raise PermissionDeniedError("only the author changes a budget; save a copy instead")
        budget.name, budget.source = name, source
    session.flush()
    return budget


def delete_budget(session: Session, principal: Principal, budget_id: int) -> None:
    budget = get_budget(session, principal, budget_id)
    if budget.owner_id != principal.user_id and not principal.is_regulator:
        raise PermissionDeniedError("only the author deletes a budget")
    session.delete(budget)
    session.flush()
