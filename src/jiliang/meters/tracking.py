"""Sliding-window and forgetting-factor tracking of meter errors as new days arrive.

The batch fit of :func:`jiliang.meters.core.estimate_area` keeps its design (:class:`AreaDesign`).
Per-day sufficient statistics ``A_d = X_dᵀW_dX_d`` and ``b_d = X_dᵀW_d r_d`` are summed over the
last ``window_days`` days (limited-memory RLS, Kong et al., CN111398885; exact, not an
approximation of the windowed least-squares solution) or discounted by a forgetting factor λ per
day (RLS with forgetting, Liu et al., ACTA IMEKO 9(2) 2020). Each window is solved with the same
ridge prior toward θ = 1 as the batch fit, so a day's update costs one small solve per area.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from jiliang.meters.core import AreaDesign
from jiliang.meters.types import MeterError

__all__ = ["Track", "first_crossing", "track"]


@dataclass(frozen=True, slots=True, eq=False)
class Track:
    """Error estimates per window end: ``error_pct[k, j]`` for day ``days[k]`` and meter ``j``."""

    meter_ids: tuple[str, ...]
    days: NDArray[np.int64]
    error_pct: NDArray[np.float64]
    u_error_pct: NDArray[np.float64]

    def slope_pct_per_day(self) -> NDArray[np.float64]:
        """Least-squares slope of each meter's tracked error against the day (drift)."""
        if len(self.days) < 2:
            return np.zeros(len(self.meter_ids))
        t = self.days.astype(np.float64) - float(self.days.mean())
        e = self.error_pct - self.error_pct.mean(axis=0)
        return np.asarray((t @ e) / float(t @ t))


def track(design: AreaDesign, window_days: int | None = 7, forgetting: float | None = None) -> Track:
    """Track every estimated meter over time: a window of ``window_days`` days (LMRLS), or
    exponential forgetting with factor ``forgetting`` per day (0 < λ ≤ 1) when given."""
    if forgetting is not None:
        if not (0 < forgetting <= 1):
            raise MeterError(f"forgetting factor must be within (0, 1], got {forgetting!r}")
    elif window_days is None or window_days < 1:
        raise MeterError(f"window_days must be ≥ 1, got {window_days!r}")
    X, r, w = design.X, design.r, design.w
    n_est = len(design.meter_ids)
    p = X.shape[1]
    days = np.unique(design.day)
    A_days = np.zeros((len(days), p, p))
    b_days = np.zeros((len(days), p))
    pos = np.searchsorted(days, design.day)
    Xw = X * w[:, None]
    for k in range(len(days)):
        sel = pos == k
        A_days[k] = X[sel].T @ Xw[sel]
        b_days[k] = Xw[sel].T @ r[sel]
    pen = np.zeros(p)
    errors = np.full((len(days), n_est), np.nan)
    uncert = np.full((len(days), n_est), np.nan)
    A = np.zeros((p, p))
    b = np.zeros(p)
    for k in range(len(days)):
        if forgetting is not None:
            A = forgetting * A + A_days[k]
            b = forgetting * b + b_days[k]
        else:
            lo = np.searchsorted(days, days[k] - window_days + 1)
            A = A_days[lo : k + 1].sum(axis=0)
            b = b_days[lo : k + 1].sum(axis=0)
        prior_var = 1.0 / design.prior_precision
        try:
            for _ in range(3):  # adaptive shrinkage within the window, as in the batch fit
                pen[:n_est] = design.sigma2 / prior_var
                M = A.copy()
                M[np.diag_indices(p)] += pen + 1e-12 * (np.diag(A) + 1.0) * (np.arange(p) >= n_est)
                inv = np.linalg.inv(M)
                beta = inv @ b
                prior_var = design.tau2 + beta[:n_est] ** 2
        except np.linalg.LinAlgError:
            continue
        theta = 1.0 + beta[:n_est]
        with np.errstate(divide="ignore", invalid="ignore"):
            errors[k] = np.where(theta > 0.05, 100.0 * (1.0 / theta - 1.0), np.nan)
            uncert[k] = 100.0 * np.sqrt(np.maximum(np.diag(inv)[:n_est] * design.sigma2, 0.0)) / theta**2
    return Track(design.meter_ids, days.astype(np.int64), errors, uncert)


def first_crossing(tr: Track, limits_pct: NDArray[np.float64], k: float = 2.0) -> list[int | None]:
    """For each meter, the first day whose windowed estimate is beyond ``limit + k·u`` (None if never)."""
    out: list[int | None] = []
    for j in range(len(tr.meter_ids)):
        beyond = np.abs(tr.error_pct[:, j]) >= limits_pct[j] + k * tr.u_error_pct[:, j]
        idx = np.flatnonzero(np.nan_to_num(beyond, nan=0.0).astype(bool))
        out.append(int(tr.days[idx[0]]) if len(idx) else None)
    return out
