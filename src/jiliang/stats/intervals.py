"""Calibration-interval analysis: NCSLI RP-1 methods A3 and S2, and the variables-data method.

A recommendation with its evidence only: statutory verification periods are decided by law, not here
(ILAC-G24:2022 / OIML D 10 §1; JJF 1139-2005).

A3 (interval test): R0 = g/n observed at the assigned interval I0 over the records whose actual
interval is within min(56 d, 0.5·I0) of I0 (the others are counted as dropped); Q is the confidence
with which R = Rt is rejected by a binomial test (R0 < Rt: Q = 1 − 2·B(g; n, Rt); R0 > Rt:
Q = 1 − 2·(1 − B(g − 1; n, Rt))); if Q > the confidence asked for, the new interval is
I0·10^((R0 − Rt)·Q) (R0 < Rt) or I0·10^((R0 − Rt)/(1 − Q)) (R0 > Rt), kept within [I0/2, 2·I0],
applied only if it moves by ≥ 5 d, and kept within [14, 1826] d. Reliability limits: two-sided
Clopper–Pearson at the same confidence (as in the 2019 NCSL International symposium tutorial).

S2 (reliability modelling): R(t) fitted by maximum likelihood to the individual in/out-of-tolerance
results: exponential exp(−λt), Weibull exp(−(λt)^β), mixed exponential (1 + λt)^−β; the model with
the smallest AIC gives the interval solving R(I) = Rt.

Variables data: drift y(t) = Σ_{j=1..m} b_j t^j (no intercept) by least squares, Cov(b) = s²(TᵀT)⁻¹,
u_pred(t)² = s² + τ(t)ᵀCov(b)τ(t), τ = (t, …, t^m). Uncertainty target: the largest t with
u0² + u_pred(t)² ≤ u_target². Limits: the smallest t > 0 at which y0 + ŷ(t) ± k·√(u0² + u_pred(t)²)
reaches a limit, k = t_p(n − m), one-sided with one limit.

References
----------
NCSL International RP-1 (2010) *Establishment and Adjustment of Calibration Intervals*, methods A3, S2.
NASA-HDBK-8739.19-5, *Measuring and Test Equipment Specifications* (calibration intervals).
ILAC-G24:2022 / OIML D 10:2022 *Guidelines for the determination of recalibration intervals*.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import optimize
from scipy import stats as sps

from jiliang.errors import InputError

__all__ = [
    "A3Result",
    "IntervalError",
    "ReliabilityFit",
    "S2Result",
    "VariablesResult",
    "method_a3",
    "method_s2",
    "variables_interval",
]

Floats = NDArray[np.float64]

#: A3: records within min(WINDOW_DAYS, WINDOW_FRACTION·I0) of the assigned interval are used.
WINDOW_DAYS = 56.0
WINDOW_FRACTION = 0.5
#: A3: smallest change applied, and the bounds of any interval (days).
MIN_CHANGE_DAYS = 5.0
MIN_INTERVAL_DAYS = 14.0
MAX_INTERVAL_DAYS = 1826.0
#: Variables method: search horizon for the crossing time (days).
HORIZON_DAYS = 100_000.0
RECOMMENDATION = "recommendation only; statutory verification periods are not changed by this analysis"


class IntervalError(InputError):
    """The calibration history cannot support the analysis asked for; the message says why."""

    code = "invalid_interval_data"


@dataclass(frozen=True, slots=True)
class A3Result:
    """Method A3: recommended interval, R0 with its limits, Q, counts and the reason."""

    interval_days: float
    assigned_interval_days: float
    observed_reliability: float
    rejection_confidence: float
    reliability_limits: tuple[float, float]
    target: float
    confidence: float
    n: int
    in_tolerance: int
    dropped: int
    changed: bool
    reason: str
    note: str = RECOMMENDATION


def _check_target(target: float, confidence: float) -> None:
    if not 0 < target < 1:
        raise IntervalError(f"reliability target {target} must be between 0 and 1")
    if not 0 <= confidence < 1:
        raise IntervalError(f"confidence {confidence} must be in [0, 1)")


def _clopper_pearson(g: int, n: int, level: float) -> tuple[float, float]:
    a = (1 - level) / 2
    lo = 0.0 if g == 0 else float(sps.beta.ppf(a, g, n - g + 1))
    hi = 1.0 if g == n else float(sps.beta.ppf(1 - a, g + 1, n - g))
    return lo, hi


def _rejection_confidence(g: int, n: int, target: float) -> float:
    r0 = g / n
    if r0 < target:
        q = 1 - 2 * float(sps.binom.cdf(g, n, target))
    elif r0 > target:
        q = 1 - 2 * float(sps.binom.sf(g - 1, n, target))
    else:
        q = 0.0
    return min(max(q, 0.0), 1.0)


def method_a3(
    interval_days: Sequence[float],
    in_tolerance: Sequence[bool],
    *,
    target: float,
    confidence: float = 0.5,
    assigned_interval: float | None = None,
) -> A3Result:
    """RP-1 method A3 on pooled records (module docstring); I0 defaults to the median interval.

    >>> r = method_a3([365] * 20, [True] * 14 + [False] * 6, target=0.95)
    >>> r.observed_reliability, r.changed, r.interval_days < 365
    (0.7, True, True)
    """
    _check_target(target, confidence)
    t = np.asarray(interval_days, dtype=float)
    ok = np.asarray(in_tolerance, dtype=bool)
    if t.size == 0 or t.size != ok.size or not np.isfinite(t).all() or (t <= 0).any():
        raise IntervalError("history: need at least one calibration with a positive interval")
    i0 = float(assigned_interval) if assigned_interval is not None else float(np.median(t))
    window = min(WINDOW_DAYS, WINDOW_FRACTION * i0)
    keep = np.abs(t - i0) <= window
    n, g = int(keep.sum()), int(ok[keep].sum())
    if n == 0:
        raise IntervalError(f"no calibration within {window:g} d of the assigned interval {i0:g} d")
    r0 = g / n
    q = _rejection_confidence(g, n, target)
    new, reason = i0, f"Q = {q:.3g} ≤ confidence {confidence:g}: interval kept"
    if q > confidence:
        if r0 < target:
            cand = i0 * 10 ** ((r0 - target) * q)
        else:
            cand = 2 * i0 if q >= 1 else i0 * 10 ** ((r0 - target) / (1 - q))
        cand = min(max(cand, i0 / 2), 2 * i0)
        if abs(cand - i0) >= MIN_CHANGE_DAYS:
            new, reason = cand, f"R0 = {r0:.3g} rejected against Rt = {target:g} with Q = {q:.3g}"
        else:
            reason = f"change of {abs(cand - i0):.3g} d is below {MIN_CHANGE_DAYS:g} d: interval kept"
    new = min(max(new, MIN_INTERVAL_DAYS), MAX_INTERVAL_DAYS)
    return A3Result(
        interval_days=new,
        assigned_interval_days=i0,
        observed_reliability=r0,
        rejection_confidence=q,
        reliability_limits=_clopper_pearson(g, n, confidence),
        target=target,
        confidence=confidence,
        n=n,
        in_tolerance=g,
        dropped=int(t.size - n),
        changed=new != i0,
        reason=reason,
    )


@dataclass(frozen=True, slots=True)
class ReliabilityFit:
    """One fitted reliability model: parameters, log-likelihood, AIC and its interval for the target."""

    model: str
    params: dict[str, float]
    log_likelihood: float
    aic: float
    interval_days: float


@dataclass(frozen=True, slots=True)
class S2Result:
    """Method S2: the chosen model's interval, every fit, and the binned observed reliabilities."""

    interval_days: float
    model: str
    target: float
    fits: tuple[ReliabilityFit, ...]
    bins: tuple[tuple[float, int, float], ...]
    n: int
    note: str = RECOMMENDATION


