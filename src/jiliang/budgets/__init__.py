"""Saved uncertainty budgets: measurement models kept by a lab or a user, with their last result.

The evaluation itself is :mod:`jiliang.uncertainty` (pure); this capability stores the model files
people write in the console so they can reopen, rerun and share them within their organization.
"""

from jiliang.budgets.models import UncertaintyBudget
from jiliang.budgets.service import delete_budget, get_budget, list_budgets, run_model, save_budget

__all__ = ["UncertaintyBudget", "delete_budget", "get_budget", "list_budgets", "run_model", "save_budget"]
