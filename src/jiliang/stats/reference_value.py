"""Reference values of an interlaboratory comparison (KCRV, PT assigned value), each with its convention.

The estimators take a validated :class:`LabResults` and return a :class:`ReferenceValue` whose
``convention`` states how the value, its uncertainty and the consistency check were obtained
(conventions move the 2nd–3rd significant figure: notes § comparisons). Random-effects estimators
(DerSimonian–Laird, Paule–Mandel, REML, hierarchical Gauss, linear pool) are in
:mod:`jiliang.stats.random_effects`; :func:`reference_value` dispatches by name.

References
----------
Cox, M. G. (2002) The evaluation of key comparison data, *Metrologia* 39, 589–595.
Cox, M. G. (2007) The evaluation of key comparison data: determining the largest consistent subset,
*Metrologia* 44, 187–200.
ISO 13528:2022 §C.3.1 (Algorithm A) and §C.2 (median, MADe).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from itertools import combinations

import numpy as np
from numpy.typing import NDArray
from scipy import special
from scipy import stats as sps

from jiliang.errors import InputError

__all__ = [
    "COVERAGE_K",
    "CochranQ",
    "ComparisonError",
    "LabResults",
    "ReferenceValue",
    "algorithm_a",
    "arithmetic_mean",
    "cochran_q",
    "largest_consistent_subset",
    "median_value",
    "weighted_mean",
]

#: Coverage factor used for U of the reference value and of the DoEs (JJF 1117, CIPM MRA: k = 2).
COVERAGE_K = 2.0
#: Significance level of the χ² consistency check (Cox 2002 §5: 5 %).
ALPHA = 0.05
#: Largest number of subsets the LCS enumeration will test before it gives up.
LCS_MAX_SUBSETS = 2_000_000

Floats = NDArray[np.float64]


class ComparisonError(InputError):
    """Comparison data or an estimator's request cannot be evaluated; the message names the item."""

    code = "invalid_comparison"


@dataclass(frozen=True, slots=True)
class LabResults:
    """Results of the participants: lab identifiers, values x_i, standard uncertainties u_i, ν_i.

    ``included`` marks the labs used for the reference value (the others still receive DoEs).
    ``dof`` is ∞ (``math.inf``) where a lab gave none.
    """

    labs: tuple[str, ...]
    x: tuple[float, ...]
    u: tuple[float, ...]
    dof: tuple[float, ...] = ()
    included: tuple[bool, ...] = ()
    _x_in: Floats = field(init=False, repr=False, compare=False)
    _u_in: Floats = field(init=False, repr=False, compare=False)
    _labs_in: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        n = len(self.labs)
        if n < 2:
            raise ComparisonError(f"need results of at least 2 labs, got {n}")
        if len(set(self.labs)) != n:
            dup = sorted({lab for lab in self.labs if self.labs.count(lab) > 1})
            raise ComparisonError(f"duplicated lab: {', '.join(dup)}")
        if len(self.x) != n or len(self.u) != n:
            raise ComparisonError("labs, values and uncertainties differ in length")
        if not self.dof:
            object.__setattr__(self, "dof", (math.inf,) * n)
        if not self.included:
            object.__setattr__(self, "included", (True,) * n)
        if len(self.dof) != n or len(self.included) != n:
            raise ComparisonError("dof or included differ in length from labs")
        for lab, x, u, nu in zip(self.labs, self.x, self.u, self.dof, strict=True):
            if not math.isfinite(x):
                raise ComparisonError(f"lab {lab}: value {x} is not a finite number")
            if not (math.isfinite(u) and u > 0):
                raise ComparisonError(f"lab {lab}: standard uncertainty u = {u} must be positive")
            if not nu > 0:
                raise ComparisonError(f"lab {lab}: degrees of freedom {nu} must be positive")
        if sum(self.included) < 2:
            raise ComparisonError(f"need at least 2 included labs, got {sum(self.included)}")
        mask = np.asarray(self.included, dtype=bool)
        object.__setattr__(self, "_x_in", np.asarray(self.x, dtype=float)[mask])
        object.__setattr__(self, "_u_in", np.asarray(self.u, dtype=float)[mask])
        object.__setattr__(
            self, "_labs_in", tuple(lab for lab, ok in zip(self.labs, self.included, strict=True) if ok)
        )

    @classmethod
    def of(
        cls,
        labs: Sequence[str],
        x: Sequence[float],
        u: Sequence[float],
        dof: Sequence[float] | None = None,
        included: Sequence[bool] | None = None,
    ) -> LabResults:
        """Build from sequences (floats are converted; ``None`` → defaults)."""
        return cls(
            tuple(str(lab) for lab in labs),
            tuple(float(v) for v in x),
            tuple(float(v) for v in u),
            tuple(float(v) for v in dof) if dof is not None else (),
            tuple(bool(v) for v in included) if included is not None else (),
        )

    def excluding(self, labs: Sequence[str]) -> LabResults:
        """The same results with ``labs`` marked as not included in the reference value."""
        unknown = sorted(set(labs) - set(self.labs))
        if unknown:
            raise ComparisonError(f"--exclude names an unknown lab: {', '.join(unknown)}")
        inc = tuple(ok and lab not in labs for lab, ok in zip(self.labs, self.included, strict=True))
        return LabResults(self.labs, self.x, self.u, self.dof, inc)

    def arrays(self) -> tuple[Floats, Floats]:
        """x and u of the included labs (computed once; copies, so callers may change them)."""
        return self._x_in.copy(), self._u_in.copy()

    @property
    def included_labs(self) -> tuple[str, ...]:
        return self._labs_in


