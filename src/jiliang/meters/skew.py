"""Clock offsets of the user meters, estimated from the energy balance itself.

A meter whose clock is ``δ`` intervals ahead reads its register a little after the grid point:
the read at point k is ``R(k) + δ·ṙ(k)`` to first order (``ṙ`` the energy per interval at that
moment), so the energy of a period ``[s, e]`` it reports is off by ``δ·(ṙ(e) − ṙ(s))``. Over a
day that difference follows the load's ramps (it rises with the morning load and falls with the
evening's): unmodelled, it is residual noise with a time-of-day pattern that leaks into the
errors and into the theft tests. ``ṙ`` is known to first order from the meter's own reads
(``(R(k+1) − R(k−1))/2``), so each offset is one more unknown of the balance with a regressor
that needs no other input.

Only offsets relative to the master's clock are identifiable (a clock offset shared by every
meter of the area shifts both sides of the balance alike), so the user meters are moved to the
master's clock. The augmented fit is weighed against the plain one with an F test on the data
whitened for the register rounding (whose differenced noise correlates neighbouring periods,
which would make a test on weighted least squares too liberal); only when the offsets improve
the fit significantly are the meters' energies corrected, so an area without skew is estimated
exactly as before.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True, slots=True)
class OffsetTest:
    """The F tests of the common term ``κ`` and of the offsets, and each meter's offset from the
    master's clock (intervals) with its standard uncertainty (see :func:`offset_test`)."""

    log10_p_kappa: float
    log10_p_offsets: float
    f_offsets: tuple[float, int, int]  # F and its degrees of freedom
    offsets: NDArray[np.float64]
    u_offsets: NDArray[np.float64]
    kappa: float


@dataclass(frozen=True, slots=True)
class Clocks:
    """Offsets (intervals) from the mean user clock: the master's, and per meter the posterior
    mean of ``δ`` and of ``|δ|`` under a normal prior of the spread ``τ`` the meters show."""

    master: float
    mean: NDArray[np.float64]
    mean_abs: NDArray[np.float64]
    tau: float


