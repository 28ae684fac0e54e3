"""Type A evaluations (JCGM 100:2008 §4.2) and the straight-line calibration of GUM Annex H.3."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from jiliang.uncertainty.errors import UncertaintyModelError

__all__ = ["Anova", "StraightLine", "TypeA", "anova", "anova_from_summary", "straight_line_fit", "type_a"]


@dataclass(frozen=True, slots=True)
class TypeA:
    """x̄, s(x_k), u = s(x̄) = s/√n and ν = n − 1 of n observations (GUM §4.2.1–4.2.3)."""

    x: float
    s: float
    u: float
    dof: int
    n: int


@dataclass(frozen=True, slots=True)
class StraightLine:
    """Least-squares line b = y1 + y2 (t − t0) (GUM H.3): estimates, u, r(y1, y2), s, ν = n − 2."""

    y1: float
    y2: float
    u_y1: float
    u_y2: float
    r: float
    s: float
    dof: int
    t0: float


def _values(name: str, data: Sequence[float], least: int) -> np.ndarray:
    arr = np.asarray(data, dtype=float)
    if arr.ndim != 1 or arr.size < least or not np.isfinite(arr).all():
        raise UncertaintyModelError(f"{name}: need at least {least} finite observations, got {arr.size}")
    return arr


def type_a(data: Sequence[float]) -> TypeA:
    """Type A evaluation of repeated observations (JCGM 100:2008 §4.2).

    >>> r = type_a([1.0, 2.0, 3.0])
    >>> r.x, r.s, r.dof
    (2.0, 1.0, 2)
    """
    x = _values("data", data, 2)
    s = float(x.std(ddof=1))
    return TypeA(float(x.mean()), s, s / math.sqrt(x.size), x.size - 1, x.size)


def straight_line_fit(t: Sequence[float], b: Sequence[float], t0: float = 0.0) -> StraightLine:
    """Fit b = y1 + y2 (t − t0) by least squares (JCGM 100:2008 H.3.2, equations H.13–H.15)."""
    tt = _values("t", t, 3)
    bb = _values("b", b, 3)
    if tt.size != bb.size:
        raise UncertaintyModelError(f"t and b differ in length ({tt.size} and {bb.size})")
    th = tt - t0
    n = tt.size
    d = n * float(th @ th) - float(th.sum()) ** 2
    if not d > 0:
        raise UncertaintyModelError("t: all values are equal; no line can be fitted")
    y1 = (float(bb.sum()) * float(th @ th) - float(th.sum()) * float(bb @ th)) / d
    y2 = (n * float(bb @ th) - float(th.sum()) * float(bb.sum())) / d
    resid = bb - (y1 + y2 * th)
    s2 = float(resid @ resid) / (n - 2)
    u1 = math.sqrt(s2 * float(th @ th) / d)
    u2 = math.sqrt(s2 * n / d)
    r = -float(th.sum()) / math.sqrt(n * float(th @ th))
    return StraightLine(y1, y2, u1, u2, r, math.sqrt(s2), n - 2, t0)


@dataclass(frozen=True, slots=True)
class Anova:
    """One-way analysis of variance of K groups (days) of observations (GUM H.5).

    ``x`` the mean of the K group means; ``s_means`` = s(x̄_k), their experimental standard
    deviation (ν = K − 1); ``s_w`` the pooled within-group standard deviation (ν_w = N − K);
    ``s_b`` the between-group component √max(s²(x̄_k) − s_w²/J̄, 0) (J̄ the mean group size);
    ``F`` = MS_between / MS_within; ``u`` = s(x̄_k)/√K with ``dof`` = K − 1, the standard
    uncertainty of x when the groups differ (GUM H.5.3.2).
    """

    x: float
    s_means: float
    s_w: float
    dof_w: int
    s_b: float
    F: float
    u: float
    dof: int
    k: int
    n: int


def anova(groups: Sequence[Sequence[float]]) -> Anova:
    """:class:`Anova` of observations grouped by day (or operator, run …).

    >>> a = anova([[1.0, 2.0, 3.0], [2.0, 3.0, 4.0], [4.0, 5.0, 6.0]])
    >>> round(a.x, 6), a.dof, round(a.s_w, 6), round(a.F, 3)
    (3.333333, 2, 1.0, 7.0)
    """
    if len(groups) < 2:
        raise UncertaintyModelError("anova: give at least two groups of observations")
    arrays = [np.asarray(g, dtype=float) for g in groups]
    for k, a in enumerate(arrays):
        if a.ndim != 1 or a.size < 2 or not np.isfinite(a).all():
            raise UncertaintyModelError(f"anova: group {k} needs at least two finite observations")
    means = [float(a.mean()) for a in arrays]
    sds = [float(a.std(ddof=1)) for a in arrays]
    return anova_from_summary(means, sds, [int(a.size) for a in arrays])


def anova_from_summary(means: Sequence[float], sds: Sequence[float], counts: Sequence[int]) -> Anova:
    """:class:`Anova` from each group's mean, standard deviation and number of observations (the
    way GUM Table H.9 reports its ten days)."""
    k = len(means)
    if k < 2 or len(sds) != k or len(counts) != k:
        raise UncertaintyModelError("anova: means, sds and n must give at least two groups alike")
    if any(n < 2 for n in counts) or any(not s >= 0 for s in sds):
        raise UncertaintyModelError("anova: each group needs n ≥ 2 and sd ≥ 0")
    n = int(sum(counts))
    x = math.fsum(means) / k
    s_means = math.sqrt(math.fsum((m - x) ** 2 for m in means) / (k - 1))
    dof_w = n - k
    ms_w = math.fsum((c - 1) * s * s for c, s in zip(counts, sds, strict=True)) / dof_w
    grand = math.fsum(c * m for c, m in zip(counts, means, strict=True)) / n
    ms_b = math.fsum(c * (m - grand) ** 2 for c, m in zip(counts, means, strict=True)) / (k - 1)
    j = n / k
    s_b = math.sqrt(max(s_means**2 - ms_w / j, 0.0))
    f = ms_b / ms_w if ms_w > 0 else math.inf
    return Anova(x, s_means, math.sqrt(ms_w), dof_w, s_b, f, s_means / math.sqrt(k), k - 1, k, n)
