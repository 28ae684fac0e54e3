"""Random-effects (laboratory-effects) estimators: the consensus value with dark uncertainty τ.

Model: x_i = μ + λ_i + ε_i, λ_i ~ N(0, τ²), ε_i ~ N(0, u_i²). Estimators of τ²: DerSimonian–Laird
(with the Knapp–Hartung option), Paule–Mandel and REML; then μ̂ = Σw_i x_i/Σw_i, w_i = 1/(u_i² + τ²).
The hierarchical Gaussian model is evaluated by exact quadrature over τ; the linear pool by a seeded
Monte Carlo sample of the mixture.

References
----------
DerSimonian, R. and Laird, N. (1986) *Controlled Clinical Trials* 7, 177–188.
Knapp, G. and Hartung, J. (2003) *Statistics in Medicine* 22, 2693–2710.
Paule, R. C. and Mandel, J. (1982) *J. Res. Natl. Bur. Stand.* 87, 377–385.
Viechtbauer, W. (2005) *J. Educ. Behav. Stat.* 30, 261–293 (REML by Fisher scoring).
Possolo, A. et al. (2021) The NIST Decision Tree for key comparisons, *Metrologia* 58, 015002.
Koepke, A. et al. (2017) Consensus building for interlaboratory studies, key comparisons, and
meta-analysis, *Metrologia* 54, S34–S62 (the NIST Consensus Builder: linear pool, hierarchical Gauss).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, special
from scipy import stats as sps

from jiliang.stats.reference_value import (
    COVERAGE_K,
    ComparisonError,
    Floats,
    LabResults,
    ReferenceValue,
    _result,
)

__all__ = [
    "dersimonian_laird",
    "hierarchical_gauss",
    "linear_pool",
    "paule_mandel",
    "reml",
    "tau2_dersimonian_laird",
    "tau2_paule_mandel",
    "tau2_reml",
]

#: Paule–Mandel: the root of the generalised Q equation is solved to this absolute tolerance on τ²
#: relative to the variance scale of the data (statsmodels#6585: PM depends on solver tolerance).
PM_XTOL = 1e-14
#: REML Fisher scoring stops when τ² changes by less than this relative to the variance scale.
REML_TOL = 1e-13
REML_MAX_ITER = 500
#: Quadrature nodes over θ = arctan(τ/s_τ) for the hierarchical Gaussian model.
HG_NODES = 4000
#: Draws of the linear pool's Monte Carlo sample.
POOL_DRAWS = 200_000


def _scale(x: Floats, u: Floats) -> float:
    return float(np.var(x) + np.mean(u**2))


def tau2_dersimonian_laird(x: Floats, u: Floats) -> float:
    """τ² = max(0, (Q − (n−1)) / (S₁ − S₂/S₁)), S_r = Σ w_i^r, w_i = 1/u_i² (DerSimonian & Laird 1986).

    >>> round(tau2_dersimonian_laird(np.array([1.0, 2.0, 4.0]), np.array([0.5, 0.5, 0.5])), 6)
    2.083333
    """
    w = 1.0 / u**2
    y = np.sum(w * x) / np.sum(w)
    q = float(np.sum(w * (x - y) ** 2))
    s1, s2 = float(np.sum(w)), float(np.sum(w**2))
    return max(0.0, (q - (x.size - 1)) / (s1 - s2 / s1))


def _gen_q(tau2: float, x: Floats, u: Floats) -> float:
    w = 1.0 / (u**2 + tau2)
    y = np.sum(w * x) / np.sum(w)
    return float(np.sum(w * (x - y) ** 2)) - (x.size - 1)


def tau2_paule_mandel(x: Floats, u: Floats) -> float:
    """τ² solving Σ (x_i − μ̂)²/(u_i² + τ²) = n − 1 (Paule & Mandel 1982), 0 if the left side is ≤ n − 1 at 0.

    Solved by Brent's method to ``PM_XTOL`` × the variance scale of the data.
    """
    if _gen_q(0.0, x, u) <= 0:
        return 0.0
    scale = _scale(x, u)
    hi = scale
    for _ in range(200):
        if _gen_q(hi, x, u) < 0:
            break
        hi *= 4.0
    else:
        raise ComparisonError("paule_mandel: could not bracket τ²")
    return float(optimize.brentq(_gen_q, 0.0, hi, args=(x, u), xtol=PM_XTOL * scale, rtol=1e-15, maxiter=500))


def tau2_reml(x: Floats, u: Floats) -> tuple[float, int]:
    """REML τ² by Fisher scoring (Viechtbauer 2005 eq. 14), started at the DL value, truncated at 0.

    Returns τ² and the number of iterations.
    """
    scale = _scale(x, u)
    tau2 = tau2_dersimonian_laird(x, u)
    for it in range(1, REML_MAX_ITER + 1):
        w = 1.0 / (u**2 + tau2)
        y = np.sum(w * x) / np.sum(w)
        sw = float(np.sum(w))
        new = float(np.sum(w**2 * ((x - y) ** 2 - u**2)) / np.sum(w**2) + 1.0 / sw)
        new = max(0.0, new)
        if abs(new - tau2) <= REML_TOL * scale:
            return new, it
        tau2 = new
    raise ComparisonError(f"reml: τ² did not converge in {REML_MAX_ITER} iterations")


def _re_result(
    data: LabResults,
    name: str,
    tau2: float,
    convention: str,
    *,
    knapp_hartung: bool = False,
    iterations: int = 0,
) -> ReferenceValue:
    x, u = data.arrays()
    w = 1.0 / (u**2 + tau2)
    y = float(np.sum(w * x) / np.sum(w))
    uy = float(np.sum(w) ** -0.5)
    k = COVERAGE_K
    if knapp_hartung:
        n = x.size
        uy = math.sqrt(float(np.sum(w * (x - y) ** 2)) / ((n - 1) * float(np.sum(w))))
        k = float(sps.t.ppf(0.975, n - 1))
        convention += "; Knapp–Hartung: u²(y) = Σw_i(x_i − y)²/((n−1)Σw_i), k = t_0.975(n−1)"
    else:
        convention += "; u(y) = (Σw_i)^−½ with w_i = 1/(u_i² + τ²), U = 2u(y)"
    return _result(
        data,
        name,
        y,
        uy,
        convention,
        k=k,
        tau=math.sqrt(tau2),
        weights=w / np.sum(w),
        iterations=iterations,
        tau_in_u=True,
    )


def dersimonian_laird(data: LabResults, knapp_hartung: bool = False) -> ReferenceValue:
    """DerSimonian–Laird consensus value with τ (and the Knapp–Hartung uncertainty if asked)."""
    x, u = data.arrays()
    return _re_result(
        data,
        "dersimonian_laird",
        tau2_dersimonian_laird(x, u),
        "random effects, τ² by DerSimonian–Laird (1986) moments, truncated at 0",
        knapp_hartung=knapp_hartung,
    )


def paule_mandel(data: LabResults, knapp_hartung: bool = False) -> ReferenceValue:
    """Paule–Mandel consensus value: τ² such that the generalised Q equals n − 1."""
    x, u = data.arrays()
    return _re_result(
        data,
        "paule_mandel",
        tau2_paule_mandel(x, u),
        f"random effects, τ² by Paule–Mandel (1982): root of Σ(x_i − y)²/(u_i² + τ²) = n − 1 by Brent's "
        f"method, tolerance {PM_XTOL:g} × (var(x) + mean u²)",
        knapp_hartung=knapp_hartung,
    )


def reml(data: LabResults, knapp_hartung: bool = False) -> ReferenceValue:
    """Restricted maximum likelihood consensus value."""
    x, u = data.arrays()
    tau2, it = tau2_reml(x, u)
    return _re_result(
        data,
        "reml",
        tau2,
        f"random effects, τ² by REML (Fisher scoring from the DL value, stop at |Δτ²| ≤ {REML_TOL:g} × "
        "(var(x) + mean u²), truncated at 0)",
        knapp_hartung=knapp_hartung,
        iterations=it,
    )


def _tau_prior_scale(x: Floats, u: Floats) -> float:
    made = 1.4826 * float(np.median(np.abs(x - np.median(x))))
    return made if made > 0 else float(np.median(u))


def _mixture_quantile(p: float, means: Floats, sds: Floats, probs: Floats) -> float:
    keep = probs > 1e-16 * float(probs.max())
    means, sds, probs = means[keep], sds[keep], probs[keep]
    lo = float(np.min(means - 12 * sds))
    hi = float(np.max(means + 12 * sds))

    def cdf(v: float) -> float:
        return float(np.sum(probs * special.ndtr((v - means) / sds))) - p

    return float(optimize.brentq(cdf, lo, hi, xtol=1e-14 * max(1.0, abs(hi)), rtol=1e-14))


def hierarchical_gauss(data: LabResults) -> ReferenceValue:
    """Hierarchical Gaussian model (NIST Consensus Builder's 'HGG'), evaluated by exact quadrature.

    x_i | μ, τ ~ N(μ, u_i² + τ²); prior: μ flat (improper uniform), τ half-Cauchy with scale
    s_τ = MADe(x) (median u_i if MADe = 0). With a flat μ prior, μ | τ, x ~ N(μ̂_τ, 1/Σw_i) and
    p(τ | x) ∝ π(τ) Π(u_i² + τ²)^−½ (Σw_i)^−½ exp(−½Σw_i(x_i − μ̂_τ)²). The substitution
    τ = s_τ tan θ makes the prior uniform in θ ∈ (0, π/2): the midpoint rule with ``HG_NODES`` nodes.
    y and u(y) are the posterior mean and standard deviation of μ; the interval is the 95 % central
    credible interval of the normal mixture; τ is the posterior median. No random numbers are used.
    """
    x, u = data.arrays()
    s_tau = _tau_prior_scale(x, u)
    theta = (np.arange(HG_NODES) + 0.5) * (math.pi / 2) / HG_NODES
    tau = s_tau * np.tan(theta)
    v = u[None, :] ** 2 + tau[:, None] ** 2
    w = 1.0 / v
    sw = w.sum(axis=1)
    mu = (w * x[None, :]).sum(axis=1) / sw
    logp = (
        -0.5 * np.log(v).sum(axis=1)
        - 0.5 * np.log(sw)
        - 0.5 * (w * (x[None, :] - mu[:, None]) ** 2).sum(axis=1)
    )
    post = np.exp(logp - logp.max())
    post /= post.sum()
    mean = float(np.sum(post * mu))
    var = float(np.sum(post * (1.0 / sw + mu**2))) - mean**2
    sds = np.sqrt(1.0 / sw)
    lo = _mixture_quantile(0.025, mu, sds, post)
    hi = _mixture_quantile(0.975, mu, sds, post)
    tau_median = float(tau[np.searchsorted(np.cumsum(post), 0.5)])
    return _result(
        data,
        "hierarchical_gauss",
        mean,
        math.sqrt(max(var, 0.0)),
        f"hierarchical Gaussian model, μ flat prior, τ half-Cauchy(scale {s_tau:.6g} = MADe of the values); "
        f"exact quadrature over θ = arctan(τ/scale), {HG_NODES} midpoint nodes; y, u(y) = posterior mean "
        "and sd of μ; interval: 95 % central credible interval; τ = posterior median; U = 2u(y)",
        tau=tau_median,
        interval=(lo, hi),
        tau_in_u=True,
        extra={"tau_prior_scale": s_tau},
    )


def linear_pool(data: LabResults, rng: np.random.Generator, draws: int = POOL_DRAWS) -> ReferenceValue:
    """Linear opinion pool: equal-weight mixture of the labs' distributions, sampled with ``rng``.

    Each lab's distribution is x_i + u_i·t_ν_i (Gaussian when ν_i = ∞), as in the NIST Consensus
    Builder. y, u(y) are the mean and sd of the sample, the interval its 2.5 %/97.5 % quantiles.
    """
    if draws < 1000:
        raise ComparisonError(f"linear_pool: draws = {draws} is too small (≥ 1000)")
    mask = np.asarray(data.included, dtype=bool)
    x, u = data.arrays()
    dof = np.asarray(data.dof, dtype=float)[mask]
    pick = rng.integers(0, x.size, size=draws)
    z = rng.standard_normal(draws)
    nu = dof[pick]
    finite = np.isfinite(nu)
    if finite.any():
        z[finite] = rng.standard_t(nu[finite])
    sample = x[pick] + u[pick] * z
    mean = float(sample.mean())
    sd = float(sample.std(ddof=1))
    lo, hi = (float(q) for q in np.quantile(sample, [0.025, 0.975]))
    return _result(
        data,
        "linear_pool",
        mean,
        sd,
        f"linear pool: equal-weight mixture of x_i + u_i·t(ν_i) (Gaussian if ν_i = ∞), {draws} seeded Monte "
        "Carlo draws; y, u(y) = sample mean and sd; interval: 2.5 %/97.5 % sample quantiles; U = 2u(y)",
        interval=(lo, hi),
        extra={"mc_standard_error": sd / math.sqrt(draws)},
    )
