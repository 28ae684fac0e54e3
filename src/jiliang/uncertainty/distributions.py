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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from jiliang.uncertainty.errors import UncertaintyModelError

__all__ = ["KINDS", "MAX_OBSERVATIONS", "Distribution"]

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
    "gamma": (frozenset({"mean", "sd"}),),
}
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
        kind = spec.get("dist")
        if not isinstance(kind, str) or kind not in KINDS:
            raise UncertaintyModelError(
                f"input {name!r}: unknown distribution {kind!r}; known: {', '.join(KINDS)}"
            )
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
        else:  # gamma
            need(p["mean"] > 0, f"mean must be > 0, got {p['mean']}")
            need(p["sd"] > 0, f"sd must be > 0, got {p['sd']}")
            x, u = p["mean"], p["sd"]
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
            shape = (p["mean"] / p["sd"]) ** 2
            return rng.gamma(shape, p["sd"] ** 2 / p["mean"], n)
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

            shape = (p["mean"] / p["sd"]) ** 2
            return np.asarray(gammaincinv(shape, q) * p["sd"] ** 2 / p["mean"], dtype=float)
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
        return {"dist": self.kind, **dict(self.params)}
