"""Degrees of equivalence and the evaluation of a comparison with a named estimator.

Unilateral DoE d_i = x_i − y. For a linear estimator y = Σc_j x_j over the included labs,
u²(d_i) = σ_i² − 2c_iσ_i² + u_p²(y) with σ_i² = u_i² (+ τ² when τ is included) and
u_p²(y) = Σc_j²σ_j² the uncertainty of y propagated from the same σ_j: for the weighted mean
(c_i = w_i/Σw, τ included) this is σ_i² − u²(y) (Cox 2002 eq. 9); for an excluded lab (c_i = 0)
it is σ_i² + u_p²(y). For non-linear estimators (median, Algorithm A, hierarchical model, linear pool) y is
treated as independent of x_i: u²(d_i) = σ_i² + u²(y). U(d_i) = 2u(d_i); En = d_i/U(d_i);
ζ = d_i/u(d_i). Bilateral: d_ij = x_i − x_j, u²(d_ij) = σ_i² + σ_j².
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from jiliang.stats import random_effects as re_
from jiliang.stats import reference_value as rv
from jiliang.stats.reference_value import COVERAGE_K, ComparisonError, LabResults, ReferenceValue

__all__ = [
    "ESTIMATORS",
    "BilateralDoE",
    "ComparisonEvaluation",
    "UnilateralDoE",
    "bilateral_does",
    "evaluate_comparison",
    "reference_value",
    "unilateral_does",
]

ESTIMATORS = (
    "mean",
    "median",
    "weighted_mean",
    "lcs",
    "dersimonian_laird",
    "paule_mandel",
    "reml",
    "hierarchical_gauss",
    "linear_pool",
    "algorithm_a",
)


@dataclass(frozen=True, slots=True)
class UnilateralDoE:
    """d_i = x_i − y, u(d_i), U(d_i) = k·u(d_i), En = d_i/U(d_i), ζ = d_i/u(d_i), for one lab."""

    lab: str
    d: float
    u_d: float
    U_d: float
    En: float
    zeta: float
    included: bool


@dataclass(frozen=True, slots=True)
class BilateralDoE:
    """d_ij = x_i − x_j with u(d_ij) and U(d_ij) = k·u(d_ij)."""

    lab_i: str
    lab_j: str
    d: float
    u_d: float
    U_d: float


@dataclass(frozen=True, slots=True)
class ComparisonEvaluation:
    """A reference value, the unilateral DoEs of every lab, and the DoE convention."""

    reference: ReferenceValue
    labs: tuple[UnilateralDoE, ...]
    convention: str


def reference_value(
    data: LabResults,
    estimator: str,
    *,
    rng: np.random.Generator | None = None,
    stopping: str = "converged",
    knapp_hartung: bool = False,
) -> ReferenceValue:
    """Run the named estimator (one of :data:`ESTIMATORS`); ``rng`` is required by ``linear_pool``."""
    runs: dict[str, Callable[[], ReferenceValue]] = {
        "mean": lambda: rv.arithmetic_mean(data),
        "median": lambda: rv.median_value(data),
        "weighted_mean": lambda: rv.weighted_mean(data),
        "lcs": lambda: rv.largest_consistent_subset(data),
        "dersimonian_laird": lambda: re_.dersimonian_laird(data, knapp_hartung),
        "paule_mandel": lambda: re_.paule_mandel(data, knapp_hartung),
        "reml": lambda: re_.reml(data, knapp_hartung),
        "hierarchical_gauss": lambda: re_.hierarchical_gauss(data),
        "linear_pool": lambda: re_.linear_pool(data, _need_rng(rng)),
        "algorithm_a": lambda: rv.algorithm_a(data, stopping),
    }
    if estimator not in runs:
        raise ComparisonError(f"unknown estimator {estimator!r}; choose one of {', '.join(ESTIMATORS)}")
    return runs[estimator]()


def _need_rng(rng: np.random.Generator | None) -> np.random.Generator:
    if rng is None:
        raise ComparisonError("linear_pool needs a seeded random generator")
    return rng


def unilateral_does(
    data: LabResults, ref: ReferenceValue, include_tau: bool = True
) -> tuple[UnilateralDoE, ...]:
    """Unilateral DoEs of every lab (included or not) against ``ref`` (module docstring for u(d_i))."""
    tau2 = ref.tau**2 if include_tau else 0.0
    inc = set(ref.included)
    coef = dict(zip(ref.included, ref.weights, strict=True)) if ref.weights else {}
    sigma2 = {lab: u**2 + tau2 for lab, u in zip(data.labs, data.u, strict=True)}
    u2y = sum(c**2 * sigma2[lab] for lab, c in coef.items()) if coef else ref.u**2
    out = []
    for lab, x in zip(data.labs, data.x, strict=True):
        c = coef.get(lab, 0.0)
        u2 = sigma2[lab] * (1 - 2 * c) + u2y if lab in inc else sigma2[lab] + u2y
        if u2 <= 0:
            raise ComparisonError(f"lab {lab}: u²(d) = {u2:.3g} is not positive under this convention")
        ud = math.sqrt(u2)
        d = x - ref.value
        out.append(UnilateralDoE(lab, d, ud, COVERAGE_K * ud, d / (COVERAGE_K * ud), d / ud, lab in inc))
    return tuple(out)


def bilateral_does(data: LabResults, tau: float = 0.0) -> tuple[BilateralDoE, ...]:
    """Every pair i < j: d_ij = x_i − x_j, u²(d_ij) = u_i² + u_j² + 2τ²."""
    out = []
    n = len(data.labs)
    for i in range(n):
        for j in range(i + 1, n):
            ud = math.sqrt(data.u[i] ** 2 + data.u[j] ** 2 + 2 * tau**2)
            out.append(BilateralDoE(data.labs[i], data.labs[j], data.x[i] - data.x[j], ud, COVERAGE_K * ud))
    return tuple(out)


def evaluate_comparison(
    data: LabResults,
    estimator: str,
    *,
    rng: np.random.Generator | None = None,
    stopping: str = "converged",
    knapp_hartung: bool = False,
    include_tau: bool = True,
) -> ComparisonEvaluation:
    """Reference value by ``estimator`` and the unilateral DoEs of all labs, with both conventions.

    >>> data = LabResults.of(["A", "B", "C"], [1.0, 2.0, 3.0], [1.0, 1.0, 1.0])
    >>> ev = evaluate_comparison(data, "weighted_mean")
    >>> ev.reference.value, [round(d.u_d, 4) for d in ev.labs]
    (2.0, [0.8165, 0.8165, 0.8165])
    """
    ref = reference_value(data, estimator, rng=rng, stopping=stopping, knapp_hartung=knapp_hartung)
    labs = unilateral_does(data, ref, include_tau)
    tau_note = (
        f"τ = {ref.tau:.6g} {'included in' if include_tau else 'not included in'} u(d_i)"
        if ref.tau > 0
        else "τ = 0"
    )
    kind = (
        "linear estimator y = Σc_j x_j: u²(d_i) = σ_i² − 2c_iσ_i² + Σc_j²σ_j² for included labs "
        "(σ_i² − u²(y) for the weighted mean), σ_i² + Σc_j²σ_j² for excluded labs, σ_j² = u_j² (+ τ²)"
        if ref.weights
        else "non-linear estimator: u²(d_i) = σ_i² + u²(y) for every lab"
    )
    conv = f"{ref.convention}. DoE: d_i = x_i − y; {kind}; {tau_note}; U(d_i) = 2u(d_i); En = d_i/U(d_i); ζ = d_i/u(d_i)"
    return ComparisonEvaluation(ref, labs, conv)