@dataclass(frozen=True, slots=True)
class ReferenceValue:
    """A reference value y with u(y), U = k·u(y), the interval, τ and the consistency check.

    ``weights`` are the coefficients c_i of a linear estimator y = Σ c_i x_i over ``included``
    (empty for non-linear estimators): the DoEs use them for cov(x_i, y). ``chi2``/``dof``/
    ``p_value`` are Cochran's Q of the included labs about their weighted mean (Cox 2002 §5), for
    every estimator; ``consistent`` is ``p_value ≥ 0.05``.
    """

    estimator: str
    value: float
    u: float
    k: float
    interval: tuple[float, float]
    tau: float
    chi2: float
    dof: int
    p_value: float
    consistent: bool
    birge_ratio: float
    included: tuple[str, ...]
    convention: str
    weights: tuple[float, ...] = ()
    iterations: int = 0
    tau_in_u: bool = False
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def U(self) -> float:
        return self.k * self.u


@dataclass(frozen=True, slots=True)
class CochranQ:
    """Cochran's Q (= χ²_obs about the weighted mean), ν = n − 1, p = P(χ²_ν ≥ Q), Birge ratio."""

    q: float
    dof: int
    p_value: float
    birge_ratio: float
    mean: float
    u: float


def cochran_q(x: Floats, u: Floats) -> CochranQ:
    """Cochran's homogeneity test = the χ² check of the weighted mean (Cox 2002 §5, NIST DT).

    >>> r = cochran_q(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 1.0]))
    >>> round(r.q, 6), r.dof, round(r.p_value, 4)
    (2.0, 2, 0.3679)
    """
    w = 1.0 / u**2
    y = float(np.sum(w * x) / np.sum(w))
    q = float(np.sum(w * (x - y) ** 2))
    dof = x.size - 1
    return CochranQ(q, dof, float(special.chdtrc(dof, q)), math.sqrt(q / dof), y, float(np.sum(w) ** -0.5))