def _loglik(r: Floats, ok: NDArray[np.bool_]) -> float:
    r = np.clip(r, 1e-300, 1 - 1e-16)
    return float(np.sum(np.where(ok, np.log(r), np.log1p(-r))))


_Model = tuple[
    str, int, Callable[[Floats, Floats], Floats], Callable[[Floats, float], float], tuple[str, ...]
]

_MODELS: tuple[_Model, ...] = (
    (
        "exponential",
        1,
        lambda p, t: np.exp(-np.exp(p[0]) * t),
        lambda p, rt: -math.log(rt) / math.exp(p[0]),
        ("lambda",),
    ),
    (
        "weibull",
        2,
        lambda p, t: np.exp(-((np.exp(p[0]) * t) ** np.exp(p[1]))),
        lambda p, rt: (-math.log(rt)) ** (1 / math.exp(p[1])) / math.exp(p[0]),
        ("lambda", "beta"),
    ),
    (
        "mixed_exponential",
        2,
        lambda p, t: (1 + np.exp(p[0]) * t) ** (-np.exp(p[1])),
        lambda p, rt: (rt ** (-1 / math.exp(p[1])) - 1) / math.exp(p[0]),
        ("lambda", "beta"),
    ),
)


def _fit(model: _Model, t: Floats, ok: NDArray[np.bool_], target: float) -> ReliabilityFit:
    name, k, rel, inv, names = model
    fails = max(1, int((~ok).sum()))
    lam0 = math.log(fails / float(t.sum()))
    start = np.array([lam0] + [0.0] * (k - 1))

    def nll(p: Floats) -> float:
        return -_loglik(rel(p, t), ok)

    if k == 1:
        res = optimize.minimize_scalar(lambda a: nll(np.array([a])), bracket=(lam0 - 1, lam0 + 1))
        p = np.array([float(res.x)])
    else:
        res = optimize.minimize(
            nll, start, method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20_000}
        )
        p = np.asarray(res.x, dtype=float)
    ll = -nll(p)
    return ReliabilityFit(
        name,
        {nm: math.exp(v) for nm, v in zip(names, p, strict=True)},
        ll,
        2 * k - 2 * ll,
        float(inv(p, target)),
    )


