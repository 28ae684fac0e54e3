"""Regime tests on a fitted area balance: under-registration that changes with the time of day,
the load or the date (bypass, tampering, a step in a meter's error).

A meter whose registered share ``1/θ`` is steady is what the balance estimates (out of accuracy or
not). Theft makes ``θ`` change: a night bypass registers little from 22:00 to 06:00, a tampered
meter registers less from the day of the tampering on, a bypass that trips with the current
registers less at high load. For every estimated meter ``j`` and every split of the periods into
regimes ``S_1 … S_G`` the columns ``z_g = y_j·1[S_g]`` are tested against the fitted model with
the score (Lagrange multiplier) statistic

``T = gᵀ V⁺ g / σ²``,  ``g = Zᵀ W e``,  ``V = ZᵀWZ − ZᵀWX (XᵀWX + Λ)⁻¹ XᵀWZ``,

with ``e`` the residuals and ``σ²`` the noise variance of the fit; under a steady ``θ`` it follows
χ² with ``rank V`` degrees of freedom (Engle 1984, *Handbook of Econometrics* II ch. 13). The
splits: the hour of the day (24 regimes), the load (the meter's own rate above or below its
median) and a change of date (the split day scanned over the period, then refined to the
interval; the threshold Bonferroni-corrected for the scan). The meter with the smallest p-value
below ``alpha`` is modelled per regime and the area refitted, then the others are tested again,
so one thief's residual does not make its neighbours look like thieves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["RegimeSplit", "best_split"]


@dataclass(frozen=True, slots=True, eq=False)
class RegimeSplit:
    """A meter's periods split into regimes: ``masks[g]`` for regime ``g ≥ 1`` (regime 0 is the
    rest); ``labels`` name every regime; the test that found it and its statistic."""

    row: int  # the meter's row among the user meters of the balance
    test: str  # "time_of_day", "change_point" or "load"
    statistic: float
    dof: int
    threshold: float
    log10_p: float
    masks: tuple[NDArray[np.bool_], ...]
    labels: tuple[str, ...]
    window: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, eq=False)
class FitView:
    """What the scan needs of a fit: design, residuals, weights, kept periods, ``(XᵀWX+Λ)⁻¹``."""

    X: NDArray[np.float64]
    resid: NDArray[np.float64]
    w: NDArray[np.float64]
    mask: NDArray[np.bool_]
    inv: NDArray[np.float64]
    sigma2: float


def _score(
    fv: FitView, x: NDArray[np.float64], onehot: NDArray[np.float64]
) -> tuple[float, int, NDArray[np.float64], NDArray[np.float64]]:
    """Score statistic of the columns ``x·onehot[g]`` (groups × periods); the degrees of freedom."""
    xw = np.where(fv.mask, fv.w * x, 0.0)
    G = onehot @ (fv.X * xw[:, None])  # groups × parameters
    g = onehot @ (xw * fv.resid)
    V = np.diag(onehot @ (xw * x)) - G @ fv.inv @ G.T
    vals, vecs = np.linalg.eigh(V)
    keep = vals > 1e-9 * max(float(vals.max()), 1e-300)
    proj = vecs[:, keep].T @ g
    stat = float(np.sum(proj * proj / vals[keep])) / fv.sigma2
    return stat, int(keep.sum()), G, g


def _chi2_log10_sf(stat: float, dof: int) -> float:
    """log₁₀ of the χ² survival function, floored at −300 (beyond, every test is decisive)."""
    from scipy.special import chdtrc

    return math.log10(max(float(chdtrc(dof, stat)), 1e-300))


def _chi2_isf(alpha: float, dof: int) -> float:
    from scipy.special import chdtri

    return float(chdtri(dof, alpha))


def _time_of_day(
    fv: FitView, x: NDArray[np.float64], hour: NDArray[np.int64], alpha: float
) -> tuple[float, float, int, float, tuple[NDArray[np.bool_], ...], tuple[str, ...]] | None:
    """24 hourly regimes (UTC hours of the period end)."""
    onehot = (hour[None, :] == np.arange(24)[:, None]).astype(np.float64)
    if (onehot @ np.where(fv.mask, x, 0.0) <= 0).sum() > 12:
        return None
    stat, dof, _, _ = _score(fv, x, onehot)
    if dof < 1:
        return None
    masks = tuple(hour == h for h in range(1, 24))
    labels = tuple(f"{h:02d}:00" for h in range(24))
    return stat, _chi2_log10_sf(stat, dof), dof, _chi2_isf(alpha, dof), masks, labels


def _load(
    fv: FitView, x: NDArray[np.float64], m_len: NDArray[np.float64], alpha: float
) -> tuple[float, float, int, float, tuple[NDArray[np.bool_], ...], tuple[str, ...]] | None:
    """Two regimes: the meter's rate above or below its median (a bypass that trips with load)."""
    rate = x / m_len
    used = fv.mask & (x > 0)
    if used.sum() < 20:
        return None
    high = rate > float(np.median(rate[used]))
    stat, _dof, _, _ = _score(fv, x, high[None, :].astype(np.float64))
    return stat, _chi2_log10_sf(stat, 1), 1, _chi2_isf(alpha, 1), (high,), ("low load", "high load")


