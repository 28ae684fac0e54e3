"""Choice of a statistical model for a comparison, following the NIST Decision Tree.

1. Homogeneity: Cochran's Q. Homogeneous (p ≥ 0.05) → common mean (weighted mean).
2. Otherwise symmetry of the values: Miao–Gel–Gastwirth test. Asymmetric → skew model; the NIST
   tree uses a hierarchical skew-normal model, here the linear pool is recommended in its place.
3. Symmetric: normality of the values (Shapiro–Wilk). Normal → hierarchical Gaussian model
   (DerSimonian–Laird as its classical twin); not normal → the tree's hierarchical Laplace model,
   here the median (robust) is recommended in its place.

References
----------
Possolo, A. et al. (2021) The NIST Decision Tree for key comparisons, *Metrologia* 58, 015002.
Miao, W., Gel, Y. R. and Gastwirth, J. L. (2006) A new test of symmetry about an unknown median,
in *Random Walk, Sequential Analysis and Related Topics*, World Scientific, 199–214.
Shapiro, S. S. and Wilk, M. B. (1965) *Biometrika* 52, 591–611.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from jiliang.stats.reference_value import ALPHA, Floats, LabResults, cochran_q

__all__ = ["ModelChoice", "TestResult", "choose_model", "symmetry_test"]


@dataclass(frozen=True, slots=True)
class TestResult:
    """One hypothesis test of the tree: its name, statistic, p-value and whether H0 stands."""

    name: str
    statistic: float
    p_value: float
    passed: bool


@dataclass(frozen=True, slots=True)
class ModelChoice:
    """The tests run, the model the NIST tree would take, and the estimator recommended here."""

    tests: tuple[TestResult, ...]
    nist_model: str
    estimator: str
    reason: str


def symmetry_test(x: Floats) -> TestResult:
    """Miao–Gel–Gastwirth test: T = √n (x̄ − M)/J, J = √(π/2)·mean|x_i − M|; T/√(π/2 − 1) ~ N(0, 1).

    Asymptotic two-sided p-value (the NIST tree uses the bootstrap of R's ``symmetry`` package).

    >>> symmetry_test(np.array([1.0, 2.0, 3.0, 4.0, 5.0])).p_value
    1.0
    """
    n = x.size
    med = float(np.median(x))
    j = math.sqrt(math.pi / 2) * float(np.mean(np.abs(x - med)))
    if j == 0:
        return TestResult("Miao–Gel–Gastwirth symmetry", 0.0, 1.0, True)
    t = math.sqrt(n) * (float(np.mean(x)) - med) / j / math.sqrt(math.pi / 2 - 1)
    p = float(2 * sps.norm.sf(abs(t)))
    return TestResult("Miao–Gel–Gastwirth symmetry", t, p, p >= ALPHA)


def choose_model(data: LabResults) -> ModelChoice:
    """Run the tree's tests on the included labs and name the model to use."""
    x, u = data.arrays()
    q = cochran_q(x, u)
    tests = [TestResult("Cochran's Q homogeneity", q.q, q.p_value, q.p_value >= ALPHA)]
    if tests[0].passed:
        return ModelChoice(tuple(tests), "common mean", "weighted_mean", "homogeneous (Cochran's Q p ≥ 0.05)")
    sym = symmetry_test(x)
    tests.append(sym)
    if not sym.passed:
        return ModelChoice(
            tuple(tests),
            "hierarchical skew-normal",
            "linear_pool",
            "heterogeneous and asymmetric: skew-normal model of the NIST tree not built; linear pool",
        )
    if x.size >= 3:
        sw = sps.shapiro(x)
        normal = TestResult(
            "Shapiro–Wilk normality", float(sw.statistic), float(sw.pvalue), float(sw.pvalue) >= ALPHA
        )
    else:
        normal = TestResult("Shapiro–Wilk normality", math.nan, 1.0, True)
    tests.append(normal)
    if normal.passed:
        return ModelChoice(
            tuple(tests),
            "hierarchical Gauss-Gauss",
            "hierarchical_gauss",
            "heterogeneous, symmetric, normal: hierarchical Gaussian model with dark uncertainty τ",
        )
    return ModelChoice(
        tuple(tests),
        "hierarchical Laplace-Gauss",
        "median",
        "heterogeneous, symmetric, not normal: Laplace model of the NIST tree not built; median",
    )