def _bins(t: Floats, ok: NDArray[np.bool_], count: int = 5) -> tuple[tuple[float, int, float], ...]:
    order = np.argsort(t)
    out = []
    for chunk in np.array_split(order, min(count, t.size)):
        if chunk.size:
            out.append((float(t[chunk].mean()), int(chunk.size), float(ok[chunk].mean())))
    return tuple(out)


def method_s2(interval_days: Sequence[float], in_tolerance: Sequence[bool], *, target: float) -> S2Result:
    """RP-1 method S2 by maximum likelihood on each calibration's result (module docstring)."""
    _check_target(target, 0.0)
    t = np.asarray(interval_days, dtype=float)
    ok = np.asarray(in_tolerance, dtype=bool)
    if t.size < 5 or t.size != ok.size or not np.isfinite(t).all() or (t <= 0).any():
        raise IntervalError(f"S2 needs at least 5 calibrations with positive intervals, got {t.size}")
    if ok.all():
        raise IntervalError("S2: every calibration was in tolerance, no reliability model can be fitted")
    if not ok.any():
        raise IntervalError("S2: no calibration was in tolerance, no reliability model can be fitted")
    fits = tuple(_fit(m, t, ok, target) for m in _MODELS)
    best = min(
        (f for f in fits if math.isfinite(f.interval_days) and f.interval_days > 0), key=lambda f: f.aic
    )
    return S2Result(best.interval_days, best.model, target, fits, _bins(t, ok), int(t.size))


@dataclass(frozen=True, slots=True)
class VariablesResult:
    """Variables-data method: interval, drift fit b_j with s and ν, k, and which criterion was used."""

    interval_days: float
    criterion: str
    coefficients: tuple[float, ...]
    s: float
    dof: int
    k: float
    n: int
    reached: bool
    note: str = RECOMMENDATION


MAX_DAYS = 1e6
"""Longest time span of drift data (about 2,700 years): beyond it the fit overflows."""