def _result(
    data: LabResults,
    estimator: str,
    value: float,
    u: float,
    convention: str,
    *,
    k: float = COVERAGE_K,
    tau: float = 0.0,
    weights: Floats | None = None,
    iterations: int = 0,
    tau_in_u: bool = False,
    interval: tuple[float, float] | None = None,
    extra: dict[str, float] | None = None,
) -> ReferenceValue:
    x, ux = data.arrays()
    check = cochran_q(x, ux)
    if not (math.isfinite(value) and math.isfinite(u) and u >= 0):
        raise ComparisonError(f"{estimator}: did not produce a finite value (y = {value}, u = {u})")
    return ReferenceValue(
        estimator=estimator,
        value=value,
        u=u,
        k=k,
        interval=interval if interval is not None else (value - k * u, value + k * u),
        tau=tau,
        chi2=check.q,
        dof=check.dof,
        p_value=check.p_value,
        consistent=check.p_value >= ALPHA,
        birge_ratio=check.birge_ratio,
        included=data.included_labs,
        convention=convention,
        weights=tuple(weights.tolist()) if weights is not None else (),
        iterations=iterations,
        tau_in_u=tau_in_u,
        extra=dict(extra or {}),
    )


def arithmetic_mean(data: LabResults) -> ReferenceValue:
    """Arithmetic mean of the included labs, u(y) = s/√n (the labs' u_i are not used).

    >>> arithmetic_mean(LabResults.of(["A", "B"], [1.0, 3.0], [0.1, 0.1])).value
    2.0
    """
    x, _ = data.arrays()
    n = x.size
    u = float(x.std(ddof=1)) / math.sqrt(n)
    return _result(
        data,
        "mean",
        float(x.mean()),
        u,
        "arithmetic mean of the included labs; u(y) = s/√n with s the sample standard deviation; U = 2u(y)",
        weights=np.full(n, 1.0 / n),
    )


def median_value(data: LabResults) -> ReferenceValue:
    """Median of the included labs, u(y) = 1.25·MADe/√n with MADe = 1.483·median|x_i − med| (ISO 13528 §C.2)."""
    x, _ = data.arrays()
    med = float(np.median(x))
    made = 1.483 * float(np.median(np.abs(x - med)))
    return _result(
        data,
        "median",
        med,
        1.25 * made / math.sqrt(x.size),
        "median of the included labs; u(y) = 1.25·MADe/√n, MADe = 1.483·median|x_i − median| "
        "(ISO 13528:2022 §C.2.2, §7.7.3); U = 2u(y)",
    )


def weighted_mean(data: LabResults) -> ReferenceValue:
    """Weighted mean y = Σx_i/u_i² / Σ1/u_i², u(y) = (Σ1/u_i²)^−½, χ² check and Birge ratio (Cox 2002 Procedure A).

    >>> r = weighted_mean(LabResults.of(["A", "B"], [1.0, 2.0], [1.0, 1.0]))
    >>> r.value, round(r.u, 6), r.consistent
    (1.5, 0.707107, True)
    """
    x, u = data.arrays()
    w = 1.0 / u**2
    return _result(
        data,
        "weighted_mean",
        float(np.sum(w * x) / np.sum(w)),
        float(np.sum(w) ** -0.5),
        "inverse-variance weighted mean (Cox 2002, Procedure A); u(y) = (Σ1/u_i²)^−½; consistency: "
        "χ²_obs ≤ χ²_0.95(n−1); Birge ratio √(χ²_obs/(n−1)); U = 2u(y)",
        weights=w / np.sum(w),
    )


