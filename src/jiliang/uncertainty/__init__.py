"""Measurement uncertainty: GUM, Monte Carlo, several outputs, conformity decisions.

A pure package (NumPy, SciPy and PyYAML only): no I/O, no clock, no global random state.

* :func:`load_model` / :func:`model_from_dict` — the model file (YAML/JSON), validated; its JSON
  Schema is :func:`model_schema`.
* :func:`gum` — law of propagation of uncertainty with exact derivatives (JCGM 100:2008).
* :func:`montecarlo` — propagation of distributions, fixed or adaptive (JCGM 101:2008, 102:2011).
* :func:`evaluate` — everything the model's method asks for, with the §8 validation, coverage
  regions and the conformity decision; ``.as_dict()`` is the JSON output.
* :func:`decide` / :func:`global_risks` — conformity decisions and risks (JCGM 106:2012, ILAC-G8).
* :func:`type_a` / :func:`straight_line_fit` — Type A evaluations (JCGM 100 §4.2, H.3).

Examples
--------
>>> m = model_from_dict({
...     "model": {"P": "V**2 / R"},
...     "inputs": {"V": {"dist": "normal", "mean": 10, "sd": 0.1},
...                "R": {"dist": "normal", "mean": 100, "sd": 0.5}},
...     "method": {"montecarlo": False},
... })
>>> r = gum(m)["P"]
>>> round(r.y, 6), round(r.u, 6)
(1.0, 0.020616)
"""

from jiliang.uncertainty.conformity import Decision, GlobalRisk, decide, global_risks
from jiliang.uncertainty.distributions import Distribution
from jiliang.uncertainty.errors import UncertaintyModelError
from jiliang.uncertainty.evaluation import Evaluation, Validation, evaluate, validate
from jiliang.uncertainty.model import (
    ConformitySpec,
    Method,
    Model,
    MonteCarloSpec,
    load_model,
    model_from_dict,
    model_schema,
)
from jiliang.uncertainty.propagation import BudgetLine, GumOutput, GumResult, GumWarning, coverage_factor, gum
from jiliang.uncertainty.regions import CoverageRegion, Ellipse, coverage_region
from jiliang.uncertainty.report import decimal_places, format_at, round_result, significant
from jiliang.uncertainty.simulation import (
    McOutput,
    McResult,
    coverage_intervals,
    montecarlo,
    numerical_tolerance,
)
from jiliang.uncertainty.typea import StraightLine, TypeA, straight_line_fit, type_a

__all__ = [
    "BudgetLine",
    "ConformitySpec",
    "CoverageRegion",
    "Decision",
    "Distribution",
    "Ellipse",
    "Evaluation",
    "GlobalRisk",
    "GumOutput",
    "GumResult",
    "GumWarning",
    "McOutput",
    "McResult",
    "Method",
    "Model",
    "MonteCarloSpec",
    "StraightLine",
    "TypeA",
    "UncertaintyModelError",
    "Validation",
    "coverage_factor",
    "coverage_intervals",
    "coverage_region",
    "decide",
    "decimal_places",
    "evaluate",
    "format_at",
    "global_risks",
    "gum",
    "load_model",
    "model_from_dict",
    "model_schema",
    "montecarlo",
    "numerical_tolerance",
    "round_result",
    "significant",
    "straight_line_fit",
    "type_a",
    "validate",
]