def _drift_fit(t: Floats, y: Floats, degree: int) -> tuple[Floats, Floats, float, int]:
    if degree < 1:
        raise IntervalError(f"degree {degree} must be at least 1")
    if t.size != y.size or t.size < degree + 2 or not (np.isfinite(t).all() and np.isfinite(y).all()):
        raise IntervalError(
            f"drift data: need at least {degree + 2} finite (t, deviation) pairs, got {t.size}"
        )
    if np.abs(t).max() > MAX_DAYS:
        raise IntervalError(f"drift data: times beyond {MAX_DAYS:g} days ({np.abs(t).max():g})")
    design = np.column_stack([t ** (j + 1) for j in range(degree)])
    dof = t.size - degree
    try:
        with np.errstate(over="raise", invalid="raise"):
            b, *_ = np.linalg.lstsq(design, y, rcond=None)
            s2 = float(np.sum((y - design @ b) ** 2)) / dof
            cov = s2 * np.linalg.inv(design.T @ design)
    except (FloatingPointError, np.linalg.LinAlgError) as exc:
        raise IntervalError(f"drift data cannot be fitted: {exc}") from None
    return np.asarray(b, dtype=np.float64), np.asarray(cov, dtype=np.float64), math.sqrt(s2), dof


def variables_interval(
    t_days: Sequence[float],
    deviation: Sequence[float],
    *,
    u0: float,
    target_uncertainty: float | None = None,
    limits: tuple[float | None, float | None] | None = None,
    y0: float = 0.0,
    degree: int = 1,
    confidence: float = 0.95,
) -> VariablesResult:
    """Interval from drift data, for an uncertainty target or for limits (module docstring).

    >>> r = variables_interval([0, 100, 200, 300], [0.0, 0.11, 0.19, 0.31], u0=0.01, limits=(None, 1.0))
    >>> 900 < r.interval_days < 990, r.criterion
    (True, 'limits')
    """
    if (target_uncertainty is None) == (limits is None):
        raise IntervalError("give either a target uncertainty or limits")
    if not u0 >= 0:
        raise IntervalError(f"u0 = {u0} must not be negative")
    t = np.asarray(t_days, dtype=float)
    y = np.asarray(deviation, dtype=float)
    b, cov, s, dof = _drift_fit(t, y, degree)

    def upred2(x: float) -> float:
        tau = np.array([x ** (j + 1) for j in range(degree)])
        return s**2 + float(tau @ cov @ tau)

    def yhat(x: float) -> float:
        return float(sum(b[j] * x ** (j + 1) for j in range(degree)))

    if target_uncertainty is not None:
        if not target_uncertainty > 0:
            raise IntervalError(f"target uncertainty {target_uncertainty} must be positive")
        k = 1.0

        def gap(x: float) -> float:
            return target_uncertainty**2 - u0**2 - upred2(x)

        criterion = "uncertainty"
    else:
        assert limits is not None
        lo, hi = limits
        if lo is None and hi is None:
            raise IntervalError("limits: give a lower limit, an upper limit or both")
        if lo is not None and hi is not None and not lo < hi:
            raise IntervalError(f"limits: lower {lo} must be below upper {hi}")
        p = confidence if (lo is None or hi is None) else 1 - (1 - confidence) / 2
        k = float(sps.t.ppf(p, dof))

        def gap(x: float) -> float:
            half = k * math.sqrt(u0**2 + upred2(x))
            m = y0 + yhat(x)
            return min(
                hi - (m + half) if hi is not None else math.inf,
                (m - half) - lo if lo is not None else math.inf,
            )

        criterion = "limits"
    return _crossing(gap, criterion, b, s, dof, k, t.size)


def _crossing(
    gap: Callable[[float], float], criterion: str, b: Floats, s: float, dof: int, k: float, n: int
) -> VariablesResult:
    def result(days: float, reached: bool) -> VariablesResult:
        return VariablesResult(days, criterion, tuple(float(v) for v in b), s, dof, k, n, reached)

    if gap(0.0) <= 0:
        return result(0.0, True)
    grid = np.geomspace(1e-3, HORIZON_DAYS, 4000)
    prev = 0.0
    for x in grid:
        if gap(float(x)) <= 0:
            root = optimize.brentq(gap, prev, float(x), xtol=1e-6)
            return result(float(root), True)
        prev = float(x)
    return result(HORIZON_DAYS, False)
