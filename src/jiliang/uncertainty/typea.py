"""Type A evaluations (JCGM 100:2008 §4.2) and the straight-line calibration of GUM Annex H.3."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from jiliang.uncertainty.errors import UncertaintyModelError

__all__ = ["StraightLine", "TypeA", "straight_line_fit", "type_a"]


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