def _change_point(
    fv: FitView, x: NDArray[np.float64], day: NDArray[np.int64], alpha: float
) -> tuple[float, float, int, float, int] | None:
    """A change of ``θ`` from some period on: the split day scanned, then refined to the period
    around it, each regime keeping at least 5 % of the days (a regime of a period or two is not a
    credible change: with a year of daily data a steady thief's first day alone came out as a
    regime "registering 100 %"). Returns the statistic, log10 p, dof, threshold and the first
    period of the new regime."""
    n_days = int(day.max()) + 1 if len(day) else 0
    if n_days < 4:
        return None
    edge = max(1, math.ceil(0.05 * n_days))
    candidates = [int(np.searchsorted(day, d)) for d in range(edge, n_days - edge + 1)]
    sums = _suffix_sums(fv, x)
    idx = _scan(sums, fv.inv, candidates)
    best = candidates[idx]
    lo = candidates[idx - 1] if idx > 0 else candidates[0]
    hi = candidates[idx + 1] if idx + 1 < len(candidates) else candidates[-1]
    fine = list(range(max(lo, 1), max(hi, lo + 1)))
    best = fine[_scan(sums, fv.inv, fine)] if fine else best
    after = (np.arange(len(day)) >= best).astype(np.float64)[None, :]
    stat, _, _, _ = _score(fv, x, after)
    n_tests = len(candidates) + len(fine)
    return stat, _chi2_log10_sf(stat, 1) + float(np.log10(n_tests)), 1, _chi2_isf(alpha / n_tests, 1), best