def point_rates(
    R: NDArray[np.float64], present: NDArray[np.bool_]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Energy per interval just after and just before every grid point (the interval that a
    clock ahead, resp. behind, reads into), each falling back to the other side where that
    neighbour was not read, 0 where neither was."""
    Rz = np.where(present, R, 0.0)
    fwd = np.zeros_like(Rz)
    fwd[:, :-1] = Rz[:, 1:] - Rz[:, :-1]
    has_fwd = np.zeros_like(present)
    has_fwd[:, :-1] = present[:, 1:] & present[:, :-1]
    fwd[~has_fwd] = 0.0
    bwd = np.zeros_like(Rz)
    bwd[:, 1:] = fwd[:, :-1]
    has_bwd = np.zeros_like(present)
    has_bwd[:, 1:] = has_fwd[:, :-1]
    after: NDArray[np.float64] = np.where(has_fwd, fwd, bwd)
    before: NDArray[np.float64] = np.where(has_bwd, bwd, fwd)
    return after, before


def offset_columns(
    rates: NDArray[np.float64], p_start: NDArray[np.int64], p_end: NDArray[np.int64]
) -> NDArray[np.float64]:
    """Meters × periods: what a clock one interval off adds to each period's energy."""
    out: NDArray[np.float64] = rates[:, p_end] - rates[:, p_start]
    return out


def _whitener(
    resid: NDArray[np.float64], m: NDArray[np.float64], contig: NDArray[np.bool_]
) -> NDArray[np.float64]:
    """Banded Cholesky factor of the covariance ``m + 2ρ`` / ``−ρ`` (neighbours) that the register
    rounding gives the periods, ρ from the residuals' lag-0 and lag-1 moments; without a
    measurable rounding term, the diagonal ``m`` alone (weighted least squares)."""
    from scipy.linalg import cholesky_banded

    q2 = max(-float(np.mean(resid[:-1][contig] * resid[1:][contig])), 0.0) if contig.any() else 0.0
    s2 = max(float(np.mean((resid * resid - 2.0 * q2) / m)), 0.05 * q2, 1e-18)
    rho = q2 / s2 if q2 / s2 >= 0.05 else 0.0
    ab = np.zeros((2, len(m)))
    ab[0] = m + 2.0 * rho
    ab[1, :-1] = np.where(contig, -rho, 0.0)
    cb: NDArray[np.float64] = cholesky_banded(ab, lower=True)
    return cb


def offset_test(
    X: NDArray[np.float64],
    r: NDArray[np.float64],
    m: NDArray[np.float64],
    C_after: NDArray[np.float64],
    C_before: NDArray[np.float64],
    contig: NDArray[np.bool_],
    outlier_z: float,
) -> OffsetTest | None:
    """F tests of the offset columns added to the balance design ``X``, and the offsets.

    ``r`` is the balance residual ``y0 − Σy``, ``m`` the period lengths, ``contig`` whether each
    period starts where the previous one ends; ``C_after``/``C_before`` (periods × meters) the
    offset columns from the intervals after/before the grid points. A clock ``δ`` ahead reads into
    the interval after the point, one behind into the one before (exact for a load constant over
    an interval): the error is ``δ·c + |δ|·d/2`` with ``c`` their mean (the first-order rate) and
    ``d`` their difference. ``c`` is nearly orthogonal to the meter's energy, ``d`` is not: a meter's
    own ``|δ|`` is confounded with its error (it biases θ), and only the mean ``κ`` of ``|δ|/2``
    over the meters (less the master's) is determined, by one column ``Σd``, tested first; the
    ``c`` columns are tested given it. The offsets are shrunk toward 0 by ``τ²/(τ² + u²)`` (τ² their
    spread beyond the noise). ``None`` when too few periods remain."""
    n = C_after.shape[1]
    prepared = _whitened(X, r, m, contig, outlier_z, n + 1)
    if prepared is None:
        return None
    idx, white = prepared
    p = X.shape[1]
    d = (C_after - C_before).sum(axis=1, keepdims=True)
    A = white(np.hstack([X, d, 0.5 * (C_after + C_before)])[idx])
    fits, inv_diag = _nested_fits(A, white(r[idx]), (p, p + 1, p + 1 + n))
    (_, rss0, p0), (_, rss1, p1), (beta, rss2, p2) = fits
    dof = len(idx) - p2
    if dof <= 0 or rss2 <= 0:
        return None
    sigma2 = rss2 / dof
    _, lp_kappa = _f_test(rss0 - rss1, p1 - p0, sigma2, dof)
    f_c, lp_c = _f_test(rss1 - rss2, p2 - p1, sigma2, dof)
    delta = -beta[p + 1 :]  # the coefficients are minus the offsets
    u = np.sqrt(np.maximum(inv_diag[p + 1 :] * sigma2, 0.0))
    return OffsetTest(lp_kappa, lp_c, (f_c, p2 - p1, dof), delta, u, -float(beta[p]))


def clocks(offsets: NDArray[np.float64], u: NDArray[np.float64], kappa: float) -> Clocks:
    """The clocks on the nominal grid, taking the user clocks as right on average.

    The master is off by minus the meters' precision-weighted mean offset from it. The spread of
    the meters' clocks follows from the common term: ``E|δ| = 2κ + |δ_master| = τ·√(2/π)``
    (pooled over the meters, so far better determined than each offset). Each offset is shrunk
    toward the mean by ``τ²/(τ² + u²)``, ``u`` scaled up when the offsets scatter more than
    ``τ² + u²`` says, so a poorly determined offset corrects little; ``|δ|`` (which biases a
    meter's error, see :func:`offset_test`) is the folded-normal mean of that posterior."""
    from scipy.special import ndtr

    w = 1.0 / np.maximum(u * u, 1e-300)
    centre = float(np.sum(w * offsets) / np.sum(w))
    dev = offsets - centre
    tau = max(2.0 * kappa + abs(centre), 0.0) * math.sqrt(math.pi / 2.0)
    scale = max((float(np.mean(dev * dev)) - tau * tau) / max(float(np.mean(u * u)), 1e-300), 1.0)
    u2 = u * u * scale
    k = tau * tau / (tau * tau + u2 + 1e-300)
    mu, sd = dev * k, np.sqrt(u2 * k)
    z = np.where(sd > 0, mu / np.maximum(sd, 1e-300), 0.0)
    mean_abs = sd * np.sqrt(2.0 / np.pi) * np.exp(-0.5 * z * z) + mu * (1.0 - 2.0 * ndtr(-z))
    return Clocks(-centre, mu, np.where(sd > 0, mean_abs, np.abs(mu)), tau)


def _f_test(drss: float, q: int, sigma2: float, dof: int) -> tuple[float, float]:
    """F statistic of ``q`` columns that lower the residual sum of squares by ``drss``, and its
    log10 p-value, floored at −300 (beyond, every test is decisive)."""
    from scipy.special import fdtrc

    if q <= 0:
        return 0.0, 0.0
    f_stat = max(drss / q / sigma2, 0.0)
    return f_stat, math.log10(max(float(fdtrc(q, dof, f_stat)), 1e-300))


def _scaled_gram(
    A: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """``DAᵀAD`` with unit columns (a zero column pinned to 1 on the diagonal), ``D``, and which
    columns are not zero."""
    norms = np.sqrt((A * A).sum(axis=0))
    live = norms > 0
    D = np.where(live, 1.0 / np.where(live, norms, 1.0), 0.0)
    As = A * D
    G = As.T @ As
    G[np.diag_indices_from(G)] += np.where(live, 1e-10, 1.0)
    return G, D, live


def _nested_fits(
    A: NDArray[np.float64], y: NDArray[np.float64], ends: tuple[int, ...], inverse: bool = True
) -> tuple[list[tuple[NDArray[np.float64], float, int]], NDArray[np.float64]]:
    """Least squares of ``y`` on the leading ``k`` columns of ``A`` for each ``k`` of ``ends``:
    coefficients, residual sum of squares and the number of non-zero columns; and (``inverse``)
    the diagonal of ``(AᵀA)⁻¹`` over the last model's columns. One Cholesky factor ``L`` of the
    Gram matrix serves every model: its leading block is the factor of the leading columns, and
    with ``z = L⁻¹Aᵀy`` the sum of squares a column adds to the fit is ``z_i²``."""
    from scipy.linalg import cholesky, solve_triangular

    k_max = ends[-1]
    G, D, live = _scaled_gram(A[:, :k_max])
    L = cholesky(G, lower=True)
    z = solve_triangular(L, (A[:, :k_max] * D).T @ y, lower=True)
    total = float(y @ y)
    out = []
    for k in ends:
        beta = solve_triangular(L[:k, :k].T, z[:k], lower=False) * D[:k]
        out.append((beta, max(total - float(z[:k] @ z[:k]), 0.0), int(live[:k].sum())))
    if not inverse:
        return out, np.zeros(0)
    L_inv = solve_triangular(L, np.eye(k_max), lower=True)
    inv_diag: NDArray[np.float64] = (L_inv * L_inv).sum(axis=0) * D * D
    return out, inv_diag


def _whitened(
    X: NDArray[np.float64],
    r: NDArray[np.float64],
    m: NDArray[np.float64],
    contig: NDArray[np.bool_],
    outlier_z: float,
    n_extra: int,
) -> tuple[NDArray[np.int64], Callable[[NDArray[np.float64]], NDArray[np.float64]]] | None:
    """The periods kept by the plain weighted fit (within ``outlier_z``) and the whitening of
    their rounding covariance, or ``None`` when too few are left for ``n_extra`` more columns."""
    from scipy.linalg.lapack import dtbtrs

    sw = 1.0 / np.sqrt(m)
    ((beta0, _, _),), _ = _nested_fits(X * sw[:, None], r * sw, (X.shape[1],), inverse=False)
    z = (r - X @ beta0) * sw
    keep = np.abs(z) <= outlier_z * math.sqrt(max(float(np.mean(z * z)), 1e-300))
    idx = np.flatnonzero(keep)
    if len(idx) <= X.shape[1] + n_extra + 10:
        return None
    contig_k = contig[idx[1:]] & (np.diff(idx) == 1)
    cb = _whitener((r - X @ beta0)[idx], m[idx], contig_k)

    def white(a: NDArray[np.float64]) -> NDArray[np.float64]:
        out, _ = dtbtrs(cb, a.reshape(len(a), -1), uplo="L")  # the banded triangular solve
        return np.asarray(out, dtype=np.float64).reshape(a.shape)

    return idx, white
