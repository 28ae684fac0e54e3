"""Probability distributions assigned to input quantities (JCGM 101:2008 §6.4).

A :class:`Distribution` knows its expectation and standard deviation, the standard uncertainty and
degrees of freedom the GUM uses for it (JCGM 100:2008 §4.3, §G.4), how to draw samples from a
:class:`numpy.random.Generator` (JCGM 101 §6.4 and Annex C), and its inverse distribution function
for the Gaussian copula used with correlated inputs.

Examples
--------
>>> d = Distribution.of("x", {"dist": "uniform", "low": -1.0, "high": 1.0})
>>> round(d.u, 6), d.dof
(0.57735, inf)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from jiliang.uncertainty.errors import UncertaintyModelError

__all__ = ["KINDS", "MAX_BINOMIAL_N", "MAX_OBSERVATIONS", "Distribution"]

Array = npt.NDArray[np.float64]

#: Parameters of each kind of distribution (the model-file names), required first.
KINDS: Mapping[str, tuple[frozenset[str], ...]] = {
    "normal": (frozenset({"mean", "sd"}),),
    "uniform": (frozenset({"low", "high"}),),
    "triangular": (frozenset({"low", "mode", "high"}),),
    "trapezoid": (frozenset({"low", "high", "beta"}),),
    "ctrap": (frozenset({"low", "high", "d"}),),
    "arcsine": (frozenset({"low", "high"}),),
    "t": (frozenset({"mean", "sd", "dof"}), frozenset({"mean", "scale", "dof"})),
    "exponential": (frozenset({"mean"}),),
    "gamma": (frozenset({"mean", "sd"}), frozenset({"shape", "scale"})),
    "lognormal": (frozenset({"mean", "sd"}), frozenset({"mu", "sigma"})),
    "beta": (frozenset({"alpha", "beta"}), frozenset({"alpha", "beta", "low", "high"})),
    "weibull": (frozenset({"shape", "scale"}), frozenset({"shape", "scale", "loc"})),
    "truncnormal": (frozenset({"mean", "sd", "low", "high"}),),
    "poisson": (frozenset({"mean"}),),
    "binomial": (frozenset({"n", "p"}),),
    "empirical": (frozenset({"sample"}),),
}
#: Largest n of a binomial input.
MAX_BINOMIAL_N = 10**9
#: Most observations accepted for one Type A input.
MAX_OBSERVATIONS = 100_000
_EXTRA = frozenset({"dist", "dof", "unit", "data"})


def _num(name: str, key: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UncertaintyModelError(f"input {name!r}: {key} must be a number, got {value!r}")
    out = float(value)
    if not math.isfinite(out):
        raise UncertaintyModelError(f"input {name!r}: {key} must be finite, got {value!r}")
    return out


@dataclass(frozen=True, slots=True)
class Distribution:
    """The distribution of one input quantity.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS` (a Type A input from observations is a ``t`` with ``scale`` = s/√n).
    params : tuple of (str, float)
        Its parameters, named as in the model file.
    x, u, dof : float
        Estimate, standard uncertainty and degrees of freedom used by the GUM (``inf`` for Type B
        unless stated). For ``t`` with ``scale`` the GUM uses u = scale (s/√n of a Type A
        evaluation, JCGM 100 §4.2.3); the Monte Carlo draws the t distribution itself, whose
        standard deviation is scale·√(ν/(ν−2)) (JCGM 101 §6.4.9.2).
    """

    name: str
    kind: str
    params: tuple[tuple[str, float], ...]
    x: float
    u: float
    dof: float
    #: The values of an ``empirical`` input (resampled with replacement by the Monte Carlo).
    values: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise UncertaintyModelError(f"input {self.name!r}: unknown distribution {self.kind!r}")
        if not (self.u >= 0.0 and math.isfinite(self.u)):
            raise UncertaintyModelError(f"input {self.name!r}: standard uncertainty {self.u!r} < 0")
        if not self.dof > 0:
            raise UncertaintyModelError(f"input {self.name!r}: dof must be > 0, got {self.dof!r}")

    # ---------------------------------------------------------------------------- construction
    @classmethod
    def of(cls, name: str, spec: Mapping[str, Any]) -> Distribution:
        """Build from a model-file entry such as ``{"dist": "normal", "mean": 1, "sd": 0.1}``."""
        if not isinstance(spec, Mapping):
            raise UncertaintyModelError(f"input {name!r}: must be a mapping, got {spec!r}")
        if "data" in spec:
            return cls._from_data(name, spec)
        if "anova" in spec:
            return cls._from_anova(name, spec)
        kind = spec.get("dist")
        if not isinstance(kind, str) or kind not in KINDS:
            raise UncertaintyModelError(
                f"input {name!r}: unknown distribution {kind!r}; known: {', '.join(KINDS)}"
            )
        if kind == "empirical":
            return cls._empirical(name, spec)
        given = frozenset(k for k in spec if k not in {"dist", "unit"})
        if kind != "t":
            given = given - {"dof"}
        options = KINDS[kind]
        chosen = next((o for o in options if o == given), None)
        if chosen is None:
            wanted = " or ".join("{" + ", ".join(sorted(o)) + "}" for o in options)
            extra = sorted(given - frozenset().union(*options))
            why = f"unknown parameter(s) {extra}" if extra else f"parameters {sorted(given)}"
            raise UncertaintyModelError(f"input {name!r}: {why}; {kind} needs {wanted}")
        p = {k: _num(name, k, spec[k]) for k in chosen}
        dof = math.inf
        if kind != "t" and "dof" in spec:
            dof = _num(name, "dof", spec["dof"])
        return cls._build(name, kind, p, dof)

    @classmethod
    def _empirical(cls, name: str, spec: Mapping[str, Any]) -> Distribution:
        extra = sorted(set(spec) - {"dist", "sample", "unit", "dof"})
        if extra:
            raise UncertaintyModelError(
                f"input {name!r}: unknown parameter(s) {extra}; empirical needs {{sample}}"
            )
        data = spec.get("sample")
        if not isinstance(data, list | tuple):
            raise UncertaintyModelError(f"input {name!r}: sample must be a list of numbers")
        if not 2 <= len(data) <= MAX_OBSERVATIONS:
            raise UncertaintyModelError(
                f"input {name!r}: sample needs 2 to {MAX_OBSERVATIONS} values, got {len(data)}"
            )
        values = np.array([_num(name, f"sample[{i}]", v) for i, v in enumerate(data)], dtype=float)
        dof = _num(name, "dof", spec["dof"]) if "dof" in spec else math.inf
        # the distribution resampled is the sample's own: its standard deviation has divisor n
        return cls(
            name, "empirical", (), float(values.mean()), float(values.std()), dof, tuple(values.tolist())
        )

    @classmethod
    def _from_data(cls, name: str, spec: Mapping[str, Any]) -> Distribution:
        extra = sorted(set(spec) - {"data", "unit", "dof"})
        if extra:
            raise UncertaintyModelError(f"input {name!r}: unknown parameter(s) {extra} with data")
        data = spec["data"]
        if not isinstance(data, list | tuple):
            raise UncertaintyModelError(f"input {name!r}: data must be a list of numbers")
        if len(data) > MAX_OBSERVATIONS:
            raise UncertaintyModelError(
                f"input {name!r}: {len(data)} observations, more than {MAX_OBSERVATIONS}"
            )
        values = np.array([_num(name, f"data[{i}]", v) for i, v in enumerate(data)], dtype=float)
        n = values.size
        if n < 2:
            raise UncertaintyModelError(f"input {name!r}: data needs at least 2 observations, got {n}")
        mean = float(values.mean())
        s = float(values.std(ddof=1))
        dof = float(n - 1)
        if "dof" in spec:
            dof = _num(name, "dof", spec["dof"])
        p = {"mean": mean, "scale": s / math.sqrt(n), "dof": float(n - 1)}
        out = cls._build(name, "t", p, dof)
        return out

    @classmethod
    def _from_anova(cls, name: str, spec: Mapping[str, Any]) -> Distribution:
        """``{anova: [[day 1 …], [day 2 …], …]}`` or ``{anova: {means, sds, n}}`` (GUM H.5): the
        mean of the group means, u = s(x̄_k)/√K, ν = K − 1 (a t distribution with that scale)."""
        from jiliang.uncertainty.typea import anova, anova_from_summary

        extra = sorted(set(spec) - {"anova", "unit"})
        if extra:
            raise UncertaintyModelError(f"input {name!r}: unknown parameter(s) {extra} with anova")
        raw = spec["anova"]
        try:
            if isinstance(raw, Mapping):
                if set(raw) != {"means", "sds", "n"}:
                    raise UncertaintyModelError("anova summary needs exactly means, sds and n")
                cols = [raw[key] for key in ("means", "sds", "n")]
                if not all(isinstance(c, list | tuple) and len(c) <= MAX_OBSERVATIONS for c in cols):
                    raise UncertaintyModelError("anova means, sds and n must be lists")
                means = [_num(name, "anova.means", v) for v in cols[0]]
                sds = [_num(name, "anova.sds", v) for v in cols[1]]
                counts = [int(_num(name, "anova.n", v)) for v in cols[2]]
                a = anova_from_summary(means, sds, counts)
            elif isinstance(raw, list | tuple) and all(isinstance(g, list | tuple) for g in raw):
                if sum(len(g) for g in raw) > MAX_OBSERVATIONS:
                    raise UncertaintyModelError(f"more than {MAX_OBSERVATIONS} observations")
                a = anova([[_num(name, "anova", v) for v in g] for g in raw])
            else:
                raise UncertaintyModelError(
                    "anova must be a list of groups of observations or {means, sds, n}"
                )
        except UncertaintyModelError as exc:
            raise UncertaintyModelError(f"input {name!r}: {exc}") from None
        return cls._build(name, "t", {"mean": a.x, "scale": a.u, "dof": float(a.dof)}, math.inf)

    @classmethod
    def _build(cls, name: str, kind: str, p: dict[str, float], dof: float) -> Distribution:
        bad = UncertaintyModelError

        def need(ok: bool, why: str) -> None:
            if not ok:
                raise bad(f"input {name!r}: {why}")

        if kind == "normal":
            need(p["sd"] >= 0, f"sd must be ≥ 0, got {p['sd']}")
            x, u = p["mean"], p["sd"]
        elif kind in ("uniform", "arcsine", "trapezoid", "ctrap", "triangular"):
            lo, hi = p["low"], p["high"]
            need(hi > lo, f"high ({hi}) must be greater than low ({lo})")
            x = (lo + hi) / 2
            w = hi - lo
            if kind == "uniform":
                u = w / math.sqrt(12)
            elif kind == "arcsine":
                u = w / math.sqrt(8)
            elif kind == "trapezoid":
                need(0 <= p["beta"] <= 1, f"beta must be in [0, 1], got {p['beta']}")
                u = w * math.sqrt((1 + p["beta"] ** 2) / 24)
            elif kind == "ctrap":
                need(0 <= p["d"] <= w / 2, f"d must be in [0, (high-low)/2], got {p['d']}")
                u = math.sqrt(w**2 / 12 + p["d"] ** 2 / 9)
            else:
                c = p["mode"]
                need(lo <= c <= hi, f"mode ({c}) must lie in [low, high]")
                x = (lo + c + hi) / 3
                u = math.sqrt((lo**2 + hi**2 + c**2 - lo * hi - lo * c - hi * c) / 18)
        elif kind == "t":
            nu = p["dof"]
            need(nu > 0, f"dof must be > 0, got {nu}")
            x = p["mean"]
            if "sd" in p:
                need(p["sd"] >= 0, f"sd must be ≥ 0, got {p['sd']}")
                need(nu > 2, f"a t distribution with sd needs dof > 2, got {nu}")
                u = p["sd"]
            else:
                need(p["scale"] >= 0, f"scale must be ≥ 0, got {p['scale']}")
                u = p["scale"]
            if not math.isfinite(dof):
                dof = nu
        elif kind == "exponential":
            need(p["mean"] > 0, f"mean must be > 0, got {p['mean']}")
            x, u = p["mean"], p["mean"]
        else:
            x, u = _moments(kind, p, need)
        return cls(name, kind, tuple(sorted(p.items())), x, u, dof)

    # ---------------------------------------------------------------------------- properties
    def param(self, key: str) -> float:
        """The parameter named ``key``."""
        return dict(self.params)[key]

    @property
    def t_scale(self) -> float:
        """Scale of a ``t`` distribution (the sd is converted: scale = sd·√((ν−2)/ν))."""
        p = dict(self.params)
        if "scale" in p:
            return p["scale"]
        nu = p["dof"]
        return p["sd"] * math.sqrt((nu - 2) / nu)

    @property
    def std(self) -> float:
        """Standard deviation of the distribution itself (∞ for a t with ν ≤ 2)."""
        if self.kind == "t":
            nu = self.param("dof")
            return self.t_scale * math.sqrt(nu / (nu - 2)) if nu > 2 else math.inf
        return self.u

    # ---------------------------------------------------------------------------- sampling
    def sample(self, rng: np.random.Generator, n: int) -> Array:
        """Draw ``n`` values (JCGM 101 §6.4, Annex C)."""
        p = dict(self.params)
        k = self.kind
        if k == "normal":
            out: Array = rng.standard_normal(n)
            out *= p["sd"]
            out += p["mean"]
            return out
        if k == "uniform":
            return rng.uniform(p["low"], p["high"], n)
        if k == "triangular":
            if p["low"] == p["mode"] == p["high"]:
                return np.full(n, p["low"])
            return rng.triangular(p["low"], p["mode"], p["high"], n)
        if k == "t":
            out = rng.standard_t(p["dof"], n)
            out *= self.t_scale
            out += p["mean"]
            return out
        if k == "exponential":
            return rng.exponential(p["mean"], n)
        if k == "gamma":
            shape, scale = _gamma(p)
            return rng.gamma(shape, scale, n)
        if k == "lognormal":
            mu, sigma = _lognormal(p)
            return rng.lognormal(mu, sigma, n)
        if k == "beta":
            lo, hi = p.get("low", 0.0), p.get("high", 1.0)
            out = rng.beta(p["alpha"], p["beta"], n)
            out *= hi - lo
            out += lo
            return out
        if k == "weibull":
            out = rng.weibull(p["shape"], n)
            out *= p["scale"]
            out += p.get("loc", 0.0)
            return out
        if k == "poisson":
            return rng.poisson(p["mean"], n).astype(np.float64)
        if k == "binomial":
            return rng.binomial(int(p["n"]), p["p"], n).astype(np.float64)
        if k == "empirical":  # bootstrap: resample the values with replacement
            return np.asarray(self.values, dtype=float)[rng.integers(0, len(self.values), n)]
        return self.ppf(rng.random(n)) if k != "ctrap" else self._ctrap(rng, n)

    def _ctrap(self, rng: np.random.Generator, n: int) -> Array:
        # JCGM 101 §6.4.3.4: semi-width a_s ~ R(w − d, w + d), then R(c − a_s, c + a_s)
        lo, hi, d = self.param("low"), self.param("high"), self.param("d")
        w = (hi - lo) / 2
        half: Array = rng.uniform(w - d, w + d, n)
        half *= rng.uniform(-1.0, 1.0, n)
        half += (lo + hi) / 2
        return half

    def ppf(self, q: Array) -> Array:
        """Inverse distribution function at probabilities ``q`` (used by the Gaussian copula)."""
        p = dict(self.params)
        k = self.kind
        if k == "normal":
            from scipy.special import ndtri

            return np.asarray(p["mean"] + p["sd"] * ndtri(q), dtype=float)
        if k == "t":
            from scipy.stats import t as student

            return np.asarray(p["mean"] + self.t_scale * student.ppf(q, p["dof"]), dtype=float)
        if k == "exponential":
            return np.asarray(-p["mean"] * np.log1p(-q), dtype=float)
        if k == "gamma":
            from scipy.special import gammaincinv

            shape, scale = _gamma(p)
            return np.asarray(gammaincinv(shape, q) * scale, dtype=float)
        if k in _OTHER_PPF:
            return _OTHER_PPF[k](self, p, q)
        lo, hi = p["low"], p["high"]
        w = hi - lo
        if k == "uniform":
            return np.asarray(lo + w * q, dtype=float)
        if k == "arcsine":
            # JCGM 101 §6.4.6: G(ξ) = ½ + arcsin(2(ξ−c)/w)/π  ⇒  ξ = c + (w/2)·sin(π(q − ½))
            return np.asarray((lo + hi) / 2 + w / 2 * np.sin(np.pi * (q - 0.5)), dtype=float)
        if k == "triangular":
            c = p["mode"]
            fc = (c - lo) / w
            left = lo + np.sqrt(q * w * (c - lo))
            right = hi - np.sqrt((1 - q) * w * (hi - c))
            return np.asarray(np.where(q < fc, left, right), dtype=float)
        if k == "trapezoid":
            from scipy.stats import trapezoid

            b = p["beta"]
            return np.asarray(trapezoid.ppf(q, (1 - b) / 2, (1 + b) / 2, loc=lo, scale=w), dtype=float)
        # ctrap: invert its distribution function tabulated from the density of JCGM 101 §6.4.3.2
        d = p["d"]
        if d == 0:
            return np.asarray(lo + w * q, dtype=float)
        half = w / 2
        grid = np.linspace(-(half + d), half + d, 8193)
        mag = np.maximum(np.abs(grid), half - d)
        dens = np.log((half + d) / np.maximum(mag, 1e-300)) / (4 * d)
        cdf = np.concatenate(([0.0], np.cumsum((dens[1:] + dens[:-1]) / 2 * np.diff(grid))))
        cdf /= cdf[-1]
        return np.asarray((lo + hi) / 2 + np.interp(q, cdf, grid), dtype=float)

    def as_dict(self) -> dict[str, Any]:
        """The distribution as a model-file entry (data inputs become their t distribution)."""
        if self.kind == "empirical":
            return {"dist": "empirical", "sample": list(self.values)}
        return {"dist": self.kind, **dict(self.params)}


def _gamma(p: Mapping[str, float]) -> tuple[float, float]:
    if "shape" in p:
        return p["shape"], p["scale"]
    return (p["mean"] / p["sd"]) ** 2, p["sd"] ** 2 / p["mean"]


def _lognormal(p: Mapping[str, float]) -> tuple[float, float]:
    """(μ, σ) of ln X; from the mean and sd of X: σ² = ln(1 + (sd/mean)²), μ = ln mean − σ²/2."""
    if "mu" in p:
        return p["mu"], p["sigma"]
    s2 = math.log1p((p["sd"] / p["mean"]) ** 2)
    return math.log(p["mean"]) - s2 / 2, math.sqrt(s2)


def _truncnormal(p: Mapping[str, float]) -> tuple[float, float]:
    """Standardised bounds (a, b) of a truncated normal."""
    return (p["low"] - p["mean"]) / p["sd"], (p["high"] - p["mean"]) / p["sd"]


def _moments(kind: str, p: Mapping[str, float], need: Callable[[bool, str], None]) -> tuple[float, float]:
    """Check the parameters of the distributions added in model schema 1.1; give mean and sd."""
    positive = {
        "gamma": ("mean", "sd", "shape", "scale"),
        "lognormal": ("mean", "sd", "sigma"),
        "beta": ("alpha", "beta"),
        "weibull": ("shape", "scale"),
        "truncnormal": ("sd",),
        "poisson": ("mean",),
    }.get(kind, ())
    for key in positive:
        if key in p:
            need(p[key] > 0, f"{key} must be > 0, got {p[key]}")
    if "low" in p and "high" in p:
        need(p["high"] > p["low"], f"high ({p['high']}) must be greater than low ({p['low']})")
    if kind == "gamma":
        shape, scale = _gamma(p)
        return shape * scale, math.sqrt(shape) * scale
    if kind == "lognormal":
        mu, sigma = _lognormal(p)
        need(sigma < 20, f"sigma must be < 20, got {sigma}")
        mean = math.exp(mu + sigma**2 / 2)
        return mean, mean * math.sqrt(math.expm1(sigma**2))
    if kind == "beta":
        a, b = p["alpha"], p["beta"]
        w = p.get("high", 1.0) - p.get("low", 0.0)
        return p.get("low", 0.0) + w * a / (a + b), w * math.sqrt(a * b / (a + b + 1)) / (a + b)
    if kind == "weibull":
        k, lam = p["shape"], p["scale"]
        g1, g2 = math.gamma(1 + 1 / k), math.gamma(1 + 2 / k)
        return p.get("loc", 0.0) + lam * g1, lam * math.sqrt(max(g2 - g1 * g1, 0.0))
    if kind == "truncnormal":
        from scipy.stats import truncnorm

        a, b = _truncnormal(p)
        mean, var = (float(v) for v in truncnorm.stats(a, b, loc=p["mean"], scale=p["sd"], moments="mv"))
        need(math.isfinite(mean) and math.isfinite(var) and var > 0, "[low, high] holds no probability")
        return mean, math.sqrt(var)
    if kind == "poisson":
        return p["mean"], math.sqrt(p["mean"])
    # binomial
    n, prob = p["n"], p["p"]
    need(
        n.is_integer() and 1 <= n <= MAX_BINOMIAL_N, f"n must be an integer in [1, {MAX_BINOMIAL_N}], got {n}"
    )
    need(0 <= prob <= 1, f"p must be in [0, 1], got {prob}")
    return n * prob, math.sqrt(n * prob * (1 - prob))


def _ppf_lognormal(d: Distribution, p: Mapping[str, float], q: Array) -> Array:
    from scipy.special import ndtri

    mu, sigma = _lognormal(p)
    return np.asarray(np.exp(mu + sigma * ndtri(q)), dtype=float)


def _ppf_beta(d: Distribution, p: Mapping[str, float], q: Array) -> Array:
    from scipy.special import betaincinv

    lo, hi = p.get("low", 0.0), p.get("high", 1.0)
    return np.asarray(lo + (hi - lo) * betaincinv(p["alpha"], p["beta"], q), dtype=float)


def _ppf_weibull(d: Distribution, p: Mapping[str, float], q: Array) -> Array:
    return np.asarray(p.get("loc", 0.0) + p["scale"] * (-np.log1p(-q)) ** (1 / p["shape"]), dtype=float)


def _ppf_truncnormal(d: Distribution, p: Mapping[str, float], q: Array) -> Array:
    from scipy.stats import truncnorm

    a, b = _truncnormal(p)
    return np.asarray(truncnorm.ppf(q, a, b, loc=p["mean"], scale=p["sd"]), dtype=float)


def _ppf_poisson(d: Distribution, p: Mapping[str, float], q: Array) -> Array:
    from scipy.stats import poisson

    return np.asarray(poisson.ppf(q, p["mean"]), dtype=float)


def _ppf_binomial(d: Distribution, p: Mapping[str, float], q: Array) -> Array:
    from scipy.stats import binom

    return np.asarray(binom.ppf(q, int(p["n"]), p["p"]), dtype=float)


def _ppf_empirical(d: Distribution, p: Mapping[str, float], q: Array) -> Array:
    return np.asarray(np.quantile(np.asarray(d.values), q, method="inverted_cdf"), dtype=float)


_OTHER_PPF: Mapping[str, Callable[[Distribution, Mapping[str, float], Array], Array]] = {
    "lognormal": _ppf_lognormal,
    "beta": _ppf_beta,
    "weibull": _ppf_weibull,
    "truncnormal": _ppf_truncnormal,
    "poisson": _ppf_poisson,
    "binomial": _ppf_binomial,
    "empirical": _ppf_empirical,
}