def _suffix_sums(
    fv: FitView, x: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """For every period ``s`` (in time order) the sums over ``t ≥ s`` that score the one-column
    split ``x·1[t ≥ s]``: ``Σ xw·X`` (a row of parameters), ``Σ xw·e`` and ``Σ xw·x``."""
    xw = np.where(fv.mask, fv.w * x, 0.0)
    suffix = np.cumsum((fv.X * xw[:, None])[::-1], axis=0)[::-1]
    g_suf = np.cumsum((xw * fv.resid)[::-1])[::-1]
    zz_suf = np.cumsum((xw * x)[::-1])[::-1]
    return suffix, g_suf, zz_suf


def _scan(
    sums: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]],
    inv: NDArray[np.float64],
    starts: list[int],
) -> int:
    """Index of the start whose one-column split scores highest (every candidate costs
    O(parameters²) from the suffix sums)."""
    suffix, g_suf, zz_suf = sums
    s = np.asarray(starts)
    G = suffix[s]
    v = zz_suf[s] - np.sum((G @ inv) * G, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = np.where(v > 0, g_suf[s] ** 2 / v, 0.0)
    return int(np.argmax(stat))


def _screen(
    fv: FitView,
    columns: dict[int, NDArray[np.float64]],
    m_len: NDArray[np.float64],
    hour: NDArray[np.int64] | None,
    day: NDArray[np.int64],
) -> NDArray[np.float64]:
    """A quick statistic per meter (the largest of the three tests, projecting out only the
    meter's own column), to choose which meters get the full tests."""
    Xc = np.stack(list(columns.values()), axis=1)  # periods × meters
    xw = np.where(fv.mask[:, None], fv.w[:, None] * Xc, 0.0)
    ge, gz = xw * fv.resid[:, None], xw * Xc
    tot_g, tot_z = ge.sum(axis=0), np.maximum(gz.sum(axis=0), 1e-300)

    def grouped(onehot: NDArray[np.float64]) -> NDArray[np.float64]:
        g, z = onehot @ ge, np.maximum(onehot @ gz, 1e-300)
        return np.asarray((g * g / z).sum(axis=0) - tot_g**2 / tot_z)

    best = np.zeros(Xc.shape[1])
    if hour is not None:
        best = np.maximum(best, grouped((hour[None, :] == np.arange(24)[:, None]).astype(np.float64)) / 23.0)
    rate = Xc / m_len[:, None]
    med = np.median(np.where(Xc > 0, rate, np.nan), axis=0)
    high = rate > med[None, :]
    g, z = (ge * high).sum(axis=0), (gz * high).sum(axis=0)
    best = np.maximum(best, g * g / np.maximum(z - z * z / tot_z, 1e-300))
    n_days = int(day.max()) + 1 if len(day) else 0
    if n_days >= 4:
        onehot = (day[None, :] == np.arange(n_days)[:, None]).astype(np.float64)
        gs = np.cumsum((onehot @ ge)[::-1], axis=0)[::-1][1:]
        zs = np.cumsum((onehot @ gz)[::-1], axis=0)[::-1][1:]
        v = np.maximum(zs - zs * zs / tot_z, 1e-300)
        best = np.maximum(best, (gs * gs / v).max(axis=0) / 3.0)
    out: NDArray[np.float64] = best / fv.sigma2
    return out


def best_split(
    fv: FitView,
    columns: dict[int, NDArray[np.float64]],
    m_len: NDArray[np.float64],
    hour: NDArray[np.int64] | None,
    day: NDArray[np.int64],
    day_label: Any,
    alpha: float,
    candidates: int = 3,
) -> RegimeSplit | None:
    """The most significant regime split over the meters (``columns``: row → its energies per
    period, zero outside its own column), or ``None`` when none passes its threshold. The full
    tests run on the ``candidates`` meters with the largest quick statistic."""
    if not columns:
        return None
    quick = _screen(fv, columns, m_len, hour, day)
    rows = list(columns)
    best: RegimeSplit | None = None
    for k in np.argsort(-quick)[:candidates].tolist():
        row = rows[k]
        x = columns[row]
        found: list[RegimeSplit] = []
        if hour is not None:
            t = _time_of_day(fv, x, hour, alpha)
            if t and t[0] > t[3]:
                found.append(RegimeSplit(row, "time_of_day", t[0], t[2], t[3], t[1], t[4], t[5]))
        ld = _load(fv, x, m_len, alpha)
        if ld and ld[0] > ld[3]:
            found.append(RegimeSplit(row, "load", ld[0], ld[2], ld[3], ld[1], ld[4], ld[5]))
        cp = _change_point(fv, x, day, alpha)
        if cp and cp[0] > cp[3]:
            after = np.arange(len(day)) >= cp[4]
            window = {"from": day_label(cp[4])}
            found.append(
                RegimeSplit(
                    row, "change_point", cp[0], cp[2], cp[3], cp[1], (after,), ("before", "after"), window
                )
            )
        for f in found:
            if best is None or (f.log10_p, -f.statistic / f.dof) < (best.log10_p, -best.statistic / best.dof):
                best = f
    return best