def largest_consistent_subset(data: LabResults) -> ReferenceValue:
    """Weighted mean of the largest subset passing the χ² test (Cox 2007), by complete enumeration.

    Ties between subsets of the same size are broken by the smallest χ²_obs. Subsets have at least
    2 labs; labs outside the subset become excluded labs for the DoEs.
    """
    x, u = data.arrays()
    labs = data.included_labs
    n = x.size
    tested = 0
    for size in range(n, 1, -1):
        crit = float(sps.chi2.ppf(1 - ALPHA, size - 1))
        best: tuple[float, tuple[int, ...]] | None = None
        for subset in combinations(range(n), size):
            tested += 1
            if tested > LCS_MAX_SUBSETS:
                raise ComparisonError(f"lcs: gave up after {LCS_MAX_SUBSETS} subsets of {n} labs")
            idx = np.asarray(subset)
            q = cochran_q(x[idx], u[idx]).q
            if q <= crit and (best is None or q < best[0]):
                best = (q, subset)
        if best is not None:
            keep = {labs[i] for i in best[1]}
            sub = LabResults(data.labs, data.x, data.u, data.dof, tuple(lab in keep for lab in data.labs))
            wm = weighted_mean(sub)
            return replace(
                wm,
                estimator="lcs",
                convention="largest consistent subset (Cox 2007): largest subset with χ²_obs ≤ χ²_0.95(m−1), "
                "found by complete enumeration, ties broken by the smallest χ²_obs; its weighted mean and "
                "u(y) = (Σ1/u_i²)^−½; labs outside the subset are excluded for the DoEs; U = 2u(y)",
                iterations=tested,
            )
    raise ComparisonError("lcs: no consistent subset of 2 or more labs")


ALGORITHM_A_MAX_ITER = 1000
#: "converged" stops when x* and s* change by less than this, relative to s*.
ALGORITHM_A_TOL = 1e-12


def _iso_unchanged(x0: float, s0: float, x1: float, s1: float) -> bool:
    """No change in the 3rd significant figure of s* and the same decimal place of x* (§C.3.1)."""
    if s1 <= 0:
        return True
    place = 2 - math.floor(math.log10(s1))
    return round(s0, place) == round(s1, place) and round(x0, place) == round(x1, place)


def algorithm_a(data: LabResults, stopping: str = "converged") -> ReferenceValue:
    """ISO 13528:2022 §C.3.1 Algorithm A: robust mean x* and standard deviation s*.

    x* = median, s* = 1.483·median|x_i − x*|; repeat δ = 1.5 s*, winsorise to x* ± δ, x* = mean,
    s* = 1.134·sd. ``stopping`` is ``"converged"`` (changes below 1e-12·s*) or ``"iso"`` (no change
    in the 3rd significant figure of s* and in the same decimal place of x*, §C.3.1).
    u(x*) = 1.25 s*/√p (§7.7.3).
    """
    if stopping not in {"converged", "iso"}:
        raise ComparisonError(f"algorithm_a: stopping must be 'converged' or 'iso', got {stopping!r}")
    x, _ = data.arrays()
    p = x.size
    xs = float(np.median(x))
    ss = 1.483 * float(np.median(np.abs(x - xs)))
    if ss == 0:
        raise ComparisonError(
            "algorithm_a: initial robust standard deviation s* is 0 (more than half the values equal)"
        )
    it = 0
    while True:
        it += 1
        if it > ALGORITHM_A_MAX_ITER:
            raise ComparisonError(f"algorithm_a: did not converge in {ALGORITHM_A_MAX_ITER} iterations")
        delta = 1.5 * ss
        w = np.clip(x, xs - delta, xs + delta)
        nx, ns = float(w.mean()), 1.134 * float(w.std(ddof=1))
        if stopping == "iso":
            done = _iso_unchanged(xs, ss, nx, ns)
        else:
            done = abs(nx - xs) <= ALGORITHM_A_TOL * ns and abs(ns - ss) <= ALGORITHM_A_TOL * ns
        xs, ss = nx, ns
        if done:
            break
    rule = (
        "no change in the 3rd significant figure of s* and the same decimal place of x* (ISO 13528:2022 §C.3.1)"
        if stopping == "iso"
        else f"changes of x* and s* below {ALGORITHM_A_TOL:g}·s*"
    )
    return _result(
        data,
        "algorithm_a",
        xs,
        1.25 * ss / math.sqrt(p),
        f"ISO 13528:2022 Algorithm A (§C.3.1), constants 1.483, 1.5, 1.134; stopping: {rule}; "
        "u(x*) = 1.25 s*/√p (§7.7.3); U = 2u",
        iterations=it,
        extra={"s_star": ss},
    )
